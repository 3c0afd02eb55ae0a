"""A township's air: the mean of the stations that speak for it.

Which stations: the stored rows of ``township_stations`` (an admin's choice, or a recompute's
result), else the stations the rule of ``domain.township_stations`` computes on the fly from the
active sites' and the stations' coordinates, so a new district works without any action.

Series. ``township_daily`` returns the frame of ``analytics.meetings.daily_frame`` with one
series per township named ``township_series(id)`` = ``"township:<id>"``: station codes are
digits and a letter (1316A) and the district is ``"district"``, so the names never collide;
``township_id_of`` reads the id back.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy.orm import Session

from dashboard.analytics import air
from dashboard.domain import township_stations as rule
from dashboard.store import district as district_store
from dashboard.store import township_stations as store

SERIES_PREFIX = "township:"


def township_series(township_id: int) -> str:
    """The ``series`` value of a township in ``township_daily``'s frame."""
    return f"{SERIES_PREFIX}{township_id}"


def township_id_of(series: str) -> int | None:
    """The township id of a ``series`` value, None for a station or the district."""
    if not isinstance(series, str) or not series.startswith(SERIES_PREFIX):
        return None
    rest = series[len(SERIES_PREFIX):]
    return int(rest) if rest.isdigit() else None


# --------------------------------------------------------------------------- the assignment
def computed_assignment(session: Session) -> dict[int, rule.Computed]:
    """The rule's result for every township with active sites that have coordinates."""
    points = [s.point for s in store.stations(session)]
    return rule.compute_assignment(store.site_points(session), points)


def station_assignment(session: Session) -> dict[int, list[str]]:
    """Township id → its station codes: the stored rows, else the computed stations; only
    townships that have at least one station."""
    stored: dict[int, list[str]] = {}
    for row in store.stored_rows(session):
        stored.setdefault(row.township_id, []).append(row.station_code)
    out = {tid: sorted(codes) for tid, codes in stored.items()}
    for tid, result in computed_assignment(session).items():
        if tid not in out and result.stations:
            out[tid] = list(result.stations)
    return dict(sorted(out.items()))


@dataclass(frozen=True)
class TownshipStations:
    """One township's row of the admin table."""

    township_id: int
    name: str
    name_en: str
    active: bool
    active_sites: int
    located_sites: int  # active sites with coordinates: the ones the rule counts
    stations: tuple[str, ...]  # what the township's air is made of now
    distances: dict[str, float | None]  # mean km from the counted sites to each of them
    source: str  # "admin" | "computed" (stored) | "live" (computed on the fly, nothing stored) | "none"
    set_at: object  # UTC datetime of the stored rows, None when live
    set_by: str
    computed: tuple[str, ...]  # what the rule gives today
    reason: str | None  # why the rule gives nothing: "no_sites", rule.NO_STATIONS, rule.TOO_FAR
    token: str  # fingerprint of the stored rows, sent back with a save


def assignment_table(session: Session) -> tuple[list[TownshipStations], dict[str, store.StationInfo]]:
    """Every township (display order) with its stations, and the stations by code."""
    infos = {s.code: s for s in store.stations(session)}
    sites = rule.counted_sites(store.site_points(session))
    computed = rule.compute_assignment([p for own in sites.values() for p in own],
                                       [s.point for s in infos.values()])
    stored: dict[int, list[store.StoredRow]] = {}
    for row in store.stored_rows(session):
        stored.setdefault(row.township_id, []).append(row)
    out = []
    for tw in district_store.townships_table(session).itertuples():
        tid = int(tw.id)
        rows = stored.get(tid, [])
        result = computed.get(tid)
        if rows:
            codes = tuple(r.station_code for r in rows)
            source = rule.ADMIN if any(r.source == rule.ADMIN for r in rows) else rule.COMPUTED
            set_at, set_by = max(r.set_at for r in rows), rows[0].set_by
        else:
            codes = result.stations if result is not None else ()
            source, set_at, set_by = ("live" if codes else "none"), None, ""
        own = sites.get(tid, [])
        out.append(TownshipStations(
            township_id=tid, name=str(tw.name), name_en=str(tw.name_en), active=bool(tw.active),
            active_sites=int(tw.active_sites), located_sites=len(own), stations=codes,
            distances={c: rule.mean_distance_km(own, infos[c].point if c in infos else None) for c in codes},
            source=source, set_at=set_at, set_by=set_by,
            computed=result.stations if result is not None else (),
            reason=(result.reason if result is not None else "no_sites"),
            token=rule.assignment_token((r.station_code, r.source, r.set_at) for r in rows),
        ))
    return out, infos


# --------------------------------------------------------------------------- daily air
def township_daily(daily: pd.DataFrame, assignment: dict[int, list[str]]) -> pd.DataFrame:
    """Daily values and daily AQI per township, in the shape of ``meetings.daily_frame``.

    ``daily``: the per-station frame (``series`` = station code; rows of other series, such as
    the district, are ignored). Each township's daily value of a pollutant is the mean of its
    stations' daily values that day (stations without a value that day are skipped), and its
    AQI is worked out from those means exactly as the district's (``air.district_daily``).
    ``series`` is ``township_series(id)``. Townships whose stations have no rows are absent.
    """
    frames = []
    # Neighbouring townships often share their stations: each set of stations is averaged once.
    by_stations: dict[tuple[str, ...], pd.DataFrame] = {}
    for township_id, codes in sorted(assignment.items()):
        if not codes:
            continue
        key = tuple(sorted(codes))
        if key not in by_stations:
            # The stations as a district group of their own: same means, same rounding, same AQI.
            group = pd.DataFrame({"code": list(key), "in_district": True, "is_background": False})
            by_stations[key] = air.district_daily(daily, group)
        means = by_stations[key]
        if not means.empty:
            frames.append(means.assign(series=township_series(township_id)))
    if not frames:
        return daily.iloc[0:0].copy()
    out = pd.concat([f[[c for c in daily.columns if c in f.columns]] for f in frames], ignore_index=True)
    if "date" in daily.columns:
        out["date"] = out["date"].astype(daily["date"].dtype)
    return out.reset_index(drop=True)


def station_options(session: Session, township_id: int,
                    keep: tuple[str, ...] = ()) -> list[tuple[str, str, float | None]]:
    """The stations an admin may choose for a township: (code, name, mean km from its counted
    sites or None), nearest first. Background stations are never offered. With a national list
    only the cities that matter are offered: those of the district's group and of any station
    that speaks for a township; ``keep`` (the township's current stations) always is."""
    infos = store.stations(session)
    own = rule.counted_sites(store.site_points(session)).get(township_id, [])
    used = set(keep)
    for codes in station_assignment(session).values():
        used |= set(codes)
    cities = {s.city for s in infos if s.in_district or s.code in used}
    pool = [s for s in infos if not s.is_background and (s.city in cities or not cities)]
    pool += [s for s in infos if s.code in keep and s not in pool]
    ranked = [(s.code, s.name, rule.mean_distance_km(own, s.point)) for s in pool]
    ranked.sort(key=lambda o: (o[2] is None, o[2] or 0.0, o[0]))
    return ranked[:OPTIONS_MAX] + [o for o in ranked[OPTIONS_MAX:] if o[0] in keep]


#: A choice list longer than this is a national list nobody scrolls.
OPTIONS_MAX = 200
