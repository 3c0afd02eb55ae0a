"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from dashboard.store.db import current_revisions, engine_for, head_revisions, session_scope, upgrade
from dashboard.store.models import Alert, Base


def _check_schema(url: str) -> None:
    upgrade(url)
    assert current_revisions(url) == head_revisions()
    engine = engine_for(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    tables = set(inspect(engine).get_table_names())
    assert {"sites", "inspections", "inspection_results", "rectifications", "meetings", "action_items",
            "stations", "readings", "alerts", "users", "audit_log", "checklist_items",
            "township_stations"} <= tables
    # Times come back timezone-aware and equal to what was stored.
    start = dt.datetime(2019, 12, 19, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with session_scope(url) as session:
        session.add(Alert(level="red", starts_at=start))
    with session_scope(url) as session:
        stored = session.query(Alert).one().starts_at
    assert stored.tzinfo is not None and stored == start
    upgrade(url)  # a second upgrade is a no-op


@pytest.mark.sqlite_only(reason="the SQLite case of the two (test_migrations_on_postgresql is the other)")
def test_migrations_on_sqlite(sqlite_url):
    _check_schema(sqlite_url)


@pytest.mark.postgres
def test_migrations_on_postgresql(pg_url):
    _check_schema(pg_url)


def test_naive_datetimes_are_refused(sqlite_url):
    upgrade(sqlite_url)
    with pytest.raises(Exception, match="naive"):
        with session_scope(sqlite_url) as session:
            session.add(Alert(level="red", starts_at=dt.datetime(2019, 12, 19)))
            session.flush()


@pytest.mark.sqlite_only(reason="SQLite's connection settings (PRAGMAs)")
def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_url):
    upgrade(sqlite_url)
    with engine_for(sqlite_url).connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
