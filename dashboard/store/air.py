"""Queries of the air-quality pages: stations, hourly readings of a period, alerts and the
campaign targets kept in ``app_settings`` (the data version caches key on is in ``store.air_daily``).

Times are tz-aware UTC instants; a reading's ``time`` is the end of its hour (CNEMC label), so
a period is the half-open interval ``start < time <= end``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace

import pandas as pd
from sqlalchemy import String, select, type_coerce
from sqlalchemy.orm import Session

from dashboard.domain.targets import (
    DEFAULTS,
    YEAR_TARGETS_KEY,
    InvalidTarget,
    YearTargets,
    check_targets,
    dump_year_targets,
    parse_year_targets,
    targets_for_year,
)
from dashboard.store.models import Alert, AppSetting, Reading, Station

STATION_COLUMNS = ["code", "name", "longitude", "latitude", "is_background", "in_district"]
ALERT_COLUMNS = ["id", "level", "starts_at", "ends_at"]


def stations(session: Session) -> pd.DataFrame:
    """Every station: code, name, longitude, latitude, is_background, in_district."""
    rows = session.execute(
        select(
            Station.code,
            Station.name,
            Station.longitude,
            Station.latitude,
            Station.is_background,
            Station.in_district,
        ).order_by(Station.code)
    ).all()
    frame = pd.DataFrame(rows, columns=STATION_COLUMNS)
    frame["is_background"] = frame["is_background"].astype(bool)
    frame["in_district"] = frame["in_district"].astype(bool)
    return frame


def hourly_readings(
    session: Session,
    start: dt.datetime,
    end: dt.datetime,
    station_codes: Iterable[str] | None = None,
    pollutants: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Readings with ``start < time <= end``, long form: station_code, time (UTC), pollutant, value.

    Built for months of hourly rows: the time column skips the per-row ``UTCDateTime``
    conversion (SQLite hands back UTC text, PostgreSQL aware datetimes; pandas parses either
    at once) and station codes are mapped from ids in pandas: twice as fast as the ORM path.
    """
    codes = dict(session.execute(select(Station.id, Station.code)).all())
    query = select(
        Reading.station_id, type_coerce(Reading.time, String()), Reading.pollutant, Reading.value
    ).where(Reading.time > start, Reading.time <= end)
    if station_codes is not None:
        wanted = set(station_codes)
        query = query.where(Reading.station_id.in_([i for i, c in codes.items() if c in wanted]))
    if pollutants is not None:
        query = query.where(Reading.pollutant.in_(list(pollutants)))
    columns = list(zip(*session.connection().execute(query).all())) or [(), (), (), ()]  # Core: no ORM rows
    times = pd.Series(columns[1], dtype=object)
    text = len(times) > 0 and isinstance(times.iloc[0], str)
    return pd.DataFrame({
        "station_code": pd.Series(columns[0], dtype="int64").map(codes).astype("str"),
        "time": pd.to_datetime(times, utc=True, format="ISO8601" if text else None).astype("datetime64[us, UTC]"),
        "pollutant": pd.Series(columns[2], dtype="str"),
        "value": pd.Series(columns[3], dtype="float64"),
    })


def alerts_between(session: Session, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """Alerts overlapping ``[start, end]``: id, level, starts_at, ends_at (NaT while in force)."""
    rows = session.execute(
        select(Alert.id, Alert.level, Alert.starts_at, Alert.ends_at)
        .where(Alert.starts_at <= end, (Alert.ends_at.is_(None)) | (Alert.ends_at >= start))
        .order_by(Alert.starts_at)
    ).all()
    frame = pd.DataFrame(rows, columns=ALERT_COLUMNS)
    frame["starts_at"] = pd.to_datetime(frame["starts_at"], utc=True)
    frame["ends_at"] = pd.to_datetime(frame["ends_at"], utc=True)
    return frame


# --------------------------------------------------------------------------- targets
def targets(session: Session) -> dict[str, float]:
    """The campaign targets from ``app_settings`` (defaults where unset, unreadable or out of range)."""
    rows = dict(
        session.execute(
            select(AppSetting.key, AppSetting.value).where(AppSetting.key.in_(list(DEFAULTS)))
        ).all()
    )
    out = {}
    for key, default in DEFAULTS.items():
        try:
            out[key] = check_targets({key: rows[key]})[key]
        except (KeyError, InvalidTarget):
            out[key] = default
    return out


def set_targets(session: Session, values: dict[str, float]) -> dict[str, float]:
    """Store targets (checked by ``domain.targets.check_targets``); returns all of them."""
    for key, value in values.items():
        row = session.get(AppSetting, key)
        if row is None:
            session.add(AppSetting(key=key, value=repr(value)))
        else:
            row.value = repr(value)
    session.flush()
    return targets(session)


def year_targets(session: Session) -> dict[int, YearTargets]:
    """The years that have targets of their own (``air_targets``; unreadable entries left out)."""
    row = session.get(AppSetting, YEAR_TARGETS_KEY)
    return parse_year_targets(row.value if row else None)


def targets_of_year(session: Session, year: int) -> YearTargets:
    """The year's targets: its own, else the original two keys and the defaults."""
    return targets_for_year(year_targets(session), year, targets(session))


def set_year_targets(session: Session, year: int, values: YearTargets) -> YearTargets:
    """Store one year's targets (checked by ``domain.targets.check_year_targets``), keeping the
    other years' (an unreadable entry, which already counts as unset, is dropped)."""
    stored = year_targets(session)
    stored[year] = replace(values, own=True)
    text = dump_year_targets(stored)
    row = session.get(AppSetting, YEAR_TARGETS_KEY)
    if row is None:
        session.add(AppSetting(key=YEAR_TARGETS_KEY, value=text))
    else:
        row.value = text
    session.flush()
    return stored[year]
