"""Air-quality data commands: ``import`` (CNEMC files, station lists), ``fetch`` (CNEMC mirror,
OpenAQ) and ``export aqi``.

Only click is imported at module level: ``python -m dashboard import …`` must not pay for Dash,
and pandas/SQLAlchemy load when a command runs. Every file (or OpenAQ location) is one
transaction (``services.imports``): a refused file leaves nothing behind, and the command exits
with status 1 after trying the others.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from dashboard.cli.groups import DATE, export_group, fetch_group, import_group, prepared_settings, system_actor
from dashboard.domain.aqi import TIMEZONE as BEIJING  # CNEMC files and --from/--to days are Beijing days


def _codes(value: str | None) -> list[str] | None:
    if not value:
        return None
    codes = [c.strip() for c in value.split(",") if c.strip()]
    return codes or None


def _days(start: dt.datetime, end: dt.datetime) -> list[dt.date]:
    if end < start:
        raise click.BadParameter("--to is before --from")
    n = (end.date() - start.date()).days + 1
    return [start.date() + dt.timedelta(days=i) for i in range(n)]


def _local(day: dt.date, hour: int = 0) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime.combine(day, dt.time()).replace(tzinfo=ZoneInfo(BEIJING)) + dt.timedelta(hours=hour)


def _echo_report(report, echo=click.echo) -> None:
    echo(report.summary(), err=not report.ok)


def _store_readings(settings, frame, report, source: str, on_conflict: str, stations=None):
    """One file of a batch: its daily air values wait for ``_refresh_daily`` (see below)."""
    from dashboard.services.imports import import_readings

    return import_readings(settings, system_actor(), frame, report, source, on_conflict, stations, defer_daily=True)


def _refresh_daily(settings) -> None:
    """End of a batch: the daily air values of every station-day its files changed (also those a
    killed earlier batch left pending)."""
    from dashboard.services.imports import refresh_air_daily

    refresh_air_daily(settings, system_actor())


def _only(frame, codes: list[str] | None):
    return frame if codes is None else frame[frame["station_code"].isin(codes)].reset_index(drop=True)


# --------------------------------------------------------------------------- import
def _cnemc_files(paths: tuple[Path, ...]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.csv") if p.name.lower().startswith("china_sites_"))
            if not found:
                raise click.ClickException(f"no china_sites_*.csv files under {path}")
            files += found
        else:
            files.append(path)
    return list(dict.fromkeys(files))


@import_group.command("cnemc")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--stations", help="Only these station codes, comma-separated (e.g. 1316A,1317A).")
@click.option("--on-conflict", type=click.Choice(["refuse", "update"]), default="refuse", show_default=True,
              help="A value that differs from the stored one: refuse the file, or replace the stored value.")
def import_cnemc(paths: tuple[Path, ...], stations: str | None, on_conflict: str) -> None:
    """Import CNEMC daily files china_sites_YYYYMMDD.csv (files or folders)."""
    settings = prepared_settings()
    from dashboard.ingest.cnemc import read_cnemc_file
    from dashboard.ingest.report import ImportReport, RefusedError

    codes = _codes(stations)
    files = _cnemc_files(paths)
    refused = added = 0
    for path in files:
        try:
            frame, report = read_cnemc_file(path)
        except RefusedError as exc:
            report = ImportReport(file=str(path), refused=exc.problem)
        else:
            report = _store_readings(settings, _only(frame, codes), report, "cnemc", on_conflict)
        _echo_report(report)
        refused += not report.ok
        added += report.added
    _refresh_daily(settings)
    click.echo(f"{len(files)} file(s): {len(files) - refused} imported, {refused} refused, {added} values added")
    if refused:
        raise click.ClickException(f"{refused} of {len(files)} file(s) refused; nothing of them was saved")


@import_group.command("stations")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--valid-from", type=DATE, help="Date the list is in force from (default: from the file name).")
def import_stations(file: Path, valid_from: dt.datetime | None) -> None:
    """Import an official station list 站点列表-YYYY.MM.DD起.csv (versioned by its date)."""
    settings = prepared_settings()
    from dashboard.ingest.cnemc import list_date, read_station_list
    from dashboard.ingest.report import RefusedError
    from dashboard.services.imports import import_station_list

    day = valid_from.date() if valid_from else list_date(file)
    if day is None:
        raise click.ClickException(f"{file}: no date like 2019.08.01 in the file name; pass --valid-from")
    try:
        frame, report = read_station_list(file)
    except RefusedError as exc:
        raise click.ClickException(f"REFUSED {exc}") from None
    counts = import_station_list(settings, system_actor(), frame, day, file)
    click.echo(f"{file}: {len(frame)} stations in force from {day:%Y-%m-%d}; "
               + ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items()))
    for problem in report.problems:
        click.echo(f"  skipped {problem}")


# --------------------------------------------------------------------------- fetch
def _client(settings, retries: int, backoff: float, timeout: float | None, headers=None):
    from dashboard.ingest.fetch import HttpClient

    def sleep(seconds: float) -> None:
        import time

        click.echo(f"  retrying in {seconds:g} s", err=True)
        time.sleep(seconds)

    return HttpClient(timeout=timeout or settings.http_timeout, retries=retries, backoff=backoff,
                      headers=headers or {}, sleep=sleep)


def _http_options(f):
    f = click.option("--on-conflict", type=click.Choice(["refuse", "update"]), default="refuse", show_default=True,
                     help="A value that differs from the stored one: refuse, or replace the stored value.")(f)
    f = click.option("--timeout", type=click.FloatRange(min=0, min_open=True),
                     help="Seconds to wait for the server (default: DASHBOARD_HTTP_TIMEOUT or 30).")(f)
    f = click.option("--backoff", type=click.FloatRange(min=0), default=1.0, show_default=True,
                     help="First pause between retries in seconds; doubles each time.")(f)
    f = click.option("--retries", type=click.IntRange(min=0), default=3, show_default=True,
                     help="Retries after a timeout, a connection error, 429 or 5xx.")(f)
    f = click.option("--to", "end", type=DATE, required=True, help="Last day (YYYY-MM-DD, Beijing).")(f)
    f = click.option("--from", "start", type=DATE, required=True, help="First day (YYYY-MM-DD, Beijing).")(f)
    return f


@fetch_group.command("cnemc")
@_http_options
@click.option("--stations", help="Only these station codes, comma-separated; resume checks these.")
@click.option("--url-template",
              help="Overrides DASHBOARD_CNEMC_URL_TEMPLATE, e.g. https://…/china_sites_{date:%Y%m%d}.csv")
def fetch_cnemc(start, end, retries, backoff, timeout, on_conflict, stations, url_template) -> None:
    """Download CNEMC daily files from a mirror and import them (one transaction per day).

    Days already in the database (for --stations, each of them) are skipped, except today,
    whose file is still growing; files kept in DATA_DIR/downloads/cnemc are reused.
    """
    settings = prepared_settings()
    from tqdm import tqdm

    from dashboard.analytics import reading
    from dashboard.analytics.air import days_with_readings
    from dashboard.ingest.cnemc import read_cnemc_bytes
    from dashboard.ingest.fetch import FetchError, cnemc_url, download_cnemc_day, keep_in_cache
    from dashboard.ingest.report import ImportReport, RefusedError

    template = url_template or settings.cnemc_url_template
    if not template:
        raise click.ClickException("no download address: set DASHBOARD_CNEMC_URL_TEMPLATE or pass --url-template")
    days = _days(start, end)
    try:
        cnemc_url(template, days[0])
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    codes = _codes(stations)
    today = dt.datetime.now(dt.UTC).astimezone(_local(days[0]).tzinfo).date()
    with reading(settings.database_url) as session:
        stored = {d for d in days_with_readings(session, days, BEIJING, codes) if d < today}
    todo = [d for d in days if d not in stored]
    if stored:
        click.echo(f"{len(stored)} day(s) already in the database: skipped")
    client = _client(settings, retries, backoff, timeout)
    imported, missing, failed = 0, [], []
    with tqdm(todo, desc="CNEMC days", unit="day", file=sys.stderr, disable=None) as bar:
        for day in bar:
            bar.set_postfix_str(f"{day:%Y-%m-%d}")
            try:
                download = download_cnemc_day(client, template, day, settings.data_dir)
            except FetchError as exc:
                if exc.status == 404:
                    missing.append(day)
                    bar.write(f"{day:%Y-%m-%d}: not published ({exc.url})", file=sys.stderr)
                else:
                    failed.append(day)
                    bar.write(f"FAILED {day:%Y-%m-%d}: {exc}", file=sys.stderr)
                continue
            name = str(download.url) if not download.cached else f"{download.url} (cached)"
            try:
                frame, report = read_cnemc_bytes(download.raw, name, day)
            except RefusedError as exc:
                report = ImportReport(file=name, refused=exc.problem)
            else:
                if day < today:
                    keep_in_cache(download, settings.data_dir)
                report = _store_readings(settings, _only(frame, codes), report, "cnemc", on_conflict)
            bar.write(report.summary(), file=sys.stderr if not report.ok else sys.stdout)
            if report.ok:
                imported += 1
            else:
                failed.append(day)
    _refresh_daily(settings)
    click.echo(f"{len(days)} day(s): {imported} imported, {len(stored)} already stored, "
               f"{len(missing)} not published, {len(failed)} failed")
    if failed:
        raise click.ClickException(f"{len(failed)} day(s) failed: {', '.join(f'{d:%Y-%m-%d}' for d in failed)}")
    if todo and len(missing) == len(todo):
        raise click.ClickException("no file was found for any day: check the URL template")


@fetch_group.command("openaq")
@_http_options
@click.option("--locations", required=True, help="OpenAQ location ids, comma-separated (e.g. 2178,8118).")
def fetch_openaq(start, end, retries, backoff, timeout, on_conflict, locations) -> None:
    """Download hourly values of OpenAQ v3 locations and import them as stations OAQ-<id>.

    Days are Beijing days: hours ending after --from 00:00 up to --to 24:00 (+08:00).
    """
    settings = prepared_settings()
    import pandas as pd

    from dashboard.ingest.fetch import FetchError, fetch_openaq_location
    from dashboard.ingest.report import ImportReport, Problem

    try:
        ids = [int(x) for x in (_codes(locations) or [])]
    except ValueError:
        raise click.BadParameter(f"{locations!r}: expected numbers like 2178,8118", param_hint="--locations") from None
    if not ids:
        raise click.BadParameter("no location id given", param_hint="--locations")
    days = _days(start, end)
    first, last = _local(days[0]), _local(days[-1] + dt.timedelta(days=1))
    headers = {"X-API-Key": settings.openaq_api_key} if settings.openaq_api_key else {}
    client = _client(settings, retries, backoff, timeout, headers)
    failed = 0
    for location_id in ids:
        try:
            result = fetch_openaq_location(client, settings.openaq_base_url, location_id, first, last)
        except FetchError as exc:
            hint = " (set OPENAQ_API_KEY)" if exc.status in (401, 403) else ""
            report = ImportReport(file=f"openaq location {location_id}",
                                  refused=Problem(f"openaq location {location_id}", None, None, f"{exc}{hint}"))
        else:
            report = _store_readings(settings, result.readings, result.report, "openaq", on_conflict,
                                     stations=pd.DataFrame([result.station]))
        _echo_report(report)
        failed += not report.ok
    _refresh_daily(settings)
    if failed:
        raise click.ClickException(f"{failed} of {len(ids)} location(s) failed; nothing of them was saved")


# --------------------------------------------------------------------------- export
@export_group.command("aqi")
@click.option("--hourly/--daily", "hourly", default=True, show_default=True,
              help="Hourly AQI as the platform publishes it, or daily AQI per HJ 633.")
@click.option("--stations", help="Station codes, comma-separated (default: all).")
@click.option("--from", "start", type=DATE, help="First day (YYYY-MM-DD, Beijing).")
@click.option("--to", "end", type=DATE, help="Last day (YYYY-MM-DD, Beijing).")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Output file: .csv or .xlsx.")
def export_aqi(hourly: bool, stations: str | None, start, end, out: Path) -> None:
    """Write AQI per station and hour (or day) with IAQIs, category and concentrations.

    Hourly rows are CNEMC hour labels D 00:00 … D 23:00 of the chosen days; daily rows are
    natural days (hours ending D 01:00 … D+1 00:00).
    """
    if out.suffix.lower() not in (".csv", ".xlsx"):
        raise click.BadParameter(f"{out.name}: use a .csv or .xlsx file name", param_hint="--out")
    settings = prepared_settings()
    from dashboard.analytics import reading
    from dashboard.analytics.air import readings_between, station_codes
    from dashboard.ingest.export import daily_table, hourly_table, write_table

    codes = _codes(stations)
    first = _local(start.date(), 0 if hourly else 1) if start else None
    last = _local(end.date(), 23 if hourly else 24) if end else None
    if first and last and last < first:
        raise click.BadParameter("--to is before --from")
    with reading(settings.database_url) as session:
        if codes:
            unknown = sorted(set(codes) - station_codes(session))
            if unknown:
                raise click.ClickException(f"unknown station code(s): {', '.join(unknown)}")
        readings = readings_between(session, first, last, codes)
    table = hourly_table(readings) if hourly else daily_table(readings)
    if table.empty:
        click.echo("no readings in that range: the file has the header only", err=True)
    try:
        write_table(table, out)
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
    click.echo(f"{len(table)} {'hourly' if hourly else 'daily'} rows written to {out}")
