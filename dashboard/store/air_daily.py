"""The derived air tables: ``air_daily`` (daily values and AQI per station and for the district)
and ``data_versions`` (a counter per kind of data that caches key on).

Only SQL here; what the rows hold is computed in ``analytics.air_daily``. The caller owns the
transaction: the rows change with the readings they derive from, or not at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd
from sqlalchemy import String, delete, event, func, select, type_coerce, update
from sqlalchemy.orm import Session

from dashboard.store.models import AirDaily, AirDailyPending, Alert, DataVersion, Reading, Station

#: The data whose changes the air pages' caches follow: readings, stations and their groups, alerts.
AIR = "air"
#: Frame column -> table column of the daily values (the frame's names are ``evaluation.DAILY_COLUMNS``).
VALUE_COLUMNS = {"SO2": "so2", "NO2": "no2", "PM10": "pm10", "PM2.5": "pm25", "CO": "co",
                 "O3_1h": "o3_1h", "O3_8h": "o3_8h"}
AQI_COLUMNS = ("aqi", "category", "primary_pollutants", "standard")
_TABLE = AirDaily.__table__
_CHUNK = 5_000
_IN_CHUNK = 900


# --------------------------------------------------------------------------- data version
def version(session: Session, name: str = AIR) -> int:
    """The counter of ``name`` (0 before any write)."""
    return int(session.scalar(select(DataVersion.version).where(DataVersion.name == name)) or 0)


def bump(session: Session, name: str = AIR) -> None:
    """Count one more change of ``name`` in the caller's transaction. The UPDATE takes the row
    lock, so two writers in parallel give two increments, never the same number."""
    done = session.execute(update(DataVersion).where(DataVersion.name == name)
                           .values(version=DataVersion.version + 1)).rowcount
    if not done:
        session.add(DataVersion(name=name, version=1))
        session.flush()


def all_versions(session: Session) -> dict[str, int]:
    """Every data version's counter, by name."""
    return {name: int(v) for name, v in session.execute(select(DataVersion.name, DataVersion.version))}


def advance_versions(session: Session, seen: dict[str, int]) -> None:
    """Set every counter past both its value and ``seen`` (the values of a database this one
    replaced): no version number can name two different states of the data."""
    now = all_versions(session)
    for name in sorted(now.keys() | seen.keys()):
        value = max(now.get(name, 0), seen.get(name, 0)) + 1
        if name in now:
            session.execute(update(DataVersion).where(DataVersion.name == name).values(version=value))
        else:
            session.add(DataVersion(name=name, version=value))
    session.flush()


# --------------------------------------------------------------------------- air_daily
def _date_column(session: Session):
    # SQLite hands back ISO text; converting it in pandas at once beats the per-row Date processor.
    return type_coerce(AirDaily.date, String()) if session.get_bind().dialect.name == "sqlite" else AirDaily.date


def read(session: Session, first: dt.date | None = None, last: dt.date | None = None,
         series: Iterable[str] | None = None) -> pd.DataFrame:
    """Rows with ``first <= date <= last`` (None: open): series, date (datetime64), the daily
    value columns under their frame names, aqi, category, primary_pollutants, standard."""
    query = select(AirDaily.series, _date_column(session), *(getattr(AirDaily, c) for c in VALUE_COLUMNS.values()),
                   AirDaily.aqi, AirDaily.category, AirDaily.primary_pollutants, AirDaily.standard)
    if first is not None:
        query = query.where(AirDaily.date >= first)
    if last is not None:
        query = query.where(AirDaily.date <= last)
    names = ["series", "date", *VALUE_COLUMNS, *AQI_COLUMNS]
    if series is not None:
        wanted = list(series)
        rows = [r for i in range(0, len(wanted), _IN_CHUNK)
                for r in session.connection().execute(query.where(AirDaily.series.in_(wanted[i:i + _IN_CHUNK])))]
    else:
        rows = session.connection().execute(query).all()
    columns = list(zip(*rows)) if rows else [() for _ in names]
    frame = pd.DataFrame({
        "series": pd.Series(columns[0], dtype=object).astype("str"),
        "date": pd.to_datetime(pd.Series(columns[1], dtype=object)).astype("datetime64[us]"),
        **{name: pd.Series(columns[2 + i], dtype="float64") for i, name in enumerate(VALUE_COLUMNS)},
        "aqi": pd.Series(columns[9], dtype="Int64"),
        "category": pd.Series(columns[10], dtype="Int64"),
        "primary_pollutants": pd.Series(columns[11], dtype=object).fillna(""),
        "standard": pd.Series(columns[12], dtype=object).fillna(""),
    })
    return frame.sort_values(["series", "date"], kind="stable").reset_index(drop=True)


def replace(session: Session, frame: pd.DataFrame, first: dt.date, last: dt.date,
            series: Iterable[str] | None = None) -> int:
    """Make the rows of ``first..last`` (of ``series``, or of every series) those of ``frame``
    (columns as ``read`` returns them); returns the rows written."""
    query = delete(AirDaily).where(AirDaily.date >= first, AirDaily.date <= last)
    if series is None:
        session.execute(query)
    else:
        wanted = list(series)
        for i in range(0, len(wanted), _IN_CHUNK):
            session.execute(query.where(AirDaily.series.in_(wanted[i:i + _IN_CHUNK])))
    if frame.empty:
        return 0
    rows = []
    dates = pd.to_datetime(frame["date"]).dt.date.tolist()
    values = {c: frame[name].astype("float64").to_numpy() for name, c in VALUE_COLUMNS.items()}
    aqi = frame["aqi"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    category = frame["category"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    primary = frame["primary_pollutants"].astype(object).fillna("").astype(str).tolist()
    standard = frame["standard"].astype(object).fillna("").astype(str).tolist()
    for i, (series_code, date) in enumerate(zip(frame["series"].astype(str).tolist(), dates, strict=True)):
        row = {"series": series_code, "date": date,
               **{c: (None if np.isnan(v[i]) else float(v[i])) for c, v in values.items()},
               "aqi": None if np.isnan(aqi[i]) else int(aqi[i]),
               "category": None if np.isnan(category[i]) else int(category[i]),
               "primary_pollutants": primary[i], "standard": standard[i]}
        rows.append(row)
    for i in range(0, len(rows), _CHUNK):
        session.execute(_TABLE.insert(), rows[i:i + _CHUNK])
    return len(rows)


def day_span(session: Session) -> tuple[dt.date, dt.date] | None:
    """The first and last day of ``air_daily`` (None when empty)."""
    lo, hi = session.execute(select(func.min(AirDaily.date), func.max(AirDaily.date))).one()
    if lo is None:
        return None
    return pd.Timestamp(lo).date(), pd.Timestamp(hi).date()


# --------------------------------------------------------------------------- pending (batch imports)
def add_pending(session: Session, codes: Iterable[str], first: dt.date, last: dt.date) -> None:
    """Note the station-days ``codes`` × ``first..last`` for the refresh that ends a batch."""
    from dashboard.store.readings import _insert

    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    rows = [{"station_code": c, "date": d} for c in sorted(set(codes)) for d in days]
    insert = _insert(session)
    for i in range(0, len(rows), _CHUNK):
        session.execute(insert(AirDailyPending.__table__).on_conflict_do_nothing(), rows[i:i + _CHUNK])
    bump(session)  # the hourly views see the new readings now; the daily rows when the batch ends


def pending(session: Session) -> pd.DataFrame:
    """The station-days waiting for a refresh: station_code, date (datetime64)."""
    rows = session.connection().execute(select(AirDailyPending.station_code, AirDailyPending.date)).all()
    return pd.DataFrame({"station_code": pd.Series([r[0] for r in rows], dtype=object),
                         "date": pd.to_datetime(pd.Series([r[1] for r in rows], dtype=object))})


def clear_pending(session: Session) -> None:
    session.execute(delete(AirDailyPending))


# --------------------------------------------------------------------------- readings, bounded
def reading_span(session: Session, start: dt.datetime | None = None,
                 end: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime] | None:
    """First and last reading time (``start < time <= end`` when given), or None."""
    bounds = []
    if start is not None:
        bounds.append(Reading.time > start)
    if end is not None:
        bounds.append(Reading.time <= end)
    # Two queries: SQLite answers a lone min() or max() with one seek in the time index, but
    # both in one query with a scan of the range (0.3 s over five years).
    lo = session.scalar(select(func.min(Reading.time)).where(*bounds))
    if lo is None:
        return None
    return lo, session.scalar(select(func.max(Reading.time)).where(*bounds))


def last_reading_times(session: Session, start: dt.datetime, end: dt.datetime,
                       pollutants: Iterable[str]) -> dict[str, dt.datetime]:
    """Each station's last reading time with ``start < time <= end`` (stations without one left
    out): one index seek per station and pollutant (the readings' key starts with them), so
    years of readings cost no more than a day's."""
    columns = [
        select(func.max(Reading.time)).where(Reading.station_id == Station.id, Reading.pollutant == p,
                                             Reading.time > start, Reading.time <= end)
        .correlate(Station).scalar_subquery()
        for p in pollutants
    ]
    out = {}
    for code, *times in session.execute(select(Station.code, *columns)).all():
        found = [pd.Timestamp(t) for t in times if t is not None]
        if found:
            out[code] = max(t if t.tzinfo else t.tz_localize("UTC") for t in found).to_pydatetime()
    return out


# --------------------------------------------------------------------------- writes outside the bulk paths
# Bulk paths (imports, the station group, the demo) refresh the derived rows themselves. Any
# other write is caught here and the derived rows follow before the commit, in the same
# transaction: ORM objects (a correction of one reading, a station or an alert edited) are noted
# at each flush with what they touched; a bulk UPDATE/DELETE/INSERT of readings through the
# session (a script's correction) touches rows the session cannot list, so the whole table is
# rebuilt (minutes at five years: the import path is the way to correct readings in bulk);
# one of stations or alerts rewrites the district's rows (milliseconds).
_TOUCHED = "air_daily_touched"
_WATCHED = {Reading.__tablename__: "readings", Station.__tablename__: "other", Alert.__tablename__: "other"}


def _touched(session: Session) -> dict:
    return session.info.setdefault(_TOUCHED, {"readings": set(), "all_readings": False, "other": False})


def covered(session: Session, everything: bool) -> None:
    """The derived rows were just refreshed: for every change so far (``everything``, a rebuild),
    or for the stations and alerts (the district rows)."""
    touched = session.info.get(_TOUCHED)
    if touched is None:
        return
    if everything:
        session.info.pop(_TOUCHED, None)
    else:
        touched["other"] = False


@event.listens_for(Session, "after_flush")
def _note_flushed(session: Session, _context) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Reading):
            _touched(session)["readings"].add((obj.station_id, obj.time))
        elif isinstance(obj, (Station, Alert)):
            _touched(session)["other"] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk(state) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    kind = _WATCHED.get(getattr(table, "name", None))
    if kind == "readings":
        _touched(state.session)["all_readings"] = True
    elif kind == "other":
        _touched(state.session)["other"] = True


@event.listens_for(Session, "before_commit")
def _follow_touched(session: Session) -> None:
    session.flush()
    touched = session.info.pop(_TOUCHED, None)
    if not touched:
        return
    from dashboard.analytics.air_daily import rebuild, refresh_days, refresh_district
    from dashboard.domain.evaluation import day_of_hour

    if touched["all_readings"]:
        rebuild(session)
    else:
        if touched["readings"]:
            ids = {sid for sid, _ in touched["readings"]}
            codes = [c for i, c in session.execute(select(Station.id, Station.code)).all() if i in ids]
            days = day_of_hour(pd.Series(pd.to_datetime([t for _, t in touched["readings"]], utc=True)))
            refresh_days(session, days.min().date(), days.max().date(), codes)
        if touched["other"]:
            refresh_district(session)
    session.info.pop(_TOUCHED, None)


@event.listens_for(Session, "after_rollback")
def _forget_touched(session: Session) -> None:
    session.info.pop(_TOUCHED, None)
