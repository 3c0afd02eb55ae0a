"""Is a photo evidence of this inspection? Where and when it was taken, against the site and time.

A photo is flagged ``far`` when its GPS position is more than ``max_distance_m`` from the site,
and ``off_time`` when it was taken more than ``max_hours`` before or after the inspection: a
picture from another site, or last week's picture of this one, proves nothing about today.
A photo without a position or a time is not flagged (many phones strip the position when the
user turned location off); the page says what is missing instead, so the reader can judge.

A site's coordinates are stored as WGS-84 (``domain.sites`` converts what was typed in GCJ-02 or
BD-09), and EXIF GPS is WGS-84, so the two compare directly.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from dashboard.domain.coords import distance_km


@dataclass(frozen=True)
class PhotoRules:
    """How far from the site (metres) and from the inspection time (hours) a photo may be taken."""

    max_distance_m: int = 500
    max_hours: int = 24

    @classmethod
    def from_overrides(cls, overrides: object) -> PhotoRules:
        """Defaults with the valid entries of ``overrides``; anything else is ignored, so a bad
        stored value never breaks a page."""
        if not isinstance(overrides, dict):
            return cls()
        changes: dict[str, Any] = {}
        for name, (low, high) in PHOTO_BOUNDS.items():
            value = overrides.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high \
                    and value == int(value):
                changes[name] = int(value)
        return cls(**changes)

    def as_dict(self) -> dict[str, int]:
        return {"max_distance_m": self.max_distance_m, "max_hours": self.max_hours}


#: 50 m is about what a phone's GPS can tell apart in a city; 50 km is the far side of a district.
#: One hour up to a month: a re-inspection photo is sometimes taken the evening before.
PHOTO_BOUNDS: dict[str, tuple[int, int]] = {"max_distance_m": (50, 50_000), "max_hours": (1, 720)}


@dataclass(frozen=True)
class PhotoCheck:
    """One photo against its inspection. None: not known (no EXIF value, no site position)."""

    distance_m: float | None
    hours_off: float | None
    far: bool
    off_time: bool
    no_location: bool  # the photo carries no GPS position
    no_time: bool  # the photo carries no time


def check_photo(*, taken_at: dt.datetime | None, latitude: float | None, longitude: float | None,
                site_position: tuple[float, float] | None, inspected_at: dt.datetime | None,
                rules: PhotoRules) -> PhotoCheck:
    """Flag a photo taken too far from the site or too long before or after the inspection.

    ``site_position`` is the site's WGS-84 (longitude, latitude); ``taken_at`` and
    ``inspected_at`` are timezone-aware.
    """
    has_position = latitude is not None and longitude is not None \
        and math.isfinite(latitude) and math.isfinite(longitude)
    distance_m = None
    if has_position and site_position is not None:
        assert latitude is not None and longitude is not None
        distance_m = distance_km(site_position[0], site_position[1], longitude, latitude) * 1000
    hours_off = None
    if taken_at is not None and inspected_at is not None:
        hours_off = abs((taken_at - inspected_at).total_seconds()) / 3600
    return PhotoCheck(
        distance_m=distance_m,
        hours_off=hours_off,
        far=distance_m is not None and distance_m > rules.max_distance_m,
        off_time=hours_off is not None and hours_off > rules.max_hours,
        no_location=not has_position,
        no_time=taken_at is None,
    )
