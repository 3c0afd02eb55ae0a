"""What the district is made of, for the admin tabs and for any page that names the district:
its name, townships, responsible units, stations and what its station group's figure would be."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.orm import Session

from dashboard.analytics.overview import LOOKBACK, district_hourly_aqi
from dashboard.domain.district import DISTRICT_NAME_KEY
from dashboard.store import air as air_store
from dashboard.store import district as store
from dashboard.store import sites as sites_store


def district_name(session: Session) -> str:
    """The district's name as an admin set it (e.g. 二七区), or "" when none is set."""
    return store.get_setting(session, DISTRICT_NAME_KEY) or ""


def townships(session: Session) -> pd.DataFrame:
    """Every township in display order: id, code, name, name_en, kind, position, active, sites,
    active_sites, users."""
    return store.townships_table(session)


def township_choices(session: Session, keep: int | None = None) -> pd.DataFrame:
    """The townships a form for a new record offers (id, name, name_en, active): those in use,
    plus ``keep`` (the township a record being edited already has, even if retired)."""
    frame = sites_store.townships(session)
    return frame[frame["active"] | (frame["id"] == keep)].reset_index(drop=True)


def units(session: Session) -> pd.DataFrame:
    """Every responsible unit: id, name, name_en, kind, township_id, township_active, items."""
    return store.units_table(session)


def retired_unit_ids(session: Session) -> set[int]:
    """Units of retired townships: kept on their records, not offered for new ones."""
    return store.retired_township_unit_ids(session)


def stations(session: Session) -> pd.DataFrame:
    """Every station: code, name, city, longitude, latitude, is_background, in_district and
    latest (UTC time of its latest reading, NaT without any)."""
    return store.station_table(session)


@dataclass(frozen=True)
class GroupFigure:
    """The district's hourly AQI as a group of stations gives it, at the group's latest hour."""

    time: dt.datetime
    aqi: int
    category: int
    primary_pollutants: str
    standard: str
    reporting: int  # stations of the group with readings in that hour


def group_figure(session: Session, codes: list[str]) -> GroupFigure | None:
    """What the district figure is with ``codes`` as the group (background stations already
    left out): the AQI of the mean concentrations at the latest hour any of them reported, as
    the home page computes it. None when they have no readings."""
    if not codes:
        return None
    latest = store.latest_reading(session, codes)
    if latest is None:
        return None
    readings = air_store.hourly_readings(session, latest - LOOKBACK, latest, station_codes=codes)
    flags = pd.DataFrame({"code": codes, "in_district": True, "is_background": False})
    hours = district_hourly_aqi(readings, flags)
    hours = hours[hours["aqi"].notna()] if not hours.empty else hours
    if hours.empty:
        return None
    last = hours.sort_values("time").iloc[-1]
    reporting = readings.loc[readings["time"] == last["time"], "station_code"].nunique()
    return GroupFigure(pd.Timestamp(last["time"]).to_pydatetime(), int(last["aqi"]), int(last["category"]),
                       str(last["primary_pollutants"] or ""), str(last["standard"] or ""), int(reporting))
