"""Backup and restore round trips, through the command line, on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from dashboard.cli import main
from dashboard.store.db import session_scope, upgrade
from dashboard.store.models import AuditEntry, Site, Township
from tests import db_state


def data_hash(url: str) -> str:
    """Every row of every table but the audit log and the data versions (cache counters)."""
    return db_state.data_hash(url, skip=("audit_log", "data_versions"))


def versions(url: str) -> dict[str, int]:
    from dashboard.store.air_daily import all_versions

    with session_scope(url) as s:
        return all_versions(s)


def small_district(url: str) -> None:
    upgrade(url)
    with session_scope(url) as s:
        s.add(Township(id=1, code="houzhai", name="侯寨乡", kind="township", position=1))
        s.add(Site(code="GD-0001", name="绿地城二期", township_id=1, site_type="housing", area_m2=5000,
                   coord_system="WGS84", status="active", plate="green"))


def cli(monkeypatch, url: str, tmp_path: Path, *args: str):
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DASHBOARD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "test-secret-key")
    return CliRunner().invoke(main, list(args))


def round_trip(monkeypatch, url: str, tmp_path: Path) -> None:
    small_district(url)
    before = data_hash(url)
    out = tmp_path / "backups" / "dashboard.backup"
    result = cli(monkeypatch, url, tmp_path, "backup", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0
    again = cli(monkeypatch, url, tmp_path, "backup", "--out", str(out))
    assert again.exit_code != 0 and "exists" in again.output  # a backup is never overwritten

    with session_scope(url) as s:  # what happens after the backup ...
        s.execute(update(Site).values(name="改过的名字"))
        s.add(Site(code="GD-0002", name="新工地", township_id=1, site_type="road", area_m2=100,
                   coord_system="WGS84", status="active", plate="green"))
    assert data_hash(url) != before
    replaced = versions(url)
    assert replaced["records"] >= 2
    result = cli(monkeypatch, url, tmp_path, "restore", str(out), "--yes")
    assert result.exit_code == 0, result.output
    assert data_hash(url) == before  # ... is undone, exactly
    # A worker's cache keyed on the replaced database's versions never answers for the restored one.
    restored = versions(url)
    assert all(restored[name] > value for name, value in replaced.items())
    with session_scope(url) as s:
        assert s.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc()).limit(1)) == "restore"


@pytest.mark.sqlite_only(reason="SQLite's own backup file (PostgreSQL's round trip is the next test)")
def test_sqlite_backup_and_restore_round_trip(monkeypatch, tmp_path):
    round_trip(monkeypatch, f"sqlite:///{tmp_path / 'dashboard.db'}", tmp_path)


@pytest.mark.postgres
def test_postgresql_backup_and_restore_round_trip(monkeypatch, tmp_path, pg_url):
    if not (shutil.which("pg_dump") or list(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"))):
        from tests.conftest import need

        need("postgres", "pg_dump not found: apt-get install postgresql-client")
    round_trip(monkeypatch, pg_url, tmp_path)


@pytest.mark.sqlite_only(reason="restoring files that are not SQLite backups into a SQLite database")
def test_restore_refuses_what_is_not_a_backup_and_changes_nothing(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'dashboard.db'}"
    small_district(url)
    before = data_hash(url)
    junk = tmp_path / "photo.jpg"
    junk.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 100)
    other = tmp_path / "other.db"
    import sqlite3

    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (x)")
    for bad, reason in ((junk, "not a SQLite database"), (other, "not a backup of this dashboard")):
        result = cli(monkeypatch, url, tmp_path, "restore", str(bad), "--yes")
        assert result.exit_code != 0 and reason in result.output and "Traceback" not in result.output
    assert data_hash(url) == before
