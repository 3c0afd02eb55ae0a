"""Backing the whole database up and restoring it; admins only (the command line)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from dashboard.services.access import Actor, require
from dashboard.settings import Settings
from dashboard.store import air_daily as versions
from dashboard.store import backup as store
from dashboard.store.backup import BackupError
from dashboard.store.copy import copy_database
from dashboard.store.db import ensure_schema, session_scope
from dashboard.store.users import audit

__all__ = ["BackupError", "backup", "copy_into", "restore"]


def backup(settings: Settings, actor: Actor, out: Path) -> Path:
    """A consistent copy of the database in ``out`` (a new file)."""
    require(actor, "admin")
    return store.backup(settings.database_url, out)


def restore(settings: Settings, actor: Actor, file: Path) -> None:
    """Replace the database with a backup; the schema is then brought up to date and the
    restore recorded in the restored audit log."""
    require(actor, "admin")
    seen = _versions_now(settings.database_url)
    store.restore(settings.database_url, file)
    ensure_schema(settings.database_url)
    with session_scope(settings.database_url) as session:
        # Running workers keep values cached under the replaced database's versions: the restored
        # data gets numbers none of them has seen.
        versions.advance_versions(session, seen)
        audit(session, actor.user_id, "restore", "database", None, {"file": str(file)})


def _versions_now(database_url: str) -> dict[str, int]:
    """The data versions of the database about to be replaced ({} if it has none yet)."""
    try:
        with session_scope(database_url) as session:
            return versions.all_versions(session)
    except SQLAlchemyError:  # no database yet, or one from before the versions
        return {}


def copy_into(settings: Settings, actor: Actor, source_url: str,
              progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Copy the whole database at ``source_url`` into this dashboard's own, new database (its
    schema created first), e.g. from the embedded SQLite into PostgreSQL; recorded in the copy's
    audit log. Returns the rows copied per table."""
    require(actor, "admin")
    if source_url == settings.database_url:
        raise BackupError("the source is this dashboard's own database")
    ensure_schema(settings.database_url)
    copied = copy_database(source_url, settings.database_url, progress)
    with session_scope(settings.database_url) as session:
        audit(session, actor.user_id, "copy", "database", None,
              {"from": make_url(source_url).render_as_string(hide_password=True), "rows": sum(copied.values())})
    return copied
