"""Sites nearest first, for an inspector standing on one ("附近工地 / Near me").

The browser gives its position in WGS-84. Sites are stored in WGS-84 too: ``domain.sites``
converts what was entered in GCJ-02 or BD-09 when the site is saved and keeps ``coord_system``
only to show the coordinates as entered. So distances use the stored values as they are;
converting them again by ``coord_system`` would move a GCJ-02 or BD-09 site by a few hundred
metres, enough to put the wrong site first.

Which site to choose for the inspector (``site_to_preselect``): the nearest, only when the
choice is not a guess. A wrong preselection records an inspection against another site, which
costs more than the one tap on the top option of a list that is already ordered nearest first.
So it takes a fix good to ``NEAR_M``, the nearest site within ``NEAR_M`` and no other site that
close (two adjacent sites are the inspector's call, not ours).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from dashboard.domain.coords import distance_km

#: An inspector "at" a site: the usual size of a construction site, and what a phone's GPS
#: resolves outdoors with room to spare.
NEAR_M = 200.0


@dataclass(frozen=True)
class Position:
    """A WGS-84 fix from the browser; ``accuracy_m`` is its 95% radius, None when not given."""

    lon: float
    lat: float
    accuracy_m: float | None = None


def position_from(value: object) -> Position | None:
    """The position a page stored ({"lon", "lat", "accuracy"}), or None for anything else (no
    fix yet, an error code, values no browser reports)."""
    if not isinstance(value, dict):
        return None
    lon, lat, accuracy = (_number(value.get(k)) for k in ("lon", "lat", "accuracy"))
    if lon is None or lat is None or not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        return None
    if value.get("accuracy") is not None and (accuracy is None or accuracy < 0):
        return None
    return Position(lon, lat, accuracy)


def _number(value: object) -> float | None:
    """A finite JSON number as float; None for anything else (a flag, text, NaN)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def by_distance(sites: pd.DataFrame, here: Position) -> pd.DataFrame:
    """``sites`` (with WGS-84 ``longitude`` and ``latitude``) nearest first, with ``distance_m``.

    Sites without coordinates come last with a missing distance; equal distances keep the
    order given (the list's usual township-then-code order), so the result is repeatable.
    """
    distances = [
        distance_km(here.lon, here.lat, float(lon), float(lat)) * 1000.0
        if pd.notna(lon) and pd.notna(lat) else math.nan
        for lon, lat in zip(sites["longitude"], sites["latitude"], strict=True)
    ]
    out = sites.assign(distance_m=pd.Series(distances, index=sites.index, dtype="float64"))
    return out.sort_values("distance_m", kind="stable", na_position="last")


def site_to_preselect(ordered: pd.DataFrame, here: Position) -> int | None:
    """The id of the site the inspector is standing at, from ``by_distance``'s result, or None
    when that would be a guess (see the module's note)."""
    if here.accuracy_m is not None and here.accuracy_m > NEAR_M:
        return None
    near = ordered[ordered["distance_m"] <= NEAR_M]
    if len(near) != 1:
        return None
    return int(near["id"].iloc[0])
