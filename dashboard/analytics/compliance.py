"""Frames of the compliance page (and the sites grid's 30-day rates), from the store's
inspection records and the pure measures in ``dashboard.domain.compliance``.

Days are Beijing calendar days; "today" is the dashboard clock (pinned in the demo).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy.orm import Session

from dashboard.analytics.periods import opening_window
from dashboard.domain import compliance as measures
from dashboard.store import clock
from dashboard.store import compliance as store
from dashboard.store import sites as site_store

RATE_DAYS = 30  # the sites grid's "近30日合规率"
DISTRICT = 0  # township_id used for the whole district in trend frames


@dataclass(frozen=True)
class ComplianceData:
    """Everything the compliance page draws for one period."""

    today: dt.date
    start: dt.date
    end: dt.date
    results: pd.DataFrame  # checked items in the period (domain RESULT_COLUMNS)
    inspections: pd.DataFrame  # inspections in the period (store INSPECTION_FRAME_COLUMNS)
    sites: pd.DataFrame  # every site (store SITE_COLUMNS)
    townships: pd.DataFrame  # id, name, name_en
    labels: pd.DataFrame  # key, label, label_en, position
    meetings: pd.DataFrame  # number, held_at, date
    alerts: pd.DataFrame  # id, level, starts_at, ends_at, ...


def _meeting_dates(frame: pd.DataFrame, tz: ZoneInfo) -> pd.DataFrame:
    frame = frame.copy()
    frame["date"] = [t.tz_convert(tz).date() for t in frame["held_at"]] if not frame.empty else []
    return frame


def load(session: Session, tz: ZoneInfo, start: dt.date | None = None, end: dt.date | None = None) -> ComplianceData:
    """The records of Beijing days ``start..end`` (default: the campaign so far, up to today)."""
    today = clock.today(session, tz)
    if start is None and end is None:
        start, end = default_period(session, tz, today)
    end = min(end or today, today)
    first_day = start or default_start(session, tz, today)
    results = store.results_frame(session, first_day, end, tz)
    inspections = store.inspections_frame(session, first_day, end, tz)
    return ComplianceData(
        today=today,
        start=first_day,
        end=end,
        results=results,
        inspections=inspections,
        sites=site_store.sites_frame(session),
        townships=site_store.townships(session),
        labels=store.item_labels(session),
        meetings=_meeting_dates(store.meetings(session, clock.now(session, tz)), tz),
        alerts=store.alerts(session),
    )


def default_period(session: Session, tz: ZoneInfo, today: dt.date, max_days: int = 91) -> tuple[dt.date, dt.date]:
    """The campaign so far (from its first inspection, at most ``max_days`` back) up to today;
    when the newest inspection is older than that, the ``max_days`` up to it."""
    last = store.last_inspection_dates(session, tz)
    newest = max(last) if not last.empty else None
    start, end = opening_window(today, newest, max_days, through_today=True)
    if end == today:
        start = default_start(session, tz, today, max_days)
    return start, end


def default_start(session: Session, tz: ZoneInfo, today: dt.date, max_days: int = 91) -> dt.date:
    """The campaign's first inspection day, but no more than ``max_days`` before today."""
    frame = store.inspections_frame(session, today - dt.timedelta(days=max_days), today, tz)
    return frame["date"].min() if not frame.empty else today - dt.timedelta(days=max_days)


# --------------------------------------------------------------------------- frames
def weekly_trend(data: ComplianceData, township_ids: list[int] | None = None) -> pd.DataFrame:
    """Weekly rates of the district (township_id = DISTRICT) and of ``township_ids``:
    week, township_id, passed, failed, applicable, rate, partial (the week is cut by the period)."""
    results = data.results
    district = measures.weekly_rates(results).assign(township_id=DISTRICT)
    parts = [district]
    if township_ids:
        chosen = results[results["township_id"].isin(township_ids)]
        parts.append(measures.weekly_rates(chosen, "township_id"))
    out = pd.concat(parts, ignore_index=True) if parts else district
    out["partial"] = partial_weeks(out["week"], data.start, data.end)
    return out.sort_values(["township_id", "week"]).reset_index(drop=True)


def partial_weeks(weeks: pd.Series, start: dt.date, end: dt.date) -> pd.Series:
    """Which weeks (their Mondays) the period ``start..end`` cuts: its first week when it does
    not start on a Monday, its last when it does not end on a Sunday."""
    first_week = pd.Timestamp(start - dt.timedelta(days=start.weekday()))
    last_week = pd.Timestamp(end - dt.timedelta(days=end.weekday()))
    return ((weeks == first_week) & (start.weekday() != 0)) | ((weeks == last_week) & (end.weekday() != 6))


def reference_meeting(data: ComplianceData, number: int | None = None) -> pd.Series | None:
    """The meeting to compare with: ``number``, else the last one held before today."""
    held = data.meetings[data.meetings["date"] < data.today] if not data.meetings.empty else data.meetings
    if held.empty:
        return None
    if number is not None:
        match = held[held["number"] == number]
        if not match.empty:
            return match.iloc[-1]
    return held.iloc[-1]


def township_ranking(session: Session, tz: ZoneInfo, data: ComplianceData, meeting_number: int | None = None,
                     window_days: int = measures.RANKING_WINDOW_DAYS) -> tuple[pd.DataFrame, pd.Series | None]:
    """Ranking now (window ending ``data.end``) beside the ranking at the meeting (window ending
    the day before it, what the meeting reviewed), with township names. Loads its own windows,
    which may reach back before the period."""
    meeting = reference_meeting(data, meeting_number)
    ids = data.townships["id"].tolist()
    then = (meeting["date"] - dt.timedelta(days=1)) if meeting is not None else data.end - dt.timedelta(days=7)
    first = min(then, data.end) - dt.timedelta(days=window_days - 1)
    results = store.results_frame(session, first, data.end, tz)
    frame = measures.ranking_change(results, then, data.end, window_days, ids)
    names = data.townships.rename(columns={"id": "township_id", "name": "township", "name_en": "township_en"})
    return frame.merge(names, on="township_id", how="left"), meeting


def chronic_offenders(session: Session, tz: ZoneInfo, data: ComplianceData, min_failed: int,
                      days: int) -> pd.DataFrame:
    """Chronic offenders over the ``days`` ending ``data.end`` (loaded whatever the period)."""
    inspections = store.inspections_frame(session, data.end - dt.timedelta(days=days - 1), data.end, tz)
    frame = measures.chronic_offenders(inspections, data.end, min_failed, days)
    return frame.merge(_site_names(data), on="site_id", how="left")


def most_failed_items(data: ComplianceData) -> pd.DataFrame:
    frame = measures.most_failed_items(data.results)
    return frame.merge(data.labels.rename(columns={"key": "item_key"}), on="item_key", how="left")


def coverage(session: Session, data: ComplianceData, tz: ZoneInfo, days: int) -> pd.DataFrame:
    """Active sites not inspected in the ``days`` before ``data.end`` (any earlier record counts)."""
    last = store.last_inspection_dates(session, tz)
    last = last[[d <= data.end for d in last]] if not last.empty else last
    sites = data.sites.rename(columns={"id": "site_id"})
    frame = measures.coverage_gaps(sites[["site_id", "status"]], last, data.end, days)
    return frame.drop(columns="status").merge(_site_names(data), on="site_id", how="left")


def plate_counts(data: ComplianceData) -> dict[str, int]:
    """Active sites per plate colour."""
    active = data.sites[data.sites["status"] == "active"]
    counts = active["plate"].value_counts()
    return {plate: int(counts.get(plate, 0)) for plate in ("red", "yellow", "green")}


def _site_names(data: ComplianceData) -> pd.DataFrame:
    return data.sites.rename(columns={"id": "site_id"})[
        ["site_id", "code", "name", "township", "township_en", "plate", "status"]]


# --------------------------------------------------------------------------- sites grid
def site_rates(session: Session, tz: ZoneInfo, today: dt.date, days: int = RATE_DAYS) -> pd.DataFrame:
    """Per site over the ``days`` ending today: rate, applicable checks, inspections,
    failed inspections; plus the last inspection day of all time and open rectifications."""
    start = today - dt.timedelta(days=days - 1)
    results = store.results_frame(session, start, today, tz)
    inspections = store.inspections_frame(session, start, today, tz)
    rates = measures.rates_by(results, "site_id")[["site_id", "applicable", "rate"]]
    counts = inspections.groupby("site_id").agg(
        inspections=("inspection_id", "count"),
        failed_inspections=("n_fail", lambda s: int((s > 0).sum())),
    ).reset_index()
    out = rates.merge(counts, on="site_id", how="outer")
    last = store.last_inspection_dates(session, tz)
    sites = pd.DataFrame({"site_id": list(last.index), "last_inspected": list(last.to_numpy())})
    out = out.merge(sites, on="site_id", how="outer")
    open_counts = site_store.open_rectification_counts(session)
    out["open_rectifications"] = out["site_id"].map(open_counts).fillna(0).astype("int64")
    return out
