"""待核查 tasks from site dust monitors, and what their rules read: the SQL.

The caller owns the transaction. Reads of readings go by the primary key of
``dust_readings`` (monitor, data time, …), so each costs the hours asked for, not the history.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dashboard.domain import dust_tasks as rules
from dashboard.store.models import (
    AppSetting,
    DustMonitor,
    DustReading,
    DustTask,
    Reading,
    Site,
    Station,
    Township,
    UTCDateTime,
    utcnow,
)

RULES_KEY = "dust.rules"
STATION_PM10 = "PM10"


def load_rules(session: Session) -> tuple[rules.DustRule, ...]:
    """The rules in force (defaults for what is unset or unreadable)."""
    row = session.get(AppSetting, RULES_KEY)
    if row is None:
        return rules.DEFAULT_RULES
    try:
        stored = json.loads(row.value)
    except (TypeError, ValueError):
        return rules.DEFAULT_RULES
    return rules.rules_from_stored(stored)


def set_rules(session: Session, new: Iterable[rules.DustRule]) -> None:
    value = json.dumps([r.as_dict() for r in new])
    row = session.get(AppSetting, RULES_KEY)
    if row is None:
        session.add(AppSetting(key=RULES_KEY, value=value))
    else:
        row.value = value


# --------------------------------------------------------------------------- what rules read
@dataclass(frozen=True)
class MonitorPoint:
    monitor_id: int
    site_id: int
    longitude: float | None
    latitude: float | None
    created_at: dt.datetime
    last_seen_at: dt.datetime | None


def monitor_points(session: Session, monitor_ids: Collection[int] | None = None) -> list[MonitorPoint]:
    """Active monitors on active sites (all of them, or those of ``monitor_ids``): a suspended
    or completed site is not working, and its monitor may be switched off with reason."""
    query = (select(DustMonitor.id, DustMonitor.site_id, Site.longitude, Site.latitude, DustMonitor.created_at,
                    DustMonitor.last_seen_at)
             .join(Site, Site.id == DustMonitor.site_id)
             .where(DustMonitor.active, Site.status == "active").order_by(DustMonitor.id))
    if monitor_ids is not None:
        query = query.where(DustMonitor.id.in_(list(monitor_ids)))
    return [MonitorPoint(*row) for row in session.execute(query)]


def pm10_samples(session: Session, monitor_ids: Collection[int], first: dt.datetime,
                 before: dt.datetime) -> dict[int, tuple[list[rules.Sample], list[rules.Sample]]]:
    """Monitor id -> (hourly 2061, minute 2051) a34002-Avg samples with ``first <= DataTime < before``."""
    out: dict[int, tuple[list[rules.Sample], list[rules.Sample]]] = {m: ([], []) for m in monitor_ids}
    if not monitor_ids:
        return out
    query = (select(DustReading.monitor_id, DustReading.cn, DustReading.data_time, DustReading.value,
                    DustReading.flag)
             .where(DustReading.monitor_id.in_(list(monitor_ids)), DustReading.data_time >= first,
                    DustReading.data_time < before, DustReading.cn.in_((2051, 2061)),
                    DustReading.pollutant == rules.PM10, DustReading.field == "Avg"))
    for monitor_id, cn, when, value, flag in session.execute(query):
        out[monitor_id][0 if cn == 2061 else 1].append(rules.Sample(when, value, flag))
    return out


def stations(session: Session) -> list[rules.Station]:
    rows = session.execute(select(Station.code, Station.name, Station.longitude, Station.latitude,
                                  Station.is_background))
    return [rules.Station(code, name, lon, lat, bool(bg)) for code, name, lon, lat, bg in rows]


def station_pm10(session: Session, codes: Collection[str], first: dt.datetime,
                 before: dt.datetime) -> dict[str, dict[dt.datetime, float]]:
    """Station code -> {site hour start: PM10}. CNEMC labels an hour by its end, HJ 212 by its
    start: the station's reading labelled T is the site's hour starting at T - 1 h."""
    out: dict[str, dict[dt.datetime, float]] = {c: {} for c in codes}
    if not codes:
        return out
    rows = session.execute(select(Station.code, Reading.time, Reading.value)
                           .join(Reading, Reading.station_id == Station.id)
                           .where(Station.code.in_(list(codes)), Reading.pollutant == STATION_PM10,
                                  Reading.time > first, Reading.time <= before + rules.HOUR))
    for code, time, value in rows:
        out[code][time - rules.HOUR] = value
    return out


# --------------------------------------------------------------------------- tasks
def latest_tasks(session: Session, site_ids: Collection[int]) -> dict[tuple[int, str], rules.LatestTask]:
    """(site id, kind) -> that site's latest task of that kind (by its episode's last hour)."""
    if not site_ids:
        return {}
    rows = session.execute(select(DustTask.id, DustTask.site_id, DustTask.kind, DustTask.first_hour,
                                  DustTask.last_hour, DustTask.status)
                           .where(DustTask.site_id.in_(list(site_ids)))
                           .order_by(DustTask.last_hour, DustTask.id))
    latest: dict[tuple[int, str], rules.LatestTask] = {}
    for id_, site_id, kind, first, last, status in rows:
        current = latest.get((site_id, kind))
        # An open task is the one the site works on, whatever a closed one covered.
        if current is None or not current.open or status == "open":
            latest[(site_id, kind)] = rules.LatestTask(id_, first, last, status == "open")
    return latest


def open_task(session: Session, site_id: int, monitor_id: int, kind: str, run: rules.Run,
              detail: dict[str, Any], now: dt.datetime | None = None) -> int | None:
    """Insert an open task; None when the site already has an open one of that kind (another
    receiver got there first: the unique index refuses the second, inside a savepoint so the
    rest of the transaction stands)."""
    try:
        with session.begin_nested():
            task = DustTask(site_id=site_id, monitor_id=monitor_id, kind=kind, opened_at=now or utcnow(),
                            first_hour=run.first, last_hour=run.last, peak_value=run.peak, detail=detail,
                            status="open")
            session.add(task)
            session.flush()
    except IntegrityError:
        return None
    return task.id


def extend_task(session: Session, task_id: int, run: rules.Run, *, peak: bool) -> bool:
    """Move a task's episode on to ``run``'s last hour (and raise its peak, when ``peak``).
    A statement, not an ORM update: it must never make an inspection's save stale."""
    table = DustTask.__table__
    last = literal(run.last, UTCDateTime())
    values: dict[str, Any] = {
        "last_hour": case((table.c.last_hour < last, last), else_=table.c.last_hour),
        "version": table.c.version + 1}
    if peak:
        values["peak_value"] = case((table.c.peak_value < run.peak, run.peak), else_=table.c.peak_value)
    result = session.execute(update(table).where(table.c.id == task_id).values(**values))
    return bool(result.rowcount)


def open_tasks_of_site(session: Session, site_id: int, seen_from: dt.datetime) -> list[int]:
    """Ids of the site's open tasks whose episode had begun by ``seen_from``."""
    return list(session.scalars(select(DustTask.id).where(DustTask.site_id == site_id, DustTask.status == "open",
                                                          DustTask.first_hour <= seen_from)
                                .order_by(DustTask.id)))


def close_tasks(session: Session, task_ids: Collection[int], inspection_id: int, now: dt.datetime) -> int:
    if not task_ids:
        return 0
    table = DustTask.__table__
    result = session.execute(update(table).where(table.c.id.in_(list(task_ids)), table.c.status == "open")
                             .values(status="closed", closed_at=now, closed_by_inspection_id=inspection_id,
                                     version=table.c.version + 1))
    return result.rowcount or 0


# --------------------------------------------------------------------------- views
TASK_COLUMNS = ["id", "site_id", "site_code", "site_name", "township_id", "township", "township_en", "kind",
                "opened_at", "first_hour", "last_hour", "peak_value", "detail", "mn"]


def open_task_rows(session: Session, township_id: int | None = None, site_id: int | None = None,
                   limit: int | None = None) -> list[dict[str, Any]]:
    """Open tasks with their site, township and monitor, the longest waiting first."""
    query = (select(DustTask.id, DustTask.site_id, Site.code, Site.name, Township.id, Township.name,
                    Township.name_en, DustTask.kind, DustTask.opened_at, DustTask.first_hour, DustTask.last_hour,
                    DustTask.peak_value, DustTask.detail, DustMonitor.mn)
             .join(Site, Site.id == DustTask.site_id)
             .join(Township, Township.id == Site.township_id)
             .join(DustMonitor, DustMonitor.id == DustTask.monitor_id)
             .where(DustTask.status == "open")
             .order_by(DustTask.first_hour, DustTask.id))
    if township_id is not None:
        query = query.where(Site.township_id == township_id)
    if site_id is not None:
        query = query.where(DustTask.site_id == site_id)
    if limit is not None:
        query = query.limit(limit)
    return [dict(zip(TASK_COLUMNS, row, strict=True)) for row in session.execute(query)]


def open_task_count(session: Session, township_id: int | None = None) -> int:
    query = select(func.count()).select_from(DustTask).where(DustTask.status == "open")
    if township_id is not None:
        query = query.join(Site, Site.id == DustTask.site_id).where(Site.township_id == township_id)
    return session.scalar(query) or 0

