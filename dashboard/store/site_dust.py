"""Site dust monitors and their HJ 212 readings: the SQL.

Readings land with INSERT … ON CONFLICT DO NOTHING on the primary key (monitor, data time,
CN, pollutant, field), on SQLite and PostgreSQL alike, so a frame sent again adds nothing, and
only for a monitor that exists.
The caller owns the transaction (``store.db.session_scope``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from dashboard.store.models import DustMonitor, DustReading, Site

# Rows per executemany call on SQLite (PostgreSQL copies a batch whole).
CHUNK = 2_000


@dataclass(frozen=True)
class Credential:
    monitor_id: int
    password: str
    active: bool


def credentials(session: Session) -> dict[str, Credential]:
    """Every monitor's MN -> id, password and state (a district has hundreds at most)."""
    rows = session.execute(select(DustMonitor.mn, DustMonitor.id, DustMonitor.password, DustMonitor.active))
    return {mn: Credential(id_, password, active) for mn, id_, password, active in rows}


def find_monitor(session: Session, mn: str) -> DustMonitor | None:
    return session.scalar(select(DustMonitor).where(DustMonitor.mn == mn))


def site_by_code(session: Session, code: str) -> Site | None:
    return session.scalar(select(Site).where(Site.code == code))


def add_monitor(session: Session, mn: str, site_id: int, password: str) -> DustMonitor:
    monitor = DustMonitor(mn=mn, site_id=site_id, password=password, active=True)
    session.add(monitor)
    session.flush()
    return monitor


def monitors(session: Session) -> list[tuple[DustMonitor, str, str]]:
    """Every monitor with its site's code and name, by site code then MN."""
    rows = session.execute(select(DustMonitor, Site.code, Site.name).join(Site, Site.id == DustMonitor.site_id)
                           .order_by(Site.code, DustMonitor.mn)).all()
    return [(monitor, code, name) for monitor, code, name in rows]


def sites_without_monitor(session: Session, limit: int) -> list[tuple[int, str]]:
    """Active sites (id, code) that have no active monitor, by code."""
    equipped = select(DustMonitor.site_id).where(DustMonitor.active)
    rows = session.execute(select(Site.id, Site.code).where(Site.status == "active", Site.id.not_in(equipped))
                           .order_by(Site.code).limit(limit))
    return [(id_, code) for id_, code in rows]


READING_COLUMNS = ("monitor_id", "data_time", "cn", "pollutant", "field", "value", "flag")


# Only rows of a known monitor are stored (the table has no foreign key: see DustReading).
_KNOWN_MONITOR = f"EXISTS (SELECT 1 FROM {DustMonitor.__tablename__} AS m WHERE m.id = {{}})"


def _insert_sql(dialect) -> str:
    """INSERT … SELECT … ON CONFLICT DO NOTHING of one row, in the driver's own parameter style,
    its monitor id given twice (the row's and the check's)."""
    marks = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(dialect.paramstyle)
    if dialect.name != "sqlite" or marks is None:  # pragma: no cover - PostgreSQL copies
        raise NotImplementedError(f"idempotent insert not implemented for {dialect.name}/{dialect.paramstyle}")
    return (f"INSERT INTO {DustReading.__tablename__} ({', '.join(READING_COLUMNS)}) "
            f"SELECT {', '.join([marks] * len(READING_COLUMNS))} WHERE {_KNOWN_MONITOR.format(marks)} "
            "ON CONFLICT DO NOTHING")


def insert_readings(session: Session, rows: Sequence[tuple[Any, ...]]) -> int:
    """Insert reading rows, tuples in ``READING_COLUMNS`` order (monitor_id, data_time as an
    aware datetime, cn, pollutant, field, value, flag); rows already stored are skipped.
    Returns how many were new.

    This is the receiver's hot path (tens of thousands of rows a second), so it hands the
    driver plain tuples (SQLite: its own executemany; PostgreSQL: binary COPY, below): the time
    goes through its column type once per distinct value (a frame's values share one DataTime)
    instead of SQLAlchemy's per-row parameter processing, which cost three times the insert
    itself."""
    if not rows:
        return 0
    connection = session.connection()
    dialect = connection.dialect
    # The column type's whole chain for this dialect (UTC check, then SQLite's text format):
    # rows must look exactly as SQLAlchemy's own inserts and comparisons write them.
    time_type = DustReading.__table__.c.data_time.type
    to_db = time_type.dialect_impl(dialect).bind_processor(dialect) or (lambda value: value)
    converted: dict[Any, Any] = {}
    params = []
    for row in rows:
        when = row[1]
        stored = converted.get(when)
        if stored is None:
            stored = converted[when] = to_db(when)
        params.append((row[0], stored, *row[2:]))
    if dialect.name == "postgresql":
        return _copy_insert(connection, params)
    added = 0
    sql = _insert_sql(dialect)
    params = [(*row, row[0]) for row in params]
    for start in range(0, len(params), CHUNK):
        result = connection.exec_driver_sql(sql, params[start:start + CHUNK])
        added += max(result.rowcount or 0, 0)
    return added


# PostgreSQL: the rows go by binary COPY into a temporary table, then into the readings with
# ON CONFLICT DO NOTHING. psycopg adapts each value of a parameter in Python (about 6 µs a row of
# seven values, as arrays or executemany alike, which made the writer the receiver's bottleneck);
# COPY's binary rows cost about 0.4 µs. The temporary table lives as long as the connection and
# empties at each commit (a second call in one transaction moves the first call's rows again,
# and ON CONFLICT skips them: the count stays right).
_PG_INCOMING = "dust_readings_incoming"
_PG_INCOMING_TYPES = ("int4", "timestamptz", "int2", "varchar", "varchar", "float8", "varchar")
_PG_CREATE_INCOMING = (f"CREATE TEMPORARY TABLE IF NOT EXISTS {_PG_INCOMING} "
                       f"(LIKE {DustReading.__tablename__}) ON COMMIT DELETE ROWS")
_PG_MOVE_INCOMING = (f"INSERT INTO {DustReading.__tablename__} ({', '.join(READING_COLUMNS)}) "
                     f"SELECT {', '.join(READING_COLUMNS)} FROM {_PG_INCOMING} AS i "
                     f"WHERE {_KNOWN_MONITOR.format('i.monitor_id')} ON CONFLICT DO NOTHING")


def _copy_insert(connection, params: list[tuple[Any, ...]]) -> int:
    raw = connection.connection.dbapi_connection
    with raw.cursor() as cursor:
        # A notice, not an error, when it exists: the first batch on a connection makes it.
        cursor.execute(_PG_CREATE_INCOMING)
        with cursor.copy(f"COPY {_PG_INCOMING} ({', '.join(READING_COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(_PG_INCOMING_TYPES)
            for row in params:
                # Binary float8 wants a float: a value given as an int (a fixture's 60) is converted.
                value = row[5]
                copy.write_row(row if value is None or type(value) is float else (*row[:5], float(value), row[6]))
        cursor.execute(_PG_MOVE_INCOMING)
        return max(cursor.rowcount or 0, 0)


def mark_seen(session: Session, seen: dict[int, dt.datetime]) -> None:
    """``last_seen_at`` of each monitor id, moved forward only (one executemany)."""
    if not seen:
        return
    table = DustMonitor.__table__
    statement = (update(table)
                 .where(table.c.id == bindparam("monitor_id"),
                        table.c.last_seen_at.is_(None) | (table.c.last_seen_at < bindparam("seen")))
                 .values(last_seen_at=bindparam("seen")))
    session.connection().execute(statement, [{"monitor_id": k, "seen": v} for k, v in seen.items()])


def readings_frame(session: Session, *, site_code: str | None = None, first: dt.datetime | None = None,
                   last: dt.datetime | None = None, cn: int | None = None, field: str | None = None) -> pd.DataFrame:
    """Readings with their site and MN: site_code, mn, data_time (UTC), cn, pollutant, field,
    value, flag; ordered by site, MN, time, pollutant. ``first``/``last`` are inclusive."""
    query = (select(Site.code.label("site_code"), DustMonitor.mn, DustReading.data_time, DustReading.cn,
                    DustReading.pollutant, DustReading.field, DustReading.value, DustReading.flag)
             .join(DustMonitor, DustMonitor.id == DustReading.monitor_id)
             .join(Site, Site.id == DustMonitor.site_id))
    if site_code is not None:
        query = query.where(Site.code == site_code)
    if first is not None:
        query = query.where(DustReading.data_time >= first)
    if last is not None:
        query = query.where(DustReading.data_time <= last)
    if cn is not None:
        query = query.where(DustReading.cn == cn)
    if field is not None:
        query = query.where(DustReading.field == field)
    query = query.order_by(Site.code, DustMonitor.mn, DustReading.data_time, DustReading.pollutant,
                           DustReading.field)
    rows = session.execute(query).all()
    columns = ["site_code", "mn", "data_time", "cn", "pollutant", "field", "value", "flag"]
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def reading_count(session: Session) -> int:
    from sqlalchemy import func

    return session.scalar(select(func.count()).select_from(DustReading)) or 0
