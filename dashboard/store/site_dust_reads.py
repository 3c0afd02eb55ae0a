"""Reads of the site dust views (the site page's section, /dust, the admin tab) and the
limits of monitor health kept in ``app_settings``.

The write path of the readings is ``store.site_dust`` (the receiver's); nothing here inserts a
reading. Every time is UTC; an HJ 212 DataTime is the start of its period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd
from sqlalchemy import String, and_, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from dashboard.domain.site_dust_rules import LIMITS_KEY, DustLimits, dump_limits, parse_limits
from dashboard.store.models import AppSetting, DustMonitor, DustReading, Site

MONITOR_COLUMNS = ["monitor_id", "mn", "active", "created_at", "last_seen_at", "site_id", "site_code", "site_name",
                   "site_status", "township_id", "longitude", "latitude"]
VALUE_COLUMNS = ["monitor_id", "data_time", "cn", "pollutant", "value", "flag"]
#: The kinds of data the views draw (daily 2031 data says nothing an hour does not).
REALTIME, MINUTE, HOURLY = 2011, 2051, 2061


def monitors_frame(session: Session, site_id: int | None = None) -> pd.DataFrame:
    """Monitors with their site (never the password): ``MONITOR_COLUMNS``, by site code and MN."""
    query = (select(DustMonitor.id, DustMonitor.mn, DustMonitor.active, DustMonitor.created_at,
                    DustMonitor.last_seen_at, Site.id, Site.code, Site.name, Site.status, Site.township_id,
                    Site.longitude, Site.latitude)
             .join(Site, Site.id == DustMonitor.site_id).order_by(Site.code, DustMonitor.mn))
    if site_id is not None:
        query = query.where(DustMonitor.site_id == site_id)
    frame = pd.DataFrame([tuple(r) for r in session.execute(query).all()], columns=MONITOR_COLUMNS)
    frame["active"] = frame["active"].astype(bool)
    return frame


def has_monitor(session: Session, site_id: int) -> bool:
    return session.scalar(select(func.count()).select_from(DustMonitor).where(DustMonitor.site_id == site_id)) > 0


def _main_field():
    # The value a kind is summed up by: Rtd for real-time data, Avg for minute and hourly data.
    return or_(and_(DustReading.cn == REALTIME, DustReading.field == "Rtd"),
               and_(DustReading.cn.in_((MINUTE, HOURLY)), DustReading.field == "Avg"))


def values(session: Session, monitor_ids: Iterable[int], pollutants: Iterable[str], cns: Iterable[int],
           first: dt.datetime, last: dt.datetime) -> pd.DataFrame:
    """Main values (``VALUE_COLUMNS``) of the monitors' ``pollutants`` of kinds ``cns`` with
    ``first <= data_time <= last``, by monitor and time."""
    ids = [int(i) for i in monitor_ids]
    if not ids:
        return _frame([])
    query = (select(DustReading.monitor_id, type_coerce(DustReading.data_time, String()), DustReading.cn,
                    DustReading.pollutant, DustReading.value, DustReading.flag)
             .where(DustReading.monitor_id.in_(ids), DustReading.pollutant.in_(list(pollutants)),
                    DustReading.cn.in_(list(cns)), DustReading.data_time >= first, DustReading.data_time <= last,
                    _main_field())
             .order_by(DustReading.monitor_id, DustReading.data_time))
    return _frame(session.execute(query).all())


def _frame(rows) -> pd.DataFrame:
    columns = list(zip(*rows)) or [(), (), (), (), (), ()]
    times = pd.Series(columns[1], dtype=object)
    # SQLite hands the text back, PostgreSQL aware datetimes: pandas parses either at once.
    text = len(times) > 0 and isinstance(times.iloc[0], str)
    return pd.DataFrame({
        "monitor_id": pd.Series(columns[0], dtype="int64"),
        "data_time": pd.to_datetime(times, utc=True, format="ISO8601" if text else None).astype("datetime64[us, UTC]"),
        "cn": pd.Series(columns[2], dtype="int64"),
        "pollutant": pd.Series(columns[3], dtype="str"),
        "value": pd.Series(columns[4], dtype="float64"),
        "flag": pd.Series([f if f is not None else "" for f in columns[5]], dtype="str"),
    })


def latest_times(session: Session, monitor_ids: Iterable[int] | None = None) -> dict[int, dt.datetime]:
    """Monitor id → DataTime of its newest stored value (any kind)."""
    query = select(DustReading.monitor_id, func.max(DustReading.data_time)).group_by(DustReading.monitor_id)
    if monitor_ids is not None:
        query = query.where(DustReading.monitor_id.in_([int(i) for i in monitor_ids]))
    out = {}
    for monitor_id, when in session.execute(query).all():
        stamp = pd.Timestamp(when)
        out[int(monitor_id)] = (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")) \
            .to_pydatetime()
    return out


def newest_of_kind(session: Session, monitor_ids: Iterable[int], pollutant: str, cn: int,
                   limit: int) -> pd.DataFrame:
    """The newest ``limit`` main values of one pollutant and kind per monitor (for the stuck
    check), ``VALUE_COLUMNS``, oldest first per monitor."""
    frames = []
    for monitor_id in monitor_ids:
        query = (select(DustReading.monitor_id, type_coerce(DustReading.data_time, String()), DustReading.cn,
                        DustReading.pollutant, DustReading.value, DustReading.flag)
                 .where(DustReading.monitor_id == int(monitor_id), DustReading.pollutant == pollutant,
                        DustReading.cn == cn, _main_field())
                 .order_by(DustReading.data_time.desc()).limit(limit))
        frames.append(_frame(session.execute(query).all()).iloc[::-1])
    return pd.concat(frames, ignore_index=True) if frames else _frame([])


def kinds_of(session: Session, monitor_ids: Iterable[int], since: dt.datetime) -> dict[int, set[int]]:
    """Monitor id → the kinds (CN) it has stored since ``since``."""
    ids = [int(i) for i in monitor_ids]
    if not ids:
        return {}
    rows = session.execute(select(DustReading.monitor_id, DustReading.cn).distinct()
                           .where(DustReading.monitor_id.in_(ids), DustReading.data_time >= since)).all()
    out: dict[int, set[int]] = {}
    for monitor_id, cn in rows:
        out.setdefault(int(monitor_id), set()).add(int(cn))
    return out


def active_sites(session: Session) -> list[tuple[int, str, str]]:
    """(id, code, name) of active sites, by code: where a monitor may be installed."""
    return [(i, c, n) for i, c, n in session.execute(select(Site.id, Site.code, Site.name)
                                                      .where(Site.status == "active").order_by(Site.code))]


# --------------------------------------------------------------------------- limits
def dust_limits(session: Session) -> DustLimits:
    """The health limits in force (defaults for what is unset or unreadable)."""
    row = session.get(AppSetting, LIMITS_KEY)
    return parse_limits(row.value if row is not None else None)


def set_dust_limits(session: Session, limits: DustLimits) -> DustLimits:
    row = session.get(AppSetting, LIMITS_KEY)
    if row is None:
        session.add(AppSetting(key=LIMITS_KEY, value=dump_limits(limits)))
    else:
        row.value = dump_limits(limits)
    return limits


def latest_valid(session: Session, monitor_ids: Iterable[int], pollutant: str) -> pd.DataFrame:
    """Each monitor's newest valid (N) main value of ``pollutant`` of any kind the views draw,
    ``VALUE_COLUMNS``; when kinds share that DataTime, every one of them (the caller picks)."""
    ids = [int(i) for i in monitor_ids]
    if not ids:
        return _frame([])
    wanted = (DustReading.monitor_id.in_(ids), DustReading.pollutant == pollutant, DustReading.flag == "N",
              DustReading.cn.in_((REALTIME, MINUTE, HOURLY)), _main_field())
    newest = (select(DustReading.monitor_id.label("mid"), func.max(DustReading.data_time).label("at"))
              .where(*wanted).group_by(DustReading.monitor_id).subquery())
    query = (select(DustReading.monitor_id, type_coerce(DustReading.data_time, String()), DustReading.cn,
                    DustReading.pollutant, DustReading.value, DustReading.flag)
             .join(newest, and_(newest.c.mid == DustReading.monitor_id, newest.c.at == DustReading.data_time))
             .where(*wanted).order_by(DustReading.monitor_id, DustReading.cn))
    return _frame(session.execute(query).all())
