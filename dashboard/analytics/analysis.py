"""综合研判 (/analysis): compliance and air quality on one time axis, for the district or one
township, and the townships placed by both in a meeting period.

Every number here is the one another page shows for the same days: daily air values are
``analytics.meetings.daily_frame``'s (HJ 663 daily values, HJ 633 AQI), a period's PM10 is
``meetings.period_summary``'s (``period_mean``), a compliance rate is ``domain.compliance``'s (passed ÷
applicable checks), and a meeting's period is ``analytics.meeting_periods``'s.

A township's air is the mean of the stations assigned to it (``analytics.township_air``); its
compliance and rectification backlog are those of its sites.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from dashboard.analytics import compliance_daily, meeting_periods, township_air
from dashboard.analytics.compliance import partial_weeks
from dashboard.analytics.meetings import DISTRICT, cached_daily, period_mean
from dashboard.analytics.versioned import VersionedCache, page_view
from dashboard.domain import compliance as measures
from dashboard.domain import meetings as calendar
from dashboard.domain.aqi import category_of, iaqi, standard_for
from dashboard.store import clock
from dashboard.store import compliance as compliance_store
from dashboard.store import meetings as meeting_store
from dashboard.store import sites as site_store

#: The air measures the page offers (query ``measure=``), and their daily-frame column and
#: breakpoint table (None: the AQI itself).
MEASURES: dict[str, tuple[str, str | None]] = {"pm10": ("PM10", "PM10_24h"), "pm25": ("PM2.5", "PM2.5_24h"),
                                               "aqi": ("aqi", None)}
DEFAULT_MEASURE = "pm10"  # construction dust shows in PM10 first
SINCE = "since"
CUSTOM = "custom"
#: Days of context the time view shows before a meeting period ends: about three months, enough
#: to see a trend turn, few enough points (daily values) for a phone.
WINDOW_DAYS = 91
#: The longest span drawn day by day; a longer custom span shows its last year.
MAX_WINDOW_DAYS = 366
#: "Since the last meeting" before any meeting: the default review window.
DEFAULT_SINCE_DAYS = calendar.DEFAULT_PERIOD_DAYS
#: The compliance rate's rolling window: a week, because sites are visited weekly.
ROLLING_DAYS = 7


# --------------------------------------------------------------------------- periods
@dataclass(frozen=True)
class Period:
    """The days the quadrant compares, and the days they are compared with."""

    key: str  # SINCE, a held meeting's number as text, or CUSTOM
    first: dt.date
    last: dt.date  # before ``first`` while no whole day of the period is over
    before: tuple[dt.date, dt.date]
    number: int | None = None  # the meeting reviewing these days (None: the next one, or a custom span)
    after: int | None = None  # the meeting the period starts at

    @property
    def days(self) -> int:
        return max(0, (self.last - self.first).days + 1)


@dataclass(frozen=True)
class PeriodChoice:
    key: str
    number: int | None  # the meeting (None for "since the last meeting")
    held_on: dt.date | None


def period_choices(session: Session, tz: ZoneInfo) -> list[PeriodChoice]:
    """"Since the last meeting", then every held meeting's period, newest first."""
    held = compliance_store.meetings(session, clock.now(session, tz))
    # One conversion for the column: five years hold some 250 meetings.
    days = held["held_at"].dt.tz_convert(tz).dt.date.tolist()
    numbers = held["number"].astype(int).tolist()
    return [PeriodChoice(SINCE, None, None),
            *(PeriodChoice(str(n), n, d) for n, d in zip(reversed(numbers), reversed(days), strict=True))]


def _from_meeting_period(key: str, mp: meeting_periods.MeetingPeriod, before: tuple[dt.date, dt.date]) -> Period:
    return Period(key, mp.first, mp.last, before, mp.number, mp.after)


def resolve_period(session: Session, tz: ZoneInfo, period: str | None = None, start: dt.date | None = None,
                   end: dt.date | None = None) -> Period:
    """The period a query names: a held meeting's number, ``since`` (the default), or ``start``
    and ``end`` (custom, compared with as many days just before it). Anything unknown is
    ``since``."""
    if period not in (None, "", CUSTOM) and str(period).isdigit():
        meeting = meeting_store.get_meeting(session, int(str(period)))
        if meeting is not None and meeting.held_at <= clock.now(session, tz):
            mp = meeting_periods.period_of(session, meeting, tz)
            return _from_meeting_period(str(meeting.number), mp, meeting_periods.before(session, mp, tz))
    elif start is not None and end is not None and period in (None, "", CUSTOM):
        first, last = min(start, end), max(start, end)
        return Period(CUSTOM, first, last, calendar.period_before(first, last))
    mp = meeting_periods.upcoming(session, tz)
    return _from_meeting_period(SINCE, mp, meeting_periods.before(session, mp, tz))


def window(period: Period) -> tuple[dt.date, dt.date]:
    """The days the time view and the calendars show for ``period``: a custom span itself (its
    last year at most), else about three months up to the period's end, reaching back at least
    to the start of the period it is compared with."""
    last = max(period.last, period.first)
    if period.key == CUSTOM:
        return max(period.first, last - dt.timedelta(days=MAX_WINDOW_DAYS - 1)), last
    return min(period.before[0], last - dt.timedelta(days=WINDOW_DAYS - 1)), last


# --------------------------------------------------------------------------- the view's cache
_VIEWS = VersionedCache(16)


def cached_view(session: Session, tz: ZoneInfo, args: tuple, compute):
    """``compute()`` (the page's sections for ``args``) kept until a write changes what it shows
    (``versioned.page_view``)."""
    return page_view(_VIEWS, session, tz, args, compute)


# --------------------------------------------------------------------------- townships
def townships(session: Session) -> pd.DataFrame:
    """id, name, name_en, active, in display order."""
    return site_store.townships(session)


def _township_air(session: Session, daily: pd.DataFrame, first: dt.date, last: dt.date,
                  township_id: int | None = None) -> tuple[pd.DataFrame, dict[int, list[str]]]:
    """Daily values of every township (or of ``township_id``) on ``first..last``, and the stations
    assigned to each."""
    assignment = township_air.station_assignment(session)
    wanted = assignment if township_id is None else {k: v for k, v in assignment.items() if k == township_id}
    if not daily.empty:
        # Indexing every day of cached whole months for every township is the page's dearest step.
        dates = pd.to_datetime(daily["date"])
        daily = daily[(dates >= pd.Timestamp(first)) & (dates <= pd.Timestamp(last))]
    return township_air.township_daily(daily, wanted), assignment


def _series(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    return frame[frame["series"] == key] if not frame.empty else frame


# --------------------------------------------------------------------------- pure frames
def measure_frame(daily: pd.DataFrame, measure: str, first: dt.date, last: dt.date) -> pd.DataFrame:
    """One series' daily ``measure`` over ``first..last``: date, value, category (the AQI's, or
    the pollutant's own IAQI category under the standard in force that day), aqi,
    primary_pollutants, standard."""
    column, indicator = MEASURES[measure]
    columns = ["date", "value", "category", "aqi", "primary_pollutants", "standard"]
    if daily.empty:
        return pd.DataFrame(columns=columns)
    dates = pd.to_datetime(daily["date"])
    rows = daily[(dates >= pd.Timestamp(first)) & (dates <= pd.Timestamp(last))].sort_values("date")
    if rows.empty:
        return pd.DataFrame(columns=columns)
    days = pd.to_datetime(rows["date"])
    standard = pd.Series(standard_for(days), index=rows.index)
    if "standard" in rows.columns:
        standard = rows["standard"].astype(object).where(rows["standard"].notna(), standard)
    value = pd.to_numeric(rows[column], errors="coerce").astype(float)
    if indicator is None:
        category = rows["category"].astype("Float64")
    else:
        category = pd.Series(category_of(iaqi(indicator, value.to_numpy(), standard.to_numpy())),
                             index=rows.index).astype("Float64")
    return pd.DataFrame({
        "date": days.dt.normalize().to_numpy(),
        "value": value.to_numpy(),
        "category": category.to_numpy(dtype=float, na_value=np.nan),
        "aqi": rows["aqi"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
        "primary_pollutants": rows["primary_pollutants"].astype(object).fillna("").to_numpy(),
        "standard": standard.to_numpy(),
    })


def _days(first: dt.date, last: dt.date) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(first), pd.Timestamp(last), freq="D", name="date")


def _counts_of(results: pd.DataFrame) -> pd.DataFrame:
    """Raw checked items -> counts per township and day (``compliance_daily``'s columns)."""
    frame = results.assign(date=pd.to_datetime(results["date"]))
    if "township_id" not in frame:
        frame = frame.assign(township_id=0)
    grouped = frame.groupby(["township_id", "date"]).agg(
        inspections=("inspection_id", "nunique"),
        passed=("result", lambda s: int((s == "pass").sum())),
        failed=("result", lambda s: int((s == "fail").sum())),
        na=("result", lambda s: int((s == "na").sum())),
    )
    return grouped.reset_index()


def daily_checks(results: pd.DataFrame, first: dt.date, last: dt.date) -> pd.DataFrame:
    """Per day of ``first..last``: inspections, passed, failed, applicable (0 on days without
    inspections)."""
    return daily_checks_of_counts(_counts_of(results) if not results.empty else None, first, last)


def daily_checks_of_counts(counts: pd.DataFrame | None, first: dt.date, last: dt.date) -> pd.DataFrame:
    """``daily_checks`` from checks counted per township and day (``compliance_daily`` rows)."""
    index = _days(first, last)
    if counts is None or counts.empty:
        zeros = np.zeros(len(index), dtype="int64")
        return pd.DataFrame({"date": index, "inspections": zeros, "passed": zeros, "failed": zeros,
                             "applicable": zeros})
    counts = counts[(counts["passed"] + counts["failed"] + counts["na"]) > 0]
    frame = counts.assign(date=pd.to_datetime(counts["date"]).astype("datetime64[ns]"))
    grouped = frame.groupby("date")[["inspections", "passed", "failed"]].sum()
    out = grouped.reindex(index, fill_value=0).astype("int64").reset_index()
    out["applicable"] = out["passed"] + out["failed"]
    return out


def rolling_rate(results: pd.DataFrame, first: dt.date, last: dt.date, days: int = ROLLING_DAYS) -> pd.DataFrame:
    """The compliance rate over the ``days`` ending each day of ``first..last`` (passed ÷
    applicable checks of those days together, not a mean of daily rates): date, passed,
    applicable, rate (NaN without applicable checks). ``results`` should reach ``days - 1``
    days before ``first``."""
    return rolling_rate_of_counts(_counts_of(results) if not results.empty else None, first, last, days)


def rolling_rate_of_counts(counts: pd.DataFrame | None, first: dt.date, last: dt.date,
                           days: int = ROLLING_DAYS) -> pd.DataFrame:
    """``rolling_rate`` from checks counted per township and day."""
    daily = daily_checks_of_counts(counts, first - dt.timedelta(days=days - 1), last).set_index("date")
    summed = daily[["passed", "applicable"]].rolling(days, min_periods=1).sum().astype("int64")
    summed["rate"] = measures.pass_rate(summed["passed"], summed["applicable"])
    return summed.loc[pd.Timestamp(first):].reset_index()


def weekly_rate(results: pd.DataFrame, first: dt.date, last: dt.date) -> pd.DataFrame:
    """Rates per Monday-to-Sunday week of ``first..last`` (``domain.compliance.weekly_rates``):
    week, passed, failed, na, applicable, rate, partial (the week is cut by the span)."""
    return weekly_rate_of_counts(_counts_of(results) if not results.empty else None, first, last)


def weekly_rate_of_counts(counts: pd.DataFrame | None, first: dt.date, last: dt.date) -> pd.DataFrame:
    """``weekly_rate`` from checks counted per township and day."""
    columns = ["week", "passed", "failed", "na", "applicable", "rate", "partial"]
    if counts is None or counts.empty:
        return pd.DataFrame(columns=columns)
    dates = pd.to_datetime(counts["date"])
    part = counts[(dates >= pd.Timestamp(first)) & (dates <= pd.Timestamp(last))
                  & ((counts["passed"] + counts["failed"] + counts["na"]) > 0)]
    if part.empty:
        return pd.DataFrame(columns=columns)
    part = part.assign(week=measures.week_start(pd.to_datetime(part["date"]).astype("datetime64[ns]")))
    out = part.groupby("week", sort=True)[["passed", "failed", "na"]].sum().astype("int64").reset_index()
    out["applicable"] = out["passed"] + out["failed"]
    out["rate"] = measures.pass_rate(out["passed"], out["applicable"])
    out["partial"] = partial_weeks(out["week"], first, last)
    return out


def _checks(session: Session, tz: ZoneInfo, first: dt.date, last: dt.date,
            township_id: int | None = None) -> pd.DataFrame:
    """Checks per township and day of ``first..last`` (kept by the writes), of one township or all."""
    counts = compliance_daily.daily(session, tz, first, last)
    return counts[counts["township_id"] == township_id] if township_id is not None else counts


def _local_days(times: pd.Series, tz: ZoneInfo) -> np.ndarray:
    """Aware instants -> Beijing days as datetime64 (NaT stays NaT)."""
    stamps = pd.to_datetime(times, utc=True)
    return stamps.dt.tz_convert(tz).dt.tz_localize(None).dt.normalize().to_numpy(dtype="datetime64[ns]")


def daily_backlog(rectifications: pd.DataFrame, first: dt.date, last: dt.date, tz: ZoneInfo) -> pd.DataFrame:
    """Open rectifications at the end of each day of ``first..last``: opened that day or before,
    and not closed by then (``store.rectifications_frame`` rows): date, open."""
    index = _days(first, last)
    if rectifications.empty:
        return pd.DataFrame({"date": index, "open": np.zeros(len(index), dtype="int64")})
    opened = np.sort(_local_days(rectifications["opened_at"], tz))
    closed = _local_days(rectifications["closed_at"], tz)
    closed = np.sort(closed[~np.isnat(closed)])
    days = index.to_numpy(dtype="datetime64[ns]")
    count = np.searchsorted(opened, days, side="right") - np.searchsorted(closed, days, side="right")
    return pd.DataFrame({"date": index, "open": count.astype("int64")})


# --------------------------------------------------------------------------- the time view
@dataclass(frozen=True)
class Timeline:
    """What the combined time view and the paired calendars draw for one place and span."""

    first: dt.date
    last: dt.date
    township_id: int | None  # None: the district
    measure: str
    stations: tuple[str, ...]  # the stations whose mean is the air series (empty: none assigned)
    air: pd.DataFrame  # measure_frame: date, value, category, aqi, primary_pollutants, standard
    aqi: pd.DataFrame  # measure_frame of the AQI (the calendar's colours, whatever the measure)
    weekly: pd.DataFrame  # weekly_rate
    rolling: pd.DataFrame  # rolling_rate
    checks: pd.DataFrame  # daily_checks (the calendar of failed items)
    backlog: pd.DataFrame  # daily_backlog
    meetings: pd.DataFrame  # number, held_at, date: meetings held by now
    alerts: pd.DataFrame  # id, level, starts_at, ends_at (NaT while in force), ...

    @property
    def standards(self) -> list[str]:
        return [s for s in dict.fromkeys(self.aqi["standard"]) if isinstance(s, str) and s] if not self.aqi.empty \
            else []


def timeline(session: Session, database_url: str, tz: ZoneInfo, first: dt.date, last: dt.date,
             township_id: int | None = None, measure: str = DEFAULT_MEASURE) -> Timeline:
    """Daily air, compliance (weekly and rolling), open rectifications, meetings and alerts of the
    district (``township_id`` None) or of one township, over ``first..last``."""
    measure = measure if measure in MEASURES else DEFAULT_MEASURE
    daily, _stations = cached_daily(session, database_url, first, last)
    if township_id is None:
        series, codes = _series(daily, DISTRICT), ()
    else:
        per_township, assignment = _township_air(session, daily, first, last, township_id)
        codes = tuple(assignment.get(township_id, ()))
        series = _series(per_township, township_air.township_series(township_id)) if codes else daily.iloc[0:0]
    counts = _checks(session, tz, first - dt.timedelta(days=ROLLING_DAYS - 1), last, township_id)
    rectifications = compliance_store.rectification_spans(session, first, last, tz, township_id)
    meetings = compliance_store.meetings(session, clock.now(session, tz))
    meetings["date"] = [t.tz_convert(tz).date() for t in meetings["held_at"]] if not meetings.empty else []
    return Timeline(
        first=first, last=last, township_id=township_id, measure=measure, stations=codes,
        air=measure_frame(series, measure, first, last),
        aqi=measure_frame(series, "aqi", first, last),
        weekly=weekly_rate_of_counts(counts, first, last),
        rolling=rolling_rate_of_counts(counts, first, last),
        checks=daily_checks_of_counts(counts, first, last),
        backlog=daily_backlog(rectifications, first, last, tz),
        meetings=meetings,
        alerts=compliance_store.alerts(session),
    )


# --------------------------------------------------------------------------- the quadrant
QUADRANT_COLUMNS = ["township_id", "name", "name_en", "rate", "applicable", "pm10", "rate_before",
                    "applicable_before", "pm10_before"]


@dataclass(frozen=True)
class Quadrant:
    """Townships by compliance (x) and PM10 (y) in a period, with where they stood before."""

    period: Period
    points: pd.DataFrame  # QUADRANT_COLUMNS; a township without both values in the period is left out
    missing: pd.DataFrame  # township_id, name, name_en: townships without both values
    district_rate: float  # NaN without applicable checks
    district_pm10: float | None


def _rate(counts: pd.DataFrame, first: dt.date, last: dt.date) -> tuple[float, int]:
    """Passed ÷ applicable checks of ``first..last`` from checks counted per day."""
    if counts.empty:
        return float("nan"), 0
    dates = pd.to_datetime(counts["date"])
    part = counts[(dates >= pd.Timestamp(first)) & (dates <= pd.Timestamp(last))]
    passed, applicable = int(part["passed"].sum()), int(part["passed"].sum() + part["failed"].sum())
    return (passed / applicable if applicable else float("nan")), applicable


def quadrant_points(counts: pd.DataFrame, township_daily: pd.DataFrame, names: pd.DataFrame,
                    period: tuple[dt.date, dt.date], before: tuple[dt.date, dt.date]) -> pd.DataFrame:
    """Per township (``names``: id, name, name_en): the compliance rate and applicable checks of
    its inspections (``counts``: checks per township and day), and its stations' mean daily PM10
    (``meetings.period_mean``: a meeting's report's mean), in ``period`` and in ``before``
    (``QUADRANT_COLUMNS``)."""
    rows = []
    for town in names.itertuples():
        own = counts[counts["township_id"] == town.id] if not counts.empty else counts
        rate, applicable = _rate(own, *period)
        rate_b, applicable_b = _rate(own, *before)
        air = _series(township_daily, township_air.township_series(int(town.id)))
        air = air.assign(series=str(town.id)) if not air.empty else air
        rows.append({
            "township_id": int(town.id), "name": town.name, "name_en": town.name_en or town.name,
            "rate": rate, "applicable": applicable,
            "pm10": period_mean(air, str(town.id), *period, "PM10") if not air.empty else None,
            "rate_before": rate_b, "applicable_before": applicable_b,
            "pm10_before": period_mean(air, str(town.id), *before, "PM10") if not air.empty else None,
        })
    frame = pd.DataFrame(rows, columns=QUADRANT_COLUMNS)
    for column in ("rate", "pm10", "rate_before", "pm10_before"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame


def quadrant(session: Session, database_url: str, tz: ZoneInfo, period: Period) -> Quadrant:
    """The townships placed by compliance and PM10 in ``period``, the district's values as the
    quadrant lines."""
    first, last = period.first, max(period.last, period.first)
    start = min(period.before[0], first)
    names = townships(session)
    counts = _checks(session, tz, start, last)
    if period.days:
        # The time view's span: one cached load serves both.
        daily, _stations = cached_daily(session, database_url, min(start, window(period)[0]), last)
        per_township, _assignment = _township_air(session, daily, start, last)
        points = quadrant_points(counts, per_township, names, (first, last), period.before)
        district_rate, _ = _rate(counts, first, last)
        district_pm10 = period_mean(daily, DISTRICT, first, last, "PM10")
    else:
        points = pd.DataFrame(columns=QUADRANT_COLUMNS)
        district_rate, district_pm10 = float("nan"), None
    placed = points["rate"].notna() & points["pm10"].notna() if not points.empty else pd.Series(dtype=bool)
    missing_ids = set(names["id"]) - set(points.loc[placed, "township_id"]) if not points.empty else set(names["id"])
    missing = names[names["id"].isin(missing_ids) & names["active"]][["id", "name", "name_en"]] \
        .rename(columns={"id": "township_id"}).reset_index(drop=True)
    return Quadrant(period, points[placed].reset_index(drop=True) if not points.empty else points, missing,
                    district_rate, district_pm10)
