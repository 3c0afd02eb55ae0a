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

from dashboard.analytics import compliance_daily as counts
from dashboard.analytics.periods import opening_window
from dashboard.analytics.versioned import VersionedCache, page_view
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
    daily: pd.DataFrame  # checks and inspections per township and day (compliance_daily's columns)
    items: pd.DataFrame  # checks per township, day and item (compliance_daily_items' columns)
    sites: pd.DataFrame  # every site (store SITE_COLUMNS)
    townships: pd.DataFrame  # id, name, name_en
    labels: pd.DataFrame  # key, label, label_en, position
    meetings: pd.DataFrame  # number, held_at, date
    alerts: pd.DataFrame  # id, level, starts_at, ends_at, ...
    # The raw records, loaded only when asked for (``load(raw=True)``): the page reads the counts.
    results: pd.DataFrame | None = None  # checked items in the period (domain RESULT_COLUMNS)
    inspections: pd.DataFrame | None = None  # inspections in the period (store INSPECTION_FRAME_COLUMNS)

    def totals(self) -> dict[str, int]:
        """The period's counts: inspections, failed_inspections, working_during_stop, passed,
        failed, na, applicable."""
        sums = {c: int(self.daily[c].sum()) for c in counts.COUNT_COLUMNS}
        return sums | {"applicable": sums["passed"] + sums["failed"]}

    @property
    def rate(self) -> float:
        """Passed / applicable checks of the period (NaN without applicable checks)."""
        totals = self.totals()
        return totals["passed"] / totals["applicable"] if totals["applicable"] else float("nan")

    @property
    def first_inspection(self) -> dt.date | None:
        """The period's first day with an inspection."""
        days = self.daily.loc[self.daily["inspections"] > 0, "date"]
        return days.min().date() if not days.empty else None


_VIEWS = VersionedCache(8)


def cached_view(session: Session, tz: ZoneInfo, args: tuple, compute):
    """``compute()`` (the page's view for ``args``) kept until a write changes what it shows
    (``versioned.page_view``)."""
    return page_view(_VIEWS, session, tz, args, compute)


def _meeting_dates(frame: pd.DataFrame, tz: ZoneInfo) -> pd.DataFrame:
    frame = frame.copy()
    frame["date"] = [t.tz_convert(tz).date() for t in frame["held_at"]] if not frame.empty else []
    return frame


def load(session: Session, tz: ZoneInfo, start: dt.date | None = None, end: dt.date | None = None,
         raw: bool = True) -> ComplianceData:
    """The records of Beijing days ``start..end`` (default: the campaign so far, up to today);
    the raw results and inspections only with ``raw`` (the counts per day are always there)."""
    today = clock.today(session, tz)
    if start is None and end is None:
        start, end = default_period(session, tz, today)
    end = min(end or today, today)
    first_day = start or default_start(session, tz, today)
    return ComplianceData(
        today=today,
        start=first_day,
        end=end,
        daily=counts.daily(session, tz, first_day, end),
        items=counts.items(session, tz, first_day, end),
        sites=site_store.sites_frame(session),
        townships=site_store.townships(session),
        labels=store.item_labels(session),
        meetings=_meeting_dates(store.meetings(session, clock.now(session, tz)), tz),
        alerts=store.alerts(session),
        results=store.results_frame(session, first_day, end, tz) if raw else None,
        inspections=store.inspections_frame(session, first_day, end, tz) if raw else None,
    )


def default_period(session: Session, tz: ZoneInfo, today: dt.date, max_days: int = 91) -> tuple[dt.date, dt.date]:
    """The campaign so far (from its first inspection, at most ``max_days`` back) up to today;
    when the newest inspection is older than that, the ``max_days`` up to it."""
    newest = store.newest_inspection_date(session, tz)
    start, end = opening_window(today, newest, max_days, through_today=True)
    if end == today:
        start = default_start(session, tz, today, max_days)
    return start, end


def default_start(session: Session, tz: ZoneInfo, today: dt.date, max_days: int = 91) -> dt.date:
    """The campaign's first inspection day, but no more than ``max_days`` before today."""
    frame = counts.daily(session, tz, today - dt.timedelta(days=max_days), today)
    days = frame.loc[frame["inspections"] > 0, "date"]
    return days.min().date() if not days.empty else today - dt.timedelta(days=max_days)


# --------------------------------------------------------------------------- frames
def _rated(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Counts summed per ``by`` with applicable and rate (``domain.compliance``'s columns); rows
    without any check left out, as a frame of results has none for them."""
    frame = frame[(frame["passed"] + frame["failed"] + frame["na"]) > 0]
    out = frame.groupby(by, sort=True)[["passed", "failed", "na"]].sum().reset_index()
    out[["passed", "failed", "na"]] = out[["passed", "failed", "na"]].astype("int64")
    out["applicable"] = out["passed"] + out["failed"]
    out["rate"] = measures.pass_rate(out["passed"], out["applicable"])
    return out


def weekly_trend(data: ComplianceData, township_ids: list[int] | None = None) -> pd.DataFrame:
    """Weekly rates of the district (township_id = DISTRICT) and of ``township_ids``:
    week, township_id, passed, failed, applicable, rate, partial (the week is cut by the period)."""
    daily = data.daily.assign(week=pd.to_datetime(data.daily["week"]).astype("datetime64[ns]"))
    district = _rated(daily, ["week"]).assign(township_id=DISTRICT)
    parts = [district]
    if township_ids:
        parts.append(_rated(daily[daily["township_id"].isin(township_ids)], ["week", "township_id"]))
    out = pd.concat(parts, ignore_index=True)
    out["township_id"] = out["township_id"].astype("int64")
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
    the day before it, what the meeting reviewed), with township names. Reads its own windows,
    which may reach back before the period."""
    meeting = reference_meeting(data, meeting_number)
    ids = data.townships["id"].tolist()
    then = (meeting["date"] - dt.timedelta(days=1)) if meeting is not None else data.end - dt.timedelta(days=7)
    first = min(then, data.end) - dt.timedelta(days=window_days - 1)
    daily = counts.daily(session, tz, first, data.end)
    frame = measures.ranking_change_of_counts(daily, then, data.end, window_days, ids)
    names = data.townships.rename(columns={"id": "township_id", "name": "township", "name_en": "township_en"})
    return frame.merge(names, on="township_id", how="left"), meeting


def chronic_offenders(session: Session, tz: ZoneInfo, data: ComplianceData, min_failed: int,
                      days: int) -> pd.DataFrame:
    """Chronic offenders over the ``days`` ending ``data.end`` (loaded whatever the period)."""
    inspections = store.inspections_frame(session, data.end - dt.timedelta(days=days - 1), data.end, tz)
    frame = measures.chronic_offenders(inspections, data.end, min_failed, days)
    return frame.merge(_site_names(data), on="site_id", how="left")


def most_failed_items(data: ComplianceData) -> pd.DataFrame:
    """Items by number of failures (``domain.compliance.most_failed_items``), with labels."""
    frame = _rated(data.items, ["item_key"])
    frame["fail_share"] = 1 - frame["rate"]
    frame = frame.sort_values(["failed", "item_key"], ascending=[False, True]).reset_index(drop=True)
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
