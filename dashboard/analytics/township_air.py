"""PLACEHOLDER until the ``township-stations`` branch lands: that branch owns this module (the
stations assigned to each township, kept in the database) and its version replaces this one
when merged. Only the interface is meant to survive: ``station_assignment`` and
``township_daily``.

Until then a township is given the non-background station nearest to the middle of its sites,
so that /analysis has something honest to show on the demo; nothing else should rely on it.
"""

from __future__ import annotations

import math

import pandas as pd
from sqlalchemy.orm import Session

from dashboard.analytics import air
from dashboard.store import air as air_store
from dashboard.store import sites as site_store


def station_assignment(session: Session) -> dict[int, list[str]]:
    """township_id -> the station codes whose mean is the township's air."""
    stations = air_store.stations(session)
    stations = stations[~stations["is_background"] & stations["longitude"].notna() & stations["latitude"].notna()]
    sites = site_store.sites_frame(session).dropna(subset=["longitude", "latitude"])
    if stations.empty or sites.empty:
        return {}
    out: dict[int, list[str]] = {}
    for township_id, part in sites.groupby("township_id"):
        lon, lat = float(part["longitude"].mean()), float(part["latitude"].mean())
        scale = math.cos(math.radians(lat))
        dist = ((stations["longitude"] - lon) * scale) ** 2 + (stations["latitude"] - lat) ** 2
        out[int(township_id)] = [str(stations.loc[dist.idxmin(), "code"])]
    return out


def township_daily(daily: pd.DataFrame, assignment: dict[int, list[str]]) -> pd.DataFrame:
    """Daily values and AQI per township (``series`` = township_id), each the mean of its stations'
    daily values, built as the district's are (``analytics.air.district_daily``)."""
    parts = []
    for township_id, codes in assignment.items():
        group = pd.DataFrame({"code": codes, "is_background": False, "in_district": True})
        frame = air.district_daily(daily, group)
        if not frame.empty:
            parts.append(frame.assign(series=township_id))
    if not parts:
        return daily.iloc[0:0].copy()
    return pd.concat(parts, ignore_index=True)
