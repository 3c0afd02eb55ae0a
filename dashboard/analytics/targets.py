"""The year so far against its targets: PM2.5 and PM10 annual means to date, the good-day
share to date, heavy-pollution days to date, the polluted-day budget and the months of the year.

Every figure is the district's (``analytics.air``: its station group, the mean of its stations'
HJ 663 daily values, HJ 633 daily AQI), from the same cached frames the air page draws, so the
numbers here and there agree. A mean to date is the mean of the valid daily values from
1 January to the last finished day (HJ 663 annual mean over the days so far); it becomes the
year's official mean only with ≥ 324 valid days (``Progress.complete``).

The budget (``domain.targets.polluted_day_budget``) counts the days before ``today`` as
finished and today with the rest of the year as still to come.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from dashboard.analytics import air
from dashboard.domain import evaluation
from dashboard.domain.targets import (
    HEAVY_AQI,
    POLLUTED_AQI,
    Budget,
    YearTargets,
    elapsed_and_remaining,
    good_days_needed,
    polluted_day_budget,
    spread_budget,
    within_mean_target,
)
from dashboard.store import air as store

#: The four targets, in the order the panel shows them.
KEYS = ("pm25", "pm10", "good_day_share", "heavy_days")
MONTH_COLUMNS = ["month", "days", "elapsed", "valid", "good", "polluted", "heavy", "missing", "to_come",
                 "good_share", "pace"]
PATH_COLUMNS = ["date", "pm25", "pm10", "good_share", "heavy_days", "valid_days"]


@dataclass(frozen=True)
class Progress:
    """One target: the value to date against it.

    ``value`` is None without a valid day. ``met``: a mean (reported rounded to whole µg/m³)
    at most its target; a share at least its target; heavy days at most the target. For a year
    still running it says where the year stands today, not how it will end.
    """

    key: str
    value: float | None
    target: float
    met: bool | None
    days: int  # valid days behind the value
    complete: bool  # enough valid days for an annual statistic (HJ 663: 324)


@dataclass(frozen=True)
class YearProgress:
    """The facts of a year against its targets, as of ``today``."""

    year: int
    today: dt.date
    through: dt.date | None  # last finished day counted (None: the year has not started)
    newest_data: dt.date | None  # newest day with readings in the year
    targets: YearTargets
    progress: dict[str, Progress]  # by KEYS
    budget: Budget
    heavy_left: int  # heavy days still within the target (negative: over it)
    missing_days: int  # finished days without a valid daily AQI
    months: pd.DataFrame  # MONTH_COLUMNS, one row per month of the year
    path: pd.DataFrame  # PATH_COLUMNS, one row per finished day with a daily value
    district_fallback: bool
    standards: tuple[str, ...]

    @property
    def started(self) -> bool:
        return self.through is not None

    @property
    def finished(self) -> bool:
        return self.budget.remaining_days == 0

    @property
    def has_data(self) -> bool:
        return self.budget.valid_days > 0


def year_targets(session: Session, year: int) -> YearTargets:
    """The year's targets: its own, else the defaults (``domain.targets.targets_for_year``)."""
    return store.targets_of_year(session, year)


def district_days(database_url: str, first: dt.date, last: dt.date) -> tuple[pd.DataFrame, bool, tuple[str, ...]]:
    """The district's daily values and AQI over ``first..last`` (``analytics.air``'s frames),
    whether the district is the all-stations fallback, and the AQI standards used."""
    data = air.load_air_data(database_url, first, last)
    daily = data.daily[data.daily["series"] == air.DISTRICT]
    dates = pd.to_datetime(daily["date"])
    daily = daily[(dates >= pd.Timestamp(first)) & (dates <= pd.Timestamp(last))].copy()
    daily["date"] = pd.to_datetime(daily["date"])
    daily["aqi"] = pd.to_numeric(daily["aqi"].astype("Float64"), errors="coerce").astype(float)
    return daily.sort_values("date").reset_index(drop=True), data.district_fallback, tuple(air.standards_of(daily))


def cumulative_path(daily: pd.DataFrame) -> pd.DataFrame:
    """Per day: the PM2.5 and PM10 means of the valid daily values so far, the good-day share
    so far, heavy days so far and valid days so far (PATH_COLUMNS)."""
    if daily.empty:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[us]" if c == "date" else float) for c in PATH_COLUMNS})
    out = pd.DataFrame({"date": daily["date"].to_numpy()})
    for column, key in (("PM2.5", "pm25"), ("PM10", "pm10")):
        values = pd.to_numeric(daily[column], errors="coerce").astype(float)
        count = values.notna().cumsum().to_numpy()
        total = values.fillna(0.0).cumsum().to_numpy()
        out[key] = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    aqi = daily["aqi"]
    valid = aqi.notna().cumsum().to_numpy()
    good = (aqi <= POLLUTED_AQI).cumsum().to_numpy()
    out["good_share"] = np.where(valid > 0, good / np.maximum(valid, 1), np.nan)
    out["heavy_days"] = (aqi > HEAVY_AQI).cumsum().to_numpy()
    out["valid_days"] = valid
    return out


def month_table(daily: pd.DataFrame, year: int, through: dt.date | None, budget: Budget) -> pd.DataFrame:
    """One row per month: its days, finished days, valid / good / polluted / heavy / missing
    days, days still to come, the month's good-day share and ``pace``: the remaining budget
    spread over the months still to come in proportion to their days (``spread_budget``; NA for
    months with no day to come)."""
    rows = []
    aqi_month = daily["date"].dt.month if not daily.empty else pd.Series(dtype=int)
    for month in range(1, 13):
        days = calendar.monthrange(year, month)[1]
        first = dt.date(year, month, 1)
        last = dt.date(year, month, days)
        elapsed = 0 if through is None or through < first else (min(through, last) - first).days + 1
        aqi = daily.loc[aqi_month == month, "aqi"].dropna() if not daily.empty else pd.Series(dtype=float)
        valid = int(len(aqi))
        good = int((aqi <= POLLUTED_AQI).sum())
        rows.append({"month": month, "days": days, "elapsed": elapsed, "valid": valid, "good": good,
                     "polluted": valid - good, "heavy": int((aqi > HEAVY_AQI).sum()),
                     "missing": elapsed - valid, "to_come": days - elapsed,
                     "good_share": good / valid if valid else np.nan})
    frame = pd.DataFrame(rows)
    coming = {int(r.month): int(r.to_come) for r in frame.itertuples() if r.to_come > 0}
    pace = spread_budget(budget.remaining, coming)
    frame["pace"] = frame["month"].map(pace).astype("Int64")
    return frame[MONTH_COLUMNS]


def _mean_progress(key: str, daily: pd.DataFrame, column: str, target: float) -> Progress:
    if daily.empty:
        return Progress(key, None, target, None, 0, False)
    stats = evaluation.period_stats(daily.assign(series=air.DISTRICT), freq="Y", by="series").iloc[0]
    n = int(stats[f"n_{column}"])
    if n == 0:
        return Progress(key, None, target, None, 0, False)
    mean = float(stats[column])
    return Progress(key, mean, target, within_mean_target(mean, target), n, n >= evaluation.MIN_DAYS_YEAR)


def _empty_days() -> pd.DataFrame:
    return pd.DataFrame({"date": pd.Series(dtype="datetime64[us]"), "aqi": pd.Series(dtype=float),
                         "PM2.5": pd.Series(dtype=float), "PM10": pd.Series(dtype=float)})


def year_progress(session: Session, database_url: str, year: int, today: dt.date, tz: ZoneInfo) -> YearProgress:
    """Where ``year`` stands against its targets as of ``today`` (the app's clock,
    ``analytics.today``): the days before today are finished, today and later still to come.
    ``tz`` is the display time zone, for the day of the newest reading."""
    targets = year_targets(session, year)
    through, to_come = elapsed_and_remaining(year, today)
    newest = air.newest_reading_day(session, tz)
    if through is None:
        daily, fallback, standards = _empty_days(), False, ()
    else:
        daily, fallback, standards = district_days(database_url, dt.date(year, 1, 1), through)
    aqi = daily["aqi"].dropna()
    valid, good = int(len(aqi)), int((aqi <= POLLUTED_AQI).sum())
    heavy = int((aqi > HEAVY_AQI).sum())
    budget = polluted_day_budget(valid, good, to_come, targets.good_day_share)
    complete = valid >= evaluation.MIN_DAYS_YEAR
    progress = {
        "pm25": _mean_progress("pm25", daily, "PM2.5", targets.pm25),
        "pm10": _mean_progress("pm10", daily, "PM10", targets.pm10),
        "good_day_share": Progress("good_day_share", good / valid if valid else None, targets.good_day_share,
                                   good >= good_days_needed(valid, targets.good_day_share) if valid else None,
                                   valid, complete),
        "heavy_days": Progress("heavy_days", float(heavy) if valid else None, float(targets.heavy_days),
                               heavy <= targets.heavy_days if valid else None, valid, complete),
    }
    finished_days = 0 if through is None else (through - dt.date(year, 1, 1)).days + 1
    newest_in_year = None
    if newest is not None and through is not None and newest >= dt.date(year, 1, 1):
        newest_in_year = min(newest, through)
    return YearProgress(year, today, through, newest_in_year, targets, progress, budget,
                        targets.heavy_days - heavy, finished_days - valid,
                        month_table(daily, year, through, budget), cumulative_path(daily), fallback, standards)
