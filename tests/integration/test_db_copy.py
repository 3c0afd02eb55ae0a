"""``db copy``: a whole database into a new one, e.g. from the embedded SQLite into PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from dashboard.cli import main
from dashboard.store.db import engine_for, session_scope, upgrade
from dashboard.store.models import AuditEntry, Base, Site
from tests.conftest import new_database_url
from tests.db_state import data_hash
from tests.integration.inspection_db import demo_template


def _cli(target: str, tmp_path, *args: str):
    runner = CliRunner(env={"DATABASE_URL": target, "DASHBOARD_DATA_DIR": str(tmp_path), "SECRET_KEY": "x"})
    return runner.invoke(main, list(args))


def _counts(url: str) -> dict[str, int]:
    with engine_for(url).connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar() for t in Base.metadata.sorted_tables}


def _rows(url: str, table) -> list[tuple]:
    """A table's rows as the app reads them (through the column types: the same on both engines)."""
    with engine_for(url).connect() as conn:
        return [tuple(row) for row in conn.execute(select(table).order_by(*table.primary_key.columns))]


def _copy_and_check(source: str, target: str, tmp_path) -> None:
    before = data_hash(source)
    result = _cli(target, tmp_path, "db", "copy", source)
    assert result.exit_code == 0, result.output
    assert "sites:" in result.output and "copied into" in result.output
    # Every row, the same values; the target's audit log has one entry more: the copy.
    counts = _counts(source)
    assert counts["readings"] > 10_000 and counts["inspections"] > 100
    assert _counts(target) == {**counts, "audit_log": counts["audit_log"] + 1}
    for table in Base.metadata.sorted_tables:
        if table.name != "audit_log":
            assert _rows(target, table) == _rows(source, table), table.name
    assert data_hash(source) == before  # the source is only read
    with session_scope(target) as session:
        (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "copy")).all()
        assert entry.detail["rows"] == sum(counts.values())
        # New rows get new ids (PostgreSQL's sequences moved past the copied ones).
        site = session.scalars(select(Site).limit(1)).one()
        session.add(Site(code="GD-COPY", name="复制后新增", township_id=site.township_id, site_type=site.site_type,
                         area_m2=100, coord_system="WGS84", status="active", plate="green"))
        session.add(AuditEntry(user_id=None, action="test", entity="site", entity_id=None, detail={},
                               at=dt.datetime.now(dt.UTC)))


def test_the_demo_copies_whole_and_the_copy_takes_new_rows(tmp_path_factory, tmp_path):
    _copy_and_check(demo_template(tmp_path_factory), new_database_url(tmp_path, "copy.db"), tmp_path)


@pytest.mark.postgres
def test_sqlite_into_postgresql(tmp_path_factory, pg_url, tmp_path):
    """The move a growing district makes: its SQLite file into a new PostgreSQL database."""
    _copy_and_check(demo_template(tmp_path_factory), pg_url, tmp_path)


def test_refused_into_a_database_that_holds_rows_or_from_an_old_schema(tmp_path_factory, tmp_path):
    source = demo_template(tmp_path_factory)
    target = new_database_url(tmp_path, "copy.db")
    assert _cli(target, tmp_path, "db", "copy", source).exit_code == 0
    before = data_hash(target)
    again = _cli(target, tmp_path, "db", "copy", source)
    assert again.exit_code == 1 and "not empty" in again.output
    assert data_hash(target) == before

    old = new_database_url(tmp_path, "old.db")
    upgrade(old, "0009_dust_tasks")
    fresh = new_database_url(tmp_path, "fresh.db")
    refused = _cli(fresh, tmp_path, "db", "copy", old)
    assert refused.exit_code == 1 and "db upgrade" in refused.output
