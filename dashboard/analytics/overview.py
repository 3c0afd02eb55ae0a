"""The home page's numbers: sites by township, latest AQI per station and for the district,
the ledger's open and overdue items, and the alert in force."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy.orm import Session

from dashboard.domain.aqi import hourly_aqi
from dashboard.store import air, clock, overview

HOURLY_POLLUTANTS = ["PM2.5", "PM10", "O3", "NO2", "SO2", "CO"]
# How far back the home page looks for each station's latest published hour.
LOOKBACK = dt.timedelta(hours=24)


@dataclass(frozen=True)
class AlertInfo:
    level: str
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    active: bool


@dataclass(frozen=True)
class Overview:
    today: dt.date
    now: dt.datetime
    sites: pd.DataFrame
    station_aqi: pd.DataFrame
    district_aqi: pd.Series | None
    ledger: dict[str, int]
    alert: AlertInfo | None


def wide_hourly(readings: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Long readings → one row per ``keys`` + time, a column per pollutant."""
    if readings.empty:
        return pd.DataFrame(columns=[*keys, "time", *HOURLY_POLLUTANTS])
    wide = readings.pivot_table(index=[*keys, "time"], columns="pollutant", values="value", aggfunc="first")
    return wide.reindex(columns=HOURLY_POLLUTANTS).reset_index()


def latest_station_aqi(readings: pd.DataFrame, stations: pd.DataFrame) -> pd.DataFrame:
    """Each station's latest hour with an AQI, with the AQI record and the station's name."""
    wide = wide_hourly(readings, ["station_code"])
    if wide.empty:
        return pd.DataFrame(columns=["station_code", "name", "time", "aqi", "category", "primary_pollutants",
                                     "standard"])
    wide = pd.concat([wide, hourly_aqi(wide)], axis=1)
    wide = wide[wide["aqi"].notna()].sort_values("time")
    latest = wide.groupby("station_code", as_index=False).tail(1)
    latest = latest.merge(
        stations[["code", "name", "is_background", "in_district"]],
        left_on="station_code",
        right_on="code",
        how="left",
    )
    return latest.sort_values("station_code").reset_index(drop=True)


def district_hourly_aqi(readings: pd.DataFrame, stations: pd.DataFrame) -> pd.DataFrame:
    """The district's hourly AQI: the AQI of the mean concentration over its stations.

    Like a city figure, the district averages concentrations over its station group (excluding
    background sites) and then indexes the means; averaging station AQIs would be wrong.
    """
    group = stations.loc[stations["in_district"] & ~stations["is_background"], "code"]
    subset = readings[readings["station_code"].isin(group)]
    if subset.empty:
        return pd.DataFrame(columns=["time", "aqi"])
    means = subset.groupby(["time", "pollutant"])["value"].mean().unstack("pollutant")
    means = means.reindex(columns=HOURLY_POLLUTANTS)
    # Platform convention: concentrations are published as integers (CO to 0.1 mg/m³).
    means = means.round({p: 0 for p in HOURLY_POLLUTANTS if p != "CO"} | {"CO": 1}).reset_index()
    return pd.concat([means, hourly_aqi(means)], axis=1)


def build_overview(session: Session, tz: ZoneInfo) -> Overview:
    now = clock.now(session, tz)
    today = clock.today(session, tz)
    stations = air.stations(session)
    latest_time = overview.latest_reading_time(session, now)
    station_aqi = pd.DataFrame()
    district = None
    if latest_time is not None:
        readings = air.hourly_readings(session, latest_time - LOOKBACK, latest_time)
        station_aqi = latest_station_aqi(readings, stations)
        district_hours = district_hourly_aqi(readings, stations)
        district_hours = district_hours[district_hours["aqi"].notna()]
        if not district_hours.empty:
            district = district_hours.sort_values("time").iloc[-1]
    alert = overview.alert_at(session, now)
    active = alert is not None
    if alert is None:
        alert = overview.latest_alert(session, now)
    alert_info = (
        AlertInfo(alert.level, alert.starts_at, alert.ends_at, active) if alert is not None else None
    )
    return Overview(
        today=today,
        now=now,
        sites=overview.sites_by_township(session),
        station_aqi=station_aqi,
        district_aqi=district,
        ledger=overview.ledger_counts(session, today),
        alert=alert_info,
    )
