"""Frames of the site dust views: a site's PM10 beside its inspections and its nearest national
station (the site page's 扬尘监测 section), and the district's sites ranked by PM10 above their
stations, on a map and by monitor health (/dust).

Which hours. The app's "now" is ``clock.now`` (a demo database pins it to the end of its day).
A site's window ends at that moment, or at the site's newest reading when one is newer: frames
from a live monitor (``hj212 simulate`` against the demo) carry the real time, later than a pinned
day, and must still show. The district page's window ends at the app's "now": its ranking
compares with the national stations, which have nothing after it. A monitor's latest PM10 (the
map) is its newest valid value, whenever it came. Health follows
``domain.site_dust_rules`` (its "Two clocks").

Values. Only N-flagged values count. A site's hour is the device's own hourly value (CN 2061),
or the mean of its minute or real-time values in an hour it has not sent (the hour still
running); a site with several monitors has the mean of theirs. A national station's hour is
labelled by its end (CNEMC), a monitor's by its start (HJ 212): station hour H is site hour H−1.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy.orm import Session

from dashboard.domain import site_dust_rules as rules
from dashboard.domain import township_stations as station_rule
from dashboard.store import air as air_store
from dashboard.store import clock
from dashboard.store import compliance as compliance_store
from dashboard.store import district as district_store
from dashboard.store import site_dust_reads as store
from dashboard.store import township_stations as station_store

PM10, PM25, TSP = "a34002", "a34004", "a34001"
WIND_SPEED, WIND_DIRECTION = "a01007", "a01008"
#: The windows a user picks, in hours.
WINDOWS = {"24h": 24, "7d": 7 * 24, "30d": 30 * 24}
DEFAULT_WINDOW = "7d"
#: The last hours of a site's window are also drawn at the finest resolution the monitor sent.
FINE_HOURS = 24
FINE_CNS = (store.REALTIME, store.MINUTE)
HOUR = dt.timedelta(hours=1)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(value) -> dt.datetime | None:
    # NaT is a datetime too: a monitor never seen must not pass for one seen at no time.
    if value is None or pd.isna(value):
        return None
    stamp = pd.Timestamp(value)
    return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")).to_pydatetime()


# --------------------------------------------------------------------------- health
HEALTH_COLUMNS = [*store.MONITOR_COLUMNS, "latest_time", "latest_pm10", "stuck_run", "abnormal_share",
                  "silent_minutes", "status"]


def _finest(kinds: set[int]) -> int:
    for cn in (store.REALTIME, store.MINUTE, store.HOURLY):
        if cn in kinds:
            return cn
    return store.HOURLY


def latest_pm10(session: Session, monitor_ids: list[int]) -> pd.DataFrame:
    """monitor_id, latest_time (UTC), latest_pm10: each monitor's newest valid PM10, the finest
    kind when several share that time."""
    rows = store.latest_valid(session, monitor_ids, PM10)
    rows = rows.sort_values(["monitor_id", "cn"]).drop_duplicates("monitor_id")
    return pd.DataFrame({"monitor_id": rows["monitor_id"].to_numpy(), "latest_time": rows["data_time"].to_numpy(),
                         "latest_pm10": rows["value"].to_numpy()})


def health(session: Session, monitors: pd.DataFrame, app_now: dt.datetime, wall_now: dt.datetime,
           limits: rules.DustLimits) -> pd.DataFrame:
    """Every monitor of ``monitors`` (``store.monitors_frame``) with its latest valid PM10, the
    run of identical newest PM10 values, the share of non-N PM10 values of the last
    ``HEALTH_HOURS`` (None without values), minutes since it was last seen and its status."""
    out = monitors.copy()
    ids = [int(i) for i in out["monitor_id"]]
    latest = latest_pm10(session, ids)
    out = out.merge(latest, on="monitor_id", how="left")
    refs = {int(r.monitor_id): rules.reference_time(app_now, wall_now, _utc(r.last_seen_at))
            for r in out.itertuples()}
    since = min(refs.values(), default=app_now) - dt.timedelta(hours=rules.HEALTH_HOURS)
    kinds = store.kinds_of(session, ids, since)
    recent = store.values(session, ids, [PM10], (store.REALTIME, store.MINUTE, store.HOURLY), since,
                          max([*refs.values(), wall_now]) + dt.timedelta(days=2))
    stuck, shares, silent, statuses = [], [], [], []
    for row in out.itertuples():
        mid = int(row.monitor_id)
        finest = _finest(kinds.get(mid, set()))
        newest = store.newest_of_kind(session, [mid], PM10, finest, limits.stuck_count)
        run = rules.trailing_run(newest["value"].tolist())
        own = recent[(recent["monitor_id"] == mid) & (recent["cn"] == finest)
                     & (recent["data_time"] >= refs[mid] - dt.timedelta(hours=rules.HEALTH_HOURS))]
        share = float((own["flag"] != rules.VALID_FLAG).mean()) if len(own) else None
        seen = _utc(row.last_seen_at)
        stuck.append(run)
        shares.append(share)
        silent.append((refs[mid] - seen).total_seconds() / 60 if seen is not None else None)
        statuses.append(rules.monitor_status(active=bool(row.active), last_seen=seen, app_now=app_now,
                                             wall_now=wall_now, limits=limits, stuck_run=run, abnormal_share=share))
    out["stuck_run"] = pd.Series(stuck, index=out.index, dtype="int64")
    out["abnormal_share"] = pd.Series(shares, index=out.index, dtype="float64")
    out["silent_minutes"] = pd.Series(silent, index=out.index, dtype="float64")
    out["status"] = pd.Series(statuses, index=out.index, dtype="str")
    return out[HEALTH_COLUMNS]


# --------------------------------------------------------------------------- hours
def site_hourly(session: Session, monitors: pd.DataFrame, pollutant: str, first: dt.datetime,
                last: dt.datetime) -> pd.DataFrame:
    """key (site id), hour (UTC start), value, source, n: each site's hourly ``pollutant``."""
    ids = [int(i) for i in monitors["monitor_id"]]
    site_of = dict(zip(monitors["monitor_id"].astype(int), monitors["site_id"].astype(int), strict=True))
    hourly = store.values(session, ids, [pollutant], [store.HOURLY], first, last)
    # Minute data only where the device's own hours stop (the hour still running, or a logger
    # that sends no hours): a month of minutes would be 40,000 rows a monitor. A lost hourly
    # frame in the middle of the window stays a gap.
    fine_from = first
    if not hourly.empty and set(hourly["monitor_id"]) == set(ids):
        newest_hours = hourly.groupby("monitor_id")["data_time"].max()
        fine_from = max(first, min(newest_hours.min().to_pydatetime() + HOUR, last - dt.timedelta(hours=FINE_HOURS)))
    fine = store.values(session, ids, [pollutant], FINE_CNS, fine_from, last)
    per_monitor = rules.hourly_from_parts(hourly.rename(columns={"monitor_id": "key"}),
                                          fine.rename(columns={"monitor_id": "key"}))
    per_monitor["key"] = per_monitor["key"].map(site_of)
    return (per_monitor.groupby(["key", "hour"], as_index=False)
            .agg(value=("value", "mean"), source=("source", "first"), n=("n", "sum")))


def nearest_stations(session: Session, sites: pd.DataFrame) -> dict[int, tuple[str, str, float]]:
    """Site id → (code, name, km) of its nearest national station (background stations left
    out, none farther than ``domain.township_stations.MAX_DISTANCE_KM``), as the township rule
    finds a site's station. Sites' coordinates are stored in WGS-84, as the stations'."""
    infos = station_store.stations(session)
    pool = station_rule.candidates(s.point for s in infos)
    names = {s.code: s.name for s in infos}
    out = {}
    for row in sites.drop_duplicates("site_id").itertuples():
        if pd.isna(row.longitude) or pd.isna(row.latitude):
            continue
        point = station_rule.SitePoint(int(row.township_id), "active", float(row.longitude), float(row.latitude))
        hit = station_rule.nearest(point, pool)
        if hit is not None:
            out[int(row.site_id)] = (hit[0], names.get(hit[0], hit[0]), hit[1])
    return out


def station_hourly(session: Session, codes: list[str], first: dt.datetime, last: dt.datetime) -> pd.DataFrame:
    """station_code, hour (UTC start, as HJ 212 labels it), value: the stations' PM10."""
    if not codes:
        return pd.DataFrame({"station_code": pd.Series(dtype=str), "hour": pd.Series(dtype="datetime64[us, UTC]"),
                             "value": pd.Series(dtype=float)})
    frame = air_store.hourly_readings(session, first, last + HOUR, codes, ["PM10"])
    return pd.DataFrame({"station_code": frame["station_code"], "hour": frame["time"] - pd.Timedelta(hours=1),
                         "value": frame["value"]}).dropna()


# --------------------------------------------------------------------------- one site
def has_monitor(session: Session, site_id: int) -> bool:
    """Whether a monitor was ever registered at the site (a removed one keeps its readings)."""
    return store.has_monitor(session, site_id)


@dataclass(frozen=True)
class SiteDust:
    """What the site page's 扬尘监测 section shows."""

    monitors: pd.DataFrame  # HEALTH_COLUMNS of the site's monitors
    status: str  # the site's: its best monitor's (online beats the rest)
    window: str
    start: dt.datetime
    end: dt.datetime
    hourly: pd.DataFrame  # hour (UTC start), value, source
    fine: pd.DataFrame  # data_time, value: valid minute / real-time PM10 of the window's last FINE_HOURS
    station: tuple[str, str, float] | None  # code, name, km
    station_hourly: pd.DataFrame  # hour, value
    inspections: pd.DataFrame  # inspected_at, kind, n_fail, failed (item labels, "、"-joined)
    wind: pd.DataFrame  # domain.site_dust_rules.wind_rose_bins
    wind_count: int
    latest: dict[str, Any] | None  # value, time (UTC)
    excess: float | None
    excess_hours: int


STATUS_RANK = {s: i for i, s in enumerate(("online", "abnormal", "stuck", "offline", "never", "removed"))}


def site_dust(session: Session, site_id: int, tz: ZoneInfo, window: str = DEFAULT_WINDOW,
              wall_now: dt.datetime | None = None, lang: str = "zh") -> SiteDust | None:
    """The site's dust monitoring over ``window`` (a ``WINDOWS`` key), or None when the site has
    no monitor."""
    monitors = store.monitors_frame(session, site_id)
    if monitors.empty:
        return None
    window = window if window in WINDOWS else DEFAULT_WINDOW
    wall_now = wall_now or _utc_now()
    app_now = clock.now(session, tz).astimezone(dt.UTC)
    limits = store.dust_limits(session)
    states = health(session, monitors, app_now, wall_now, limits)
    ids = [int(i) for i in monitors["monitor_id"]]
    newest = max(store.latest_times(session, ids).values(), default=None)
    end = max(app_now, newest) if newest is not None else app_now
    start = end - dt.timedelta(hours=WINDOWS[window])
    hourly = site_hourly(session, monitors, PM10, start, end)
    fine = store.values(session, ids, [PM10], FINE_CNS, end - dt.timedelta(hours=FINE_HOURS), end)
    fine = fine[fine["flag"] == rules.VALID_FLAG].groupby("data_time", as_index=False)["value"].mean()
    station = nearest_stations(session, monitors).get(site_id)
    stations = station_hourly(session, [station[0]] if station else [], start, end)
    # Only whole hours compare: the running hour's mean of a few minutes is no match for the station's.
    whole = hourly[hourly["hour"] + HOUR <= end].set_index("hour")["value"]
    mean_excess, hours = rules.excess(whole, stations.set_index("hour")["value"])
    latest_row = states.dropna(subset=["latest_time"]).sort_values("latest_time").tail(1)
    latest = ({"value": float(latest_row["latest_pm10"].iloc[0]), "time": _utc(latest_row["latest_time"].iloc[0])}
              if not latest_row.empty else None)
    status = min(states["status"], key=lambda s: STATUS_RANK.get(s, 99))
    return SiteDust(
        monitors=states, status=status, window=window, start=start, end=end,
        hourly=hourly[["hour", "value", "source"]].reset_index(drop=True),
        fine=fine.reset_index(drop=True), station=station, station_hourly=stations[["hour", "value"]],
        inspections=_inspections(session, site_id, start, end, tz, lang),
        **_wind(session, ids, start, end), latest=latest, excess=mean_excess, excess_hours=hours,
    )


def _inspections(session: Session, site_id: int, start: dt.datetime, end: dt.datetime, tz: ZoneInfo,
                 lang: str) -> pd.DataFrame:
    first, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    frame = compliance_store.inspections_frame(session, first, last, tz, site_id=site_id)
    results = compliance_store.results_frame(session, first, last, tz, site_id=site_id)
    labels = compliance_store.item_labels(session).set_index("key")["label" if lang == "zh" else "label_en"]
    failed = (results[results["result"] == "fail"].groupby("inspection_id")["item_key"]
              .agg(lambda keys: ("、" if lang == "zh" else "; ").join(str(labels.get(k, k)) for k in keys)))
    frame = frame[(pd.to_datetime(frame["inspected_at"], utc=True) >= start)
                  & (pd.to_datetime(frame["inspected_at"], utc=True) <= end)]
    return pd.DataFrame({
        "inspected_at": pd.to_datetime(frame["inspected_at"], utc=True).to_numpy(),
        "kind": frame["kind"].astype(str).to_numpy(),
        "n_fail": frame["n_fail"].fillna(0).astype(int).to_numpy(),
        "failed": [failed.get(i, "") for i in frame["inspection_id"]],
    })


def _wind(session: Session, ids: list[int], start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """The rose's bins from the devices' hourly wind (a direction averaged as a vector by the
    logger), or from minute data when no hour of wind was sent; valid pairs only."""
    for cns in ((store.HOURLY,), FINE_CNS):
        frame = store.values(session, ids, [WIND_DIRECTION, WIND_SPEED], cns, start, end)
        frame = frame[frame["flag"] == rules.VALID_FLAG]
        pairs = frame.pivot_table(index=["monitor_id", "data_time", "cn"], columns="pollutant", values="value",
                                  aggfunc="first")
        if WIND_DIRECTION in pairs and WIND_SPEED in pairs:
            pairs = pairs.dropna(subset=[WIND_DIRECTION, WIND_SPEED])
            if len(pairs):
                return {"wind": rules.wind_rose_bins(pairs[WIND_DIRECTION], pairs[WIND_SPEED]),
                        "wind_count": int(len(pairs))}
    return {"wind": rules.wind_rose_bins([], []), "wind_count": 0}


# --------------------------------------------------------------------------- the district
@dataclass(frozen=True)
class DistrictDust:
    start: dt.datetime
    end: dt.datetime
    window: str
    limits: rules.DustLimits
    ranking: pd.DataFrame  # RANKING_COLUMNS, most excess first
    places: pd.DataFrame  # site_id, code, name, township, longitude, latitude, latest_pm10, latest_time, status
    health: pd.DataFrame  # HEALTH_COLUMNS + township
    monitors: int


RANKING_COLUMNS = ["rank", "site_id", "code", "name", "township", "station_code", "station_name", "km", "site_mean",
                   "station_mean", "excess", "hours"]


def district_dust(session: Session, tz: ZoneInfo, window: str = DEFAULT_WINDOW, township_id: int | None = None,
                  wall_now: dt.datetime | None = None, lang: str = "zh") -> DistrictDust:
    """Every site with a monitor (of one township, or all): ranked by PM10 above its nearest
    station over the window, placed with its latest PM10, and each monitor's health."""
    window = window if window in WINDOWS else DEFAULT_WINDOW
    wall_now = wall_now or _utc_now()
    end = clock.now(session, tz).astimezone(dt.UTC)
    start = end - dt.timedelta(hours=WINDOWS[window])
    limits = store.dust_limits(session)
    monitors = store.monitors_frame(session)
    if township_id is not None:
        monitors = monitors[monitors["township_id"] == township_id]
    names = district_store.townships_table(session)
    township = dict(zip(names["id"].astype(int), names["name" if lang == "zh" else "name_en"].astype(str),
                        strict=True))
    states = health(session, monitors, end, wall_now, limits)
    states["township"] = states["township_id"].map(township).fillna("")
    active = monitors[monitors["active"]]
    hourly = site_hourly(session, active, PM10, start, end)
    hourly = hourly[hourly["hour"] + HOUR <= end]
    nearest = nearest_stations(session, active)
    stations = station_hourly(session, sorted({v[0] for v in nearest.values()}), start, end)
    rows = []
    for site in active.drop_duplicates("site_id").itertuples():
        sid = int(site.site_id)
        own = hourly[hourly["key"] == sid].set_index("hour")["value"]
        near = nearest.get(sid)
        theirs = (stations[stations["station_code"] == near[0]].set_index("hour")["value"]
                  if near else pd.Series(dtype=float))
        both = own.index.intersection(theirs.index)
        value, hours = rules.excess(own, theirs)
        rows.append({"site_id": sid, "code": site.site_code, "name": site.site_name,
                     "township": township.get(int(site.township_id), ""),
                     "station_code": near[0] if near else "", "station_name": near[1] if near else "",
                     "km": near[2] if near else None,
                     "site_mean": float(own.loc[both].mean()) if hours else None,
                     "station_mean": float(theirs.loc[both].mean()) if hours else None,
                     "excess": value, "hours": hours})
    ranking = pd.DataFrame(rows, columns=RANKING_COLUMNS[1:])
    ranking = ranking.sort_values(["excess", "code"], ascending=[False, True], na_position="last")
    ranking.insert(0, "rank", range(1, len(ranking) + 1))
    ranking.loc[ranking["excess"].isna(), "rank"] = None
    best = (states[states["active"]].assign(order=states["status"].map(STATUS_RANK))
            .sort_values(["site_id", "order", "latest_time"], ascending=[True, True, False], na_position="last")
            .drop_duplicates("site_id"))
    places = pd.DataFrame({
        "site_id": best["site_id"], "code": best["site_code"], "name": best["site_name"],
        "township": best["township"], "longitude": best["longitude"], "latitude": best["latitude"],
        "latest_pm10": best["latest_pm10"], "latest_time": best["latest_time"], "status": best["status"],
    }).reset_index(drop=True)
    return DistrictDust(start=start, end=end, window=window, limits=limits, ranking=ranking.reset_index(drop=True),
                        places=places, health=states.reset_index(drop=True), monitors=int(len(monitors)))


def townships(session: Session, lang: str = "zh") -> list[tuple[int, str]]:
    """(id, name) of townships that have a site with a monitor, in display order."""
    monitors = store.monitors_frame(session)
    present = set(monitors["township_id"].astype(int))
    names = district_store.townships_table(session)
    column = "name" if lang == "zh" else "name_en"
    return [(int(r.id), str(getattr(r, column)) or str(r.name)) for r in names.itertuples() if int(r.id) in present]


def monitor_list(session: Session, tz: ZoneInfo, wall_now: dt.datetime | None = None) -> pd.DataFrame:
    """Every monitor with its health, for the admin tab."""
    monitors = store.monitors_frame(session)
    app_now = clock.now(session, tz).astimezone(dt.UTC)
    return health(session, monitors, app_now, wall_now or _utc_now(), store.dust_limits(session))


def sites_for_monitors(session: Session) -> list[tuple[int, str, str]]:
    """Active sites (id, code, name) where a monitor may go."""
    return store.active_sites(session)
