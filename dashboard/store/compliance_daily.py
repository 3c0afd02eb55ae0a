"""The derived compliance tables: ``compliance_daily`` (checks and inspections per township and
Beijing day, with the day's week) and ``compliance_daily_items`` (checks per township, day and
checklist item), and the listeners that keep them current.

Only SQL here; what the rows hold is computed in ``analytics.compliance_daily``. The caller owns
the transaction: the rows change with the inspections they derive from, or not at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import String, delete, event, func, inspect, select, type_coerce
from sqlalchemy.orm import Session

from dashboard.domain.aqi import TIMEZONE
from dashboard.store.air_daily import bump
from dashboard.store.models import (
    ChecklistItem,
    ComplianceDaily,
    ComplianceDailyItem,
    Inspection,
    InspectionResult,
    Site,
    Township,
    TownshipStation,
)

#: The data whose changes the compliance pages' caches follow: inspections and sites.
COMPLIANCE = "compliance"
#: The days of the rows are Beijing days, whatever the display time zone (a page in another
#: zone computes from the inspections instead).
TZ = ZoneInfo(TIMEZONE)
COUNT_COLUMNS = ["inspections", "failed_inspections", "working_during_stop", "passed", "failed", "na"]
DAILY_COLUMNS = ["township_id", "date", "week", *COUNT_COLUMNS]
ITEM_COLUMNS = ["township_id", "date", "item_key", "passed", "failed", "na"]
_CHUNK = 5_000
_IN_CHUNK = 900


def _date(session: Session, column):
    # SQLite hands back ISO text; one vectorised conversion beats the per-row Date processor.
    return type_coerce(column, String()) if session.get_bind().dialect.name == "sqlite" else column


def _frame(rows: list, names: list[str], dates: Iterable[str]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=names) if rows else pd.DataFrame(columns=names)
    for name in names:
        if name in dates:
            frame[name] = pd.to_datetime(frame[name]).astype("datetime64[us]")
        elif name == "item_key":
            frame[name] = frame[name].astype(str)
        else:
            frame[name] = frame[name].astype("int64")
    return frame


def _bounded(query, column, first: dt.date | None, last: dt.date | None, township_ids: Iterable[int] | None, town):
    if first is not None:
        query = query.where(column >= first)
    if last is not None:
        query = query.where(column <= last)
    if township_ids is not None:
        query = query.where(town.in_(list(township_ids)))
    return query


def read_daily(session: Session, first: dt.date | None = None, last: dt.date | None = None,
               township_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """Rows with ``first <= date <= last`` (None: open): ``DAILY_COLUMNS``, dates as datetime64;
    by township, then day."""
    t = ComplianceDaily
    query = select(t.township_id, _date(session, t.date), _date(session, t.week),
                   *(getattr(t, c) for c in COUNT_COLUMNS)).order_by(t.township_id, t.date)
    query = _bounded(query, t.date, first, last, township_ids, t.township_id)
    return _frame(session.connection().execute(query).all(), DAILY_COLUMNS, ("date", "week"))


def read_items(session: Session, first: dt.date | None = None, last: dt.date | None = None,
               township_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """Rows with ``first <= date <= last``: ``ITEM_COLUMNS``; by township, day and item."""
    t = ComplianceDailyItem
    query = select(t.township_id, _date(session, t.date), t.item_key, t.passed, t.failed, t.na) \
        .order_by(t.township_id, t.date, t.item_key)
    query = _bounded(query, t.date, first, last, township_ids, t.township_id)
    return _frame(session.connection().execute(query).all(), ITEM_COLUMNS, ("date",))


def item_totals(session: Session, first: dt.date | None = None, last: dt.date | None = None,
                township_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """Checks per item over ``first..last`` summed in the database: item_key, passed, failed, na."""
    t = ComplianceDailyItem
    query = select(t.item_key, func.sum(t.passed), func.sum(t.failed), func.sum(t.na)).group_by(t.item_key) \
        .order_by(t.item_key)
    query = _bounded(query, t.date, first, last, township_ids, t.township_id)
    return _frame(session.connection().execute(query).all(), ["item_key", "passed", "failed", "na"], ())


def weekly(session: Session, first: dt.date | None = None, last: dt.date | None = None,
           township_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """Per township and week (its Monday) of the days ``first..last``, summed in the database:
    township_id, week and the counts."""
    t = ComplianceDaily
    query = select(t.township_id, _date(session, t.week), *(func.sum(getattr(t, c)) for c in COUNT_COLUMNS)) \
        .group_by(t.township_id, t.week).order_by(t.township_id, t.week)
    query = _bounded(query, t.date, first, last, township_ids, t.township_id)
    return _frame(session.connection().execute(query).all(), ["township_id", "week", *COUNT_COLUMNS], ("week",))


def day_span(session: Session) -> tuple[dt.date, dt.date] | None:
    """The first and last day of ``compliance_daily`` (None when empty)."""
    lo, hi = session.execute(select(func.min(ComplianceDaily.date), func.max(ComplianceDaily.date))).one()
    return None if lo is None else (pd.Timestamp(lo).date(), pd.Timestamp(hi).date())


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    out = frame[columns].copy()
    for name in ("date", "week"):
        if name in out:
            out[name] = pd.to_datetime(out[name]).dt.date
    return [dict(zip(columns, values, strict=True)) for values in
            zip(*(out[c].tolist() for c in columns), strict=True)]


def replace(session: Session, daily: pd.DataFrame, items: pd.DataFrame,
            keys: Iterable[tuple[int, dt.date]] | None = None) -> int:
    """Make the rows of the (township_id, date) ``keys`` (None: every row) those of ``daily`` and
    ``items`` (columns as the readers return them); returns the daily rows written."""
    tables = (ComplianceDaily, ComplianceDailyItem)
    if keys is None:
        for table in tables:
            session.execute(delete(table))
    else:
        by_town: dict[int, list[dt.date]] = {}
        for town, day in keys:
            by_town.setdefault(int(town), []).append(day)
        for town, days in by_town.items():
            for i in range(0, len(days), _IN_CHUNK):
                for table in tables:
                    session.execute(delete(table).where(table.township_id == town,
                                                        table.date.in_(days[i:i + _IN_CHUNK])))
    written = 0
    for table, frame, columns in ((ComplianceDaily, daily, DAILY_COLUMNS), (ComplianceDailyItem, items, ITEM_COLUMNS)):
        rows = _rows(frame, columns) if not frame.empty else []
        for i in range(0, len(rows), _CHUNK):
            session.execute(table.__table__.insert(), rows[i:i + _CHUNK])
        if table is ComplianceDaily:
            written = len(rows)
    return written


def site_townships(session: Session, site_ids: Iterable[int]) -> dict[int, int]:
    wanted = list(site_ids)
    return dict(session.execute(select(Site.id, Site.township_id).where(Site.id.in_(wanted))).all()) if wanted else {}


def inspection_places(session: Session, inspection_ids: Iterable[int]) -> list[tuple[int, dt.datetime]]:
    """(site_id, inspected_at) of the inspections still stored among ``inspection_ids``."""
    wanted = list(inspection_ids)
    out: list[tuple[int, dt.datetime]] = []
    for i in range(0, len(wanted), _IN_CHUNK):
        out += [(s, t) for s, t in session.execute(
            select(Inspection.site_id, Inspection.inspected_at).where(Inspection.id.in_(wanted[i:i + _IN_CHUNK])))]
    return out


# --------------------------------------------------------------------------- writes
# Every write of inspections, their results or sites through a session is noted at each flush
# with what it touched, and the derived rows follow before the commit, in the same transaction:
# an inspection's own day under its site's township (and the day and site it had before an
# edit); a site moved to another township rewrites both townships' rows; a bulk statement on
# those tables (the demo loader, a script) rebuilds the tables. Any of them bumps the
# ``compliance`` data version, which the pages' caches key on (so do a site's status, a township's
# names and its stations, which the pages' cached views show).
_TOUCHED = "compliance_daily_touched"
_WATCHED = {Inspection.__tablename__, InspectionResult.__tablename__, Site.__tablename__}
_VERSION_ONLY = {Township.__tablename__, TownshipStation.__tablename__}


def _touched(session: Session) -> dict:
    return session.info.setdefault(_TOUCHED, {"places": set(), "inspections": set(), "townships": set(),
                                              "all": False, "version": False})


def covered(session: Session) -> None:
    """The derived rows were just rebuilt for every change so far."""
    session.info.pop(_TOUCHED, None)


def _old(obj, name: str):
    history = inspect(obj).attrs[name].history
    return history.deleted[0] if history.deleted else None


@event.listens_for(Session, "after_flush")
def _note_flushed(session: Session, _context) -> None:
    # An object set to the values it had is not a change (an idempotent import writes nothing).
    changed = [o for o in session.dirty if session.is_modified(o, include_collections=False)]
    for obj in (*session.new, *changed, *session.deleted):
        if isinstance(obj, Inspection):
            touched = _touched(session)
            touched["places"].add((obj.site_id, obj.inspected_at))
            old_site, old_time = _old(obj, "site_id"), _old(obj, "inspected_at")
            if old_site is not None or old_time is not None:
                touched["places"].add((old_site or obj.site_id, old_time or obj.inspected_at))
        elif isinstance(obj, InspectionResult):
            _touched(session)["inspections"].add(obj.inspection_id)
        elif isinstance(obj, ChecklistItem) and _old(obj, "key") is not None:
            _touched(session)["all"] = True  # a renamed key renames every count of it
        elif isinstance(obj, (Township, TownshipStation)):  # names and stations the pages keep
            _touched(session)["version"] = True
        elif isinstance(obj, Site):
            touched = _touched(session)
            touched["version"] = True
            old_town = _old(obj, "township_id")
            if old_town is not None:
                touched["townships"] |= {old_town, obj.township_id}


@event.listens_for(Session, "do_orm_execute")
def _note_bulk(state) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name in _WATCHED:
        _touched(state.session)["all"] = True
    elif name in _VERSION_ONLY:
        _touched(state.session)["version"] = True


@event.listens_for(Session, "before_commit")
def _follow_touched(session: Session) -> None:
    if session.info.get(_TOUCHED) is None and not (session.new or session.dirty or session.deleted):
        return
    session.flush()
    touched = session.info.pop(_TOUCHED, None)
    if not touched:
        return
    from dashboard.analytics import compliance_daily

    if touched["all"]:
        compliance_daily.rebuild(session)
    else:
        places = {p for p in touched["places"] if p[0] is not None and p[1] is not None}
        places |= set(inspection_places(session, touched["inspections"]))
        towns = site_townships(session, {s for s, _ in places})
        keys = {(towns[s], pd.Timestamp(t).tz_convert(TZ).date() if pd.Timestamp(t).tzinfo
                 else pd.Timestamp(t).tz_localize("UTC").tz_convert(TZ).date())
                for s, t in places if s in towns}
        if touched["townships"]:
            compliance_daily.refresh_townships(session, touched["townships"])
            keys = {k for k in keys if k[0] not in touched["townships"]}
        if keys:
            compliance_daily.refresh(session, keys)
        bump(session, COMPLIANCE)
    session.info.pop(_TOUCHED, None)


@event.listens_for(Session, "after_rollback")
def _forget_touched(session: Session) -> None:
    session.info.pop(_TOUCHED, None)
