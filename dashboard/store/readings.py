"""Stations and hourly readings: bulk, idempotent writes and the reads exports need.

Times are tz-aware UTC instants of the *end* of the averaged hour (the CNEMC hour label).
The caller owns the transaction (``store.db.session_scope``): a file lands whole or not at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import String, and_, bindparam, func, select, type_coerce, update
from sqlalchemy.orm import Session

from dashboard.domain.aqi import TIMEZONE
from dashboard.store.models import Reading, Station, StationVersion

# Rows per executemany call: bounds the parameter lists in memory; big enough that the
# per-call overhead vanishes.
CHUNK = 20_000
# Keep IN (...) lists well below SQLite's bound-parameter limit.
IN_CHUNK = 900
CONFLICT_POLICIES = ("refuse", "update")


@dataclass
class ReadingCounts:
    """What ``import_readings`` did: read = added + skipped + conflicts."""

    read: int = 0
    added: int = 0
    skipped: int = 0
    conflicts: int = 0
    # station_code, pollutant, time, stored, new — for the report (empty without conflicts)
    conflict_rows: pd.DataFrame | None = None


class ReadingConflict(Exception):
    """Readings already stored with other values; nothing of the batch may be saved."""

    def __init__(self, rows: pd.DataFrame):
        self.rows = rows
        first = rows.iloc[0]
        super().__init__(
            f"{len(rows)} reading(s) already stored with a different value, e.g. {first['station_code']} "
            f"{first['pollutant']} at {pd.Timestamp(first['time']).tz_convert(TIMEZONE).isoformat()}: "
            f"stored {first['stored']:g}, new {first['new']:g}"
        )


def _insert(session: Session):
    """INSERT … ON CONFLICT DO NOTHING for this session's dialect."""
    name = session.get_bind().dialect.name
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(f"bulk upsert not implemented for {name}")
    return insert


def _chunks(seq, size: int):
    for i in range(0, len(seq), size):
        yield seq[i:i + size]


# --------------------------------------------------------------------------- stations
def station_ids(session: Session) -> dict[str, int]:
    """All station codes -> ids (a national network is a few thousand rows)."""
    return {code: id_ for code, id_ in session.execute(select(Station.code, Station.id))}


def ensure_stations(session: Session, codes: Iterable[str], info: pd.DataFrame | None = None) -> dict[str, int]:
    """Ids of ``codes``, creating the unknown ones.

    New stations take name/city/coordinates from ``info`` (columns code, name and optionally
    city, longitude, latitude) when it has them, else the code as name. Existing stations are
    left alone: their names come from station lists.
    """
    ids = station_ids(session)
    missing = sorted(set(codes) - ids.keys())
    if not missing:
        return ids
    known = {}
    if info is not None and not info.empty:
        known = info.drop_duplicates("code", keep="last").set_index("code").to_dict("index")
    rows = []
    for code in missing:
        extra = known.get(code, {})
        rows.append({
            "code": code,
            "name": _text(extra.get("name")) or code,
            "city": _text(extra.get("city")),
            "longitude": _number(extra.get("longitude")),
            "latitude": _number(extra.get("latitude")),
            "is_background": bool(extra.get("is_background") or False),
            "in_district": False,
        })
    session.execute(Station.__table__.insert(), rows)
    return station_ids(session)


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def upsert_stations(session: Session, frame: pd.DataFrame, valid_from: dt.date) -> dict[str, int]:
    """Record one official station list (站点列表) in force from ``valid_from``.

    ``frame``: code, name, city, longitude, latitude, is_background (as from
    ``ingest.cnemc.read_station_list``). Each station gets a StationVersion for that date
    (re-importing the same list overwrites that version, so it is idempotent). A station's
    current name, city, coordinates and background flag follow its newest version, so importing
    an older list after a newer one only adds history. ``Station.valid_from`` is the earliest
    list the station is in. The background flag (对照点) is the exception: an admin may set it
    (``services.district.set_station_group``), so it follows the newest list only where that
    list says something new about it (a new version, or a changed flag), and importing a list
    again leaves the admin's choice alone. Returns counts: stations created, versions added,
    versions updated, stations whose current name, city, coordinates or flag changed.
    """
    counts = {"stations_created": 0, "versions_added": 0, "versions_updated": 0, "stations_updated": 0}
    before = station_ids(session)
    ids = ensure_stations(session, frame["code"], frame)
    counts["stations_created"] = len(ids) - len(before)
    station_id = frame["code"].map(ids)

    existing = {
        (sid, vf): (vid, background)
        for vid, sid, vf, background in session.execute(
            select(StationVersion.id, StationVersion.station_id, StationVersion.valid_from,
                   StationVersion.is_background)
        )
    }
    new_rows, changed_rows = [], []
    # Stations whose flag this list states anew: only theirs may follow it.
    flag_news: set[int] = set()
    for sid, rec in zip(station_id.tolist(), frame.to_dict("records")):
        row = {
            "station_id": sid,
            "valid_from": valid_from,
            "name": rec["name"],
            "city": _text(rec.get("city")),
            "longitude": _number(rec.get("longitude")),
            "latitude": _number(rec.get("latitude")),
            "is_background": bool(rec.get("is_background", False)),
        }
        found = existing.get((sid, valid_from))
        if found is None:
            new_rows.append(row)
            flag_news.add(sid)
        else:
            changed_rows.append({"id": found[0], **row})
            if found[1] != row["is_background"]:
                flag_news.add(sid)
    if new_rows:
        session.execute(StationVersion.__table__.insert(), new_rows)
    if changed_rows:
        session.execute(update(StationVersion), changed_rows)  # ORM bulk update by primary key
    counts["versions_added"], counts["versions_updated"] = len(new_rows), len(changed_rows)

    # Each station's newest version becomes its current data.
    affected = set(station_id.tolist())
    newest = (
        select(StationVersion.station_id, func.max(StationVersion.valid_from).label("newest"),
               func.min(StationVersion.valid_from).label("first"))
        .group_by(StationVersion.station_id)
        .subquery()
    )
    current = session.execute(
        select(StationVersion, newest.c.first)
        .join(newest, and_(StationVersion.station_id == newest.c.station_id,
                           StationVersion.valid_from == newest.c.newest))
    ).all()
    stations = {s.id: s for s in session.scalars(select(Station).where(Station.id.in_(affected)))} if len(
        affected) <= IN_CHUNK else {s.id: s for s in session.scalars(select(Station))}
    for version, first in current:
        station = stations.get(version.station_id)
        if station is None:
            continue
        background = version.is_background if version.valid_from == valid_from and version.station_id in flag_news \
            else station.is_background
        target = (version.name, version.city, version.longitude, version.latitude, background)
        now = (station.name, station.city, station.longitude, station.latitude, station.is_background)
        if target != now:
            station.name, station.city, station.longitude, station.latitude, station.is_background = target
            counts["stations_updated"] += 1
        station.valid_from = first
    session.flush()
    if counts["stations_created"] or counts["stations_updated"]:
        # A background flag may have moved: the district's daily values follow.
        from dashboard.analytics.air_daily import refresh_district

        refresh_district(session)
    return counts


# --------------------------------------------------------------------------- readings
#
# Hot path. Per-row SQLAlchemy work (parameter dicts, the UTCDateTime decorator, result
# processing) costs ~20 µs a reading, ten times the INSERT itself. So values are bound once per
# *distinct* time through the column's own type processors (identical storage to the ORM's), and
# rows go to the driver's executemany as tuples of the compiled dialect INSERT … ON CONFLICT.

_TABLE = Reading.__table__


def _utc(times) -> pd.Series:
    t = pd.Series(pd.to_datetime(times))
    if t.dt.tz is None:
        raise ValueError("reading times must be timezone-aware")
    return t.dt.tz_convert("UTC").astype("datetime64[us, UTC]")


def _bound_times(session: Session, times: pd.Series) -> list:
    """UTC times -> the values the driver receives for ``readings.time`` (one conversion per distinct time)."""
    dialect = session.get_bind().dialect
    process = _TABLE.c.time.type.dialect_impl(dialect).bind_processor(dialect)
    codes, uniques = pd.factorize(times, sort=False)
    bound = np.array([process(t.to_pydatetime()) for t in uniques] + [None], dtype=object)
    return bound[codes].tolist()


def _loaded_times(session: Session, raw: pd.Series) -> pd.Series:
    """Raw ``readings.time`` values from the driver -> UTC timestamps (one conversion per distinct value)."""
    dialect = session.get_bind().dialect
    process = _TABLE.c.time.type.dialect_impl(dialect).result_processor(dialect, None)
    codes, uniques = pd.factorize(raw, sort=False)
    converted = pd.DatetimeIndex([process(v) for v in uniques], tz="UTC").astype("datetime64[us, UTC]")
    return pd.Series(converted.take(codes), index=raw.index) if len(raw) else pd.Series(
        pd.DatetimeIndex([], tz="UTC").astype("datetime64[us, UTC]"), index=raw.index)


_RAW_TIME = type_coerce(Reading.time, String()).label("time")  # the stored value, unprocessed


def _executemany(session: Session, statement, columns: dict[str, list]) -> int:
    """Run ``statement`` (compiled for this dialect) once per row of ``columns`` (bound parameter
    name -> values, already converted for the driver); returns the total rowcount."""
    dialect = session.get_bind().dialect
    compiled = statement.compile(dialect=dialect, column_keys=list(columns))
    names = list(compiled.positiontup) if compiled.positional else list(columns)
    rows = list(zip(*(columns[name] for name in names)))
    if not compiled.positional:
        rows = [dict(zip(names, row)) for row in rows]
    total = 0
    connection = session.connection()
    for chunk in _chunks(rows, CHUNK):
        result = connection.exec_driver_sql(compiled.string, chunk)
        total += result.rowcount
    return total


#: Rows per INSERT … SELECT FROM unnest on PostgreSQL (one array parameter a column).
ARRAY_CHUNK = 50_000
_PG_ARRAY_TYPES = {"station_id": "integer", "pollutant": "varchar", "time": "timestamptz", "value": "float8",
                   "source": "varchar", "validated": "boolean"}


def _insert_arrays(session: Session, columns: dict[str, list]) -> int:
    """PostgreSQL: the readings as one array a column, one INSERT … SELECT FROM unnest … ON
    CONFLICT DO NOTHING a chunk; returns the rows added. psycopg's executemany sends a statement
    a row, and the server's work per statement made an import eleven times SQLite's."""
    names = list(columns)
    arrays = ", ".join(f"%s::{_PG_ARRAY_TYPES[name]}[]" for name in names)
    sql = (f"INSERT INTO {_TABLE.name} ({', '.join(names)}) SELECT * FROM unnest({arrays}) "
           "ON CONFLICT DO NOTHING")
    connection = session.connection()
    total, n = 0, len(columns[names[0]])
    for start in range(0, n, ARRAY_CHUNK):
        result = connection.exec_driver_sql(sql, tuple(columns[name][start:start + ARRAY_CHUNK] for name in names))
        total += result.rowcount
    return total


def _frame(rows: list, columns: list[str]) -> pd.DataFrame:
    """Result rows -> frame, column-wise (pandas inspects each Row object when given rows)."""
    data = list(zip(*rows)) if rows else [[] for _ in columns]
    return pd.DataFrame({name: pd.Series(list(values), dtype=object) for name, values in zip(columns, data)})


def _count(session: Session, ids: list[int], start: dt.datetime, end: dt.datetime) -> int:
    total = 0
    for chunk in _chunks(ids, IN_CHUNK):
        total += session.scalar(
            select(func.count()).select_from(Reading)
            .where(Reading.station_id.in_(chunk), Reading.time >= start, Reading.time <= end)
        )
    return total


def _stored(session: Session, ids: list[int], start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    parts = []
    for chunk in _chunks(ids, IN_CHUNK):
        rows = session.connection().execute(  # Core: plain rows, no ORM loading per row
            select(Reading.station_id, Reading.pollutant, _RAW_TIME, Reading.value)
            .where(Reading.station_id.in_(chunk), Reading.time >= start, Reading.time <= end)
        ).all()
        parts.append(_frame(rows, ["station_id", "pollutant", "time", "stored"]))
    stored = pd.concat(parts, ignore_index=True)
    stored["time"] = _loaded_times(session, stored["time"])
    stored["pollutant"] = stored["pollutant"].astype(object)
    return stored


def import_readings(session: Session, frame: pd.DataFrame, source: str, on_conflict: str = "refuse",
                    stations: pd.DataFrame | None = None, defer_daily: bool = False) -> ReadingCounts:
    """Insert hourly readings (``_import_readings``) and, when any value was added or replaced,
    refresh the daily values of the days and stations touched (``analytics.air_daily``) and
    bump the air data version, in the same transaction. ``defer_daily`` (a batch of files)
    only notes those station-days; the batch ends with ``analytics.air_daily.refresh_pending``
    (a fixed ~0.2 s a refresh would otherwise double the import of a folder of day files)."""
    counts = _import_readings(session, frame, source, on_conflict, stations)
    if counts.added or (counts.conflicts and on_conflict == "update"):
        # Derived rows live with what they derive from; imported here, not at module level,
        # because analytics reads through this package.
        from dashboard.analytics.air_daily import refresh_days
        from dashboard.domain.evaluation import day_of_hour
        from dashboard.store.air_daily import add_pending

        times = _utc(frame["time"])
        days = day_of_hour(pd.Series([times.min(), times.max()]))
        first, last = days.iloc[0].date(), days.iloc[1].date()
        codes = frame["station_code"].unique().tolist()
        if defer_daily:
            add_pending(session, codes, first, last)
        else:
            refresh_days(session, first, last, codes)
    return counts


def _import_readings(session: Session, frame: pd.DataFrame, source: str, on_conflict: str = "refuse",
                     stations: pd.DataFrame | None = None) -> ReadingCounts:
    """Insert hourly readings (station_code, pollutant, time tz-aware, value) in the session's
    transaction, idempotently.

    * A reading already stored with the same value is skipped (re-importing adds nothing).
    * A reading already stored with a *different* value is a conflict. ``on_conflict="refuse"``
      (the default) raises ``ReadingConflict`` listing them — the caller rolls back, so the
      batch lands whole or not at all and nothing published earlier is silently replaced.
      ``"update"`` overwrites the stored values with the new ones (for re-published, revised
      data) and counts them as conflicts.
    * Unknown station codes are created (``ensure_stations``; names from ``stations`` if given).

    Writes use executemany of INSERT … ON CONFLICT DO NOTHING in chunks of ``CHUNK`` rows (on
    PostgreSQL one INSERT … SELECT FROM unnest a chunk of ``ARRAY_CHUNK``).
    Repeated keys inside ``frame`` keep their first row.
    """
    if on_conflict not in CONFLICT_POLICIES:
        raise ValueError(f"on_conflict must be one of {CONFLICT_POLICIES}")
    counts = ReadingCounts(read=len(frame))
    if frame.empty:
        return counts
    frame = frame.assign(time=_utc(frame["time"]).array)
    frame = frame.drop_duplicates(["station_code", "pollutant", "time"], keep="first")
    counts.skipped += counts.read - len(frame)
    ids = ensure_stations(session, frame["station_code"].unique(), stations)
    # In primary-key order SQLite appends to its B-tree pages instead of splitting them (~2x).
    frame = (frame.assign(_id=frame["station_code"].map(ids).astype("int64"))
             .sort_values(["_id", "pollutant", "time"], kind="stable", ignore_index=True))
    station_id = frame.pop("_id")
    start, end = frame["time"].min().to_pydatetime(), frame["time"].max().to_pydatetime()
    id_list = sorted(set(station_id.tolist()))
    dialect = session.get_bind().dialect
    exact_rowcount = dialect.supports_sane_multi_rowcount

    before = 0 if exact_rowcount else _count(session, id_list, start, end)
    validated = _TABLE.c.validated.type.dialect_impl(dialect).bind_processor(dialect)
    n = len(frame)
    columns = {
        "station_id": station_id.tolist(),
        "pollutant": frame["pollutant"].astype(object).tolist(),
        "time": _bound_times(session, frame["time"]),
        "value": frame["value"].astype("float64").tolist(),
        "source": [source] * n,
        "validated": [validated(False) if validated else False] * n,
    }
    if dialect.name == "postgresql":
        added = _insert_arrays(session, columns)
    else:
        added = _executemany(session, _insert(session)(_TABLE).on_conflict_do_nothing(), columns)
    counts.added = added if exact_rowcount else _count(session, id_list, start, end) - before
    if counts.added == n:
        return counts

    incoming = pd.DataFrame({"station_id": station_id.to_numpy(), "station_code": frame["station_code"].to_numpy(),
                             "pollutant": frame["pollutant"].astype(object).to_numpy(),
                             "time": frame["time"].array,
                             "new": frame["value"].astype("float64").to_numpy()})
    both = incoming.merge(_stored(session, id_list, start, end), on=["station_id", "pollutant", "time"])
    differ = ~np.isclose(both["stored"].to_numpy(dtype="float64"), both["new"].to_numpy(), rtol=1e-9, atol=0.0)
    conflicts = both.loc[differ, ["station_id", "station_code", "pollutant", "time", "stored", "new"]]
    counts.conflicts = len(conflicts)
    counts.skipped += n - counts.added - counts.conflicts
    if conflicts.empty:
        return counts
    counts.conflict_rows = conflicts.drop(columns="station_id").reset_index(drop=True)
    if on_conflict == "refuse":
        raise ReadingConflict(counts.conflict_rows)
    statement = (
        _TABLE.update()
        .where(_TABLE.c.station_id == bindparam("b_station_id"), _TABLE.c.pollutant == bindparam("b_pollutant"),
               _TABLE.c.time == bindparam("b_time"))
        .values(value=bindparam("b_value"), source=bindparam("b_source"))
    )
    _executemany(session, statement, {
        "b_value": conflicts["new"].tolist(),
        "b_source": [source] * len(conflicts),
        "b_station_id": conflicts["station_id"].astype(int).tolist(),
        "b_pollutant": conflicts["pollutant"].tolist(),
        "b_time": _bound_times(session, conflicts["time"]),
    })
    return counts


def readings_frame(session: Session, start: dt.datetime | None = None, end: dt.datetime | None = None,
                   station_codes: Iterable[str] | None = None) -> pd.DataFrame:
    """Readings with ``start <= time <= end`` (tz-aware; None = open) for some or all stations.

    Long form: station_code, station_name, pollutant, time (UTC), value, sorted by station and time.
    """
    query = (
        select(Station.code, Station.name, Reading.pollutant, _RAW_TIME, Reading.value)
        .join(Station, Station.id == Reading.station_id)
    )
    if start is not None:
        query = query.where(Reading.time >= start)
    if end is not None:
        query = query.where(Reading.time <= end)
    columns = ["station_code", "station_name", "pollutant", "time", "value"]
    connection = session.connection()  # Core: plain rows, no ORM loading per row
    if station_codes is not None:
        codes = list(station_codes)
        parts = [connection.execute(query.where(Station.code.in_(chunk))).all() for chunk in _chunks(codes, IN_CHUNK)]
        rows = [r for part in parts for r in part]
    else:
        rows = connection.execute(query).all()
    frame = _frame(rows, columns)
    for column in ("station_code", "station_name", "pollutant"):
        frame[column] = frame[column].astype("str")
    frame["time"] = _loaded_times(session, frame["time"])
    frame["value"] = frame["value"].astype("float64")
    return frame.sort_values(["station_code", "time", "pollutant"], kind="stable").reset_index(drop=True)


def days_with_readings(session: Session, days: Iterable[dt.date], tz: str = TIMEZONE,
                       station_codes: Iterable[str] | None = None) -> set[dt.date]:
    """The ``days`` (hour labels 00:00–23:00 local, as a CNEMC daily file) that have readings —
    for every one of ``station_codes`` when given, else for any station."""
    ids = station_ids(session)
    wanted = None
    if station_codes is not None:
        codes = list(station_codes)
        if any(c not in ids for c in codes):
            return set()
        wanted = [ids[c] for c in codes]
    found = set()
    for day in days:
        start = pd.Timestamp(day).tz_localize(tz).tz_convert("UTC").to_pydatetime()
        end = start + dt.timedelta(hours=23)
        query = select(Reading.station_id).where(Reading.time >= start, Reading.time <= end)
        if wanted is None:
            if session.execute(query.limit(1)).first() is not None:
                found.add(day)
            continue
        present = set()
        for chunk in _chunks(wanted, IN_CHUNK):
            present |= set(session.scalars(query.where(Reading.station_id.in_(chunk)).distinct()))
        if len(present) == len(set(wanted)):
            found.add(day)
    return found
