"""Engine, sessions and schema upgrades."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

# The derived air rows follow ORM writes of readings, stations and alerts (listeners on Session).
import dashboard.store.air_daily  # noqa: E402,F401  isort: skip
# And the compliance rows follow ORM writes of inspections, their results and sites.
import dashboard.store.compliance_daily  # noqa: E402,F401  isort: skip
# And the records and ledger versions (what the meeting, briefing, scorecard and ledger pages'
# caches key on) follow every write of their tables.
import dashboard.store.versions  # noqa: E402,F401  isort: skip

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the dashboard read while an import writes; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(database_url: str) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.get_backend_name() == "postgresql" and url.get_driver_name() in ("", "psycopg2"):
        # psycopg 3 is the driver we ship (extra "postgres"); accept plain postgresql:// URLs.
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(url, pool_pre_ping=True)


def checkpoint_apart(database_url: str, every: float = 0.2, restart_pages: int = 16_000) -> threading.Thread | None:
    """SQLite only (None otherwise): this process's connections stop checkpointing the WAL at
    their commits, and a daemon thread checkpoints it (PASSIVE) every ``every`` seconds on a
    connection of its own instead. For a process that commits many small transactions and must
    answer quickly (the HJ 212 writer): an automatic checkpoint makes the commit that crosses
    the WAL's 1,000 pages wait for the pages to be copied back and synced (tens to hundreds of
    ms), while sqlite3 runs a checkpoint without the GIL, beside the next insert.

    A passive checkpoint never catches up with a writer that never stops, and the WAL is only
    rewound once it has: left alone it grew by 35 MB a second under load. So when it holds
    ``restart_pages`` pages (64 MB), a RESTART checkpoint holds the writers back while it
    copies the little that the passive ones have not and rewinds the WAL. Call it before the
    process's first connection to this URL."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None

    def no_autocheckpoint(dbapi_connection, _record) -> None:
        dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")

    event.listen(engine_for(database_url), "connect", no_autocheckpoint)

    def run() -> None:
        connection = sqlite3.connect(url.database, timeout=30, check_same_thread=False)
        while True:
            time.sleep(every)
            try:
                _busy, pages, _copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                if pages >= restart_pages:
                    connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
            except sqlite3.Error:  # busy or locked: the next round checkpoints
                continue

    thread = threading.Thread(target=run, name="wal-checkpoint", daemon=True)
    thread.start()
    return thread


@lru_cache(maxsize=8)
def engine_for(database_url: str) -> Engine:
    """One engine (and pool) per database URL in this process."""
    return make_engine(database_url)


def session_factory(database_url: str) -> sessionmaker[Session]:
    return sessionmaker(engine_for(database_url), expire_on_commit=False)


@contextmanager
def session_scope(database_url: str) -> Iterator[Session]:
    """A session whose work commits together or not at all."""
    session = session_factory(database_url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class ReadOnlySession(RuntimeError):
    """A page view tried to write: only ``services/`` writes, in ``session_scope``."""


def _refuse_flush(session: Session, _context, _instances) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlySession("a read-only session was asked to write "
                              f"({len(session.new)} new, {len(session.dirty)} changed, {len(session.deleted)} deleted)")


def _refuse_statement(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise ReadOnlySession(f"a read-only session was asked to run {state.statement!s:.80}")


@contextmanager
def read_scope(database_url: str) -> Iterator[Session]:
    """A session for reading (page views): it never commits and refuses any write."""
    session = session_factory(database_url)()
    event.listen(session, "before_flush", _refuse_flush)
    event.listen(session, "do_orm_execute", _refuse_statement)
    try:
        yield session
    finally:
        # close() ends the transaction without committing; unlike rollback() it leaves loaded
        # objects readable after the block (a page builds its layout from them).
        session.close()


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(database_url: str, revision: str = "heads") -> None:
    """Create or upgrade the schema to ``revision`` (default: every head of the migrations)."""
    engine = engine_for(database_url)
    command.upgrade(_alembic_config(engine), revision)


def current_revisions(database_url: str) -> set[str]:
    with engine_for(database_url).connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def head_revisions() -> set[str]:
    return set(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


def ensure_schema(database_url: str) -> None:
    """Upgrade only when the database is behind: cheap enough to call on every start."""
    if current_revisions(database_url) != head_revisions():
        upgrade(database_url)
