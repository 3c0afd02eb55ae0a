"""``db upgrade`` (the schema), ``db check``, ``db copy``, ``backup`` and ``restore`` (the whole database)."""

from __future__ import annotations

from pathlib import Path

import click

from dashboard.cli.groups import main, prepared_settings, safe_url, system_actor
from dashboard.settings import load_settings


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
def db_upgrade(revision: str) -> None:
    """Create or upgrade the schema (Alembic migrations)."""
    from dashboard.store.db import current_revisions, upgrade

    settings = load_settings()
    upgrade(settings.database_url, revision)
    revisions = ", ".join(sorted(current_revisions(settings.database_url)))
    click.echo(f"{safe_url(settings.database_url)} is at revision {revisions}")


@main.command("backup")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The backup file to write (SQLite: a database file; PostgreSQL: pg_dump's custom format).")
def backup_command(out: Path) -> None:
    """Back the whole database up while the dashboard keeps running."""
    settings = prepared_settings()
    from dashboard.services.backup import BackupError, backup

    try:
        backup(settings, system_actor(), out)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{safe_url(settings.database_url)} backed up to {out} ({out.stat().st_size:,} bytes)")


@main.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(file: Path, yes: bool) -> None:
    """Replace the whole database with a backup (stop the dashboard first)."""
    settings = load_settings()
    if not yes:
        click.confirm(f"Replace everything in {safe_url(settings.database_url)} with {file}?", abort=True)
    from dashboard.services.backup import BackupError, restore

    try:
        restore(settings, system_actor(), file)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{safe_url(settings.database_url)} restored from {file}")


@db.command("copy")
@click.argument("source_url")
def db_copy(source_url: str) -> None:
    """Copy the whole database at SOURCE_URL into this dashboard's database (DATABASE_URL), which
    must be new and empty: e.g. from the embedded SQLite (sqlite:///path/dashboard.db) into
    PostgreSQL. Both must be at the current schema (`db upgrade` the source first). Stop the
    dashboard that writes to the source first."""
    settings = load_settings()
    from dashboard.services.backup import BackupError, copy_into

    def progress(table: str, rows: int) -> None:
        click.echo(f"  {table}: {rows:,} row(s)")

    try:
        copied = copy_into(settings, system_actor(), source_url, progress)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{safe_url(source_url)} copied into {safe_url(settings.database_url)}: "
               f"{sum(copied.values()):,} row(s) in {len(copied)} table(s)")


@db.command("check")
@click.option("--repair", is_flag=True, help="After reporting, recompute the derived rows from the raw ones.")
@click.option("--limit", default=50, show_default=True, help="Differences printed per table (all are counted).")
def db_check(repair: bool, limit: int) -> None:
    """Recompute the derived tables (daily air values and AQI per station and for the district;
    compliance per township and day) from the raw rows and report every difference; exit code 1
    if there is any."""
    settings = prepared_settings()
    from dashboard.analytics import air_daily, compliance_daily
    from dashboard.services.imports import rebuild_air_daily, rebuild_compliance_daily
    from dashboard.store.db import read_scope

    checks = (("air_daily", air_daily.check, rebuild_air_daily, "the readings"),
              ("compliance_daily", compliance_daily.check, rebuild_compliance_daily, "the inspections"))
    found = False
    for name, check, rebuild, source in checks:
        with read_scope(settings.database_url) as session:
            differences = check(session)
        for difference in differences[:limit]:
            click.echo(str(difference))
        if len(differences) > limit:
            click.echo(f"… and {len(differences) - limit} more")
        click.echo(f"{safe_url(settings.database_url)}: {name} {len(differences)} difference(s)")
        if differences and repair:
            written = rebuild(settings, system_actor())
            click.echo(f"{name} rebuilt from {source}: {written} rows")
        found = found or bool(differences)
    if found and not repair:
        raise SystemExit(1)
