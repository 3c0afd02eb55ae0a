"""Build a database at five-year scale, reproducibly (issue 14, part 1).

    python benchmarks/make_scale_data.py [--database-url URL] [--from 2021-01-01] [--to 2025-12-11]
        [--sites 500] [--seed 14] [--out-dir DIR] [--replace]

What it builds, from the demo district's organisation (townships, units, checklist versions):

- 12 Zhengzhou stations (the demo's 9 and 3471A, 3590A, 3591A) with every pollutant hourly over the
  span, written as CNEMC daily files ``china_sites_YYYYMMDD.csv`` (the 15-type layout of the real
  files: hourly values, running 24 h means, O3 8 h, AQI) into ``--out-dir`` and imported by
  ``python -m dashboard import cnemc DIR`` in its own process: the real import path is what the
  "readings" stage measures;
- heavy-pollution alerts each winter (loaded with the organisation through
  ``store.demo_load.load_demo``, the demo's own loader, as no service writes alerts);
- ``--sites`` sites (``domain.sites.validate_site`` + ``store.sites.create_site``) that start and
  finish over the span, completed ones through ``store.sites.update_site``;
- weekly inspections of every active site through ``services.inspections.record`` (the form's and
  the Excel import's save: rectifications opened and closed, plates re-rated, audited), with the
  dashboard's clock pinned to each day as the simulation walks through time;
- about one dispatch meeting a week (~250 over five years) through ``domain.meeting_record.check``
  + ``store.meetings.create_meeting`` with the frozen air quality of ``analytics.meetings``, about
  12 ledger lines each (~3,000), moved through in_progress / done / verified by
  ``domain.ledger.check_transition`` + ``store.ledger.apply_status`` (some late, some never done).

Everything is drawn from ``--seed``: the same arguments build the same rows. Refuses a database
that already holds a district unless ``--replace``. Prints the counts and each stage's time.

Measured on the project's 2-core machine, SQLite, 2026-11-28 (other work running): the small
build ``--from 2025-10-01 --sites 60`` takes 19 s (import cnemc 3.3 s for 72 files, 122,777
values; 581 inspections, 9 meetings, 110 ledger lines in 15 s: about 25 ms an inspection through
``record``), 21 MiB.

The full five-year build (defaults; 2026-11-28 15:49-17:04 UTC, machine very busy: load average
8-14 on 2 cores most of the time) took 4,522 s: CNEMC files 15.4 s (1,806 files), import cnemc
80.1 s (3,078,582 values), the simulation 4,426 s (2-7 inspections a second while the machine was
busiest, far more once it calmed). It built 500 sites (380 completed), 28,611 inspections
(228,888 item results, 10,682 rectifications, 7,361 plate changes), 219 meetings, 2,627 ledger
lines with 7,195 status changes (16,564 ledger changes), 15 alerts and 31,136 audit entries:
430.7 MiB. It is kept, read-only, as ``/work/scale-cache/sqlite-5y/925c50779128.db`` (the key
``benchmarks/pages.py`` computes for the builder's code and default arguments). Where the time
goes (cProfile of ``--from 2025-09-01 --sites 60``): 60 % in ``services.inspections.record``, most
of it ``services.rectifications.apply_inspection`` (``_reconcile`` reads each item's history,
~8 queries an item), and 30 % in ``analytics.meetings.compute_air_quality`` (6 s a meeting at that
load); the builder itself is negligible, so it gets faster only as those write paths do.

PostgreSQL (15, local, fsync off): a small build (``--from 2025-11-15 --sites 20``) completes
unchanged (25.6 s). The full build's import cnemc took 910.7 s there (3,078,582 values; 11x the
SQLite import, same load), and the simulation was stopped: at these rates it would not finish
within the session.

A re-run with ``--replace`` builds the same rows; the audit log (which the demo loader keeps)
grows by the new entries.
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.random import PCG64, Generator, SeedSequence
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard.analytics.meetings import compute_air_quality  # noqa: E402
from dashboard.demo import generate as demo  # noqa: E402
from dashboard.domain import ledger as ledger_rules  # noqa: E402
from dashboard.domain import meeting_record  # noqa: E402
from dashboard.domain.aqi import iaqi  # noqa: E402
from dashboard.domain.inspection import ItemEntry  # noqa: E402
from dashboard.domain.meeting_record import AccountabilityInput, ActionInput, MeetingInput, ProblemInput  # noqa: E402
from dashboard.domain.sites import validate_site  # noqa: E402
from dashboard.services.access import Actor  # noqa: E402
from dashboard.services.inspections import record  # noqa: E402
from dashboard.settings import load_settings  # noqa: E402
from dashboard.store import clock  # noqa: E402
from dashboard.store import ledger as ledger_store  # noqa: E402
from dashboard.store import meetings as meeting_store  # noqa: E402
from dashboard.store import models as M  # noqa: E402
from dashboard.store import sites as site_store  # noqa: E402
from dashboard.store.db import ensure_schema, session_factory  # noqa: E402
from dashboard.store.demo_load import load_demo  # noqa: E402
from dashboard.store.district import set_setting  # noqa: E402
from dashboard.store.inspections import InspectionInput  # noqa: E402
from dashboard.store.users import audit  # noqa: E402

TZ_NAME = "Asia/Shanghai"
BJ = demo.BJ
TYPES = ("AQI", "PM2.5", "PM2.5_24h", "PM10", "PM10_24h", "SO2", "SO2_24h", "NO2", "NO2_24h",
         "O3", "O3_24h", "O3_8h", "O3_8h_24h", "CO", "CO_24h")
POLLUTANTS = ("PM2.5", "PM10", "SO2", "NO2", "O3", "CO")
# The three Zhengzhou stations of the 2022 list that the demo leaves out (zhengzhou_stations.csv).
EXTRA_STATIONS = [
    ("3471A", "惠济区政府", 113.616563, 34.86783),
    ("3590A", "北区建设指挥部", 113.8374, 34.5589),
    ("3591A", "上街区政府", 113.30952, 34.803229),
]
ALERT_NOTES = {
    "blue": "预计未来两日出现重污染天气，启动蓝色预警：工地加强洒水抑尘。",
    "yellow": "启动黄色预警（Ⅲ级）应急响应：工地停止土石方、拆除作业和渣土运输。",
    "orange": "启动橙色预警（Ⅱ级）应急响应：停止室外喷涂、切割及建材运输。",
    "red": "启动红色预警（Ⅰ级）：全区所有建筑工地停止施工作业。",
}
INSPECTORS = ["王磊", "李娜", "张伟", "刘洋", "陈静", "杨帆", "赵军", "黄敏", "周涛", "吴昊", "徐丽", "孙鹏"]
TASKS = [
    "{t}裸土覆盖专项整治", "{t}渣土车辆密闭运输排查", "{t}道路机扫水洗频次加密", "{t}工地出入口冲洗设施检查",
    "{t}拆迁工地湿法作业督导", "{t}非道路移动机械编码登记", "{t}散煤复烧排查", "{t}露天焚烧巡查",
    "{t}餐饮油烟净化设施检查", "{t}视频监控联网核查", "{t}扬尘在线监测设备维护", "{t}重点路段保洁提升",
]
DECISIONS = [
    "各乡镇（街道）对照问题清单逐项整改，下次会议前报送整改情况。",
    "区住建局牵头开展在建工地“八个百分百”落实情况专项督查。",
    "区城管局加大道路保洁频次，主次干道每日机扫水洗不少于两遍。",
    "区公安交警大队联合城管开展渣土车夜间专项执法。",
    "区攻坚办每日通报各乡镇（街道）空气质量排名。",
    "对连续两次排名末位的乡镇（街道）进行约谈。",
]
MEASURES = ["通报批评", "约谈", "督办", "问责"]


def rng_for(seed: int, part: int) -> Generator:
    return Generator(PCG64(SeedSequence([seed, 14, part])))


def bj(day: dt.date, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=BJ)


class Stopwatch:
    def __init__(self) -> None:
        self.stages: list[tuple[str, float]] = []

    def run(self, name: str, fn, *args, **kwargs):
        print(f"-- {name} …", flush=True)
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        took = time.perf_counter() - start
        self.stages.append((name, took))
        print(f"   {name}: {took:.1f} s", flush=True)
        return result


# --------------------------------------------------------------------------- alerts
def winter_alerts(rng: Generator, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Two to four alerts each winter (mid-November to February), never overlapping."""
    alerts: list[dict[str, Any]] = []
    for year in range(start.year - 1, end.year + 1):
        season_start = dt.date(year, 11, 15)
        day = season_start + dt.timedelta(days=int(rng.integers(0, 25)))
        for _ in range(int(rng.integers(2, 5))):
            length_h = int(rng.integers(36, 108))
            level = str(rng.choice(["blue", "yellow", "orange", "red"], p=[0.25, 0.4, 0.28, 0.07]))
            begins = bj(day, 12)
            ends = begins + dt.timedelta(hours=length_h)
            if start <= day and ends.date() <= end:
                alerts.append({"id": len(alerts) + 1, "level": level, "starts_at": begins, "ends_at": ends,
                               "issued_by": demo.ALERT_ISSUER, "note": ALERT_NOTES[level]})
            day = ends.date() + dt.timedelta(days=int(rng.integers(8, 30)))
    return alerts


# --------------------------------------------------------------------------- readings
def _ar1(rng: Generator, n: int, cols: int, phi: float, sd: float) -> np.ndarray:
    e = rng.normal(0.0, sd * math.sqrt(1 - phi * phi), size=(n, cols))
    out = np.empty((n, cols))
    out[0] = rng.normal(0.0, sd, size=cols)
    for i in range(1, n):
        out[i] = phi * out[i - 1] + e[i]
    return out


def hourly_cube(rng: Generator, start: dt.date, end: dt.date, stations: list[dict[str, Any]],
                alerts: list[dict[str, Any]]) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """(hours, pollutants, stations) of Beijing-time hour labels from ``start`` 00h to ``end`` 23h;
    NaN where a value is missing. Seasonal levels, a shared synoptic signal, winter episodes
    under the alerts, a slow improvement year on year."""
    labels = pd.date_range(pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(hours=23), freq="h",
                           tz=TZ_NAME)
    H, S = len(labels), len(stations)
    hour = labels.hour.to_numpy()
    doy = labels.day_of_year.to_numpy()
    years = (labels.year.to_numpy() - 2021) + doy / 365.25
    winter = np.cos(2 * np.pi * (doy - 15) / 365.25)  # +1 mid-January, -1 mid-July
    trend = -0.05 * years
    n_days = H // 24 + 1
    synoptic = np.repeat(_ar1(rng, n_days, 1, 0.65, 0.36)[:, 0], 24)[:H]
    reg = np.log(50) + 0.45 * winter + trend + synoptic + _ar1(rng, H, 1, 0.9, 0.12)[:, 0]
    reg += demo._DIURNAL_PM25[hour]
    t_utc = labels.tz_convert("UTC")
    for a in alerts:
        inside = (t_utc >= a["starts_at"] - dt.timedelta(hours=12)) & (t_utc < a["ends_at"])
        boost = {"blue": 0.5, "yellow": 0.8, "orange": 1.0, "red": 1.25}[a["level"]]
        reg = np.where(inside, reg + boost, reg)
    anom = reg - (np.log(50) + 0.45 * winter + trend)
    bg = np.array([s["is_background"] for s in stations])

    def field(sd_off: float, phi: float, sd: float) -> np.ndarray:
        return rng.normal(0, sd_off, size=S)[None, :] + _ar1(rng, H, S, phi, sd)

    pm25 = np.exp(reg[:, None] + field(0.06, 0.85, 0.12))
    ratio = np.clip(0.6 + 0.12 * winter[:, None] + 0.08 * np.tanh(anom)[:, None]
                    + demo._DIURNAL_RATIO[hour][:, None] + _ar1(rng, H, S, 0.8, 0.05), 0.22, 0.92)
    pm10 = pm25 / ratio
    no2 = (40 + 8 * winter)[:, None] * np.exp(0.45 * anom[:, None] + demo._DIURNAL_NO2[hour][:, None]
                                              + field(0.08, 0.8, 0.2) - np.where(bg, 0.3, 0.0)[None, :])
    co = (0.85 + 0.25 * winter)[:, None] * np.exp(0.45 * anom[:, None] + demo._DIURNAL_CO[hour][:, None]
                                                  + field(0.06, 0.8, 0.14))
    so2 = (10 + 2 * winter + -1.0 * years)[:, None].clip(4) * np.exp(
        0.25 * anom[:, None] + demo._DIURNAL_SO2[hour][:, None] + field(0.12, 0.8, 0.28))
    shape = np.clip(np.sin(np.pi * (hour - 8.5) / 13.0), 0, None) ** 1.6
    amp = (80 - 45 * winter) * np.exp(-0.45 * anom + _ar1(rng, H, 1, 0.97, 0.15)[:, 0])
    o3 = ((22 - 10 * winter)[:, None] * np.exp(field(0.1, 0.8, 0.35) + np.where(bg, 0.35, 0.0)[None, :])
          + (amp * shape)[:, None] * np.exp(field(0.05, 0.8, 0.12)))
    values = [np.maximum(np.rint(pm25), 3), np.maximum(np.rint(pm10), 5), np.maximum(np.rint(so2), 2),
              np.maximum(np.rint(no2), 3), np.maximum(np.rint(o3), 1), np.maximum(np.round(co, 1), 0.1)]
    values[1] = np.maximum(values[1], values[0])
    cube = np.stack(values, axis=1)  # (H, P, S)
    # Gaps like the real files: scattered blank cells (PM2.5 most often), a few station outages.
    blank = rng.random(cube.shape) < np.array([0.03, 0.008, 0.008, 0.008, 0.008, 0.008])[None, :, None]
    for _ in range(max(1, H // 2000)):
        s = int(rng.integers(0, S))
        h0 = int(rng.integers(0, H))
        blank[h0:h0 + int(rng.integers(6, 48)), :, s] = True
    cube[blank] = np.nan
    return labels, cube


def _rolling(frame: pd.DataFrame, window: int, how: str) -> pd.DataFrame:
    roll = frame.rolling(window, min_periods=max(1, window * 3 // 4))
    return roll.max() if how == "max" else roll.mean()


def write_cnemc_files(out_dir: Path, labels: pd.DatetimeIndex, cube: np.ndarray, codes: list[str],
                      missing_hours: set[int]) -> int:
    """One ``china_sites_YYYYMMDD.csv`` per day, laid out like the real files: 24 hours × 15 types
    (hour 0 of day D is the CNEMC label D 00h), integers except CO, blank cells empty."""
    out_dir.mkdir(parents=True, exist_ok=True)
    derived: dict[str, np.ndarray] = {}
    for i, p in enumerate(POLLUTANTS):
        frame = pd.DataFrame(cube[:, i, :])
        derived[p] = cube[:, i, :]
        if p == "O3":
            o3_8h = _rolling(frame, 8, "mean")
            derived["O3_24h"] = _rolling(frame, 24, "max").to_numpy()
            derived["O3_8h"] = o3_8h.to_numpy()
            derived["O3_8h_24h"] = _rolling(o3_8h, 24, "max").to_numpy()
        else:
            derived[f"{p}_24h"] = _rolling(frame, 24, "mean").to_numpy()
    # Hourly AQI as the platform publishes it: PM from the 24 h means, the gases hourly.
    parts = []
    for ind, key in (("PM2.5_24h", "PM2.5_24h"), ("PM10_24h", "PM10_24h"), ("SO2_1h", "SO2"),
                     ("NO2_1h", "NO2"), ("O3_1h", "O3"), ("CO_1h", "CO")):
        flat = derived[key].reshape(-1)
        parts.append(np.asarray(iaqi(ind, flat).to_numpy(dtype=float, na_value=np.nan)).reshape(derived[key].shape))
    stacked = np.stack(parts)
    derived["AQI"] = np.where(np.isnan(stacked).all(axis=0), np.nan, np.nanmax(np.nan_to_num(stacked, nan=-1), axis=0))
    header = "date,hour,type," + ",".join(codes) + "\n"
    days = labels.strftime("%Y%m%d").to_numpy()
    hours = labels.hour.to_numpy()
    formatted: dict[str, np.ndarray] = {}
    for name in TYPES:
        arr = derived[name]
        text = np.where(np.isnan(arr), "", np.char.mod("%.1f" if name.startswith("CO") else "%.0f",
                                                       np.nan_to_num(arr)))
        formatted[name] = text
    n_files = 0
    for start in range(0, len(labels), 24):
        lines = [header]
        for h in range(start, min(start + 24, len(labels))):
            if h in missing_hours:
                continue
            prefix = f"{days[h]},{hours[h]},"
            for name in TYPES:
                lines.append(prefix + name + "," + ",".join(formatted[name][h]) + "\n")
        (out_dir / f"china_sites_{days[start]}.csv").write_text("".join(lines), encoding="utf-8")
        n_files += 1
    return n_files


def import_cnemc(database_url: str, out_dir: Path) -> str:
    env = {**os.environ, "DATABASE_URL": database_url}
    done = subprocess.run([sys.executable, "-m", "dashboard", "import", "cnemc", str(out_dir)],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"import cnemc failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


# --------------------------------------------------------------------------- organisation
def base_district(seed: int, alerts: list[dict[str, Any]]) -> demo.DemoDistrict:
    """The demo's townships, units, checklists and stations (plus three), the winter alerts; no
    sites, inspections, meetings or readings (those come through the app's own writes)."""
    townships = demo._townships()
    units = demo._units(townships)
    versions, items = demo._checklists()
    stations, station_versions = demo._stations()
    for code, name, lon, lat in EXTRA_STATIONS:
        sid = len(stations) + 1
        stations.append({"id": sid, "code": code, "name": name, "city": demo.CITY, "longitude": lon,
                         "latitude": lat, "is_background": False, "in_district": False,
                         "valid_from": None, "valid_to": None})
        station_versions.append({"id": sid, "station_id": sid, "valid_from": dt.date(2022, 2, 13), "name": name,
                                 "city": demo.CITY, "longitude": lon, "latitude": lat, "is_background": False})
    empty = pd.DataFrame(columns=["station_code", "time", "pollutant", "value"])
    return demo.DemoDistrict(
        seed=seed, today=demo.DEMO_TODAY, townships=townships, units=units, checklist_versions=versions,
        checklist_items=items, sites=[], plate_changes=[], alerts=alerts, inspections=[], inspection_results=[],
        rectifications=[], meetings=[], meeting_problems=[], meeting_decisions=[], accountability_records=[],
        action_items=[], action_item_changes=[], stations=stations, station_versions=station_versions,
        readings=empty, dust_monitors=[], dust_readings=pd.DataFrame(columns=["monitor_id", "data_time", "cn",
                                                                              "pollutant", "field", "value",
                                                                              "flag"]),
    )


# --------------------------------------------------------------------------- the simulation
class Simulation:
    """Walks day by day from ``start`` to ``end``: sites open and close, active sites are
    inspected weekly, a meeting most weeks with its ledger lines, ledger lines move on."""

    def __init__(self, session, rng: Generator, start: dt.date, end: dt.date, n_sites: int, tz) -> None:
        self.s = session
        self.rng = rng
        self.start, self.end = start, end
        self.n_sites = n_sites
        self.tz = tz
        self.actor = Actor.system("make_scale_data")
        self.counts = {"sites": 0, "sites_completed": 0, "inspections": 0, "meetings": 0, "action_items": 0,
                       "status_changes": 0}
        self.events: list[tuple[dt.datetime, int, str, Any]] = []
        self.seq = 0
        self.fail_state: dict[int, set[str]] = {}  # site id -> items failed last time
        self.risk: dict[int, float] = {}
        self._key_cache: dict[dt.date, tuple[str, ...]] = {}

    def push(self, at: dt.datetime, kind: str, payload: Any) -> None:
        self.seq += 1
        heapq.heappush(self.events, (at, self.seq, kind, payload))

    # ---- setup
    def plan_sites(self) -> None:
        rng = self.rng
        townships = self.s.scalars(select(M.Township).order_by(M.Township.position)).all()
        geo = demo._GEO
        weights = np.array([geo[t.code][3] if t.code in geo else 3 for t in townships], dtype=float)
        weights /= weights.sum()
        span = (self.end - self.start).days
        kinds = list(demo._SITE_TYPES)
        for i in range(self.n_sites):
            t = townships[int(rng.choice(len(townships), p=weights))]
            lon, lat, spread, _n, risk, places = geo.get(t.code, (113.62, 34.70, 0.01, 1, 1.0, [t.name]))
            region = "south" if t.code in demo._SOUTH else "zone" if t.code == "mazhaiindustry" else "urban"
            kind = str(rng.choice(kinds, p=np.asarray(demo._TYPE_WEIGHTS[region]) / sum(demo._TYPE_WEIGHTS[region])))
            place = str(rng.choice(places))
            started = self.start + dt.timedelta(days=int(rng.integers(-240, max(span - 30, 1))))
            lasts = int(rng.integers(120, 900))
            values = {
                "code": f"GD-{i + 1:04d}", "name": f"{demo._site_name(rng, kind, place, region)}{i + 1}号",
                "address": f"{demo.CITY}{demo.DISTRICT_NAME}{place}", "township_id": t.id,
                "builder_unit": f"{place}置业有限公司", "contractor_unit": f"{place}建设工程有限公司",
                "site_type": kind, "area_m2": float(round(demo._AREA_SCALE.get(kind, 20000) * rng.uniform(0.3, 2.0))),
                "longitude": float(np.clip(lon + rng.normal(0, spread), 113.53, 113.67)),
                "latitude": float(np.clip(lat + rng.normal(0, spread), 34.59, 34.75)),
                "coord_system": "WGS84", "status": "active", "started_on": started,
            }
            opens = max(self.start, started)
            self.push(bj(opens, 8), "site", (values, lasts, risk))

    # ---- event handlers
    def open_site(self, at: dt.datetime, payload) -> None:
        values, lasts, risk = payload
        clean, issues = validate_site(values, taken_codes=set())
        if issues or clean is None:
            raise SystemExit(f"site {values['code']} refused: {issues}")
        site = site_store.create_site(self.s, clean)
        audit(self.s, None, "create", "site", site.id, {"code": site.code})
        self.counts["sites"] += 1
        self.risk[site.id] = risk * float(self.rng.uniform(0.5, 1.5))
        finish = values["started_on"] + dt.timedelta(days=lasts)
        if finish <= self.end:
            self.push(bj(finish, 18), "complete", site.id)
        first = at.date() + dt.timedelta(days=int(self.rng.integers(0, 7)))
        self.push(bj(first, 9) + dt.timedelta(minutes=int(self.rng.integers(0, 450))), "inspect", site.id)

    def complete_site(self, at: dt.datetime, site_id: int) -> None:
        site = site_store.get_site(self.s, site_id)
        old = site_store.site_values(site)
        clean, issues = validate_site({**old, "status": "completed"}, taken_codes=set())
        if issues or clean is None:
            raise SystemExit(f"site {site.code} cannot complete: {issues}")
        site_store.update_site(self.s, site_id, clean, expected_version=site.version, loaded=old, started_from=old)
        self.counts["sites_completed"] += 1

    def inspect(self, at: dt.datetime, site_id: int) -> None:
        site = site_store.get_site(self.s, site_id)
        if site.status != "active":
            return
        rng = self.rng
        keys = self._keys(at.date())
        before = self.fail_state.get(site_id, set())
        risk = self.risk[site_id] * (1.3 if at.month in (11, 12, 1, 2) else 1.0) * math.exp(-0.12 * (at.year - 2021))
        entries, failed = [], set()
        for key in keys:
            p = demo._ITEM_BASE.get(key, 0.04) * risk
            if key in before:
                p = 0.25  # most problems are fixed by the next visit
            if rng.random() < p:
                failed.add(key)
                notes = demo._FAIL_NOTES.get(key, ["未落实"])
                entries.append(ItemEntry(key, "fail", str(notes[int(rng.integers(0, len(notes)))])))
            else:
                entries.append(ItemEntry(key, "pass"))
        data = InspectionInput(site_id=site_id, inspected_at=at, inspector_name=str(rng.choice(INSPECTORS)),
                               entries=tuple(entries), kind="routine", source="import")
        record(self.s, self.actor, data, submit=True, tz=self.tz)
        self.fail_state[site_id] = failed
        self.counts["inspections"] += 1
        nxt = at.date() + dt.timedelta(days=7 + int(rng.integers(-1, 2)))
        if nxt.weekday() == 6:
            nxt += dt.timedelta(days=1)
        if nxt <= self.end:
            self.push(bj(nxt, 9) + dt.timedelta(minutes=int(rng.integers(0, 450))), "inspect", site_id)

    def _keys(self, day: dt.date) -> tuple[str, ...]:
        from dashboard.store.inspections import checklist_for

        month = day.replace(day=1)
        if month not in self._key_cache:
            self._key_cache[month] = checklist_for(self.s, day).keys
        return self._key_cache[month]

    def meeting(self, at: dt.datetime, _payload) -> None:
        rng = self.rng
        refs = meeting_store.reference_ids(self.s)
        townships = {t.id: t.name for t in self.s.scalars(select(M.Township))}
        units = self.s.scalars(select(M.Unit)).all()
        t_units = [u for u in units if u.kind == "township"]
        depts = [u for u in units if u.kind == "department"]
        named = [int(x) for x in rng.choice(sorted(townships), size=3, replace=False)]
        active = self.s.scalars(select(M.Site.id).where(M.Site.status == "active")).all()
        problems = [ProblemInput(f"{townships[t]}上周巡查问题较多，整改不及时", township_id=t) for t in named]
        if active:
            sid = int(rng.choice(active))
            problems.append(ProblemInput("工地扬尘治理措施落实不到位", site_id=sid, item_key="cover"))
        actions = []
        for _ in range(max(4, int(rng.poisson(12)))):
            pool = t_units if rng.random() < 0.7 else depts
            u = pool[int(rng.integers(0, len(pool)))]
            task = TASKS[int(rng.integers(0, len(TASKS)))].format(t=u.name)
            deadline = at.date() + dt.timedelta(days=int(rng.choice([3, 7, 7, 14, 14, 30])))
            lead = depts[int(rng.integers(0, len(depts)))].id if rng.random() < 0.4 else None
            actions.append(ActionInput(task, u.id, deadline, "立行立改，举一反三", lead))
        accountability = []
        if rng.random() < 0.2:
            u = t_units[int(rng.integers(0, len(t_units)))]
            accountability.append(AccountabilityInput(u.id, str(rng.choice(["criticism", "interview"])),
                                                      "连续排名靠后"))
        number = meeting_store.next_number(self.s)
        data = MeetingInput(
            number=number, held_at=at, chair_title=str(rng.choice(["区长", "常务副区长", "区委书记"])),
            location="区政府三楼会议室", attendees=["区攻坚办", "区住建局", "区城管局"] + [townships[t] for t in named],
            agenda="一、通报上周空气质量\n二、通报巡查问题\n三、部署下周工作", summary=f"第{number}次调度会",
            minutes_md=f"# 第{number}次大气污染防治攻坚调度会\n", problems=problems,
            decisions=[str(d) for d in rng.choice(DECISIONS, size=3, replace=False)],
            accountability=accountability, actions=actions,
        )
        try:
            meeting_record.check(data, **refs)
        except meeting_record.MeetingError as exc:
            raise SystemExit(f"meeting {number} refused: {exc.code} {exc.details}") from None
        now = at + dt.timedelta(hours=2)
        meeting = meeting_store.create_meeting(self.s, data, user_id=None, now=now,
                                               air_quality=compute_air_quality(self.s, at, self.tz, now))
        audit(self.s, None, "create", "meeting", meeting.number, {"actions": len(actions)})
        self.counts["meetings"] += 1
        self.counts["action_items"] += len(actions)
        items = self.s.scalars(select(M.ActionItem).where(M.ActionItem.meeting_id == meeting.id)).all()
        for item in items:
            # Most lines are started within days, done around the deadline, verified a week later;
            # some run late, a few are never done.
            r = rng.random()
            started = now + dt.timedelta(days=float(rng.uniform(0.5, 4)))
            self.push(started, "status", (item.id, "in_progress"))
            if r < 0.93:
                slack = (item.deadline - at.date()).days
                done = now + dt.timedelta(days=float(slack * rng.uniform(0.4, 1.0)
                                                     + (rng.exponential(10) if r > 0.75 else 0)) + 1)
                done = max(done, started + dt.timedelta(hours=12))
                self.push(done, "status", (item.id, "done"))
                if r < 0.85:
                    self.push(done + dt.timedelta(days=float(rng.uniform(2, 12))), "status", (item.id, "verified"))

    def status(self, at: dt.datetime, payload) -> None:
        item_id, new = payload
        item = ledger_store.get_item(self.s, item_id)
        if ledger_rules.RANK[new] <= ledger_rules.RANK[item.status]:
            return  # planned moves only go forward
        move = ledger_rules.check_transition(item.status, new, is_editor=True)
        ledger_store.apply_status(self.s, item, move, actor_id=None, now=at, reason="")
        self.counts["status_changes"] += 1

    def plan_meetings(self) -> None:
        rng = self.rng
        day = self.start + dt.timedelta(days=(3 - self.start.weekday()) % 7)  # Thursdays
        while day <= self.end:
            spring_festival = day.month == 2 and day.day < 20 or day.month == 1 and day.day > 25
            if not spring_festival and rng.random() < 0.92:
                self.push(bj(day, 15 if rng.random() < 0.3 else 9), "meeting", None)
            day += dt.timedelta(days=7)

    def run(self) -> None:
        self.plan_sites()
        self.plan_meetings()
        handlers = {"site": self.open_site, "complete": self.complete_site, "inspect": self.inspect,
                    "meeting": self.meeting, "status": self.status}
        pinned: dt.date | None = None
        last_report = time.perf_counter()
        end_at = bj(self.end + dt.timedelta(days=1))
        while self.events and self.events[0][0] < end_at:
            at, _, kind, payload = heapq.heappop(self.events)
            day = at.astimezone(BJ).date()
            if day != pinned:
                if pinned is not None and day.month != pinned.month:
                    self.s.commit()
                    if time.perf_counter() - last_report > 30:
                        print(f"   … {day:%Y-%m}: {self.counts}", flush=True)
                        last_report = time.perf_counter()
                set_setting(self.s, clock.FROZEN_TODAY, day.isoformat())
                pinned = day
            handlers[kind](at, payload)
        set_setting(self.s, clock.FROZEN_TODAY, self.end.isoformat())
        self.s.commit()


# --------------------------------------------------------------------------- main
def _table_counts(session) -> dict[str, int]:
    out = {}
    for model in (M.Township, M.Unit, M.Station, M.Reading, M.Alert, M.Site, M.Inspection, M.InspectionResult,
                  M.Rectification, M.PlateChange, M.Meeting, M.MeetingProblem, M.MeetingDecision, M.ActionItem,
                  M.ActionItemChange, M.AuditEntry):
        out[model.__tablename__] = session.scalar(select(func.count()).select_from(model))
    return out


def _has_data(session) -> bool:
    return any(session.scalar(select(func.count()).select_from(m)) for m in (M.Township, M.Site, M.Reading))


def _db_size(url: str) -> str:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        total = sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())
        return f"{total / 2**20:.1f} MiB (SQLite file {path})"
    return "(size: ask the server)"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", default=None, help="default: DATABASE_URL, as the app reads it")
    p.add_argument("--from", dest="start", type=dt.date.fromisoformat, default=dt.date(2021, 1, 1))
    p.add_argument("--to", dest="end", type=dt.date.fromisoformat, default=demo.DEMO_TODAY)
    p.add_argument("--sites", type=int, default=500)
    p.add_argument("--seed", type=int, default=14)
    p.add_argument("--out-dir", type=Path, default=None, help="where the CNEMC files go (default: a temp dir)")
    p.add_argument("--replace", action="store_true", help="replace what the database holds")
    args = p.parse_args(argv)
    if args.end < args.start:
        p.error("--to is before --from")
    settings = load_settings()
    url = args.database_url or settings.database_url
    tz = settings.tz
    watch = Stopwatch()
    print(f"database: {url}\nspan: {args.start} .. {args.end}, {args.sites} sites, seed {args.seed}")

    watch.run("schema", ensure_schema, url)
    Session = session_factory(url)
    with Session() as session:
        if _has_data(session) and not args.replace:
            print("the database already holds a district; --replace to build over it", file=sys.stderr)
            return 2

    alerts = winter_alerts(rng_for(args.seed, 1), args.start, args.end)
    district = base_district(args.seed, alerts)

    def organisation() -> dict[str, int]:
        with Session() as session:
            counts = load_demo(session, district)
            set_setting(session, clock.FROZEN_TODAY, args.start.isoformat())
            set_setting(session, "demo_seed", f"scale-{args.seed}")
            session.commit()
        return counts

    base = watch.run("organisation (demo loader)", organisation)
    print(f"   townships {base['townships']}, units {base['units']}, stations {base['stations']}, "
          f"alerts {base['alerts']}")

    own_dir = args.out_dir is None
    out_dir = Path(tempfile.mkdtemp(prefix="cnemc-scale-")) if own_dir else args.out_dir
    try:
        def files() -> int:
            for old in out_dir.glob("china_sites_*.csv"):
                old.unlink()
            rng = rng_for(args.seed, 2)
            labels, cube = hourly_cube(rng, args.start, args.end, district.stations, alerts)
            missing = {int(h) for h in rng.choice(len(labels), size=max(1, len(labels) // 1500), replace=False)}
            return write_cnemc_files(out_dir, labels, cube, [s["code"] for s in district.stations], missing)

        n_files = watch.run("CNEMC files written", files)
        print(f"   {n_files} files in {out_dir}")
        line = watch.run("import cnemc (python -m dashboard import cnemc, whole process)", import_cnemc, url, out_dir)
        print(f"   {line}")
    finally:
        if own_dir:
            shutil.rmtree(out_dir, ignore_errors=True)

    def simulate() -> dict[str, int]:
        with Session() as session:
            sim = Simulation(session, rng_for(args.seed, 3), args.start, args.end, args.sites, tz)
            sim.run()
            return sim.counts

    made = watch.run("sites, inspections, meetings, ledger (services and store)", simulate)
    print(f"   {made}")
    with Session() as session:
        counts = _table_counts(session)
    print("\nrows:")
    for name, n in counts.items():
        print(f"  {name:24} {n:>10,}")
    print(f"\ndatabase size: {_db_size(url)}")
    print("stages:")
    for name, took in watch.stages:
        print(f"  {took:8.1f} s  {name}")
    print(f"  {sum(t for _, t in watch.stages):8.1f} s  total")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
