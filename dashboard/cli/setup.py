"""``setup``: a new district on an empty database, from the command line.

It names the district, creates the first admin, loads the standard "8个100%" checklists and,
when given, imports the township list, the official station list and picks the district's
station group: every step through the same services as the admin page, each in its own
transaction and reported as it is done. The rest (readings, sites, colleagues' accounts) comes
after, with the commands and pages the home page lists until they are done.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from dashboard.cli.groups import main, prepared_settings, system_actor


def _codes(value: str | None) -> list[str]:
    return [c.strip() for c in (value or "").split(",") if c.strip()]


@main.command()
@click.option("--district", prompt="District name (e.g. 二七区)", help="The district's name, shown on every page.")
@click.option("--admin", "admin", prompt="First admin's user name", help="User name of the first administrator.")
@click.option("--admin-name", default="", help="The admin's name as shown in the dashboard.")
@click.password_option("--password", help="The admin's password (asked for when not given).")
@click.option("--townships", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="An Excel file of the townships (columns 编码, 名称, 英文名称, 类型, 顺序, 状态).")
@click.option("--station-list", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The official station list 站点列表-YYYY.MM.DD起.csv to import.")
@click.option("--stations", help="Codes of the stations that form the district figure, e.g. 1322A,1323A.")
@click.option("--background", help="Codes of the control (background) stations, e.g. 1324A.")
def setup(district: str, admin: str, admin_name: str, password: str, townships: Path | None,
          station_list: Path | None, stations: str | None, background: str | None) -> None:
    """Set up a new district on an empty database: name, first admin, checklists, townships, stations."""
    settings = prepared_settings()
    from dashboard.analytics import reading
    from dashboard.analytics.accounts import user_list
    from dashboard.domain.errors import CodedError
    from dashboard.i18n import t
    from dashboard.ingest.cnemc import list_date, read_station_list
    from dashboard.ingest.report import RefusedError
    from dashboard.services import checklists, imports, users
    from dashboard.services import district as district_service

    lang = settings.default_language
    with reading(settings.database_url) as session:
        if user_list(session):
            raise click.ClickException("this database already has users: change its settings on the admin page "
                                       "(/admin), or point DATABASE_URL at a new database")
    actor = system_actor()

    def step(done: str) -> None:
        click.echo(f"  ✓ {done}")

    def refused(what: str, exc: CodedError) -> click.ClickException:
        issues = getattr(exc, "issues", None)  # the district rules say which field and why
        why = "; ".join(t(i.key, "en", **i.params) for i in issues) if issues else f"{exc.code} {exc.details}"
        return click.ClickException(f"{what}: {why} (the steps before this one are saved)")

    click.echo(f"Setting up {district} in the database:")
    try:
        users.set_user(settings, actor, admin, password=password, role="admin", display_name=admin_name)
    except users.InvalidUser as exc:
        if exc.code == "bad_password":
            raise click.ClickException(" ".join(t(f"account.password.{p}", "en", min_length=exc.details["min_length"])
                                                for p in exc.details["problems"])) from None
        raise refused("the admin", exc) from None
    step(f"admin {admin}")
    try:
        district_service.set_district_name(settings, actor, district)
    except CodedError as exc:
        raise refused("the district name", exc) from None
    step(f"district name {district}")
    added = checklists.load_standard_checklists(settings, actor)
    step(f"checklists {', '.join(added) if added else '(already loaded)'}")
    if townships is not None:
        try:
            result = district_service.import_townships(settings, actor, townships, str(townships), lang)
        except district_service.TownshipsRefused as exc:
            for problem in exc.checked.problems:
                click.echo(f"    {problem}", err=True)
            raise click.ClickException(f"{townships}: refused, nothing of it saved (the steps before are saved)") \
                from None
        step(f"townships: {len(result['added'])} added, {len(result['updated'])} updated")
    if station_list is not None:
        day = list_date(station_list) or dt.date.today()
        try:
            frame, _report = read_station_list(station_list)
        except RefusedError as exc:
            raise click.ClickException(f"REFUSED {exc}") from None
        imports.import_station_list(settings, actor, frame, day, station_list)
        step(f"{len(frame)} stations from {station_list.name}, in force from {day:%Y-%m-%d}")
    if stations or background:
        try:
            district_service.set_station_group(settings, actor, district=_codes(stations),
                                               background=_codes(background))
        except CodedError as exc:
            raise refused("the station group", exc) from None
        step(f"district stations {stations or '—'}; background {background or '—'}")
    click.echo("Done. Next: import readings (python -m dashboard import cnemc FOLDER), then serve the dashboard "
               "(python -m dashboard serve), log in as the admin and follow the list on the home page.")
