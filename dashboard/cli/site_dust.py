"""Site dust monitors over HJ 212-2017: ``hj212 serve|simulate``, ``monitors add|remove|list``,
``import hj212`` and ``export site-dust``."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import click

from dashboard.cli.groups import DATE, export_group, import_group, main, prepared_settings, safe_url, system_actor
from dashboard.domain.aqi import TIMEZONE as BEIJING

REFUSALS = {
    "bad_mn": "an MN is 1 to 32 letters and digits (HJ 212-2017 uses 24)",
    "bad_password": "a password is 1 to 32 printable characters without ; = & , (HJ 212 uses 6)",
    "unknown_site": "no site with that code",
    "mn_taken": "a monitor with that MN is registered already",
    "other_site": "that MN was used at another site; an MN names one monitoring point, choose a new one",
    "not_found": "no monitor with that MN",
}


def _refusal(exc) -> str:
    return REFUSALS.get(exc.code, exc.code)


# --------------------------------------------------------------------------- monitors
@main.group()
def monitors() -> None:
    """Site dust monitors: the MN and password each one sends in its HJ 212 frames."""


@monitors.command("add")
@click.argument("mn")
@click.option("--site", "site_code", required=True, help="Code of the site the monitor stands on.")
@click.option("--password", required=True, help="The monitor's HJ 212 access password (PW).")
def monitors_add(mn: str, site_code: str, password: str) -> None:
    """Register monitor MN at a site (or bring back a removed one at its site)."""
    settings = prepared_settings()
    from dashboard.services.site_dust import MonitorRefused, add_monitor

    try:
        created = add_monitor(settings, system_actor(), mn, site_code, password)
    except MonitorRefused as exc:
        raise click.ClickException(f"monitor {mn}: {_refusal(exc)}") from None
    click.echo(f"monitor {mn} {'registered' if created else 'reactivated'} at site {site_code}")


@monitors.command("remove")
@click.argument("mn")
def monitors_remove(mn: str) -> None:
    """Deactivate monitor MN: its frames are refused from now on, its readings stay."""
    settings = prepared_settings()
    from dashboard.services.site_dust import MonitorRefused, remove_monitor

    try:
        changed = remove_monitor(settings, system_actor(), mn)
    except MonitorRefused as exc:
        raise click.ClickException(f"monitor {mn}: {_refusal(exc)}") from None
    click.echo(f"monitor {mn} removed" if changed else f"monitor {mn} was already removed")


@monitors.command("list")
def monitors_list() -> None:
    """List monitors: MN, site, state, last frame stored (never the password)."""
    settings = prepared_settings()
    from dashboard.services.site_dust import list_monitors

    rows = list_monitors(settings)
    if not rows:
        click.echo("no monitors")
    for row in rows:
        seen = row.last_seen_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M") if row.last_seen_at else "never"
        click.echo(f"{row.mn:<26} {row.site_code:<12} {'active' if row.active else 'removed':<8} "
                   f"last seen {seen}  {row.site_name}")


@monitors.command("check")
def monitors_check() -> None:
    """Evaluate the dust rules for every active monitor now (offline, and PM10 over the last
    complete hours) and open 待核查 tasks; `hj212 serve` does this every minute."""
    settings = prepared_settings()
    from dashboard.services.dust_tasks import check_monitors

    result = check_monitors(settings, system_actor())
    click.echo(f"{result.monitors} monitor(s) checked: {len(result.opened)} task(s) opened, "
               f"{result.extended} open episode(s) extended")


# --------------------------------------------------------------------------- hj212
@main.group()
def hj212() -> None:
    """HJ 212-2017: the receiver for site dust monitors, and a simulator of them."""


@hj212.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on (0.0.0.0 for monitors on other machines).")
@click.option("--port", default=8212, show_default=True, type=click.IntRange(0, 65535),
              help="TCP port (0: any free port, printed).")
@click.option("--idle-timeout", default=900.0, show_default=True, type=click.FloatRange(min=1),
              help="Seconds without a byte after which a connection is closed.")
@click.option("--stats-every", default=60.0, show_default=True, type=click.FloatRange(min=1),
              help="Seconds between the logged counts.")
@click.option("--check-every", default=60.0, show_default=True, type=click.FloatRange(min=1),
              help="Seconds between checks of the monitors against the dust rules (offline monitors).")
@click.option("--writer", type=click.Choice(["process", "thread"]), default="process", show_default=True,
              help="Store in a process of its own (answers stay quick under load) or in a thread.")
def hj212_serve(host: str, port: int, idle_timeout: float, stats_every: float, check_every: float,
                writer: str) -> None:
    """Receive HJ 212-2017 frames from site dust monitors, store them, answer 9014."""
    settings = prepared_settings()
    import asyncio

    from dashboard.receiver.server import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    def ready(bound) -> None:
        click.echo(f"Database: {safe_url(settings.database_url)}")
        click.echo(f"HJ 212 receiver listening on {bound[0]}:{bound[1]}", )

    try:
        stats = asyncio.run(serve(settings, host, port, idle_timeout=idle_timeout, stats_every=stats_every,
                                  check_every=check_every, ready=ready, writer=writer))
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    click.echo(f"stopped: {stats.summary()}")


def _address(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise click.BadParameter(f"{value!r}: expected HOST:PORT, e.g. 127.0.0.1:8212", param_hint="--to")
    return host, int(port)


@hj212.command("simulate")
@click.option("--to", "target", required=True, help="The receiver, HOST:PORT.")
@click.option("--monitors", "count", type=click.IntRange(min=1), help="Play only the first N registered monitors.")
@click.option("--register-demo", type=click.IntRange(min=1),
              help="First register a monitor on each of up to N active sites that have none.")
@click.option("--speed", default=60.0, show_default=True, type=click.FloatRange(min=0),
              help="Simulated seconds per real second (0: as fast as the answers come).")
@click.option("--minutes", default=60, show_default=True, type=click.IntRange(min=1),
              help="Simulated minutes to play.")
@click.option("--interval", default=1, show_default=True, type=click.Choice(["1", "2", "5", "10", "15", "30"]),
              help="Minutes between minute-data frames (2051).")
@click.option("--start", help="Simulated start, Beijing time (YYYY-MM-DDTHH:MM; default: now, or the midnight after "
                              "the demo's pinned day).")
@click.option("--episode", "episode_site", metavar="SITE",
              help="Play a dust episode at this site's monitor (site code): PM10 ×3.5 in the second and third "
                   "simulated hours, enough to open a 待核查 task; the monitor is played if it was not.")
def hj212_simulate(target: str, count: int | None, register_demo: int | None, speed: float, minutes: int,
                   interval: str, start: str | None, episode_site: str | None) -> None:
    """Play the registered monitors: minute (2051) and hourly (2061) data with valid CRC,
    asking for answers, to a receiver."""
    host, port = _address(target)
    settings = prepared_settings()
    import asyncio
    from zoneinfo import ZoneInfo

    from dashboard.receiver.simulator import Episode, simulate
    from dashboard.services.site_dust import list_monitors, monitor_secrets, register_demo_monitors

    if register_demo:
        made = register_demo_monitors(settings, system_actor(), register_demo)
        click.echo(f"{len(made)} demo monitor(s) registered" + (f" ({made[0][0]} …)" if made else ""))
    secrets = monitor_secrets(settings, system_actor())
    pairs = secrets[:count] if count else secrets
    dusty_mn = None
    if episode_site:
        dusty_mn = next((m.mn for m in list_monitors(settings) if m.site_code == episode_site and m.active), None)
        if dusty_mn is None:
            raise click.BadParameter(f"{episode_site!r}: no active monitor at this site", param_hint="--episode")
        pairs += [pair for pair in secrets if pair[0] == dusty_mn and pair not in pairs]
    if not pairs:
        raise click.ClickException("no active monitors: add some (monitors add MN --site CODE --password PW) "
                                   "or pass --register-demo N")
    step = int(interval)
    tz = ZoneInfo(BEIJING)
    if start:
        try:
            first = dt.datetime.fromisoformat(start)
        except ValueError:
            raise click.BadParameter(f"{start!r}: expected YYYY-MM-DDTHH:MM", param_hint="--start") from None
        first = first.replace(tzinfo=tz) if first.tzinfo is None else first
    else:
        first = _default_start(settings, tz)
    first = first.replace(minute=first.minute - first.minute % step, second=0, microsecond=0)
    click.echo(f"{len(pairs)} monitor(s) from {first:%Y-%m-%d %H:%M} for {minutes} min at speed {speed:g} "
               f"to {host}:{port}")
    dusty = (Episode(dusty_mn, first + dt.timedelta(hours=1), first + dt.timedelta(hours=3)) if dusty_mn
             else None)
    if dusty is not None:
        click.echo(f"dust episode at {episode_site} ({dusty.mn}): {dusty.start:%m-%d %H:%M}–{dusty.end:%H:%M}")
    report = asyncio.run(simulate(host, port, pairs, start=first, minutes=minutes, interval=step, speed=speed,
                                  episode=dusty))
    click.echo(report.summary())
    if report.failed or report.connect_errors:
        raise click.ClickException(f"{report.failed} frame(s) were never answered")


def _default_start(settings, tz) -> dt.datetime:
    """Now; on the demo, whose clock is pinned to one day, the midnight after that day: its
    monitors' history ends there, so the frames add readings (a frame of a stored minute adds
    nothing) and the site pages show them beside the demo's inspections."""
    from dashboard import analytics

    with analytics.reading(settings.database_url) as session:
        pinned = analytics.now(session, tz)
    real = dt.datetime.now(tz).replace(second=0, microsecond=0)
    if pinned.date() < real.date():
        return dt.datetime.combine(pinned.date() + dt.timedelta(days=1), dt.time(0), tz)
    return real


# --------------------------------------------------------------------------- import / export
@import_group.command("hj212")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_hj212(file: Path) -> None:
    """Import a log of recorded HJ 212 frames (one a line) from registered monitors."""
    settings = prepared_settings()
    from dashboard.ingest.hj212 import read_frame_log
    from dashboard.services.site_dust import import_frame_log

    frames, result = read_frame_log(file)
    result = import_frame_log(settings, system_actor(), str(file), frames, result)
    for number, reason in result.refused[:50]:
        click.echo(f"{file}, line {number}: {reason}", err=True)
    if len(result.refused) > 50:
        click.echo(f"… and {len(result.refused) - 50} more refused lines", err=True)
    click.echo(f"{file}: {result.lines} lines, {result.frames} frames stored ({result.added} new values), "
               f"{len(result.refused)} refused")


@export_group.command("site-dust")
@click.option("--site", "site_code", help="Only this site's monitors (site code).")
@click.option("--from", "start", type=DATE, help="First day (YYYY-MM-DD, Beijing).")
@click.option("--to", "end", type=DATE, help="Last day (YYYY-MM-DD, Beijing).")
@click.option("--kind", type=click.Choice(["minute", "hour", "day", "rtd"]), default="hour", show_default=True,
              help="Which data: minute (2051), hourly (2061), daily (2031) or real-time (2011).")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Output file: .csv (or .xlsx).")
def export_site_dust(site_code: str | None, start, end, kind: str, out: Path) -> None:
    """Write site_code,mn,time,pollutant,value,flag: the average (Rtd for real-time data) of
    each pollutant at each DataTime, time in ISO 8601 with +08:00."""
    if out.suffix.lower() not in (".csv", ".xlsx"):
        raise click.BadParameter(f"{out.name}: use a .csv or .xlsx file name", param_hint="--out")
    if start and end and end < start:
        raise click.BadParameter("--to is before --from")
    settings = prepared_settings()
    from zoneinfo import ZoneInfo

    from dashboard.analytics import reading
    from dashboard.analytics.site_dust import main_values, site_exists
    from dashboard.ingest.export import site_dust_table, write_table

    tz = ZoneInfo(BEIJING)
    first = dt.datetime.combine(start.date(), dt.time(), tz) if start else None
    last = dt.datetime.combine(end.date() + dt.timedelta(days=1), dt.time(), tz) - dt.timedelta(microseconds=1) \
        if end else None
    with reading(settings.database_url) as session:
        if site_code and not site_exists(session, site_code):
            raise click.ClickException(f"unknown site code {site_code!r}")
        table = site_dust_table(main_values(session, kind, site_code=site_code, first=first, last=last))
    if table.empty:
        click.echo("no readings in that range: the file has the header only", err=True)
    try:
        write_table(table, out)
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
    click.echo(f"{len(table)} rows written to {out}")
