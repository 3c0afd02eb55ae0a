"""Which monitoring stations speak for a township's air (乡镇（街道）代表站点).

A township's air is the mean of its assigned stations (``analytics.township_air``). The
assignment is computed from coordinates unless an admin chose the stations.

The computed rule, as a district engineer checks it by hand on a map:

1. Sites: the township's **active** construction sites that have coordinates (WGS-84, as
   stored). Suspended and completed sites do not count: the township's dust comes from where
   work goes on now. A township without such a site gets **no computed station**.
2. Candidate stations: every station with coordinates that is **not a background station**
   (对照点, ``is_background``): a background site is chosen to be far from sources and is left
   out of every mean. Whether a station is in the district's group (``in_district``) does not
   matter: a city station just across the boundary may be the nearest to a border township.
3. Each site votes for its nearest candidate (great-circle distance; equal distances go to the
   smaller code, so the result never depends on order). A site farther than
   ``MAX_DISTANCE_KM`` from every candidate does not vote: a station that far says nothing about
   the site (typically only another city's stations have been imported).
4. The township takes the station with the most votes; stations tied for the most votes are all
   taken (its air is then their mean). Votes rather than the sites' centroid: a township's
   centroid can fall in fields between two clusters of sites, nearest to a station neither
   cluster is near.

The distance shown for a township's station is the mean distance from the township's counted
sites to it, for the computed and the admin's choice alike.

Stored assignments. Recomputing stores the rule's result for every township except those whose
stations an admin set: an admin's choice survives every recompute until the admin resets that
township to the computed stations (``recompute_plan``).
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dashboard.domain.coords import distance_km
from dashboard.domain.district import Issue

COMPUTED = "computed"
ADMIN = "admin"
SOURCES = (COMPUTED, ADMIN)
#: Beyond this a station does not speak for a site (Zhengzhou's urban stations are 3–10 km
#: apart; its outer townships are within 15 km of one).
MAX_DISTANCE_KM = 20.0
#: An admin's choice: a township's air from more stations than this is the city's, not its own.
MAX_STATIONS = 10
#: Why a township with located sites has no computed station.
NO_STATIONS = "no_stations"  # no candidate station at all (none with coordinates, or all background)
TOO_FAR = "too_far"  # every candidate is farther than MAX_DISTANCE_KM from each of its sites


@dataclass(frozen=True)
class SitePoint:
    township_id: int
    status: str
    longitude: float | None
    latitude: float | None


@dataclass(frozen=True)
class StationPoint:
    code: str
    longitude: float | None
    latitude: float | None
    is_background: bool = False


@dataclass(frozen=True)
class Computed:
    """The rule's result for one township that has active sites with coordinates."""

    township_id: int
    stations: tuple[str, ...]  # empty when ``reason`` says why
    sites: int  # active sites with coordinates
    votes: dict[str, int] = field(default_factory=dict)
    reason: str | None = None


def _located(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _xy(point: SitePoint | StationPoint) -> tuple[float, float]:
    if point.longitude is None or point.latitude is None:
        raise ValueError("a point without coordinates")
    return point.longitude, point.latitude


def _km(a: SitePoint | StationPoint, b: SitePoint | StationPoint) -> float:
    return distance_km(*_xy(a), *_xy(b))


def counted_sites(sites: Iterable[SitePoint]) -> dict[int, list[SitePoint]]:
    """Township id → its active sites with coordinates (the sites the rule counts)."""
    out: dict[int, list[SitePoint]] = {}
    for site in sites:
        if site.status == "active" and _located(site.longitude) and _located(site.latitude):
            out.setdefault(site.township_id, []).append(site)
    return out


def candidates(stations: Iterable[StationPoint]) -> list[StationPoint]:
    """Stations that may speak for a township: with coordinates, not background; by code."""
    return sorted((s for s in stations if not s.is_background and _located(s.longitude) and _located(s.latitude)),
                  key=lambda s: s.code)


def nearest(site: SitePoint, stations: list[StationPoint],
            max_km: float = MAX_DISTANCE_KM) -> tuple[str, float] | None:
    """(code, km) of the candidate nearest to ``site`` within ``max_km``; ties to the smaller code."""
    best: tuple[float, str] | None = None
    for station in stations:
        km = _km(site, station)
        if km <= max_km and (best is None or (km, station.code) < best):
            best = (km, station.code)
    return (best[1], best[0]) if best is not None else None


def compute_assignment(sites: Iterable[SitePoint], stations: Iterable[StationPoint],
                       max_km: float = MAX_DISTANCE_KM) -> dict[int, Computed]:
    """The computed stations of every township with active located sites (see the module's rule)."""
    pool = candidates(stations)
    out: dict[int, Computed] = {}
    for township_id, own in sorted(counted_sites(sites).items()):
        if not pool:
            out[township_id] = Computed(township_id, (), len(own), {}, NO_STATIONS)
            continue
        votes = Counter(hit[0] for site in own if (hit := nearest(site, pool, max_km)) is not None)
        if not votes:
            out[township_id] = Computed(township_id, (), len(own), {}, TOO_FAR)
            continue
        top = max(votes.values())
        chosen = tuple(sorted(code for code, n in votes.items() if n == top))
        out[township_id] = Computed(township_id, chosen, len(own), dict(sorted(votes.items())))
    return out


def mean_distance_km(sites: list[SitePoint], station: StationPoint | None) -> float | None:
    """Mean distance from ``sites`` (located) to ``station``; None without both."""
    if station is None or not sites or not (_located(station.longitude) and _located(station.latitude)):
        return None
    return sum(_km(s, station) for s in sites) / len(sites)


def check_choice(codes: Any, known: set[str], background: set[str]) -> tuple[list[str], list[Issue]]:
    """An admin's stations for one township: the codes (deduplicated, in the order given) or the
    issues. At least one (to go back to the computed stations, reset instead), at most
    ``MAX_STATIONS``, each a known station and none a background station."""
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        return [], [Issue("stations", "district.error.not_text")]
    chosen = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
    if not chosen:
        return [], [Issue("stations", "township_stations.error.none")]
    issues = []
    if len(chosen) > MAX_STATIONS:
        issues.append(Issue("stations", "township_stations.error.too_many", {"limit": MAX_STATIONS}))
    unknown = [c for c in chosen if c not in known]
    if unknown:
        issues.append(Issue("stations", "district.error.unknown_stations",
                            {"codes": ", ".join(c[:16] for c in unknown[:10]), "n": len(unknown)}))
    excluded = [c for c in chosen if c in background]
    if excluded:
        issues.append(Issue("stations", "township_stations.error.background", {"codes": ", ".join(excluded[:10])}))
    return (chosen, []) if not issues else ([], issues)


def assignment_token(rows: Iterable[tuple[str, str, Any]]) -> str:
    """A short fingerprint of a township's stored rows (code, source, set_at): a page sends back
    the one it showed, and a save is refused when the stored rows no longer match it. No rows
    (computed on the fly) have a fingerprint too."""
    text = "|".join(sorted(f"{code}:{source}:{at.isoformat() if hasattr(at, 'isoformat') else at}"
                           for code, source, at in rows))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def recompute_plan(stored: dict[int, list[tuple[str, str]]],
                   computed: dict[int, Computed]) -> dict[int, tuple[str, ...]]:
    """What a recompute writes: township id → its computed stations (empty: remove its rows).

    ``stored``: township id → its stored (code, source) rows. A township with any row an admin
    set is left alone; one whose stored computed rows already match is left alone too; a township
    whose rule now gives nothing loses its stale computed rows.
    """
    plan: dict[int, tuple[str, ...]] = {}
    for township_id in sorted(set(stored) | set(computed)):
        rows = stored.get(township_id, [])
        if any(source == ADMIN for _code, source in rows):
            continue
        result = computed.get(township_id)
        wanted = result.stations if result is not None else ()
        if tuple(sorted(code for code, _source in rows)) != tuple(sorted(wanted)):
            plan[township_id] = wanted
    return plan
