"""Queries behind the compliance measures: checked items, inspections, checklist labels,
meetings and alerts, as tidy frames.

Only submitted inspections count (drafts are work in progress). ``date`` columns are the
Beijing calendar day of the inspection (the display time zone ``tz``); time bounds are given as
calendar days and converted to UTC instants here, so the index on ``inspected_at`` is used.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from dashboard.store.models import (
    Alert,
    ChecklistItem,
    ChecklistVersion,
    Inspection,
    InspectionResult,
    Meeting,
    Rectification,
    Site,
    UTCDateTime,
)

INSPECTION_FRAME_COLUMNS = ["inspection_id", "site_id", "township_id", "inspected_at", "date", "kind",
                            "working_during_stop", "alert_id", "inspector_name", "note", "n_pass", "n_fail", "n_na"]


def _bounds(start: dt.date | None, end: dt.date | None, tz: ZoneInfo) -> list:
    conditions = []
    if start is not None:
        conditions.append(Inspection.inspected_at >= dt.datetime.combine(start, dt.time(), tz))
    if end is not None:
        conditions.append(Inspection.inspected_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz))
    return conditions


# Typed even when empty: an empty frame's object columns do not merge with integer ones.
_ID_TYPES = {"inspection_id": "int64", "site_id": "int64", "township_id": "int64"}


def _local_dates(times: pd.Series, tz: ZoneInfo) -> pd.Series:
    if times.empty:
        return pd.Series([], dtype="object")
    return pd.to_datetime(times, utc=True).dt.tz_convert(tz).dt.date


def results_frame(session: Session, start: dt.date | None, end: dt.date | None, tz: ZoneInfo,
                  site_id: int | None = None) -> pd.DataFrame:
    """Every checked item of submitted inspections on Beijing days ``start..end`` (None: open):
    inspection_id, site_id, township_id, date, item_key, result, inspected_at."""
    query = (
        select(Inspection.id, Inspection.site_id, Site.township_id, Inspection.inspected_at, ChecklistItem.key,
               InspectionResult.result)
        .join(InspectionResult, InspectionResult.inspection_id == Inspection.id)
        .join(ChecklistItem, ChecklistItem.id == InspectionResult.item_id)
        .join(Site, Site.id == Inspection.site_id)
        .where(Inspection.status == "submitted", *_bounds(start, end, tz))
    )
    if site_id is not None:
        query = query.where(Inspection.site_id == site_id)
    rows = session.execute(query).all()
    frame = pd.DataFrame(rows, columns=["inspection_id", "site_id", "township_id", "inspected_at", "item_key",
                                        "result"]).astype(_ID_TYPES)
    frame["date"] = _local_dates(frame["inspected_at"], tz)
    return frame[["inspection_id", "site_id", "township_id", "date", "item_key", "result", "inspected_at"]]


def inspections_frame(session: Session, start: dt.date | None, end: dt.date | None, tz: ZoneInfo,
                      site_id: int | None = None) -> pd.DataFrame:
    """Submitted inspections with their pass / fail / na counts (``INSPECTION_FRAME_COLUMNS``),
    oldest first."""
    counts = (
        select(
            InspectionResult.inspection_id.label("iid"),
            func.sum(case((InspectionResult.result == "pass", 1), else_=0)).label("n_pass"),
            func.sum(case((InspectionResult.result == "fail", 1), else_=0)).label("n_fail"),
            func.sum(case((InspectionResult.result == "na", 1), else_=0)).label("n_na"),
        )
        # Only the period's inspections: counting every result ever costs the whole history.
        .join(Inspection, Inspection.id == InspectionResult.inspection_id)
        .where(Inspection.status == "submitted", *_bounds(start, end, tz),
               *([Inspection.site_id == site_id] if site_id is not None else []))
        .group_by(InspectionResult.inspection_id).subquery()
    )
    query = (
        select(Inspection.id, Inspection.site_id, Site.township_id, Inspection.inspected_at, Inspection.kind,
               Inspection.working_during_stop, Inspection.alert_id, Inspection.inspector_name, Inspection.note,
               func.coalesce(counts.c.n_pass, 0), func.coalesce(counts.c.n_fail, 0), func.coalesce(counts.c.n_na, 0))
        .join(Site, Site.id == Inspection.site_id)
        .outerjoin(counts, counts.c.iid == Inspection.id)
        .where(Inspection.status == "submitted", *_bounds(start, end, tz))
        .order_by(Inspection.inspected_at, Inspection.id)
    )
    if site_id is not None:
        query = query.where(Inspection.site_id == site_id)
    rows = session.execute(query).all()
    columns = [c for c in INSPECTION_FRAME_COLUMNS if c != "date"]
    frame = pd.DataFrame(rows, columns=columns).astype(_ID_TYPES)
    frame["date"] = _local_dates(frame["inspected_at"], tz)
    for col in ("n_pass", "n_fail", "n_na"):
        frame[col] = frame[col].astype("int64")
    frame["working_during_stop"] = frame["working_during_stop"].astype(bool)
    return frame[INSPECTION_FRAME_COLUMNS]


def last_inspection_dates(session: Session, tz: ZoneInfo) -> pd.Series:
    """The last submitted inspection's Beijing day per site id."""
    rows = session.execute(
        select(Inspection.site_id, func.max(Inspection.inspected_at))
        .where(Inspection.status == "submitted").group_by(Inspection.site_id)
    ).all()
    if not rows:
        return pd.Series(dtype="object")
    frame = pd.DataFrame(rows, columns=["site_id", "at"])
    return pd.Series(_local_dates(frame["at"], tz).to_numpy(), index=frame["site_id"])


def newest_inspection_date(session: Session, tz: ZoneInfo) -> dt.date | None:
    """The Beijing day of the newest submitted inspection (None without one): one index seek."""
    at = session.scalar(select(func.max(Inspection.inspected_at)).where(Inspection.status == "submitted"))
    return None if at is None else _local_dates(pd.Series([at]), tz).iloc[0]


def item_labels(session: Session) -> pd.DataFrame:
    """Checklist item keys with their labels (wording of the newest version holding the key)
    and position: key, label, label_en, position."""
    rows = session.execute(
        select(ChecklistItem.key, ChecklistItem.label, ChecklistItem.label_en, ChecklistItem.position,
               ChecklistVersion.valid_from)
        .join(ChecklistVersion, ChecklistVersion.id == ChecklistItem.version_id)
        .order_by(ChecklistVersion.valid_from.desc())
    ).all()
    frame = pd.DataFrame(rows, columns=["key", "label", "label_en", "position", "valid_from"])
    return frame.drop_duplicates("key").sort_values("position").drop(columns="valid_from").reset_index(drop=True)


def meetings(session: Session, until: dt.datetime | None = None) -> pd.DataFrame:
    """Dispatch meetings held (by ``until``): number, held_at; oldest first."""
    query = select(Meeting.number, Meeting.held_at).order_by(Meeting.held_at)
    if until is not None:
        query = query.where(Meeting.held_at <= until)
    frame = pd.DataFrame(session.execute(query).all(), columns=["number", "held_at"])
    frame["held_at"] = pd.to_datetime(frame["held_at"], utc=True)
    return frame


def meetings_held(session: Session, until: dt.datetime) -> int:
    """How many dispatch meetings were held by ``until``."""
    return int(session.scalar(select(func.count()).select_from(Meeting).where(Meeting.held_at <= until)) or 0)


def alerts(session: Session) -> pd.DataFrame:
    """Every alert period: id, level, starts_at, ends_at (NaT while in force), issued_by, note."""
    rows = session.execute(
        select(Alert.id, Alert.level, Alert.starts_at, Alert.ends_at, Alert.issued_by, Alert.note)
        .order_by(Alert.starts_at)
    ).all()
    frame = pd.DataFrame(rows, columns=["id", "level", "starts_at", "ends_at", "issued_by", "note"])
    frame["starts_at"] = pd.to_datetime(frame["starts_at"], utc=True)
    frame["ends_at"] = pd.to_datetime(frame["ends_at"], utc=True)
    return frame


def alert_checks(session: Session, now: dt.datetime, alert_id: int | None = None) -> pd.DataFrame:
    """The checks of every alert (or of ``alert_id``) in one query: submitted inspections made
    during the alert's period (up to ``now`` while it is in force) or recorded against it.

    alert_id, inspection_id, site_id, inspected_at, kind, working_during_stop, inspector_name,
    note, n_fail; by alert, then oldest first. An inspection may belong to two alerts.
    """
    # Counted per inspection through the (inspection_id, item_id) index, not over all results.
    n_fail = (
        select(func.count()).select_from(InspectionResult)
        .where(InspectionResult.inspection_id == Inspection.id, InspectionResult.result == "fail")
        .correlate(Inspection).scalar_subquery()
    )
    end = func.coalesce(Alert.ends_at, literal(now, UTCDateTime))
    belongs = ((Inspection.inspected_at >= Alert.starts_at) & (Inspection.inspected_at < end)) \
        | (Inspection.alert_id == Alert.id)
    query = (
        select(Alert.id, Inspection.id, Inspection.site_id, Inspection.inspected_at, Inspection.kind,
               Inspection.working_during_stop, Inspection.inspector_name, Inspection.note, n_fail)
        .join(Alert, belongs)
        .where(Inspection.status == "submitted")
        .order_by(Alert.id, Inspection.inspected_at, Inspection.id)
    )
    if alert_id is not None:
        query = query.where(Alert.id == alert_id)
    frame = pd.DataFrame(session.execute(query).all(),
                         columns=["alert_id", "inspection_id", "site_id", "inspected_at", "kind",
                                  "working_during_stop", "inspector_name", "note", "n_fail"])
    frame = frame.astype({"alert_id": "int64", "inspection_id": "int64", "site_id": "int64", "n_fail": "int64"})
    frame["inspected_at"] = pd.to_datetime(frame["inspected_at"], utc=True)
    frame["working_during_stop"] = frame["working_during_stop"].astype(bool)
    return frame


def rectification_spans(session: Session, first: dt.date, last: dt.date, tz: ZoneInfo,
                        township_id: int | None = None) -> pd.DataFrame:
    """opened_at, closed_at (NaT while open) of the rectifications that may be open on a day of
    ``first..last``: opened by its end and not closed before it began. The others count the same
    on every day of the span (none), so the years before it are not read."""
    begin = dt.datetime.combine(first, dt.time(), tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tz)
    query = select(Rectification.opened_at, Rectification.closed_at).where(
        Rectification.opened_at < end, (Rectification.closed_at.is_(None)) | (Rectification.closed_at >= begin))
    if township_id is not None:
        query = query.join(Site, Site.id == Rectification.site_id).where(Site.township_id == township_id)
    frame = pd.DataFrame(session.execute(query).all(), columns=["opened_at", "closed_at"])
    frame["opened_at"] = pd.to_datetime(frame["opened_at"], utc=True)
    frame["closed_at"] = pd.to_datetime(frame["closed_at"], utc=True)
    return frame
