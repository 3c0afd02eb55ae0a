"""``db upgrade`` (the schema), ``backup`` and ``restore`` (the whole database)."""

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
