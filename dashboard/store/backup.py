"""Whole-database backups and restores: SQLite's online backup API, pg_dump / pg_restore.

A SQLite backup is a consistent copy taken while the dashboard keeps running (the backup API
copies pages under a read transaction, WAL included). A PostgreSQL backup is ``pg_dump``'s custom
format, restored with ``pg_restore --clean``. A restore replaces everything in the target
database; it refuses a file that is not a backup of this dashboard.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from dashboard.store.db import engine_for

PG_DUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why."""


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory database cannot be backed up")
    return Path(url.database)


def _pg_tool(name: str) -> str:
    """pg_dump / pg_restore: on PATH, else the newest of Debian's /usr/lib/postgresql/*/bin."""
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)),
                                       None)
    if not found:
        raise BackupError(f"{name} not found: install PostgreSQL's client tools (Debian: postgresql-client)")
    return found


def _pg_args(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection options for the PostgreSQL tools, the password in the environment only."""
    args = ["--dbname", url.database or "", "--no-password"]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()[:500]}")


def backup(database_url: str, out: Path) -> Path:
    """Write a consistent copy of the database to ``out`` (never over an existing file)."""
    url = make_url(database_url)
    if out.exists():
        raise BackupError(f"{out} exists: choose a new file name")
    out.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(_sqlite_path(url)) as source, sqlite3.connect(out) as target:
            source.backup(target)
        return out
    if url.get_backend_name() == "postgresql":
        args, env = _pg_args(url)
        _run([_pg_tool("pg_dump"), "--format=custom", "--file", str(out), *args], env)
        return out
    raise BackupError(f"backups of {url.get_backend_name()} databases are not supported")


def _check_sqlite_backup(path: Path) -> None:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError:
        raise BackupError(f"{path} is not a SQLite database") from None
    if not {"alembic_version", "sites", "readings", "users"} <= tables:
        raise BackupError(f"{path} is not a backup of this dashboard (its tables are missing)")


def restore(database_url: str, file: Path) -> None:
    """Replace the whole database with the backup in ``file``."""
    url = make_url(database_url)
    if not file.is_file():
        raise BackupError(f"{file} not found")
    if url.get_backend_name() == "sqlite":
        _check_sqlite_backup(file)
        engine_for(database_url).dispose()  # no pooled connection may keep the old pages
        target = _sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(file) as source, sqlite3.connect(target) as dest:
            source.backup(dest)
        return
    if url.get_backend_name() == "postgresql":
        with file.open("rb") as f:
            if f.read(len(PG_DUMP_MAGIC)) != PG_DUMP_MAGIC:
                raise BackupError(f"{file} is not a pg_dump custom-format backup")
        engine_for(database_url).dispose()
        args, env = _pg_args(url)
        _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
              *args, str(file)], env)
        return
    raise BackupError(f"restores into {url.get_backend_name()} databases are not supported")
