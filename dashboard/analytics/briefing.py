"""The facts of the pre-meeting briefing (会前简报) for the district head.

A briefing is for one meeting: the next one (``/briefing``, the period since the last meeting up
to yesterday) or meeting N (``/briefing/N``, the days N reviewed). Every figure is computed for
that meeting's period (``analytics.meeting_periods``) and for the period before it, the same way
the other pages compute it: air quality as the meeting pages (``analytics.meetings``,
HJ 663 daily values, HJ 633 AQI), compliance as ``domain.compliance`` (passed ÷ applicable checks
of submitted inspections in the period's instants), the ledger as ``domain.ledger``.

The ledger of the next meeting is the ledger now; the ledger of a meeting held is as it stood
when that meeting started (its carried items and how overdue they were that day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy.orm import Session

from dashboard.analytics import analysis, meeting_periods
from dashboard.analytics import meetings as meeting_analytics
from dashboard.analytics.meeting_periods import MeetingPeriod
from dashboard.analytics.targets import YearProgress, year_progress
from dashboard.analytics.versioned import VersionedCache
from dashboard.domain import compliance
from dashboard.store import air as air_store
from dashboard.store import air_daily as air_daily_store
from dashboard.store import clock
from dashboard.store import meetings as store
from dashboard.store.versions import records_version

DISTRICT = meeting_analytics.DISTRICT
TOP_SITES = 5
TOP_ITEMS = 8
HEAVY_CATEGORY = 5  # 重度污染 and worse (AQI > 200)


@dataclass(frozen=True)
class Headline:
    """One headline figure of the period beside the period before."""

    key: str  # good_days, heavy_days, pm25, pm10, composite, compliance, inspections, failed
    now: float | None
    before: float | None
    digits: int
    lower_is_better: bool

    @property
    def change(self) -> float | None:
        if self.now is None or self.before is None:
            return None
        return round(self.now - self.before, self.digits)


@dataclass(frozen=True)
class Briefing:
    number: int  # the meeting it is for
    recorded: bool  # meeting ``number`` is in the database
    held_at: dt.datetime | None
    period: MeetingPeriod
    previous: MeetingPeriod
    today: dt.date
    air: dict[str, Any]  # ``analytics.meetings.period_summary`` of the district, this period
    air_before: dict[str, Any]
    headline: list[Headline]
    categories: pd.DataFrame  # category (1-6), now, before: days per AQI category
    townships: pd.DataFrame  # township_id, township, township_en, rate, applicable, failed, rank, rank_before
    worst_sites: pd.DataFrame  # site_id, site, township, township_en, failed, item_key
    units: pd.DataFrame  # unit, unit_en, open, overdue, carried, max_days_overdue (units with overdue/carried)
    # The most overdue open items: meeting_number, seq, task, responsible_unit(_en), deadline,
    # days_overdue, carried.
    overdue_items: pd.DataFrame
    alerts: pd.DataFrame  # level, starts_at, ends_at (NaT while in force)

    def headline_of(self, key: str) -> Headline:
        return next(h for h in self.headline if h.key == key)


def _share(value: float) -> float | None:
    return None if pd.isna(value) else round(float(value) * 100, 1)


def _heavy(summary: dict[str, Any]) -> int | None:
    if not summary.get("n_valid"):
        return None
    return sum(n for level, n in summary.get("categories", {}).items() if int(level) >= HEAVY_CATEGORY)


def _checks(results: pd.DataFrame) -> tuple[float | None, int, int]:
    """Compliance rate in %, inspections, failed checks."""
    if results.empty:
        return None, 0, 0
    rate = compliance.compliance_rate(results)
    return _share(rate), int(results["inspection_id"].nunique()), int((results["result"] == "fail").sum())


def township_table(now: pd.DataFrame, before: pd.DataFrame, names: dict[int, tuple[str, str]]) -> pd.DataFrame:
    """Townships by compliance rate in the period (best first, rank 1), with their rank in the
    period before (None where they had no applicable check then). Ties share the better rank."""
    columns = ["township_id", "township", "township_en", "rate", "applicable", "failed", "rank", "rank_before"]
    if now.empty:
        return pd.DataFrame(columns=columns)

    def ranked(results: pd.DataFrame) -> pd.DataFrame:
        if results.empty:
            return pd.DataFrame(columns=["township_id", "rate", "applicable", "failed", "rank"])
        rates = compliance.rates_by(results, "township_id")
        rates = rates[rates["applicable"] > 0].copy()
        rates["rate"] = (rates["rate"] * 100).round(1)
        rates["rank"] = rates["rate"].rank(method="min", ascending=False).astype(int)
        return rates[["township_id", "rate", "applicable", "failed", "rank"]]

    out = ranked(now).merge(
        ranked(before)[["township_id", "rank"]].rename(columns={"rank": "rank_before"}), on="township_id", how="left"
    )
    out["township_id"] = out["township_id"].astype(int)
    out["rank_before"] = out["rank_before"].astype("Int64")
    out["township"] = [names.get(i, ("", ""))[0] for i in out["township_id"]]
    out["township_en"] = [names.get(i, ("", ""))[1] or names.get(i, ("", ""))[0] for i in out["township_id"]]
    return out.sort_values(["rank", "township_id"])[columns].reset_index(drop=True)


def _open_ledger(session: Session, briefing_for_held: Any, tz: ZoneInfo, today: dt.date) -> pd.DataFrame:
    """Open items with days overdue and times carried: now for the next meeting, as they stood
    at the start of a meeting held."""
    cols = ["meeting_number", "seq", "task", "responsible_unit", "responsible_unit_en", "deadline", "days_overdue",
            "carried"]
    if briefing_for_held is not None:
        frame = meeting_analytics.meeting_ledger(session, briefing_for_held, tz, today)
        if frame.empty:
            return pd.DataFrame(columns=cols)
        frame = frame[frame["kind"] == "carried"]
    else:
        frame = meeting_analytics.ledger_table(session, today, tz, open_only=True)
        if frame.empty:
            return pd.DataFrame(columns=cols)
    return frame[cols].reset_index(drop=True)


def unit_table(items: pd.DataFrame) -> pd.DataFrame:
    """Per responsible unit with an overdue or carried open item: open, overdue, carried (open
    items carried at least once), the most days overdue. Most overdue first."""
    columns = ["unit", "unit_en", "open", "overdue", "carried", "max_days_overdue"]
    if items.empty:
        return pd.DataFrame(columns=columns)
    flags = items.assign(
        _overdue=items["days_overdue"] > 0, _carried=items["carried"] > 0,
        unit_en=items["responsible_unit_en"].fillna(items["responsible_unit"]),
    )
    g = flags.groupby(["responsible_unit", "unit_en"], sort=True)
    out = pd.DataFrame({
        "open": g.size(), "overdue": g["_overdue"].sum(), "carried": g["_carried"].sum(),
        "max_days_overdue": g["days_overdue"].max(),
    }).reset_index().rename(columns={"responsible_unit": "unit"})
    out = out[(out["overdue"] > 0) | (out["carried"] > 0)]
    out[["open", "overdue", "carried", "max_days_overdue"]] = out[
        ["open", "overdue", "carried", "max_days_overdue"]].astype(int)
    return out.sort_values(["overdue", "max_days_overdue", "carried", "unit"],
                           ascending=[False, False, False, True])[columns].reset_index(drop=True)


def _categories(now: dict[str, Any], before: dict[str, Any]) -> pd.DataFrame:
    rows = [{"category": level, "now": int(now.get("categories", {}).get(str(level), 0)),
             "before": int(before.get("categories", {}).get(str(level), 0))} for level in range(1, 7)]
    return pd.DataFrame(rows)


def _headline(air: dict, air_before: dict, checks: tuple, checks_before: tuple) -> list[Headline]:
    def valid(summary: dict, key: str) -> float | None:
        return summary.get(key) if summary.get("n_valid") else None

    return [
        Headline("good_days", valid(air, "n_good"), valid(air_before, "n_good"), 0, False),
        Headline("heavy_days", _heavy(air), _heavy(air_before), 0, True),
        Headline("pm25", air.get("pm25"), air_before.get("pm25"), 1, True),
        Headline("pm10", air.get("pm10"), air_before.get("pm10"), 1, True),
        Headline("composite", air.get("composite"), air_before.get("composite"), 2, True),
        Headline("compliance", checks[0], checks_before[0], 1, False),
        Headline("inspections", checks[1], checks_before[1], 0, False),
        Headline("failed", checks[2], checks_before[2], 0, True),
    ]


def briefing(session: Session, database_url: str, tz: ZoneInfo, number: int | None = None) -> Briefing | None:
    """The briefing for meeting ``number`` (None: the next meeting); None if there is no such meeting."""
    today = clock.today(session, tz)
    now = clock.now(session, tz)
    if number is None:
        period = meeting_periods.upcoming(session, tz)
        meeting = store.get_meeting(session, period.number) if period.number is not None else None
        number = briefing_number(session, tz)
    else:
        meeting = store.get_meeting(session, number)
        if meeting is None:
            return None
        period = meeting_periods.period_of(session, meeting, tz)
    previous = meeting_periods.previous(session, period, tz)
    held = meeting if meeting is not None and meeting.held_at <= now else None

    last = max(period.last, period.first)
    # Loaded over the analysis time view's span: the page draws that view too, from one cached load.
    first = min(previous.first, last - dt.timedelta(days=analysis.WINDOW_DAYS - 1))
    daily, _ = meeting_analytics.cached_daily(session, database_url, first, last)
    air = meeting_analytics.period_summary(daily, DISTRICT, period.first, period.last)
    air_before = meeting_analytics.period_summary(daily, DISTRICT, previous.first, previous.last)

    results = store.results_between(session, period.start_at, period.end_at)
    results_before = store.results_between(session, previous.start_at, previous.end_at)
    names = store.township_names(session)
    sites = meeting_analytics.worst_sites(results).head(TOP_SITES)
    sites = sites.assign(
        township=[names.get(int(i), ("", ""))[0] for i in sites["township_id"]],
        township_en=[names.get(int(i), ("", ""))[1] for i in sites["township_id"]],
    )
    ledger = _open_ledger(session, held, tz, held.held_at.astimezone(tz).date() if held is not None else today)
    overdue = ledger[ledger["days_overdue"] > 0].sort_values(
        ["days_overdue", "carried", "meeting_number", "seq"], ascending=[False, False, True, True])
    alerts = air_store.alerts_between(
        session, dt.datetime.combine(period.first, dt.time(), tz),
        dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tz),
    )
    return Briefing(
        number=number,
        recorded=meeting is not None,
        held_at=meeting.held_at if meeting is not None else None,
        period=period,
        previous=previous,
        today=today,
        air=air,
        air_before=air_before,
        headline=_headline(air, air_before, _checks(results), _checks(results_before)),
        categories=_categories(air, air_before),
        townships=township_table(results, results_before, names),
        worst_sites=sites.reset_index(drop=True),
        units=unit_table(ledger),
        overdue_items=overdue.head(TOP_ITEMS).reset_index(drop=True),
        alerts=alerts[["level", "starts_at", "ends_at"]].reset_index(drop=True),
    )


def briefing_number(session: Session, tz: ZoneInfo) -> int:
    """The number of the next meeting (recorded ahead, or the one after the last)."""
    period = meeting_periods.upcoming(session, tz)
    return period.number if period.number is not None else store.next_number(session)


def briefing_exists(session: Session, number: int) -> bool:
    """Whether there is a briefing for meeting ``number`` (a recorded meeting)."""
    return store.get_meeting(session, number) is not None


def year_to_date(session: Session, database_url: str, tz: ZoneInfo, b: Briefing) -> YearProgress:
    """The year of the briefing's last day against its targets, through that day (for the next
    meeting, through yesterday)."""
    last = b.period.last if b.period.days else b.period.first - dt.timedelta(days=1)
    return year_progress(session, database_url, last.year, last + dt.timedelta(days=1), tz)


@dataclass(frozen=True)
class BriefingPage:
    """Everything the briefing page shows: its facts, the year to date, and the analysis page's
    time view and township quadrant for the same period."""

    briefing: Briefing
    year: YearProgress
    view: analysis.Period
    timeline: analysis.Timeline
    quadrant: analysis.Quadrant
    # What the page builds from these facts (figures, per language), kept with them: a cached
    # page is drawn once, not on every view.
    _drawn: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def drawn(self, key: Any, draw: Callable[[], Any]) -> Any:
        """``draw()``, once per ``key`` for these facts."""
        if key not in self._drawn:
            self._drawn[key] = draw()
        return self._drawn[key]


#: Briefing pages kept per process, keyed by what they are computed from (``_page_key``).
_pages = VersionedCache(16)


def _page_key(session: Session, database_url: str, tz: ZoneInfo, number: int | None) -> tuple:
    """Everything a briefing page is computed from, in a few indexed reads: the data versions
    stored in the database (every write of readings, alerts and stations bumps ``air``, every
    write of the district's records ``records``, in the writing transaction), the dashboard's
    day, and the last meeting held by now (which periods are running, which meeting is held)."""
    now = clock.now(session, tz)
    held = store.previous_meeting(session, now + dt.timedelta(microseconds=1))
    return (database_url, str(tz), number, clock.today(session, tz), held.id if held is not None else None,
            air_daily_store.version(session), records_version(session))


def briefing_page(session: Session, database_url: str, tz: ZoneInfo, number: int | None = None) -> BriefingPage | None:
    """The briefing page's data for meeting ``number`` (None: the next meeting); None if there is
    no such meeting. A meeting's briefing is facts of its period: computed once per data version
    and day, then served from the cache (its frames are read, never changed, by the page)."""
    return _pages.get_key(session, _page_key(session, database_url, tz, number),
                          lambda: compute_briefing_page(session, database_url, tz, number))


def compute_briefing_page(session: Session, database_url: str, tz: ZoneInfo,
                          number: int | None = None) -> BriefingPage | None:
    """``briefing_page`` computed now, without the cache."""
    b = briefing(session, database_url, tz, number)
    if b is None:
        return None
    view = analysis.resolve_period(session, tz, str(b.number) if b.recorded else analysis.SINCE)
    first, last = analysis.window(view)
    return BriefingPage(
        briefing=b,
        year=year_to_date(session, database_url, tz, b),
        view=view,
        timeline=analysis.timeline(session, database_url, tz, first, last),
        quadrant=analysis.quadrant(session, database_url, tz, view),
    )
