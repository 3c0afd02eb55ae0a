"""Frames of the air-quality pages: hourly and daily AQI per station and for the district,
monthly statistics (综合指数, 优良天数), diurnal / weekday profiles and station comparison.

Series. Every frame has a ``series`` column: a station code, or ``DISTRICT`` for the district
group (its in-district, non-background stations; when a database marks no station as
in-district, e.g. an import of a whole city, all non-background stations, flagged by
``AirData.district_fallback``).

* District hourly values: the mean concentration over the group's stations, rounded as the
  platform publishes (integers, CO 0.1 mg/m³), then indexed (``analytics.overview``).
* Daily values (HJ 663): per station from its hours (``evaluation.daily_values``); for the
  district the mean of its stations' daily values, as city figures are built. Daily values
  are rounded to reporting precision (half to even, as CNEMC) before ``aqi.daily_aqi``.
* Monthly statistics use whole calendar months (HJ 663 periods), even when the page's period
  covers part of a month; ``valid`` says whether a month had enough valid days.

Aggregation: a period of up to ``HOURLY_MAX_DAYS`` days is shown hourly, a longer one as daily
values, so a chart never ships more than a few thousand points per series.

Sources (``load_air_data``): the daily and monthly figures of any period come from the daily
rows kept by the writes (``air_daily``, ``analytics.air_daily``: the same functions on the same
hours, checked by ``python -m dashboard db check``), read for the period's whole months. Hourly
rows are read for the period only, and only by the views that draw hours: the series of a period
shown hourly (up to ``HOURLY_MAX_DAYS`` days), the diurnal profiles (only the stations and the
pollutant shown) and the map (each station's last day). So a page over five years costs about
what a month costs, and a month never reads its hours unless a view draws them.
``from_readings`` is the definition: everything recomputed from the hourly readings of the whole
months (tests compare the two on the demo, an empty database and sparse data).

Caching: LRU caches keyed on (database URL, whole months or period, data version); the version
is a counter in the database (``data_versions``) that every write of readings, stations or
alerts bumps in its transaction, so every worker sees the same truth and changing days within
the same months costs only a slice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from dashboard.analytics.overview import HOURLY_POLLUTANTS, district_hourly_aqi, wide_hourly
from dashboard.domain import evaluation
from dashboard.domain.aqi import (
    BREAKPOINTS,
    CATEGORIES,
    IAQI_LEVELS,
    STANDARD_2012,
    SWITCH_DATE,
    TIMEZONE,
    daily_aqi,
    hourly_aqi,
)
from dashboard.store import air as store
from dashboard.store import air_daily as daily_store
from dashboard.store import readings as readings_store
from dashboard.store.db import read_scope

DISTRICT = "district"
HOURLY_MAX_DAYS = 14
#: The map's station AQI: each station's hours in the day before its last reading.
LATEST_WINDOW = dt.timedelta(days=1)
#: The page's pollutant choices; "AQI" is the index itself.
CHOICES = ("AQI", "PM2.5", "PM10", "O3", "NO2", "SO2", "CO")
GASES = ("SO2", "NO2", "CO", "O3")
#: From 2018-09-01 gases are reported at 298.15 K instead of 273 K (about ×0.916).
REFERENCE_STATE_CHANGE = pd.Timestamp("2018-09-01 00:00", tz=TIMEZONE)
#: GB 3095-2012 grade II 1h limits (no 1h limit exists for PM2.5 / PM10).
LIMITS_1H = {"SO2": 500, "NO2": 200, "CO": 10, "O3": 200}
AQI_COLUMNS = ["aqi", "category", "primary_pollutants", "standard"]
CACHE_SIZE = 16


# --------------------------------------------------------------------------- small helpers
def beijing_naive(times: pd.Series) -> pd.Series:
    """UTC instants -> naive Beijing wall times (what a plotly date axis should show)."""
    return pd.to_datetime(times, utc=True).dt.tz_convert(TIMEZONE).dt.tz_localize(None)


def period_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Beijing days ``start..end`` (inclusive) as UTC hour labels: ``lo < time <= hi``.

    Day D holds the labels D 01:00 ... D+1 00:00 (each label ends its hour).
    """
    lo = pd.Timestamp(start, tz=TIMEZONE)
    hi = pd.Timestamp(end + dt.timedelta(days=1), tz=TIMEZONE)
    return lo.tz_convert("UTC").to_pydatetime(), hi.tz_convert("UTC").to_pydatetime()


def month_span(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The whole calendar months covering ``start..end``."""
    first = start.replace(day=1)
    last = (pd.Timestamp(end) + pd.offsets.MonthEnd(0)).date()
    return first, last


def resolution(start: dt.date, end: dt.date) -> str:
    """"hourly" for periods of up to ``HOURLY_MAX_DAYS`` days, else "daily"."""
    return "hourly" if (end - start).days + 1 <= HOURLY_MAX_DAYS else "daily"


def district_group(stations: pd.DataFrame) -> tuple[list[str], bool]:
    """The district's station codes and whether that is the all-stations fallback."""
    ok = ~stations["is_background"].astype(bool)
    group = stations.loc[ok & stations["in_district"].astype(bool), "code"].tolist()
    if group:
        return group, False
    return stations.loc[ok, "code"].tolist(), True


def standards_of(frame: pd.DataFrame) -> list[str]:
    """The AQI standards named in ``frame['standard']`` (in order of first use)."""
    if frame.empty or "standard" not in frame.columns:
        return []
    return [s for s in pd.unique(frame["standard"].astype(object)) if isinstance(s, str) and s]


# --------------------------------------------------------------------------- hourly
def station_hourly(readings: pd.DataFrame) -> pd.DataFrame:
    """Hourly values and AQI per station: series, time, pollutants, hourly_aqi columns."""
    wide = wide_hourly(readings, ["station_code"]).rename(columns={"station_code": "series"})
    if wide.empty:
        return _empty_hourly()
    wide["time"] = pd.to_datetime(wide["time"], utc=True)
    return pd.concat([wide, hourly_aqi(wide)], axis=1)


def district_hourly(readings: pd.DataFrame, stations: pd.DataFrame) -> pd.DataFrame:
    """The district's hourly values (mean concentrations of its group) and their AQI."""
    group, _ = district_group(stations)
    flags = stations.assign(in_district=stations["code"].isin(group))
    frame = district_hourly_aqi(readings, flags)
    if frame.empty:
        return _empty_hourly()
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    return frame.assign(series=DISTRICT)


def _empty_hourly() -> pd.DataFrame:
    return pd.DataFrame({
        "series": pd.Series(dtype=object), "time": pd.Series(dtype="datetime64[us, UTC]"),
        **{p: pd.Series(dtype=float) for p in HOURLY_POLLUTANTS},
        "aqi": pd.Series(dtype="Int64"), "category": pd.Series(dtype="Int64"),
        "primary_pollutants": pd.Series(dtype=object), "standard": pd.Series(dtype=object),
    })


# --------------------------------------------------------------------------- daily
def _with_daily_aqi(daily: pd.DataFrame) -> pd.DataFrame:
    daily = evaluation.round_concentrations(daily).reset_index(drop=True)
    if daily.empty:
        return daily.assign(**{c: pd.Series(dtype=object) for c in AQI_COLUMNS})
    return pd.concat([daily, daily_aqi(daily)], axis=1)


def station_daily(hourly: pd.DataFrame) -> pd.DataFrame:
    """HJ 663 daily values and HJ 633 daily AQI per station (series, date, values, AQI)."""
    if hourly.empty:
        return _with_daily_aqi(pd.DataFrame(columns=["series", "date", *evaluation.DAILY_COLUMNS]))
    values = evaluation.daily_values(hourly, station="series", time="time")
    return _with_daily_aqi(values)


def district_daily(daily: pd.DataFrame, stations: pd.DataFrame) -> pd.DataFrame:
    """The district's daily values (mean of its stations' daily values) and daily AQI."""
    group, _ = district_group(stations)
    if daily.empty or not group:
        return _with_daily_aqi(pd.DataFrame(columns=["series", "date", *evaluation.DAILY_COLUMNS]))
    means = evaluation.group_mean(
        daily, {code: DISTRICT for code in group}, background=stations.loc[stations["is_background"], "code"],
        station="series", keys=("date",), columns=list(evaluation.DAILY_COLUMNS),
    ).rename(columns={"group": "series"})
    return _with_daily_aqi(means)


# --------------------------------------------------------------------------- monthly
def monthly_statistics(daily: pd.DataFrame) -> pd.DataFrame:
    """Per series and month: HJ 663 statistics, 综合指数 with sub-indices and shares, good days.

    Columns: series, period, SO2 … O3_8h_p90, n_*, required_days, valid, I_*, composite,
    share_*, n_valid, n_good, good_share, month (first day, Timestamp).
    """
    if daily.empty:
        return pd.DataFrame(columns=["series", "period", "month", "composite", "good_share", "valid"])
    stats = evaluation.period_stats(daily, freq="M", by="series")
    stats = pd.concat([stats, evaluation.composite_index(stats)], axis=1)
    good = evaluation.good_days(daily[daily["aqi"].notna()].assign(aqi=lambda d: d["aqi"].astype(float)),
                                freq="M", by="series")
    out = stats.merge(good, on=["series", "period"], how="left")
    out["n_valid"] = out["n_valid"].fillna(0).astype(int)
    out["n_good"] = out["n_good"].fillna(0).astype(int)
    out["month"] = out["period"].dt.to_timestamp()
    return out


def good_day_summary(daily: pd.DataFrame, series: str, start: dt.date, end: dt.date) -> dict:
    """Good days, valid days, share and PM2.5 mean of one series over ``start..end``."""
    rows = daily[(daily["series"] == series) & (daily["date"] >= pd.Timestamp(start))
                 & (daily["date"] <= pd.Timestamp(end))]
    aqi = rows["aqi"].astype(float).dropna()
    n_valid = len(aqi)
    n_good = int((aqi <= 100).sum())
    pm25 = rows["PM2.5"].astype(float).mean()
    return {
        "n_valid": n_valid,
        "n_good": n_good,
        "good_share": n_good / n_valid if n_valid else np.nan,
        "pm25": float(pm25) if pd.notna(pm25) else np.nan,
    }


# --------------------------------------------------------------------------- values of a choice
@dataclass(frozen=True)
class Measure:
    """How a pollutant choice is shown at a resolution."""

    choice: str  # "AQI" or a pollutant
    column: str  # column of the hourly / daily frame
    indicator: str | None  # breakpoint table (aqi.BREAKPOINTS); None for the AQI itself
    limit: float | None  # GB 3095-2012 grade II limit for this averaging time
    limit_kind: str | None  # "24h", "8h", "1h" or "24h_ref" (a 24h limit shown on hourly PM)
    resolution: str


def measure(choice: str, res: str) -> Measure:
    if choice not in CHOICES:
        raise ValueError(f"unknown pollutant {choice!r}; expected one of {CHOICES}")
    if choice == "AQI":
        return Measure("AQI", "aqi", None, None, None, res)
    if res == "hourly":
        if choice in ("PM2.5", "PM10"):
            return Measure(choice, choice, f"{choice}_24h", evaluation.LIMITS_24H[choice], "24h_ref", res)
        return Measure(choice, choice, f"{choice}_1h", LIMITS_1H[choice], "1h", res)
    if choice == "O3":
        return Measure(choice, "O3_8h", "O3_8h", evaluation.LIMITS_24H["O3_8h"], "8h", res)
    return Measure(choice, choice, f"{choice}_24h", evaluation.LIMITS_24H[choice], "24h", res)


def category_bands(m: Measure, standard: str = STANDARD_2012) -> list[tuple[float, float | None, int]]:
    """(low, high, category level) bands of a measure: AQI ranges or the IAQI breakpoints.

    The last band is open (high None) when its table ends at IAQI 500 or earlier.
    """
    if m.indicator is None:
        edges = list(IAQI_LEVELS[:6])  # 0 50 100 150 200 300 -> six categories
    else:
        edges = list(BREAKPOINTS[standard][m.indicator][:6])
    bands = []
    for level in range(1, len(CATEGORIES) + 1):
        if level - 1 >= len(edges):
            break
        low = edges[level - 1]
        high = edges[level] if level < len(edges) else None
        bands.append((float(low), None if high is None else float(high), level))
    return bands


def series_frame(data: AirData, choice: str, series: list[str]) -> tuple[pd.DataFrame, Measure]:
    """The time series of ``choice`` for ``series`` over the page's period, at its resolution.

    Columns: series, x (naive Beijing time or date), value, aqi, category, primary_pollutants,
    standard.
    """
    m = measure(choice, data.resolution)
    source = data.hourly_view if m.resolution == "hourly" else data.daily_view
    rows = source[source["series"].isin(series)]
    if m.resolution == "hourly":
        x = beijing_naive(rows["time"])
    else:
        x = pd.to_datetime(rows["date"])
    out = pd.DataFrame({
        "series": rows["series"].to_numpy(),
        "x": x.to_numpy(),
        "value": pd.to_numeric(rows[m.column], errors="coerce").astype(float).to_numpy(),
        "aqi": rows["aqi"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
        "category": rows["category"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
        "primary_pollutants": rows["primary_pollutants"].astype(object).fillna("").to_numpy(),
        "standard": rows["standard"].astype(object).to_numpy(),
    })
    return out.sort_values(["series", "x"]).reset_index(drop=True), m


# --------------------------------------------------------------------------- profiles
def profiles(hourly: pd.DataFrame, choice: str, series: list[str]) -> pd.DataFrame:
    """Diurnal and weekday profiles (openair's timeVariation): mean and 95 % confidence band.

    Hours are the *start* of the averaged hour in Beijing time (0 = 00:00–01:00), weekdays
    0 = Monday. Columns: series, kind ("hour" / "weekday"), x, mean, low, high, n.
    """
    column = "aqi" if choice == "AQI" else choice
    rows = hourly[hourly["series"].isin(series)]
    start = beijing_naive(rows["time"]) - pd.Timedelta(hours=1)
    frame = pd.DataFrame({
        "series": rows["series"].to_numpy(),
        "hour": start.dt.hour.to_numpy(),
        "weekday": start.dt.day_of_week.to_numpy(),
        "value": pd.to_numeric(rows[column], errors="coerce").astype(float).to_numpy(),
    }).dropna(subset=["value"])
    parts = []
    for kind in ("hour", "weekday"):
        g = frame.groupby(["series", kind])["value"]
        stats = g.agg(["mean", "std", "count"]).reset_index().rename(columns={kind: "x", "count": "n"})
        half = 1.96 * stats["std"].fillna(0) / np.sqrt(stats["n"].clip(lower=1))
        stats["low"] = stats["mean"] - half
        stats["high"] = stats["mean"] + half
        parts.append(stats.assign(kind=kind).drop(columns="std"))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return out[["series", "kind", "x", "mean", "low", "high", "n"]]


# --------------------------------------------------------------------------- comparison, map
def station_comparison(daily: pd.DataFrame, choice: str, stations: pd.DataFrame) -> pd.DataFrame:
    """Daily values of ``choice`` at every station over the period (for box plots).

    Columns: series, name, is_background, date, value; stations ordered by median, highest first.
    """
    m = measure(choice, "daily")
    rows = daily[daily["series"] != DISTRICT]
    out = pd.DataFrame({
        "series": rows["series"].to_numpy(),
        "date": pd.to_datetime(rows["date"]).to_numpy(),
        "value": pd.to_numeric(rows[m.column], errors="coerce").astype(float).to_numpy(),
    }).dropna(subset=["value"])
    info = stations.set_index("code")
    out["name"] = out["series"].map(info["name"]).fillna(out["series"]).astype(object)
    out["is_background"] = out["series"].map(info["is_background"]).fillna(False).astype(bool)
    order = out.groupby("series")["value"].median().sort_values(ascending=False).index
    out["series"] = pd.Categorical(out["series"], categories=list(order), ordered=True)
    out = out.sort_values(["series", "date"]).reset_index(drop=True)
    out["series"] = out["series"].astype(object)
    return out


def latest_station_aqi(hourly: pd.DataFrame, stations: pd.DataFrame) -> pd.DataFrame:
    """Each station's last hour with an AQI in the period, with its place: for the map.

    Stations without an AQI in the period are kept (aqi NaN) so the map still shows them.
    """
    rows = hourly[(hourly["series"] != DISTRICT) & hourly["aqi"].notna()].sort_values("time")
    last = rows.groupby("series", as_index=False).tail(1).set_index("series")
    out = stations[["code", "name", "longitude", "latitude", "is_background", "in_district"]].copy()
    out["time"] = out["code"].map(last["time"]) if not last.empty else pd.NaT
    for col in ("aqi", "category"):
        out[col] = (out["code"].map(last[col].astype(float)) if not last.empty else np.nan).astype(float)
    out["primary_pollutants"] = (out["code"].map(last["primary_pollutants"]) if not last.empty else "")
    out["primary_pollutants"] = out["primary_pollutants"].astype(object).fillna("")
    out["standard"] = out["code"].map(last["standard"]) if not last.empty else ""
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- the page's data
@dataclass(frozen=True)
class AirData:
    """Everything the air page draws for a period, computed on whole months and sliced."""

    start: dt.date
    end: dt.date
    resolution: str
    stations: pd.DataFrame
    district_codes: tuple[str, ...]
    district_fallback: bool
    hourly: pd.DataFrame  # whole months, stations and district (``build_air_data`` only)
    daily: pd.DataFrame  # whole months
    monthly_frame: pd.DataFrame | None  # whole months; None: ``monthly_loader`` computes them when asked
    alerts: pd.DataFrame  # overlapping the period
    # From the database (``load_air_data``): ``hourly`` is empty; the period's hours come from
    # ``hourly_loader`` when a view asks, the map's from ``latest_loader``: only the views that
    # draw them read them (the year's targets, a daily series and the calendar never do).
    hourly_loader: Callable[..., pd.DataFrame] | None = None
    latest_loader: Callable[[], pd.DataFrame] | None = None
    newest_day: dt.date | None = None
    # Only the monthly tab draws monthly statistics (the year's targets and the briefing read
    # this data for its days): computed on the first ask, cached like the daily rows.
    monthly_loader: Callable[[], pd.DataFrame] | None = None

    @property
    def monthly(self) -> pd.DataFrame:
        if self.monthly_frame is not None:
            return self.monthly_frame
        if self.monthly_loader is not None:
            return self.monthly_loader()
        return monthly_statistics(self.daily)

    @property
    def hourly_view(self) -> pd.DataFrame:
        if self.hourly_loader is not None:
            return self.hourly_loader()
        lo, hi = period_bounds(self.start, self.end)
        t = self.hourly["time"]
        return self.hourly[(t > lo) & (t <= hi)]

    def profile_hours(self, choice: str, series: list[str]) -> pd.DataFrame:
        """The period's hours the profiles of ``choice`` for ``series`` need: over a period shown
        daily only those stations (the group's for the district) and that pollutant (all six for
        the AQI) are read, so a year's diurnal profile reads a year of one pollutant, not of all;
        a period shown hourly has read all its hours for the series already."""
        if self.hourly_loader is None or self.resolution == "hourly":
            return self.hourly_view
        codes = set(series) - {DISTRICT}
        if DISTRICT in series:
            codes |= set(self.district_codes)
        pollutants = tuple(HOURLY_POLLUTANTS) if choice == "AQI" else (choice,)
        return self.hourly_loader(tuple(sorted(codes)), pollutants)

    @property
    def recent_hourly_view(self) -> pd.DataFrame:
        """Hours enough for each station's last AQI of the period (the map)."""
        return self.latest_loader() if self.latest_loader is not None else self.hourly_view

    @property
    def daily_view(self) -> pd.DataFrame:
        d = pd.to_datetime(self.daily["date"])
        return self.daily[(d >= pd.Timestamp(self.start)) & (d <= pd.Timestamp(self.end))]

    @property
    def last_day(self) -> dt.date | None:
        """The last Beijing day with any reading in the loaded months."""
        if self.hourly_loader is not None:
            return self.newest_day
        if self.hourly.empty:
            return None
        return evaluation.day_of_hour(self.hourly["time"].iloc[[self.hourly["time"].argmax()]]).iloc[0].date()

    @property
    def empty(self) -> bool:
        if self.hourly_loader is not None:  # a day with any reading has a daily row
            return self.daily_view.empty
        return self.hourly_view.empty

    def series_names(self, district_label: str) -> dict[str, str]:
        names = dict(zip(self.stations["code"], self.stations["name"]))
        return {DISTRICT: district_label, **names}

    @property
    def crosses_reference_change(self) -> bool:
        lo, hi = period_bounds(self.start, self.end)
        return lo < REFERENCE_STATE_CHANGE <= hi

    @property
    def crosses_standard_switch(self) -> bool:
        lo, hi = period_bounds(self.start, self.end)
        return lo < SWITCH_DATE <= hi


@dataclass(frozen=True)
class _Computed:
    stations: pd.DataFrame
    district_codes: tuple[str, ...]
    district_fallback: bool
    hourly: pd.DataFrame
    daily: pd.DataFrame
    monthly: pd.DataFrame
    alerts: pd.DataFrame


def stations_with_data(stations: pd.DataFrame, readings: pd.DataFrame) -> pd.DataFrame:
    """The district's stations and every station with readings (a national station list holds
    ~1 600 stations; the page lists, maps and compares only those that have data)."""
    keep = stations["in_district"].astype(bool) | stations["code"].isin(readings["station_code"].unique())
    return stations[keep].reset_index(drop=True)


def compute(readings: pd.DataFrame, stations: pd.DataFrame, alerts: pd.DataFrame) -> _Computed:
    """All derived frames from long readings (pure; what the cache stores)."""
    stations = stations_with_data(stations, readings)
    group, fallback = district_group(stations)
    s_hourly = station_hourly(readings)
    d_hourly = district_hourly(readings, stations)
    hourly = pd.concat([s_hourly, d_hourly[s_hourly.columns]], ignore_index=True) if not d_hourly.empty else s_hourly
    s_daily = station_daily(s_hourly)
    d_daily = district_daily(s_daily, stations)
    daily = pd.concat([s_daily, d_daily[s_daily.columns]], ignore_index=True) if not d_daily.empty else s_daily
    monthly = monthly_statistics(daily)
    return _Computed(stations, tuple(group), fallback, hourly, daily, monthly, alerts)


def _from_computed(c: _Computed, start: dt.date, end: dt.date) -> AirData:
    lo, hi = period_bounds(start, end)
    alerts = c.alerts
    if not alerts.empty:
        ends = alerts["ends_at"].fillna(pd.Timestamp(hi))
        alerts = alerts[(alerts["starts_at"] <= pd.Timestamp(hi)) & (ends >= pd.Timestamp(lo))]
    return AirData(start, end, resolution(start, end), c.stations, c.district_codes, c.district_fallback,
                   c.hourly, c.daily, c.monthly, alerts.reset_index(drop=True))


def build_air_data(readings: pd.DataFrame, stations: pd.DataFrame, alerts: pd.DataFrame,
                   start: dt.date, end: dt.date) -> AirData:
    """The page's data from frames (no database): readings should cover whole months."""
    return _from_computed(compute(readings, stations, alerts), start, end)


def from_readings(database_url: str, start: dt.date, end: dt.date) -> AirData:
    """The page's data recomputed from the hourly readings of the period's whole months (no
    cache): the definition ``load_air_data`` must agree with."""
    if end < start:
        start, end = end, start
    lo, hi = period_bounds(*month_span(start, end))
    with read_scope(database_url) as session:
        stations = store.stations(session)
        readings = store.hourly_readings(session, lo, hi)
        alerts = store.alerts_between(session, lo, hi)
    return build_air_data(readings, stations, alerts, start, end)


def from_daily_rows(rows: pd.DataFrame, stations: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, tuple, bool]:
    """``air_daily`` rows -> (stations with data, the daily frame ``compute`` gives, district
    codes, fallback): the AQI columns are recomputed from the stored values (milliseconds) so
    the frame is the same, column for column."""
    keep = stations["in_district"].astype(bool) | stations["code"].isin(rows["series"].unique())
    stations = stations[keep].reset_index(drop=True)
    group, fallback = district_group(stations)
    values = rows[["series", "date", *evaluation.DAILY_COLUMNS]]
    parts = [values[values["series"] != DISTRICT], values[values["series"] == DISTRICT]]
    daily = pd.concat([_with_daily_aqi(p) for p in parts if not p.empty] or [_with_daily_aqi(values)],
                      ignore_index=True)
    return stations, daily, tuple(group), fallback


def _hours(readings: pd.DataFrame, stations: pd.DataFrame) -> pd.DataFrame:
    s_hourly = station_hourly(readings)
    d_hourly = district_hourly(readings, stations)
    return pd.concat([s_hourly, d_hourly[s_hourly.columns]], ignore_index=True) if not d_hourly.empty else s_hourly


@lru_cache(maxsize=4)
def _period_hours(database_url: str, start: dt.date, end: dt.date, version: int,
                  codes: tuple[str, ...] | None = None, pollutants: tuple[str, ...] | None = None) -> pd.DataFrame:
    """A period's hourly frame (stations and district; of ``codes`` and ``pollutants`` only
    when given), for the views that draw hours."""
    lo, hi = period_bounds(start, end)
    with read_scope(database_url) as session:
        stations = store.stations(session)
        readings = store.hourly_readings(session, lo, hi, codes, pollutants)
    return _hours(readings, stations_with_data(stations, readings))


def _latest_hours(session, stations: pd.DataFrame, lo: dt.datetime, hi: dt.datetime) -> pd.DataFrame:
    """Each station's hours within ``LATEST_WINDOW`` of its last reading of ``(lo, hi]``."""
    last = daily_store.last_reading_times(session, lo, hi, HOURLY_POLLUTANTS)
    if not last:
        return _empty_hourly()
    parts, newest = [], max(last.values())
    near = [c for c, t in last.items() if t > newest - LATEST_WINDOW]
    # The pollutants named: the readings' key is (station, pollutant, time), so SQLite seeks
    # each station's window instead of scanning the station's five years (0.35 s).
    parts.append(store.hourly_readings(session, newest - 2 * LATEST_WINDOW, newest, near, HOURLY_POLLUTANTS))
    for code, t in last.items():  # stations that stopped reporting earlier in the period
        if code not in near:
            parts.append(store.hourly_readings(session, t - LATEST_WINDOW, t, [code], HOURLY_POLLUTANTS))
    return station_hourly(pd.concat(parts, ignore_index=True))


@dataclass(frozen=True)
class _Daily:
    stations: pd.DataFrame
    district_codes: tuple[str, ...]
    district_fallback: bool
    daily: pd.DataFrame
    alerts: pd.DataFrame
    newest_day: dt.date | None


@lru_cache(maxsize=CACHE_SIZE)
def _cached_daily(database_url: str, first: dt.date, last: dt.date, version: int) -> _Daily:
    lo, hi = period_bounds(first, last)
    with read_scope(database_url) as session:
        stations, daily, group, fallback = from_daily_rows(daily_store.read(session, first, last),
                                                           store.stations(session))
        alerts = store.alerts_between(session, lo, hi)
        span = daily_store.reading_span(session, lo, hi)
    newest = None if span is None else evaluation.day_of_hour(pd.Series([pd.Timestamp(span[1])])).iloc[0].date()
    return _Daily(stations, group, fallback, daily, alerts, newest)


@lru_cache(maxsize=CACHE_SIZE)
def _cached_monthly(database_url: str, first: dt.date, last: dt.date, version: int) -> pd.DataFrame:
    return monthly_statistics(_cached_daily(database_url, first, last, version).daily)


@lru_cache(maxsize=CACHE_SIZE)
def _cached_latest(database_url: str, start: dt.date, end: dt.date, version: int) -> pd.DataFrame:
    lo, hi = period_bounds(start, end)
    with read_scope(database_url) as session:
        return _latest_hours(session, store.stations(session), lo, hi)


def _from_daily(database_url: str, c: _Daily, first: dt.date, last: dt.date, start: dt.date, end: dt.date,
                version: int) -> AirData:
    lo, hi = period_bounds(start, end)
    alerts = c.alerts
    if not alerts.empty:
        ends = alerts["ends_at"].fillna(pd.Timestamp(hi))
        alerts = alerts[(alerts["starts_at"] <= pd.Timestamp(hi)) & (ends >= pd.Timestamp(lo))]
    return AirData(start, end, resolution(start, end), c.stations, c.district_codes, c.district_fallback,
                   _empty_hourly(), c.daily, None, alerts.reset_index(drop=True),
                   hourly_loader=lambda codes=None, pollutants=None: _period_hours(
                       database_url, start, end, version, codes, pollutants),
                   latest_loader=lambda: _cached_latest(database_url, start, end, version), newest_day=c.newest_day,
                   monthly_loader=lambda: _cached_monthly(database_url, first, last, version))


def data_version(database_url: str) -> int:
    """The air data version stored in the database (bumped by every write of readings,
    stations or alerts): what every cache of air figures keys on."""
    with read_scope(database_url) as session:
        return daily_store.version(session)


def load_air_data(database_url: str, start: dt.date, end: dt.date) -> AirData:
    """The page's data for Beijing days ``start..end`` (daily rows of its whole months, hours
    when a view asks), from the caches when nothing changed."""
    if end < start:
        start, end = end, start
    first, last = month_span(start, end)
    version = data_version(database_url)
    return _from_daily(database_url, _cached_daily(database_url, first, last, version), first, last, start, end,
                       version)


def daily_frame(database_url: str, first: dt.date, last: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily rows (stations and district, ``compute``'s columns) of the whole months around
    ``first..last`` and the stations, from ``air_daily``, cached on the data version."""
    first, last = month_span(first, last)
    c = _cached_daily(database_url, first, last, data_version(database_url))
    return c.daily, c.stations


def targets(session) -> dict[str, float]:
    """The campaign targets in force (defaults where none are stored)."""
    return store.targets(session)


def newest_reading_day(session, tz) -> dt.date | None:
    """The Beijing day of the newest stored reading (hour labels end their hour: 00:00 is the
    previous day's last), or None without readings."""
    from dashboard.store.overview import latest_reading_time

    newest = latest_reading_time(session, dt.datetime.max.replace(tzinfo=dt.UTC))
    if newest is None:
        return None
    return (pd.Timestamp(newest) - pd.Timedelta(hours=1)).tz_convert(TIMEZONE).date()


def days_with_readings(session, days, tz: str, codes: list[str] | None = None) -> set[dt.date]:
    """Which of ``days`` (local days in ``tz``) already hold readings (of each of ``codes``)."""
    return readings_store.days_with_readings(session, days, tz, codes)


def station_codes(session) -> set[str]:
    return set(readings_store.station_ids(session))


def readings_between(session, start: dt.datetime | None, end: dt.datetime | None,
                     codes: list[str] | None = None) -> pd.DataFrame:
    """Readings (long: station_code, time, pollutant, value) with hour labels in [start, end]."""
    return readings_store.readings_frame(session, start, end, codes)
