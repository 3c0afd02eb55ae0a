"""Backing the whole database up and restoring it; admins only (the command line)."""

from __future__ import annotations

from pathlib import Path

from dashboard.services.access import Actor, require
from dashboard.settings import Settings
from dashboard.store import backup as store
from dashboard.store.backup import BackupError
from dashboard.store.db import ensure_schema, session_scope
from dashboard.store.users import audit

__all__ = ["BackupError", "backup", "restore"]


def backup(settings: Settings, actor: Actor, out: Path) -> Path:
    """A consistent copy of the database in ``out`` (a new file)."""
    require(actor, "admin")
    return store.backup(settings.database_url, out)


def restore(settings: Settings, actor: Actor, file: Path) -> None:
    """Replace the database with a backup; the schema is then brought up to date and the
    restore recorded in the restored audit log."""
    require(actor, "admin")
    store.restore(settings.database_url, file)
    ensure_schema(settings.database_url)
    with session_scope(settings.database_url) as session:
        audit(session, actor.user_id, "restore", "database", None, {"file": str(file)})
