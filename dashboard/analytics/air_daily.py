"""Daily air values kept current by the writes (``air_daily``), and their consistency check.

A station's HJ 663 daily values depend only on the hours of its own Beijing day (the 24 h means,
the O3 1 h maximum and the 8 h means ending 08:00-24:00 all lie inside the day), and the
district's are the mean of its stations' daily values. So a write refreshes exactly the days
it touched:

* an import refreshes the touched stations' days from their hourly readings, then those
  days' district rows from the stations' rows (``refresh_days``);
* a change of the district group or of a background flag rewrites every district row from the
  stations' rows (``refresh_district``): no hourly reading is read;
* the demo loader and the migration that creates the table rebuild everything, a month at a
  time (``rebuild``).

Every one of them runs in the caller's transaction and bumps the ``air`` data version, which
the air pages' caches key on. The values are those of ``analytics.air`` (``station_daily``,
``district_daily``): the same functions, fed the same hours. ``check`` recomputes every row
from the readings and lists the differences (``python -m dashboard db check``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from dashboard.analytics import air
from dashboard.analytics.overview import wide_hourly
from dashboard.domain import evaluation
from dashboard.store import air as air_store
from dashboard.store import air_daily as store

COLUMNS = ["series", "date", *evaluation.DAILY_COLUMNS, *store.AQI_COLUMNS]


def _frame(daily: pd.DataFrame) -> pd.DataFrame:
    """``analytics.air`` daily rows -> the table's columns (series, date, values, AQI summary)."""
    if daily.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    out = daily[COLUMNS].copy()
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[us]")
    out["primary_pollutants"] = out["primary_pollutants"].astype(object).fillna("")
    out["standard"] = out["standard"].astype(object).fillna("")
    return out.reset_index(drop=True)


def station_rows(readings: pd.DataFrame) -> pd.DataFrame:
    """Daily rows of every station in long ``readings`` (whole Beijing days)."""
    wide = wide_hourly(readings, ["station_code"]).rename(columns={"station_code": "series"})
    if not wide.empty:
        wide["time"] = pd.to_datetime(wide["time"], utc=True)
    return _frame(air.station_daily(wide))


def district_rows(stations_daily: pd.DataFrame, stations: pd.DataFrame) -> pd.DataFrame:
    """The district's daily rows from its stations' daily rows (``analytics.air.district_daily``)."""
    if stations_daily.empty:
        return _frame(pd.DataFrame())
    return _frame(air.district_daily(stations_daily, stations))


def _day_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return air.period_bounds(first, last)


def computed(session: Session, first: dt.date, last: dt.date) -> pd.DataFrame:
    """Every series' rows of ``first..last`` computed from the hourly readings now stored."""
    stations = air_store.stations(session)
    lo, hi = _day_bounds(first, last)
    s_rows = station_rows(air_store.hourly_readings(session, lo, hi))
    return pd.concat([s_rows, district_rows(s_rows, stations)], ignore_index=True)


def refresh_days(session: Session, first: dt.date, last: dt.date, codes: Iterable[str] | None = None) -> None:
    """Recompute the rows of Beijing days ``first..last``: of the stations ``codes`` (all when
    None) from their readings, then the district's from the stations' rows."""
    lo, hi = _day_bounds(first, last)
    wanted = None if codes is None else sorted(set(codes))
    s_rows = station_rows(air_store.hourly_readings(session, lo, hi, wanted))
    store.replace(session, s_rows, first, last, wanted)
    _write_district(session, first, last)
    store.bump(session)


def _write_district(session: Session, first: dt.date | None, last: dt.date | None) -> None:
    stations = air_store.stations(session)
    rows = store.read(session, first, last)
    rows = rows[rows["series"] != air.DISTRICT]
    district = district_rows(rows, stations)
    span = (first, last) if first is not None and last is not None else store.day_span(session)
    if span is None:
        return
    store.replace(session, district, span[0], span[1], [air.DISTRICT])


def refresh_district(session: Session) -> None:
    """Rewrite every district row (after the group or a background flag changed)."""
    _write_district(session, None, None)
    store.bump(session)
    store.covered(session, everything=False)


def _months(first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date]]:
    out = []
    start = first.replace(day=1)
    while start <= last:
        end = (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()
        out.append((max(start, first), min(end, last)))
        start = end + dt.timedelta(days=1)
    return out


def reading_days(session: Session) -> tuple[dt.date, dt.date] | None:
    """The first and last Beijing day holding a reading."""
    span = store.reading_span(session)
    if span is None:
        return None
    days = evaluation.day_of_hour(pd.Series(pd.to_datetime(list(span), utc=True)))
    return days.iloc[0].date(), days.iloc[1].date()


def refresh_pending(session: Session) -> int:
    """Refresh the station-days a batch import left pending (``store.add_pending``), a month at a
    time, and clear the list; returns the station-days refreshed."""
    waiting = store.pending(session)
    if waiting.empty:
        return 0
    for _, month in waiting.groupby(waiting["date"].dt.to_period("M")):
        refresh_days(session, month["date"].min().date(), month["date"].max().date(),
                     month["station_code"].unique().tolist())
    store.clear_pending(session)
    return len(waiting)


def rebuild(session: Session) -> int:
    """Recompute every row from the readings, a month at a time; returns the rows written."""
    store.clear_pending(session)
    store.replace(session, _frame(pd.DataFrame()), dt.date.min, dt.date.max)
    days = reading_days(session)
    written = 0
    if days is not None:
        for first, last in _months(*days):
            written += store.replace(session, computed(session, first, last), first, last)
    store.bump(session)
    store.covered(session, everything=True)
    return written


# --------------------------------------------------------------------------- check
@dataclass(frozen=True)
class Difference:
    """One row where ``air_daily`` and a recomputation from the readings disagree."""

    series: str
    date: dt.date
    column: str  # a value column, or "row" when the row is missing or extra
    stored: object
    expected: object

    def __str__(self) -> str:
        return f"air_daily {self.series} {self.date.isoformat()} {self.column}: stored {self.stored!r}, " \
               f"expected {self.expected!r}"


def _differs(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Element-wise: the stored and expected values differ (blank equals blank)."""
    if pd.api.types.is_numeric_dtype(a) or pd.api.types.is_numeric_dtype(b):
        x = pd.to_numeric(a, errors="coerce").astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        y = pd.to_numeric(b, errors="coerce").astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        return ~np.isclose(x, y, rtol=1e-9, atol=1e-9, equal_nan=True)
    return (a.astype(object).fillna("").astype(str) != b.astype(object).fillna("").astype(str)).to_numpy()


def compare(stored: pd.DataFrame, expected: pd.DataFrame) -> list[Difference]:
    """Every difference between two frames of table rows, keyed by series and date."""
    key = ["series", "date"]
    # A month without readings recomputes as an empty frame whose dates have no type yet.
    stored, expected = (frame.assign(date=pd.to_datetime(frame["date"]).astype("datetime64[us]"))
                        for frame in (stored, expected))
    both = stored.merge(expected, on=key, how="outer", suffixes=("_s", "_e"), indicator="where")
    out: list[Difference] = []
    for series, date, where in zip(both["series"], both["date"], both["where"], strict=True):
        if where == "both":
            continue
        missing = where == "right_only"
        out.append(Difference(str(series), pd.Timestamp(date).date(), "row", None if missing else "present",
                              "present" if missing else None))
    columns = [c for c in COLUMNS if c not in key]
    matched = both[both["where"] == "both"]
    for c in columns:
        differ = _differs(matched[f"{c}_s"], matched[f"{c}_e"])
        for i in np.flatnonzero(differ):
            out.append(Difference(str(matched["series"].iloc[i]), pd.Timestamp(matched["date"].iloc[i]).date(), c,
                                  matched[f"{c}_s"].iloc[i], matched[f"{c}_e"].iloc[i]))
    return sorted(out, key=lambda d: (d.date, d.series, d.column))


def check(session: Session) -> list[Difference]:
    """Recompute ``air_daily`` from the readings, a month at a time, and list every difference."""
    days = reading_days(session)
    stored_span = store.day_span(session)
    spans = [s for s in (days, stored_span) if s is not None]
    if not spans:
        return []
    first, last = min(s[0] for s in spans), max(s[1] for s in spans)
    out: list[Difference] = []
    for a, b in _months(first, last):
        out += compare(store.read(session, a, b), computed(session, a, b))
    return out
