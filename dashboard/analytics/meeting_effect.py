"""Before and after a dispatch meeting: PM2.5 and PM10 in the N days either side, beside the
background station(s) and the same days a year earlier, and how the meeting's own actions fared.

Windows (Beijing days, both ends inclusive):

* *before* is the N days ending the day before the meeting's day;
* *after* is the N days starting on the meeting's day. Meetings are held in the morning, so
  their own day belongs to after: the rule of the app's meeting periods (``domain.meetings``,
  applied by ``analytics.meeting_periods``), where a meeting's day opens the period after it.

Both are clipped to the last complete day, yesterday by the dashboard's clock
(``store.clock``), as meeting periods are: a meeting fewer than N days ago has fewer
after-days, and one held today or later has none yet. The year-earlier windows are the same
calendar days one year back, with the same lengths.

Values are the air pages' daily values (``analytics.meetings.cached_daily``: HJ 663 daily
values per station, the district as the mean of its stations' daily values); a window's mean is
the mean of its valid daily values, and ``*_days`` counts them. The background figure is the
mean of the background stations' daily values, built as the district's is
(``domain.evaluation.group_mean``).

The actions are the ledger items the meeting assigned, scored with the scorecard's rules
(``domain.ledger.unit_score``): on time = closed with a done date on or before the deadline,
among the items that are due (deadline passed, or closed).

This is a comparison, not a verdict: weather drives most day-to-day change in PM.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy.orm import Session

from dashboard.analytics import air as air_analytics
from dashboard.analytics import meetings as meeting_analytics
from dashboard.domain import evaluation
from dashboard.domain import ledger as rules
from dashboard.store import clock
from dashboard.store.models import Meeting

DEFAULT_DAYS = 7
MIN_DAYS = 3
MAX_DAYS = 30
POLLUTANTS = ("PM2.5", "PM10")
DISTRICT = "district"
BACKGROUND = "background"
YEAR_BEFORE = "year_before"


@dataclass(frozen=True)
class Window:
    """Beijing days ``first..last`` inclusive; empty (``days`` 0) when ``last < first``."""

    first: dt.date
    last: dt.date

    @property
    def days(self) -> int:
        return max(0, (self.last - self.first).days + 1)


@dataclass(frozen=True)
class EffectRow:
    """One series and pollutant: means (µg/m³, one decimal) and valid days in each window."""

    series: str  # DISTRICT, BACKGROUND or YEAR_BEFORE (the district stations, a year earlier)
    pollutant: str  # "PM2.5" or "PM10"
    before_mean: float | None
    before_days: int
    after_mean: float | None
    after_days: int
    change: float | None  # after - before, of the rounded means
    change_pct: float | None  # None when either mean is missing or before is 0


@dataclass(frozen=True)
class ActionClosure:
    """The meeting's own ledger items (``domain.ledger.unit_score``), as of today."""

    total: int
    closed: int
    due: int  # deadline passed, or closed
    on_time: int  # closed with a done date on or before the deadline
    open: int  # not closed
    overdue: int  # not closed and past the deadline
    on_time_rate: float | None  # on_time / due; None when nothing is due yet


@dataclass(frozen=True)
class MeetingEffect:
    number: int
    meeting_day: dt.date
    days: int  # N asked for
    held: bool  # False: the meeting is still to come
    last_complete_day: dt.date  # yesterday by the dashboard's clock
    before: Window
    after: Window  # clipped to last_complete_day; may be shorter than N, or empty
    year_before: tuple[Window, Window]  # the same calendar days one year earlier
    district_stations: tuple[str, ...]
    background_stations: tuple[str, ...]
    rows: tuple[EffectRow, ...]  # district rows always; background and year-before rows when they have data
    actions: ActionClosure

    @property
    def after_clipped(self) -> bool:
        return self.after.days < self.days

    @property
    def has_readings(self) -> bool:
        return any(r.before_days or r.after_days for r in self.rows if r.series == DISTRICT)

    def row(self, series: str, pollutant: str) -> EffectRow | None:
        return next((r for r in self.rows if r.series == series and r.pollutant == pollutant), None)


def parse_days(value: object) -> int:
    """N from a URL or an input: a whole number clamped to MIN_DAYS..MAX_DAYS, else the default."""
    if isinstance(value, bool):
        return DEFAULT_DAYS
    if isinstance(value, str):
        value = value.strip()
        if not value.isdigit() or len(value) > 6:
            return DEFAULT_DAYS
        value = int(value)
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return DEFAULT_DAYS
        value = int(value)
    if not isinstance(value, int):
        return DEFAULT_DAYS
    return min(MAX_DAYS, max(MIN_DAYS, value))


def windows(meeting_day: dt.date, days: int, last_complete_day: dt.date) -> tuple[Window, Window]:
    """The before and after windows of a meeting on ``meeting_day`` (see the module docstring)."""
    one = dt.timedelta(days=1)
    before = Window(meeting_day - days * one, min(meeting_day - one, last_complete_day))
    after = Window(meeting_day, min(meeting_day + (days - 1) * one, last_complete_day))
    return before, after


def year_earlier(window: Window) -> Window:
    """The same calendar days a year back, the same number of them (29 February → 28)."""
    first = window.first
    shifted = first.replace(year=first.year - 1, day=28) if (first.month, first.day) == (2, 29) else \
        first.replace(year=first.year - 1)
    return Window(shifted, shifted + (window.last - window.first))


def _rounded(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 1)


def _window_mean(daily: pd.DataFrame, series: str, pollutant: str, window: Window) -> tuple[float | None, int]:
    if daily.empty or window.days == 0:
        return None, 0
    rows = daily[
        (daily["series"] == series)
        & (daily["date"] >= pd.Timestamp(window.first))
        & (daily["date"] <= pd.Timestamp(window.last))
    ]
    values = rows[pollutant].astype(float).dropna()
    return (_rounded(values.mean()) if len(values) else None), int(len(values))


def _row(daily: pd.DataFrame, series: str, label: str, pollutant: str, before: Window, after: Window) -> EffectRow:
    b, b_days = _window_mean(daily, series, pollutant, before)
    a, a_days = _window_mean(daily, series, pollutant, after)
    change = None if a is None or b is None else round(a - b, 1)
    pct = None if change is None or not b else round(change / b * 100, 1)
    return EffectRow(label, pollutant, b, b_days, a, a_days, change, pct)


def _with_background(daily: pd.DataFrame, codes: tuple[str, ...]) -> pd.DataFrame:
    """``daily`` plus a BACKGROUND series: the mean of the background stations' daily values."""
    if daily.empty or not codes:
        return daily
    means = evaluation.group_mean(
        daily, {code: BACKGROUND for code in codes}, station="series", keys=("date",), columns=list(POLLUTANTS)
    ).rename(columns={"group": "series"})
    return pd.concat([daily, means[["series", "date", *POLLUTANTS]]], ignore_index=True)


def _actions(session: Session, meeting: Meeting, today: dt.date, tz: ZoneInfo) -> ActionClosure:
    ledger = meeting_analytics.ledger_table(session, today, tz, [meeting.id])
    score = rules.unit_score(
        zip(ledger["status"], ledger["deadline"], ledger["done_on"], ledger["carried"], strict=True)
        if not ledger.empty
        else [],
        today,
    )
    return ActionClosure(
        total=score.items,
        closed=score.closed,
        due=score.due,
        on_time=score.on_time,
        open=score.items - score.closed,
        overdue=score.overdue,
        on_time_rate=score.on_time_rate,
    )


def meeting_effect(session: Session, database_url: str, meeting: Meeting, days: int, tz: ZoneInfo) -> MeetingEffect:
    """PM before and after ``meeting`` over ``days`` days (MIN_DAYS..MAX_DAYS) at the district,
    its background station(s) and a year earlier, with the meeting's action items as of today.

    Windows: before = the ``days`` Beijing days ending the day before the meeting's day; after =
    the ``days`` days starting on the meeting's day (held in the morning, so its day is after);
    both clipped to yesterday by the dashboard's clock.
    """
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ValueError(f"days must be {MIN_DAYS}..{MAX_DAYS}, not {days}")
    today = clock.today(session, tz)
    last_complete = today - dt.timedelta(days=1)
    meeting_day = meeting.held_at.astimezone(tz).date()
    before, after = windows(meeting_day, days, last_complete)
    past = (year_earlier(before), year_earlier(after))

    rows: list[EffectRow] = []
    district: tuple[str, ...] = ()
    background: tuple[str, ...] = ()
    last = max(before.last, after.last)
    if before.days or after.days:
        daily, stations = meeting_analytics.cached_daily(session, database_url, before.first, last)
        district = tuple(air_analytics.district_group(stations)[0])
        background = tuple(stations.loc[stations["is_background"], "code"])
        daily = _with_background(daily, background)
        rows += [_row(daily, air_analytics.DISTRICT, DISTRICT, p, before, after) for p in POLLUTANTS]
        if background:
            rows += [_row(daily, BACKGROUND, BACKGROUND, p, before, after) for p in POLLUTANTS]
        old, _ = meeting_analytics.cached_daily(session, database_url, past[0].first, max(past[0].last, past[1].last))
        earlier = [_row(old, air_analytics.DISTRICT, YEAR_BEFORE, p, *past) for p in POLLUTANTS]
        if any(r.before_days or r.after_days for r in earlier):
            rows += earlier

    return MeetingEffect(
        number=meeting.number,
        meeting_day=meeting_day,
        days=days,
        held=meeting.held_at <= clock.now(session, tz),
        last_complete_day=last_complete,
        before=before,
        after=after,
        year_before=past,
        district_stations=district,
        background_stations=background,
        rows=tuple(rows),
        actions=_actions(session, meeting, today, tz),
    )
