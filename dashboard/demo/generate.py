"""Generate the demo district deterministically: ``generate_district(seed) -> DemoDistrict``.

The demo is a snapshot of a fictional winter campaign in 二七区 (Zhengzhou) as of ``DEMO_TODAY``
(Thursday 2025-12-11), a week after the 27th dispatch meeting (5 December, chaired by the district
head, modelled on the district newspaper page in ``shared/seed``). Sites, companies, inspectors and
every record are invented; townships, checklist wording and monitoring-station coordinates are
public facts read from the project's ``data/`` folder.

Rules:

* pure Python/numpy/pandas, no SQL and no I/O except reading ``data/``;
* one ``numpy.random.Generator(PCG64(...))`` per part, seeded from ``(seed, part)``, so the same
  seed always gives identical output and changing one part does not reshuffle the others;
* never the wall clock: every time is derived from fixed calendar dates;
* every record is a plain ``dict`` whose keys are the columns of the table of the same name in
  ``dashboard/store/models.py``, with an explicit integer ``id``; times are timezone-aware UTC
  datetimes, calendar dates (Beijing) are ``date`` objects;
* nothing is later than ``DEMO_TODAY`` (Beijing) except ledger and rectification deadlines.

Modelling decisions (kept here so the demo can be explained):

* **Station group.** The district figure is the mean of 1322A 市监测站 and 1323A 河医大, the two
  national stations inside 二七区's box (lon 113.52–113.68, lat 34.58–34.76). 1316A 烟厂 lies just
  outside (lon 113.690) and is not counted. 1324A 岗李水库 is the background site (对照点).
  Coordinates are those of the 2022-02-13 CNEMC station list (``data/demo_stations.csv``).
* **Episodes.** A moderate one on 27–29 October (no alert), a heavy one 12–16 November (yellow
  alert 13 Nov 12:00 → 16 Nov 12:00) and a severe one 6–10 December, after meeting 27 (orange
  6 Dec 12:00 → red 8 Dec 12:00 → lifted 10 Dec 18:00, one alert row per level).
* **Inspections** start 2025-10-01 (the 秋冬季攻坚 period); earlier meetings have no inspections
  behind them. A meeting names the townships with most failures since the previous meeting;
  for about 18 days afterwards their sites fail less (the "meeting effect"), then drift back.
* **Rectifications and their escalation** (一次警告，两次约谈，三次问责) are what the app's own loop
  makes of the inspection history (``domain.rectification``: plan, deadline, level as of
  11 December), so recomputing them right after ``demo`` changes nothing.
* **Site dust monitors** (HJ 212): ``DUST_MONITORS`` active sites (绿地城二期 among them) have one,
  with ``DUST_DAYS`` days of hourly PM10, PM2.5, TSP, wind, temperature and humidity (CN 2061,
  labelled by the start of the hour, up to 22:00 on 11 December) and the minute PM values (CN 2051)
  of the last hours up to 23:58. A site's PM10 is its nearest national station's PM10 of the same
  hour plus its own construction dust (working hours, far less during stop orders); two sites are
  clearly dustier. One monitor went silent at 17:00 (offline), one has sent the same PM10 since
  14:00 (stuck), one has been in calibration half of the last hours (abnormal flags).
* **Plates** follow the app's rule (``domain.compliance.derive_plate``), reviewed every Monday and
  on 11 December: red for work during a stop order, ≥ 6 failures in 28 days or ≥ 2 overdue
  rectifications; yellow for ≥ 2 failures or any open rectification; green otherwise.
"""

from __future__ import annotations

import csv
import heapq
import json
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from numpy.random import PCG64, Generator, SeedSequence

from dashboard.domain.aqi import TIMEZONE
from dashboard.domain.compliance import PlateRules, derive_plate, plate_facts
from dashboard.domain.rectification import (
    Observation,
    RectificationRules,
    deadline_for,
    level_as_of,
    plan,
    responsible_unit,
)
from dashboard.i18n import t as translate
from dashboard.paths import DATA_DIR

DEMO_TODAY = date(2025, 12, 11)
DISTRICT_NAME = "二七区"
DEFAULT_SEED = 2025

BJ = timezone(timedelta(hours=8), "CST")
# The rules of the app (escalation, plates) take the display time zone.
BEIJING = ZoneInfo(TIMEZONE)
UTC = UTC

CHECKLIST_CODE = "zz-8-2018"
INSPECTIONS_FROM = date(2025, 10, 1)
READINGS_FROM = date(2025, 9, 1)
ALERT_ISSUER = "区重污染天气应急指挥部"
CITY = "郑州市"
IN_DISTRICT_STATIONS = ("1322A", "1323A")
POLLUTANTS = ("PM2.5", "PM10", "SO2", "NO2", "O3", "CO")

Record = dict[str, Any]


# --- time helpers ---------------------------------------------------------------------------------


def bj(d: date, hour: int = 0, minute: int = 0) -> datetime:
    """A Beijing wall time on day ``d`` as an aware UTC datetime."""
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=BJ).astimezone(UTC)


def bj_date(t: datetime) -> date:
    return t.astimezone(BJ).date()


def _d(s: str) -> date:
    return date.fromisoformat(s)


def _bjs(s: str) -> datetime:
    """'2025-12-06 12:00' (Beijing) → aware UTC datetime."""
    return datetime.fromisoformat(s).replace(tzinfo=BJ).astimezone(UTC)


END_OF_TODAY = bj(DEMO_TODAY + timedelta(days=1)) - timedelta(seconds=1)


def _rng(seed: int, part: int) -> Generator:
    return Generator(PCG64(SeedSequence([seed, part])))


# --- the result -----------------------------------------------------------------------------------


@dataclass(eq=False)
class DemoDistrict:
    """The generated district: one list of records per table, readings as a long DataFrame."""

    seed: int
    today: date
    townships: list[Record]
    units: list[Record]
    checklist_versions: list[Record]
    checklist_items: list[Record]
    sites: list[Record]
    plate_changes: list[Record]
    alerts: list[Record]
    inspections: list[Record]
    inspection_results: list[Record]
    rectifications: list[Record]
    meetings: list[Record]
    meeting_problems: list[Record]
    meeting_decisions: list[Record]
    accountability_records: list[Record]
    action_items: list[Record]
    action_item_changes: list[Record]
    stations: list[Record]
    station_versions: list[Record]
    # columns station_code, time (UTC, the CNEMC hour label), pollutant, value
    readings: pd.DataFrame
    dust_monitors: list[Record]
    # columns of dust_readings: monitor_id, data_time (UTC, start of the period), cn, pollutant,
    # field, value, flag
    dust_readings: pd.DataFrame

    # Tables in insertion (dependency) order; each name is the table's name in models.py.
    TABLES: ClassVar[tuple[str, ...]] = (
        "townships",
        "units",
        "checklist_versions",
        "checklist_items",
        "sites",
        "plate_changes",
        "alerts",
        "inspections",
        "inspection_results",
        "rectifications",
        "meetings",
        "meeting_problems",
        "meeting_decisions",
        "accountability_records",
        "action_items",
        "action_item_changes",
        "stations",
        "station_versions",
        "dust_monitors",
    )

    def records(self) -> dict[str, list[Record]]:
        """Every table except readings, in insertion order."""
        return {name: getattr(self, name) for name in self.TABLES}


# --- static data: geography, names, vocabulary ------------------------------------------------------

# code: (lon, lat, spread in degrees, number of sites, risk factor, local place names)
_GEO: dict[str, tuple[float, float, float, int, float, list[str]]] = {
    "huaiheroad": (113.640, 34.728, 0.004, 5, 0.7, ["淮河路", "兴华南街", "航海中路", "庆丰街"]),
    "jiefangroad": (113.655, 34.755, 0.003, 2, 0.7, ["解放路", "二七路", "民主路"]),
    "minggongroad": (113.648, 34.753, 0.003, 2, 0.7, ["铭功路", "西太康路", "福寿街"]),
    "yimaroad": (113.643, 34.747, 0.003, 2, 0.7, ["一马路", "陇海中路", "京广北路"]),
    "mifengzhang": (113.632, 34.737, 0.004, 4, 0.8, ["蜜蜂张", "大学中路", "汝河路"]),
    "wulibao": (113.622, 34.724, 0.004, 5, 0.8, ["五里堡", "兴华街", "汝河西路"]),
    "daxueroad": (113.646, 34.737, 0.004, 4, 0.7, ["大学路", "政通路", "康复前街"]),
    "jianzhongstreet": (113.620, 34.748, 0.003, 3, 0.7, ["建中街", "建设路", "碧云路"]),
    "fuhuastreet": (113.630, 34.751, 0.003, 3, 0.7, ["福华街", "大同路", "钱塘路"]),
    "dehuastreet": (113.665, 34.751, 0.003, 2, 0.7, ["德化街", "二马路", "正兴街"]),
    "songshanroad": (113.611, 34.735, 0.004, 5, 0.8, ["嵩山南路", "工人路", "交通路"]),
    "jingguangroad": (113.656, 34.722, 0.004, 5, 0.8, ["京广南路", "航海西路", "齐礼阎"]),
    "changjiangroad": (113.645, 34.706, 0.006, 8, 0.9, ["长江路", "大学南路", "连云路", "刘庄"]),
    "renheroad": (113.622, 34.711, 0.005, 7, 0.9, ["人和路", "冯庄", "齐礼阎路", "芦庄"]),
    "houzhai": (113.575, 34.655, 0.016, 23, 1.8, ["侯寨", "南岗刘", "罗沟", "尖岗", "大路沟", "常庄"]),
    "mazhai": (113.548, 34.698, 0.011, 16, 1.6, ["马寨", "张寨", "钱庄", "庙王", "明湖"]),
    "yingtaogou": (113.600, 34.628, 0.012, 12, 1.3, ["樱桃沟", "阎家嘴", "后河芦", "老沟"]),
    "mazhaiindustry": (113.533, 34.716, 0.008, 12, 1.2, ["马寨产业园", "学院路", "创业路", "兴马路"]),
}
_SOUTH = {"houzhai", "mazhai", "yingtaogou"}
_BBOX = (113.52, 113.68, 34.58, 34.76)

_ROADS = [
    "大学南路", "航海西路", "嵩山南路", "长江西路", "汝河路", "兴华南街", "连云路", "郑密路",
    "侯寨路", "南四环", "工业路", "芦庄路", "齐礼阎路", "政通路", "庆丰街", "明湖路",
]

_SITE_TYPES = (
    "housing", "public_building", "municipal", "road", "demolition", "land_preparation", "other"
)
_TYPE_WEIGHTS = {
    "urban": (0.20, 0.15, 0.20, 0.20, 0.10, 0.00, 0.15),
    "south": (0.30, 0.08, 0.12, 0.12, 0.13, 0.20, 0.05),
    "zone": (0.10, 0.10, 0.15, 0.15, 0.05, 0.15, 0.30),
}
_AREA_SCALE = {"land_preparation": 60000, "demolition": 30000, "housing": 45000, "road": 15000,
               "municipal": 8000, "public_building": 12000, "other": 10000}
_HOUSING_SUFFIX = ["华庭", "锦苑", "嘉园", "学府", "云筑", "悦澜", "御景", "和园", "名邸", "春晓"]
_PHASES = ["一期", "二期", "三期", "四期"]
_SUBDISTRICTS = ["东", "西", "南", "北"]

_DEPARTMENTS: list[tuple[str, str]] = [
    ("区攻坚办", "District Air Pollution Control Office"),
    ("区生态环境分局", "District Ecology and Environment Sub-bureau"),
    ("区住建局", "District Housing and Urban-Rural Development Bureau"),
    ("区城管局", "District Urban Management Bureau"),
    ("区交警大队", "District Traffic Police Brigade"),
    ("区公安分局", "District Public Security Sub-bureau"),
    ("区自然资源局", "District Natural Resources Bureau"),
    ("区督查办", "District Supervision Office"),
    ("区交通运输局", "District Transport Bureau"),
    ("区商务局", "District Commerce Bureau"),
    ("区农委", "District Agriculture Committee"),
    ("区市场监管局", "District Market Supervision Bureau"),
    ("区应急管理局", "District Emergency Management Bureau"),
]

# Fictional contractors; kind: which site types they usually build.
_COMPANIES: list[tuple[str, str, tuple[str, ...]]] = [
    ("郑州启元建设工程有限公司", "Zhengzhou Qiyuan Construction Co., Ltd.", ("housing", "public_building", "other")),
    ("河南嘉禾建筑工程有限公司", "Henan Jiahe Building Engineering Co., Ltd.", ("housing", "public_building", "other")),
    ("河南华岳建设集团有限公司", "Henan Huayue Construction Group Co., Ltd.", ("housing", "public_building")),
    ("郑州明德建筑安装有限公司", "Zhengzhou Mingde Building Installation Co., Ltd.", ("housing", "other")),
    ("郑州瑞通市政工程有限公司", "Zhengzhou Ruitong Municipal Engineering Co., Ltd.", ("municipal", "road")),
    ("河南远航路桥建设有限公司", "Henan Yuanhang Road and Bridge Co., Ltd.", ("road", "municipal")),
    ("河南金桥市政工程有限公司", "Henan Jinqiao Municipal Engineering Co., Ltd.", ("municipal", "road")),
    ("郑州永安拆除工程有限公司", "Zhengzhou Yong'an Demolition Co., Ltd.", ("demolition",)),
    ("郑州鼎诚土石方工程有限公司", "Zhengzhou Dingcheng Earthworks Co., Ltd.", ("land_preparation", "demolition")),
    ("郑州万顺渣土运输有限公司", "Zhengzhou Wanshun Muck Transport Co., Ltd.", ()),
]

_INSPECTORS = ["王磊", "李娜", "张伟", "刘洋", "陈静", "杨帆", "赵军", "黄敏", "周涛", "吴昊", "徐丽", "孙鹏"]

# Base failure probability per item, and how often each failure is worded.
_ITEM_BASE = {
    "hoarding": 0.025,
    "cover": 0.10,
    "wet_ops": 0.085,
    "vehicle_wash": 0.08,
    "hardening": 0.035,
    "sealed_transport": 0.04,
    "video_monitoring": 0.006,
    "nonroad_machinery": 0.03,
}
_FAIL_NOTES = {
    "hoarding": ["围挡破损未修复", "围挡不连续，存在缺口", "围挡高度不足2.5米"],
    "cover": ["裸土未覆盖", "物料堆放未覆盖", "防尘网破损，覆盖不到位", "土方堆放未覆盖"],
    "wet_ops": ["土方开挖未采取湿法作业", "拆除作业未洒水降尘", "雾炮、喷淋设施未开启"],
    "vehicle_wash": ["出场车辆未冲洗", "冲洗设施损坏未修复", "车辆带泥上路"],
    "hardening": ["场内主要道路未硬化", "出入口硬化破损"],
    "sealed_transport": ["渣土车未密闭运输", "渣土车篷布覆盖不严，沿途抛洒"],
    "video_monitoring": ["视频监控离线", "扬尘在线监测设备未联网"],
    "nonroad_machinery": ["非道路移动机械未登记编码", "挖掘机冒黑烟"],
}
_EARTHWORKS_P = {
    "housing": 0.45,
    "public_building": 0.35,
    "municipal": 0.55,
    "road": 0.55,
    "demolition": 0.90,
    "land_preparation": 0.85,
    "other": 0.30,
}

_MEETING_DATES = [
    "2025-04-03", "2025-04-15", "2025-04-28", "2025-05-09", "2025-05-22", "2025-06-05", "2025-06-17",
    "2025-06-30", "2025-07-11", "2025-07-24", "2025-08-05", "2025-08-18", "2025-08-29",
    "2025-09-05", "2025-09-12", "2025-09-19", "2025-09-26", "2025-09-30", "2025-10-10", "2025-10-17",
    "2025-10-24", "2025-10-31", "2025-11-07", "2025-11-14", "2025-11-21", "2025-11-28", "2025-12-05",
]
_CHAIRS = {1: "区委书记", 4: "常务副区长", 9: "常务副区长", 16: "常务副区长", 22: "常务副区长"}
_AFTERNOON = {5, 9, 16, 21}

# Alert periods (Beijing): level, start, end, note.
_ALERTS = [
    ("yellow", "2025-11-13 12:00", "2025-11-16 12:00",
     "预计11月13日至16日我市出现持续重污染天气过程，启动黄色预警（Ⅲ级）应急响应：工地停止土石方、拆除作业和渣土运输，非道路移动机械停止使用。"),
    ("orange", "2025-12-06 12:00", "2025-12-08 12:00",
     "预计12月6日起我市出现持续重污染天气过程，启动橙色预警（Ⅱ级）应急响应：在黄色预警措施基础上，停止室外喷涂、切割及建材运输。"),
    ("red", "2025-12-08 12:00", "2025-12-10 18:00",
     "预警升级为红色（Ⅰ级）：全区所有建筑工地停止施工作业；12月10日18时随冷空气过境解除预警。"),
]
# Regional PM2.5 targets (µg/m³, Beijing time) that override the random regional signal.
_EPISODES = [
    [("2025-10-26 12:00", 60), ("2025-10-27 12:00", 105), ("2025-10-28 12:00", 130),
     ("2025-10-29 06:00", 120), ("2025-10-29 20:00", 45), ("2025-10-30 08:00", 40)],
    [("2025-11-11 18:00", 80), ("2025-11-12 18:00", 125), ("2025-11-13 12:00", 160),
     ("2025-11-14 12:00", 195), ("2025-11-15 06:00", 215), ("2025-11-15 20:00", 180),
     ("2025-11-16 08:00", 120), ("2025-11-16 20:00", 40), ("2025-11-17 08:00", 35)],
    [("2025-12-05 12:00", 90), ("2025-12-06 12:00", 140), ("2025-12-07 06:00", 180),
     ("2025-12-07 18:00", 200), ("2025-12-08 12:00", 235), ("2025-12-09 06:00", 260),
     ("2025-12-09 18:00", 240), ("2025-12-10 06:00", 190), ("2025-12-10 14:00", 150),
     ("2025-12-10 20:00", 60), ("2025-12-11 06:00", 35), ("2025-12-11 23:00", 45)],
]
_DUST_DAYS = ["2025-10-20", "2025-11-03"]


# --- data files -----------------------------------------------------------------------------------


def _read_townships() -> list[dict[str, str]]:
    with open(DATA_DIR / "townships.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _read_checklists() -> dict[str, Any]:
    with open(DATA_DIR / "checklists.json", encoding="utf-8") as f:
        return json.load(f)


def _read_stations() -> list[dict[str, str]]:
    with open(DATA_DIR / "demo_stations.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# --- organisation ---------------------------------------------------------------------------------


def _townships() -> list[Record]:
    rows = _read_townships()
    return [
        {
            "id": i,
            "code": r["code"],
            "name": r["name"],
            "name_en": r["name_en"],
            "kind": r["kind"],
            "position": i,
        }
        for i, r in enumerate(rows, start=1)
    ]


def _units(townships: list[Record]) -> list[Record]:
    units: list[Record] = []
    for t in townships:
        units.append({"id": len(units) + 1, "name": t["name"], "name_en": t["name_en"],
                      "kind": "township", "township_id": t["id"]})
    for name, name_en in _DEPARTMENTS:
        units.append({"id": len(units) + 1, "name": name, "name_en": name_en,
                      "kind": "department", "township_id": None})
    for name, name_en, _kinds in _COMPANIES:
        units.append({"id": len(units) + 1, "name": name, "name_en": name_en,
                      "kind": "company", "township_id": None})
    return units


def _checklists() -> tuple[list[Record], list[Record]]:
    data = _read_checklists()
    versions, items = [], []
    for v in data["versions"]:
        vid = len(versions) + 1
        versions.append({
            "id": vid,
            "code": v["code"],
            "name": v["name"],
            "name_en": v.get("name_en", ""),
            "valid_from": _d(v["valid_from"]),
            "valid_to": _d(v["valid_to"]) if v.get("valid_to") else None,
            "source": v.get("source", ""),
        })
        for pos, key in enumerate(v["items"], start=1):
            label = data["items"][key]
            items.append({"id": len(items) + 1, "version_id": vid, "key": key, "position": pos,
                          "label": label["zh"], "label_en": label["en"]})
    return versions, items


# --- sites ----------------------------------------------------------------------------------------


def _site_name(rng: Generator, kind: str, place: str, region: str) -> str:
    road = str(rng.choice(_ROADS))
    if kind == "housing":
        options = [f"{place}安置房项目", f"{place}{rng.choice(_HOUSING_SUFFIX)}{rng.choice(_PHASES)}",
                   f"{place}城中村改造安置区{rng.choice(_PHASES)}"]
    elif kind == "public_building":
        options = [f"{place}小学新建工程", f"{place}中学教学楼扩建工程", f"{place}社区党群服务中心",
                   f"{place}社区卫生服务中心建设项目", f"{place}文体中心"]
    elif kind == "municipal":
        options = [f"{road}雨污分流改造工程", f"{place}污水管网建设工程", f"{road}燃气管网改造工程",
                   f"{place}游园建设工程"]
    elif kind == "road":
        other = str(rng.choice([r for r in _ROADS if r != road]))
        extension = (f"{place}{rng.choice(_SUBDISTRICTS)}延工程" if place.endswith(("路", "街"))
                     else f"{place}{rng.choice(_SUBDISTRICTS)}路新建工程")
        options = [f"{road}道路改造工程", f"{road}（{place}—{other}）提升改造工程", extension]
    elif kind == "demolition":
        options = [f"{place}村城中村改造拆迁项目", f"{place}旧厂区拆除工程"]
    elif kind == "land_preparation":
        options = [f"{place}地块土地整理项目", f"{place}村土地出让地块平整工程", f"{place}储备地块场地平整"]
    elif region == "urban":
        options = [f"{place}老旧小区改造工程", f"{place}棚户区改造配套工程"]
    else:
        options = [f"{place}老旧小区改造工程", f"{place}物流园仓储项目", f"{place}标准化厂房项目"]
    return str(rng.choice(options))


def _township_office(township: str) -> str:
    if township.endswith(("乡", "镇")):
        return f"{township}人民政府"
    return township if township.endswith("管委会") else f"{township}办事处"


def _builder(rng: Generator, kind: str, place: str, township: str, name: str) -> str:
    if "安置" in name or "老旧小区" in name or "棚户区" in name or kind in ("demolition", "land_preparation"):
        return _township_office(township)
    if kind == "housing":
        return f"郑州{rng.choice(_HOUSING_SUFFIX)}置业有限公司"
    if kind == "public_building":
        return "区教育局" if ("学" in name) else "区卫健委" if "卫生" in name else _township_office(township)
    if kind == "municipal":
        return str(rng.choice(["区城管局", "区住建局"]))
    if kind == "road":
        return str(rng.choice(["区交通运输局", "区城管局"]))
    return f"郑州{place}实业有限公司"


def _sites(rng: Generator, townships: list[Record]) -> tuple[list[Record], dict[int, dict[str, Any]]]:
    """Sites plus hidden per-site traits (risk factor, chronic flag, end of inspections)."""
    sites: list[Record] = []
    traits: dict[int, dict[str, Any]] = {}
    names_seen: set[str] = set()
    for t in townships:
        lon0, lat0, spread, n, risk, places = _GEO[t["code"]]
        region = "south" if t["code"] in _SOUTH else "zone" if t["kind"] == "zone" else "urban"
        for k in range(n):
            sid = len(sites) + 1
            if t["code"] == "houzhai" and k == 0:
                # The seed article: 绿地城二期, two residential plots of 83 and 81.3 亩 being cleared.
                name, kind, place = "绿地城二期", "land_preparation", "绿地城"
                area = round((83 + 81.3) * 666.67)
            else:
                kind = str(rng.choice(_SITE_TYPES, p=_TYPE_WEIGHTS[region]))
                place = str(rng.choice(places))
                name = _site_name(rng, kind, place, region)
                area = round(float(_AREA_SCALE[kind] * rng.lognormal(0, 0.5)), -1)
            base = name
            i = 2
            while name in names_seen:
                name = f"{base}（{['', '', '二', '三', '四', '五'][min(i, 5)]}标段）"
                i += 1
            names_seen.add(name)
            lon = float(np.clip(lon0 + rng.normal(0, spread), _BBOX[0] + 0.002, _BBOX[1] - 0.002))
            lat = float(np.clip(lat0 + rng.normal(0, spread * 0.8), _BBOX[2] + 0.002, _BBOX[3] - 0.002))
            companies = [c for c in _COMPANIES if kind in c[2]]
            contractor = companies[int(rng.integers(len(companies)))][0]
            road = str(rng.choice(_ROADS))
            if region == "urban":
                cross = place if place.endswith(("路", "街")) and place != road else None
                cross = cross or str(rng.choice([r for r in _ROADS if r != road]))
                corner = rng.choice(["东北角", "西南角", "东南角", "西北角"])
                address = f"二七区{road}与{cross}交叉口{corner}"
            else:
                village = place if place.endswith(("路", "园")) else f"{place}村"
                address = f"二七区{t['name']}{village}{rng.choice(_SUBDISTRICTS)}侧"
            if kind == "land_preparation":
                started = date(2025, 3, 1) + timedelta(days=int(rng.integers(0, 200)))
            else:
                started = date(2023, 3, 1) + timedelta(days=int(rng.integers(0, 900)))
            if name == "绿地城二期":
                started = date(2025, 8, 18)
            sites.append({
                "id": sid,
                "code": f"GD-{sid:04d}",
                "name": name,
                "address": address,
                "township_id": t["id"],
                "builder_unit": _builder(rng, kind, place, t["name"], name),
                "contractor_unit": contractor,
                "site_type": kind,
                "area_m2": float(area),
                "longitude": round(lon, 6),
                "latitude": round(lat, 6),
                "coord_system": "WGS84",
                "status": "active",
                "plate": "green",
                "started_on": started,
            })
            traits[sid] = {"risk": float(rng.lognormal(0, 0.35)) * risk, "chronic": False,
                           "freq": 14 if rng.random() < 0.1 else 7, "end": DEMO_TODAY,
                           "township_risk": risk}
    # ~10 chronic offenders, drawn where risk is high (绿地城二期 is one of them).
    ids = np.array([s["id"] for s in sites])
    w = np.array([traits[s["id"]]["township_risk"] ** 2
                  * (2.0 if s["site_type"] in ("land_preparation", "demolition") else 1.0) for s in sites])
    green_city = next(s["id"] for s in sites if s["name"] == "绿地城二期")
    w[ids == green_city] = 0
    chronic = [green_city] + [int(x) for x in rng.choice(ids, size=9, replace=False, p=w / w.sum())]
    for sid in chronic:
        traits[sid]["chronic"] = True
        traits[sid]["risk"] *= 3.0
        traits[sid]["freq"] = 7
    # Completed (6) and administratively suspended (6) sites among the others.
    others = [int(x) for x in ids if int(x) not in chronic]
    picked = rng.choice(others, size=12, replace=False)
    for j, sid in enumerate(int(x) for x in picked):
        s = sites[sid - 1]
        if j < 6:
            s["status"] = "completed"
            traits[sid]["end"] = date(2025, 9, 15) + timedelta(days=int(rng.integers(0, 75)))
            traits[sid]["end_reason"] = "项目竣工验收，撤销扬尘管控"
            s["started_on"] = min(s["started_on"], date(2024, 6, 1))
        else:
            s["status"] = "suspended"
            traits[sid]["end"] = date(2025, 8, 1) + timedelta(days=int(rng.integers(0, 110)))
            traits[sid]["end_reason"] = str(rng.choice(["因资金原因停工", "手续不全，暂停施工", "冬季停工"]))
        if s["started_on"] >= traits[sid]["end"]:
            s["started_on"] = traits[sid]["end"] - timedelta(days=200)
    return sites, traits


# --- alerts ---------------------------------------------------------------------------------------


def _alerts() -> list[Record]:
    return [
        {"id": i, "level": level, "starts_at": _bjs(start), "ends_at": _bjs(end),
         "issued_by": ALERT_ISSUER, "note": note}
        for i, (level, start, end, note) in enumerate(_ALERTS, start=1)
    ]


def _alert_at(alerts: list[Record], t: datetime) -> Record | None:
    for a in alerts:
        if a["starts_at"] <= t < (a["ends_at"] or END_OF_TODAY):
            return a
    return None


# --- meetings: the schedule -----------------------------------------------------------------------


def _meeting_schedule() -> list[Record]:
    out = []
    for n, ds in enumerate(_MEETING_DATES, start=1):
        d = _d(ds)
        held = bj(d, 15 if n in _AFTERNOON else 9)
        out.append({"id": n, "number": n, "held_at": held, "chair_title": _CHAIRS.get(n, "区长")})
    return out


# --- inspections: a chronological simulation --------------------------------------------------------


@dataclass
class _Sim:
    inspections: list[Record]
    results: list[Record]
    named: dict[int, list[int]]  # meeting number -> township ids named as worst
    window: dict[int, dict[str, Any]]  # meeting number -> stats since the previous meeting
    stop_work: dict[int, int]  # meeting number -> site id ordered to stop work (停工整改)


def _schedule(rng: Generator, sites: list[Record], traits: dict[int, dict[str, Any]],
              alerts: list[Record]) -> list[tuple[datetime, int, str]]:
    """Routine weekly (or fortnightly) visits and spot checks during alerts, in time order."""
    plan: list[tuple[datetime, int, str]] = []
    for s in sites:
        tr = traits[s["id"]]
        start = max(INSPECTIONS_FROM, s["started_on"])
        end = tr["end"]
        if end < start:
            continue
        freq = tr["freq"]
        d = start + timedelta(days=int(rng.integers(0, freq)))
        while d <= end:
            day = d + timedelta(days=int(rng.integers(-1, 2)))
            if day.weekday() == 6:
                day += timedelta(days=1)
            if start <= day <= end:
                minute = int(rng.integers(9 * 60, 16 * 60 + 30))
                plan.append((bj(day, minute // 60, minute % 60), s["id"], "routine"))
            d += timedelta(days=freq)
    # Extra spot checks while an alert is in force (sites that could be doing earthworks).
    for a in alerts:
        a_end = min(a["ends_at"] or END_OF_TODAY, END_OF_TODAY)
        hours = (a_end - a["starts_at"]).total_seconds() / 3600
        for s in sites:
            if s["site_type"] in ("public_building", "other"):
                continue
            if traits[s["id"]]["end"] < bj_date(a["starts_at"]) or s["started_on"] > bj_date(a["starts_at"]):
                continue
            if rng.random() < 0.35:
                t = a["starts_at"] + timedelta(hours=float(rng.uniform(0.5, hours - 0.5)))
                local = t.astimezone(BJ)
                if local.hour < 8 or local.hour >= 20:  # spot checks happen 08:00–20:00
                    t = bj(local.date(), 8 + int(rng.integers(0, 12)), int(rng.integers(0, 60)))
                    if not (a["starts_at"] <= t < a_end):
                        continue
                plan.append((t, s["id"], "spot"))
    plan.sort(key=lambda x: (x[0], x[1]))
    return plan


def _simulate(rng: Generator, sites: list[Record], traits: dict[int, dict[str, Any]],
              items: list[Record], version_id: int, alerts: list[Record], meetings: list[Record],
              townships: list[Record]) -> _Sim:
    by_id = {s["id"]: s for s in sites}
    plan = _schedule(rng, sites, traits, alerts)
    inspections: list[Record] = []
    results: list[Record] = []
    named: dict[int, list[int]] = {}
    window: dict[int, dict[str, Any]] = {}
    stop_work: dict[int, int] = {}
    last: dict[tuple[int, str], str] = {}
    suspended_from: dict[int, date] = {}
    last_visit: dict[int, date] = {}
    t_risk = {t["id"]: _GEO[t["code"]][4] for t in townships}
    inspectors_of = {t["id"]: [_INSPECTORS[(t["id"] * 2 + j) % len(_INSPECTORS)] for j in range(2)]
                     for t in townships}
    meeting_queue = list(meetings)
    effect: list[tuple[datetime, int]] = []  # (meeting time, township id)
    fails_since: list[tuple[int, int, str, int]] = []  # (township, site, item_key, inspection id)
    insp_since = 0
    wds_since: list[int] = []

    def hold_meeting(m: Record) -> None:
        nonlocal fails_since, insp_since, wds_since
        n = m["number"]
        if fails_since:
            per_t: dict[int, int] = defaultdict(int)
            per_site: dict[int, list[str]] = defaultdict(list)
            for tid, sid, key, _iid in fails_since:
                per_t[tid] += 1
                per_site[sid].append(key)
            ranked = sorted(per_t.items(), key=lambda kv: (-kv[1], kv[0]))
            named[n] = [tid for tid, c in ranked[:3] if c >= 2] or [ranked[0][0]]
            top_sites = sorted(per_site.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:3]
            window[n] = {"inspections": insp_since, "fails": len(fails_since), "per_township": dict(per_t),
                         "top_sites": [(sid, keys) for sid, keys in top_sites],
                         "working_during_stop": list(wds_since)}
        else:
            tids = [t["id"] for t in townships]
            p = np.array([t_risk[t] ** 2 for t in tids])
            k = int(rng.integers(1, 4))
            named[n] = [int(x) for x in rng.choice(tids, size=k, replace=False, p=p / p.sum())]
        # Meetings 24 and 26 order the worst chronic site to stop work (停工整改).
        if n in (24, 26) and fails_since:
            cand = defaultdict(int)
            for _tid, sid, _key, _iid in fails_since:
                if traits[sid]["chronic"] and sid not in suspended_from and by_id[sid]["status"] == "active":
                    cand[sid] += 1
            if cand:
                sid = sorted(cand.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
                suspended_from[sid] = bj_date(m["held_at"]) + timedelta(days=1)
                stop_work[n] = sid
                by_id[sid]["status"] = "suspended"
                traits[sid]["end"] = bj_date(m["held_at"])
                traits[sid]["end_reason"] = f"第{n}次调度会决定：问题屡查屡犯，责令停工整改"
        for tid in named[n]:
            effect.append((m["held_at"], tid))
        fails_since, insp_since, wds_since = [], 0, []

    # Re-inspections (复查) are added as failures occur, so the plan is a heap.
    queue = [(t, sid, i, kind) for i, (t, sid, kind) in enumerate(plan)]
    heapq.heapify(queue)
    counter = len(queue)
    while queue:
        t, sid, _order, kind = heapq.heappop(queue)
        while meeting_queue and meeting_queue[0]["held_at"] <= t:
            hold_meeting(meeting_queue.pop(0))
        if sid in suspended_from and bj_date(t) >= suspended_from[sid]:
            continue
        if last_visit.get(sid) == bj_date(t):  # at most one inspection of a site per day
            continue
        last_visit[sid] = bj_date(t)
        s = by_id[sid]
        tr = traits[sid]
        tid = s["township_id"]
        mult = 1.0
        for mt, mtid in effect:
            if mtid == tid:
                days = (t - mt).total_seconds() / 86400
                if 0 <= days < 18:
                    mult = min(mult, 1 - 0.6 * (1 - days / 18))
        alert = _alert_at(alerts, t)
        earthworks = rng.random() < _EARTHWORKS_P[s["site_type"]]
        working = False
        if alert is not None:
            stopped = alert["level"] == "red" or earthworks
            if stopped:
                p_violate = min(0.6, 0.06 * tr["risk"] * (2.5 if tr["chronic"] else 1.0))
                working = rng.random() < p_violate
                earthworks = earthworks and working
        machinery = rng.random() < (0.85 if earthworks else 0.45)
        iid = len(inspections) + 1
        n_fail = 0
        fail_notes = []
        for it in items:
            key = it["key"]
            if (key == "wet_ops" and not earthworks) or (key == "nonroad_machinery" and not machinery) or (
                key == "sealed_transport" and not earthworks and rng.random() < 0.5
            ):
                res = "na"
            else:
                p = _ITEM_BASE[key] * tr["risk"] * mult
                if key in ("cover", "wet_ops") and s["site_type"] in ("land_preparation", "demolition"):
                    p *= 1.4
                if working:
                    p *= 2.0
                if last.get((sid, key)) == "fail":
                    p += 0.25 * mult
                res = "fail" if rng.random() < min(p, 0.85) else "pass"
            note = ""
            if res == "fail":
                note = str(rng.choice(_FAIL_NOTES[key]))
                n_fail += 1
                fail_notes.append(note)
                fails_since.append((tid, sid, key, iid))
            if res != "na":
                last[(sid, key)] = res
            results.append({"id": len(results) + 1, "inspection_id": iid, "item_id": it["id"],
                            "result": res, "note": note, "photos": []})
        insp_since += 1
        if working:
            wds_since.append(iid)
        if working:
            level = {"yellow": "黄色", "orange": "橙色", "red": "红色"}[alert["level"]]
            note = f"{level}预警期间违规施工，已责令立即停工"
        elif n_fail:
            note = f"发现问题{n_fail}项（{'、'.join(fail_notes)}），已下达限期整改通知书"
        elif kind == "recheck":
            note = "整改到位"
        elif alert is not None:
            note = "停工措施落实到位"
        else:
            note = ""
        if kind == "spot" and not note:
            note = "未发现问题"
        # Most failures get a re-inspection by their deadline (inspection day + 3).
        if n_fail and rng.random() < (0.75 if kind != "recheck" else 0.4):
            day = bj_date(t) + timedelta(days=int(rng.integers(2, 4)))
            if day.weekday() == 6:
                day += timedelta(days=1)
            if day <= min(tr["end"], DEMO_TODAY):
                minute = int(rng.integers(9 * 60, 16 * 60 + 30))
                heapq.heappush(queue, (bj(day, minute // 60, minute % 60), sid, counter, "recheck"))
                counter += 1
        inspections.append({
            "id": iid,
            "site_id": sid,
            "checklist_version_id": version_id,
            "inspected_at": t,
            "inspector_id": None,
            "inspector_name": (str(rng.choice(_INSPECTORS)) if kind == "spot"
                               else inspectors_of[tid][int(rng.integers(2))]),
            "status": "submitted",
            "kind": {"recheck": "recheck", "spot": "alert_check"}.get(kind, "routine"),
            "working_during_stop": working,
            "alert_id": alert["id"] if alert is not None else None,
            "note": note,
            "source": "demo",
            "created_at": t + timedelta(minutes=20),
            "updated_at": t + timedelta(minutes=20),
        })
    while meeting_queue:
        hold_meeting(meeting_queue.pop(0))
    return _Sim(inspections, results, named, window, stop_work)


# --- rectifications -------------------------------------------------------------------------------


def _rectifications(sites: list[Record], township_name: dict[int, str], items: list[Record],
                    inspections: list[Record], results: list[Record]) -> list[Record]:
    """The rectifications the app's own loop makes of this history (``domain.rectification``):
    planned per site and item, with deadlines and escalation levels as of the demo's today."""
    rules = RectificationRules()
    key_of = {it["id"]: it["key"] for it in items}
    insp = {i["id"]: i for i in inspections}
    site_of = {s["id"]: s for s in sites}
    series: dict[tuple[int, str], list[Observation]] = defaultdict(list)
    for r in results:
        if r["result"] in ("pass", "fail"):
            i = insp[r["inspection_id"]]
            series[(i["site_id"], key_of[r["item_id"]])].append(Observation(r["id"], i["inspected_at"], r["result"]))
    recs = []
    for (sid, key), history in series.items():
        failures = [(o.result_id, o.at) for o in history if o.outcome == "fail"]
        s = site_of[sid]
        for p in plan(history):
            deadline = deadline_for(p.opened_at.astimezone(BEIJING).date(), rules)
            recs.append({
                "site_id": sid,
                "item_key": key,
                "opened_by_id": p.opened_by,
                "opened_at": p.opened_at,
                "deadline": deadline,
                "responsible_unit": responsible_unit(township_name[s["township_id"]], s["contractor_unit"]),
                "status": "open" if p.is_open else "closed",
                "closed_by_id": p.closed_by,
                "closed_at": p.closed_at,
                "escalation_level": level_as_of(p.opened_by, p.opened_at, deadline, p.closed_at, failures,
                                                DEMO_TODAY, BEIJING, rules),
                "evidence": [],
                "created_at": p.opened_at,
                "updated_at": p.closed_at or p.opened_at,
            })
    recs.sort(key=lambda r: (r["opened_at"], r["opened_by_id"]))
    return [{"id": i, **r} for i, r in enumerate(recs, start=1)]


# --- plates ---------------------------------------------------------------------------------------


def _plates(sites: list[Record], traits: dict[int, dict[str, Any]], inspections: list[Record],
            results: list[Record], rects: list[Record]) -> list[Record]:
    """Plate changes from the app's own rule (``domain.compliance.derive_plate``), reviewed every
    Monday and on the demo's today, so the stored plate is what the app would derive now."""
    rules = PlateRules()
    fails_by_site: dict[int, list[date]] = defaultdict(list)
    wds_by_site: dict[int, list[date]] = defaultdict(list)
    insp = {i["id"]: i for i in inspections}
    for r in results:
        if r["result"] == "fail":
            i = insp[r["inspection_id"]]
            fails_by_site[i["site_id"]].append(bj_date(i["inspected_at"]))
    for i in inspections:
        if i["working_during_stop"]:
            wds_by_site[i["site_id"]].append(bj_date(i["inspected_at"]))
    rect_by_site: dict[int, list[tuple[date, date, date | None]]] = defaultdict(list)
    for r in rects:
        closed = bj_date(r["closed_at"]) if r["closed_at"] else None
        rect_by_site[r["site_id"]].append((bj_date(r["opened_at"]), r["deadline"], closed))

    reviews = []
    d = date(2025, 10, 6)
    while d < DEMO_TODAY:
        reviews.append(d)
        d += timedelta(days=7)
    reviews.append(DEMO_TODAY)
    changes: list[Record] = []
    for s in sites:
        sid = s["id"]
        tr = traits[sid]
        first = max(date(2025, 9, 29), s["started_on"])
        plate = "yellow" if tr["chronic"] else "green"
        if first <= tr["end"]:
            changes.append({"site_id": sid, "plate": plate, "changed_at": bj(first, 10),
                            "reason": "秋冬季攻坚工地分级管控初始评定"})
        for rd in reviews:
            if rd <= first or rd > tr["end"]:
                continue
            facts = plate_facts(fails_by_site[sid], wds_by_site[sid], rect_by_site[sid], rd, rules)
            decision = derive_plate(facts, rules)
            if decision.plate != plate:
                plate = decision.plate
                reason = "；".join(translate(key, "zh", **params) for key, params in decision.reasons)
                changes.append({"site_id": sid, "plate": plate, "changed_at": bj(rd, 10), "reason": reason})
        if s["status"] == "suspended" and tr["end"] >= first and "停工整改" in tr.get("end_reason", ""):
            if plate != "red":
                plate = "red"
                changes.append({"site_id": sid, "plate": "red", "changed_at": bj(tr["end"], 17),
                                "reason": tr["end_reason"]})
        if s["status"] == "completed" and tr["end"] >= first and plate != "green":
            plate = "green"
            changes.append({"site_id": sid, "plate": "green", "changed_at": bj(tr["end"], 17),
                            "reason": tr["end_reason"]})
        s["plate"] = plate
    changes.sort(key=lambda c: (c["changed_at"], c["site_id"]))
    return [{"id": i, **c} for i, c in enumerate(changes, start=1)]


# --- meetings: content and the task ledger ---------------------------------------------------------


def _season(d: date) -> str:
    if d.month in (4, 5):
        return "spring"
    if d.month in (6, 7, 8):
        return "summer"
    if d.month in (9, 10):
        return "autumn"
    return "winter"


_FOCUS = {
    "spring": ["春季扬尘管控", "拆迁工地湿法作业", "道路机扫水洗", "露天焚烧巡查"],
    "summer": ["臭氧污染防控", "VOCs治理", "汽修喷涂错时作业", "餐饮油烟治理"],
    "autumn": ["秋冬季攻坚方案落实", "散煤复燃排查", "渣土车夜间整治", "工地扬尘治理"],
    "winter": ["工地扬尘治理", "道路扬尘治理", "渣土车重型车辆整治", "重污染天气应急管控"],
}

# Generic problems per season: (text, responsible department or None, item key or None)
_GENERIC_PROBLEMS = {
    "spring": [("春季大风天气增多，部分拆迁工地湿法作业不到位，扬尘明显", None, "wet_ops"),
               ("部分主次干道机扫水洗频次不足，道路积尘明显", "区城管局", None),
               ("城乡接合部露天焚烧垃圾、落叶现象时有发生", "区农委", None)],
    "summer": [("臭氧污染突出，部分汽修企业喷漆作业未在密闭空间进行", "区生态环境分局", None),
               ("部分加油站油气回收装置运行不正常", "区商务局", None),
               ("部分餐饮单位油烟净化设施未正常使用", "区城管局", None)],
    "autumn": [("秋冬季攻坚方案部分任务推进滞后，台账不清", "区攻坚办", None),
               ("城乡接合部散煤复燃隐患排查不彻底", "区农委", None),
               ("渣土车夜间违规运输、抛洒滴漏问题反弹", "区城管局", "sealed_transport"),
               ("重型柴油车冒黑烟、违规进入限行区域", "区交警大队", None)],
    "winter": [("部分工地裸土覆盖不到位，冬季扬尘管控存在薄弱环节", None, "cover"),
               ("渣土车未密闭运输、带泥上路现象仍有发生", "区城管局", "sealed_transport"),
               ("主次干道道路扬尘反弹，机扫水洗作业不规范", "区城管局", None),
               ("重型柴油货车违规进入城区，路检路查力度不够", "区交警大队", None),
               ("重污染天气应急减排清单企业停限产措施落实不到位", "区生态环境分局", None)],
}

# Department tasks per season: (task, measures, responsible department, lead department)
_DEPT_TASKS = {
    "spring": [
        ("主次干道机扫水洗提质", "每日机扫水洗不少于4遍，重点路段增加频次，建立作业台账", "区城管局", "区攻坚办"),
        ("露天焚烧专项巡查", "乡镇办网格员每日巡查，发现一起处置一起，建立巡查台账", "区农委", "区攻坚办"),
        ("拆迁工地湿法作业专项检查", "对全区在拆工地逐一检查，未落实湿法作业的一律停工", "区住建局", "区攻坚办"),
        ("裸露土地排查覆盖", "对辖区裸露土地建立台账，限期完成覆盖或绿化", "区自然资源局", "区攻坚办"),
    ],
    "summer": [
        ("汽修喷涂企业VOCs专项执法检查", "对全区汽修企业逐一检查，督促喷涂作业错时进行，违法行为立案查处", "区生态环境分局", "区攻坚办"),
        ("加油站油气回收装置检测", "组织第三方对辖区加油站油气回收装置全覆盖检测，引导夜间加油", "区商务局", "区生态环境分局"),
        ("餐饮油烟净化设施专项整治", "对主次干道沿街餐饮单位逐户检查，未安装净化设施的限期整改", "区城管局", "区攻坚办"),
        ("工地涂装作业错时管控", "高温时段（10时至18时）停止工地露天喷涂作业", "区住建局", "区攻坚办"),
    ],
    "autumn": [
        ("秋冬季攻坚方案任务分解落实", "细化任务清单，明确责任单位和时间节点，每周报送进展", "区攻坚办", "区督查办"),
        ("散煤复燃隐患排查", "对城乡接合部、城中村开展拉网式排查，发现散煤一律收缴", "区农委", "区攻坚办"),
        ("渣土车夜间专项整治", "联合交警、公安开展夜间巡查，未密闭、带泥上路的一律查扣", "区城管局", "区攻坚办"),
        ("重型柴油车路检路查", "在主要进城通道设卡检查，冒黑烟车辆一律处罚并通报", "区交警大队", "区生态环境分局"),
        ("重污染天气应急减排清单修订", "完成应急减排清单修订，落实企业“一厂一策”", "区生态环境分局", "区攻坚办"),
    ],
    "winter": [
        ("渣土车、重型车辆联合整治", "交警、城管、公安联合执法，夜间重点路段全时段值守", "区交警大队", "区攻坚办"),
        ("主次干道道路扬尘治理", "机扫水洗每日不少于6遍，冰冻天气改为机扫吸尘，建立作业台账", "区城管局", "区攻坚办"),
        ("重污染天气应急管控措施落实", "预警发布后2小时内完成工地、企业停限产措施，逐一核查到位", "区生态环境分局", "区攻坚办"),
        ("逾期未整改工地停工整改", "对逾期未完成整改的工地一律实施停工整改，列入红牌管理", "区住建局", "区攻坚办"),
        ("交办问题整改“回头看”", "对历次调度会交办问题逐项复核，逾期未完成的启动问责程序", "区督查办", "区攻坚办"),
        ("违规施工工地查处", "对预警期间违规施工工地依法处罚，纳入信用管理", "区住建局", "区生态环境分局"),
        ("土地出让地块垃圾渣土清运", "核实地块内垃圾、渣土情况，明确责任单位、责任人，按时间节点清运", "区自然资源局", "区督查办"),
        ("重型柴油车违规进入限行区域整治", "加强路面管控，非现场执法与路检路查相结合", "区公安分局", "区交警大队"),
    ],
}

_MEASURE_ZH = {
    "criticism": "通报批评", "interview": "约谈", "admonition": "诫勉谈话", "accountability": "问责"
}
_LADDER = ["criticism", "interview", "admonition", "accountability"]


def _fmt_md(d: date) -> str:
    return f"{d.month}月{d.day}日"


def _meetings(rng: Generator, meetings: list[Record], sim: _Sim, sites: list[Record],
              townships: list[Record], units: list[Record], items: list[Record]) -> dict[str, list[Record]]:
    site_by_id = {s["id"]: s for s in sites}
    t_name = {t["id"]: t["name"] for t in townships}
    unit_id = {u["name"]: u["id"] for u in units}
    t_unit = {u["township_id"]: u["id"] for u in units if u["kind"] == "township"}
    label = {it["key"]: it["label"] for it in items}

    # 1. Action items for every meeting (tasks depend on the townships each meeting named).
    actions: list[Record] = []
    per_meeting_actions: dict[int, list[Record]] = defaultdict(list)
    for m in meetings:
        n = m["number"]
        held = bj_date(m["held_at"])
        season = _season(held)
        k = int(rng.integers(3, 7))
        tasks: list[tuple[str, str, int, int]] = []
        for tid in sim.named[n][:2]:
            w = sim.window.get(n)
            site = None
            if w:
                site = next((site_by_id[sid] for sid, _ in w["top_sites"]
                             if site_by_id[sid]["township_id"] == tid), None)
            if site is not None:
                task = f"{site['name']}工地扬尘问题限期整改"
                measures = f"对照“8个100%”逐项整改{site['name']}存在的问题，3日内整改到位，区住建局复查销号"
            else:
                task = f"{t_name[tid]}辖区工地扬尘拉网式排查整治"
                measures = "对辖区在建工地逐一排查，建立问题台账，严格落实“8个100%”要求"
            tasks.append((task, measures, t_unit[tid], unit_id["区住建局"]))
        pool = list(_DEPT_TASKS[season])
        order = rng.permutation(len(pool))
        for j in order:
            if len(tasks) >= k:
                break
            task, measures, resp, lead = pool[int(j)]
            tasks.append((task, measures, unit_id[resp], unit_id[lead]))
        for seq, (task, measures, resp, lead) in enumerate(tasks[:k], start=1):
            deadline = held + timedelta(days=int(rng.integers(3, 22)))
            rec = {"id": len(actions) + 1, "meeting_id": m["id"], "seq": seq, "task": task,
                   "measures": measures, "responsible_unit_id": resp, "lead_department_id": lead,
                   "deadline": deadline}
            actions.append(rec)
            per_meeting_actions[n].append(rec)

    # 2. Their status as of DEMO_TODAY, with history.
    # ~10 items stay open past their deadline and come back at later meetings (回头看).
    overdue_pool = [a for a in actions
                    if 19 <= a["meeting_id"] <= 26 and a["deadline"] < DEMO_TODAY - timedelta(days=1)]
    early = [a for a in overdue_pool if a["meeting_id"] <= 23]
    late = [a for a in overdue_pool if a["meeting_id"] > 23]
    stuck_ids = {int(x) for x in rng.choice([a["id"] for a in early], size=min(6, len(early)), replace=False)}
    stuck_ids |= {int(x) for x in rng.choice([a["id"] for a in late], size=min(4, len(late)), replace=False)}
    changes: list[Record] = []
    id_to_unit = {u["id"]: u for u in units}

    def at_day(d: date) -> datetime:
        return bj(d, int(rng.integers(9, 17)), int(rng.integers(0, 60)))

    for a in actions:
        m = meetings[a["meeting_id"] - 1]
        held = m["held_at"]
        held_d = bj_date(held)
        span = (a["deadline"] - held_d).days
        hist = [(held, None, "open")]
        progress_d = held_d + timedelta(days=int(rng.integers(1, 3)))
        done_at = verified_at = None
        if a["id"] in stuck_ids:
            status = "open" if rng.random() < 0.3 else "in_progress"
        else:
            done_d = held_d + timedelta(days=max(1, round(span * float(rng.uniform(0.4, 1.0)))))
            if rng.random() < 0.15:
                done_d += timedelta(days=int(rng.integers(1, 5)))
            if a["deadline"] < DEMO_TODAY:
                done_d = min(done_d, DEMO_TODAY)
            if done_d <= DEMO_TODAY:
                status = "done"
                done_at = at_day(done_d)
                progress_d = min(progress_d, done_d - timedelta(days=1))
                ver_d = done_d + timedelta(days=int(rng.integers(1, 10)))
                if ver_d <= DEMO_TODAY and rng.random() > 0.04:
                    status = "verified"
                    verified_at = at_day(ver_d)
            else:
                status = "in_progress" if progress_d <= DEMO_TODAY else "open"
        if status != "open" and progress_d > held_d:
            hist.append((at_day(progress_d), "open", "in_progress"))
        elif status != "open":
            hist.append((held + timedelta(hours=3), "open", "in_progress"))
        if done_at is not None:
            done_at = max(done_at, hist[-1][0] + timedelta(hours=1))
            hist.append((done_at, "in_progress", "done"))
        if verified_at is not None:
            verified_at = max(verified_at, done_at + timedelta(hours=1))
            hist.append((verified_at, "done", "verified"))
        a.update({"status": status, "done_at": done_at, "verified_at": verified_at, "verified_by_id": None,
                  "evidence": [], "created_at": held, "updated_at": hist[-1][0]})
        for at, old, new in hist:
            changes.append({"id": len(changes) + 1, "action_item_id": a["id"], "at": at, "user_id": None,
                            "field": "status", "old_value": old, "new_value": new})

    # 3. Problems, decisions, accountability, summary and minutes.
    problems: list[Record] = []
    decisions: list[Record] = []
    account: list[Record] = []
    worst_history: list[int] = []
    core_depts = ["区攻坚办", "区生态环境分局", "区住建局", "区城管局", "区交警大队", "区公安分局",
                  "区自然资源局", "区督查办", "区交通运输局"]
    for idx, m in enumerate(meetings):
        n = m["number"]
        held_d = bj_date(m["held_at"])
        season = _season(held_d)
        prev = meetings[idx - 1] if idx else None
        prev_d = bj_date(prev["held_at"]) if prev else None
        w = sim.window.get(n)
        mp: list[tuple[str, int | None, int | None, str | None]] = []
        if w:
            ranked = sorted(w["per_township"].items(), key=lambda kv: (-kv[1], kv[0]))
            for tid in sim.named[n]:
                c = w["per_township"].get(tid, 0)
                rank = [r[0] for r in ranked].index(tid) + 1 if tid in w["per_township"] else None
                worst = "居全区首位" if rank == 1 else f"居全区第{rank}位" if rank else ""
                mp.append((f"{t_name[tid]}：{_fmt_md(prev_d)}以来督查发现工地扬尘问题{c}项，{worst}，整改不及时",
                           tid, None, None))
            for sid, keys in w["top_sites"][:2]:
                s = site_by_id[sid]
                key = max(set(keys), key=lambda x: (keys.count(x), x))
                mp.append((f"{t_name[s['township_id']]}{s['name']}：{label[key]}落实不到位，"
                           f"督查发现问题{len(keys)}项，{'屡查屡犯' if len(keys) >= 3 else '需限期整改'}",
                           s["township_id"], sid, key))
            if w["working_during_stop"]:
                mp.append((f"重污染天气预警期间，{len(w['working_during_stop'])}个工地违规施工，应急管控措施落实不严",
                           None, None, None))
            if n in sim.stop_work:
                s = site_by_id[sim.stop_work[n]]
                mp.append((f"{s['name']}问题屡查屡犯，经会议研究责令停工整改", s["township_id"], s["id"], None))
        else:
            for tid in sim.named[n]:
                topic = str(rng.choice(_FOCUS[season]))
                mp.append((f"{t_name[tid]}：{topic}工作推进不力，问题整改滞后", tid, None, None))
        generic = _GENERIC_PROBLEMS[season]
        for j in rng.choice(len(generic), size=min(2, len(generic)), replace=False):
            text, _dept, key = generic[int(j)]
            mp.append((text, None, None, key))
        # 回头看: ledger items of earlier meetings still not done after their deadline.
        follow = [a for a in actions if a["meeting_id"] < n and a["deadline"] < held_d
                  and (a["done_at"] is None or bj_date(a["done_at"]) > held_d)]
        for a in follow:
            u = id_to_unit[a["responsible_unit_id"]]
            mp.append((f"回头看：第{a['meeting_id']}次调度会交办的“{a['task']}”逾期未完成"
                       f"（责任单位：{u['name']}，完成时限{_fmt_md(a['deadline'])}）",
                       u["township_id"], None, None))
        for pos, (text, tid, sid, key) in enumerate(mp, start=1):
            problems.append({"id": len(problems) + 1, "meeting_id": m["id"], "position": pos,
                             "description": text, "township_id": tid, "site_id": sid, "item_key": key})

        # Accountability: the worst township climbs the ladder; sometimes a contractor or a department.
        acc: list[tuple[int, str, str]] = []
        worst_tid = sim.named[n][0]
        worst_history.append(worst_tid)
        if w or rng.random() < 0.5:
            # 一次警告，两次约谈，三次问责: the ladder step is how often the unit was the worst
            # in the last four meetings, so a township that improves steps back down.
            strikes = worst_history[-4:].count(worst_tid)
            measure = _LADDER[min(strikes, 4) - 1]
            c = w["per_township"].get(worst_tid, 0) if w else None
            reason = (f"辖区工地扬尘问题突出，{_fmt_md(prev_d)}以来督查发现问题{c}项，整改不力" if w
                      else f"{_FOCUS[season][0]}工作推进不力，交办问题整改滞后")
            acc.append((t_unit[worst_tid], measure, reason))
        if w and w["top_sites"] and rng.random() < 0.6:
            s = site_by_id[w["top_sites"][0][0]]
            acc.append((unit_id[s["contractor_unit"]], "criticism",
                        f"承建的{s['name']}扬尘防控措施不落实，屡查屡犯"))
        if follow and rng.random() < 0.5:
            a = follow[0]
            u = id_to_unit[a["responsible_unit_id"]]
            if all(x[0] != u["id"] for x in acc):
                acc.append((u["id"], "interview" if u["kind"] != "company" else "criticism",
                            f"第{a['meeting_id']}次调度会交办任务“{a['task']}”逾期未完成"))
        if n == 27:
            acc.append((unit_id["区城管局"], "criticism", "主次干道道路扬尘治理不到位，机扫水洗频次不足"))
            acc.append((unit_id["郑州万顺渣土运输有限公司"], "criticism", "渣土车夜间未密闭运输、带泥上路"))
        seen: set[int] = set()
        for uid, measure, reason in acc:
            if uid in seen:
                continue
            seen.add(uid)
            account.append({"id": len(account) + 1, "meeting_id": m["id"], "unit_id": uid,
                            "measure": measure, "reason": reason})

        # Decisions.
        dec = _decisions(rng, n, season, [t_name[t] for t in sim.named[n]], sim, site_by_id)
        for pos, text in enumerate(dec, start=1):
            decisions.append({"id": len(decisions) + 1, "meeting_id": m["id"], "position": pos, "text": text})

        # Attendees, agenda, summary, minutes.
        if n >= 14:
            attendees = core_depts + ["区商务局", "区农委", "区市场监管局"] + [t["name"] for t in townships]
        else:
            extra = [t_name[t] for t in sim.named[n]]
            attendees = core_depts[: 6 + int(rng.integers(0, 4))] + extra
        agenda_lines = [
            f"通报{_fmt_md(prev_d) + '以来' if prev_d else '近期'}全区空气质量及排名情况",
            "通报督查发现问题及整改情况" if w or n >= 14 else f"通报{_FOCUS[season][0]}工作进展",
        ]
        if prev:
            agenda_lines.append(f"第{prev['number']}次调度会交办事项“回头看”")
        agenda_lines.append("问题较多单位表态发言")
        agenda_lines.append(f"{m['chair_title']}讲话，安排部署下一阶段工作")
        agenda = "\n".join(f"{i}. {x}" for i, x in enumerate(agenda_lines, start=1))
        summary = _summary(rng, m, season, [t_name[t] for t in sim.named[n]])
        m_actions = per_meeting_actions[n]
        m["location"] = "区政府三楼会议室"
        minutes = _minutes(m, attendees, agenda_lines, [p for p in problems if p["meeting_id"] == m["id"]],
                           dec, [a for a in account if a["meeting_id"] == m["id"]], m_actions, id_to_unit,
                           summary)
        m.update({"attendees": attendees, "agenda": agenda, "summary": summary, "minutes_md": minutes,
                  "air_quality": {}, "created_at": m["held_at"] + timedelta(hours=3),
                  "updated_at": m["held_at"] + timedelta(hours=3)})
    return {"problems": problems, "decisions": decisions, "accountability": account,
            "actions": actions, "changes": changes}


def _decisions(rng: Generator, n: int, season: str, named: list[str], sim: _Sim,
               site_by_id: dict[int, Record]) -> list[str]:
    if n == 27:
        return [
            "持续深化工地扬尘污染、道路扬尘治理、渣土车重型车辆整治，找准突出问题和薄弱环节，对症下药。",
            "狠抓重污染天气应急管控措施落实：预警发布后，各乡镇办（管委会）、各行业部门立即启动应急响应，工地停止土石方作业、拆除作业和渣土运输。",
            "严格落实“党政同责、一岗双责、失职追责”要求，各单位主要负责人作为第一责任人，亲自安排部署、靠前指挥、亲自督战。",
            "严格责任追究和考核奖惩：对本次会议交办问题实行台账管理，区督查办逐项跟踪督办，逾期未完成的按“一次警告，两次约谈，三次问责”启动问责程序。",
            f"{'、'.join(named)}主要负责人在下次调度会上作表态发言。",
        ]
    pool = [
        f"对问题突出的{'、'.join(named)}进行通报，其主要负责人在下次调度会上作表态发言。",
        "各乡镇办（管委会）对辖区工地开展拉网式排查，严格落实“8个100%”要求，问题清单化、台账化管理。",
        f"区城管局牵头，主次干道每日机扫水洗不少于{int(rng.integers(4, 7))}遍。",
        "区交警大队、区公安分局联合区城管局开展渣土车、重型柴油车夜间专项整治。",
        "区督查办对本次会议交办事项实行台账管理，逐项跟踪督办，逾期未完成的按程序启动问责。",
        "严格落实“一次警告，两次约谈，三次问责”工作机制。",
    ]
    if season == "summer":
        pool.append("区生态环境分局牵头开展VOCs专项执法检查，督促汽修喷涂企业错时作业。")
    if season == "winter":
        pool.append("严格执行重污染天气应急预案，预警期间工地停止土石方作业、拆除作业和渣土运输。")
        pool.append("区住建局对逾期未整改工地一律实施停工整改，列入红牌管理。")
    if season == "autumn":
        pool.append("按照秋冬季攻坚方案，细化任务清单，倒排工期，确保各项措施11月前落实到位。")
    if n in sim.stop_work:
        pool.append(f"{site_by_id[sim.stop_work[n]]['name']}即日起停工整改，整改验收合格后方可复工。")
    k = int(rng.integers(3, 6))
    first = [pool[0]]
    rest = [pool[int(i)] for i in rng.permutation(len(pool) - 1)[: k - 1] + 1]
    out = first + rest
    if n in sim.stop_work and pool[-1] not in out:
        out.append(pool[-1])
    return out


def _summary(rng: Generator, m: Record, season: str, named: list[str]) -> str:
    n = m["number"]
    d = bj_date(m["held_at"])
    when = f"{_fmt_md(d)}{'下午' if m['held_at'].astimezone(BJ).hour >= 12 else '上午'}"
    chair = m["chair_title"]
    if n == 27:
        return (
            f"{when}，{chair}主持召开大气污染防治攻坚战第27次调度会，相关职能部门负责人参会。"
            "会议通报了近期工作进展情况，与会领导和相关单位负责人就如何打好打赢大气污染防治攻坚战进行了发言。"
            f"{chair}要求，全区各单位要切实提高责任感和紧迫感，不断深化工地扬尘污染、道路扬尘治理、渣土车重型车辆整治，"
            "狠抓重污染天气应急管控措施的落实，找准当前工作中存在的突出问题和薄弱环节，对症下药，"
            "严格责任追究和考核奖惩，集中优势打好最后攻坚战。各级各部门要把冬季大气污染防治攻坚战作为当前工作的重点，"
            "加强组织领导，严格落实“党政同责、一岗双责、失职追责”要求，主要负责人作为第一责任人，"
            "要亲自安排部署、靠前指挥、亲自督战，严格工作标准，确保各项工作措施、管控要求落实到位，"
            "在冬季气象条件不利的情况下确保空气质量持续改善。"
        )
    focus = "、".join(_FOCUS[season][:3])
    opening = (f"{when}，{chair}主持召开大气污染防治攻坚战第{n}次调度会，"
               f"{'全区各乡镇办（管委会）和' if n >= 14 else ''}相关职能部门负责人参会。")
    report = str(rng.choice([
        "会议通报了近期全区空气质量和攻坚工作进展情况，",
        "会议通报了上次调度会以来空气质量排名和督查发现问题整改情况，",
        "会议听取了各责任单位工作进展汇报，通报了督查发现的突出问题，",
    ]))
    speak = f"{'、'.join(named)}作表态发言。" if named else "与会单位负责人作了发言。"
    demand = str(rng.choice([
        f"{chair}要求，各单位要聚焦{focus}，对症下药、精准施策，确保各项管控措施落实到位。",
        f"{chair}强调，要进一步提高思想认识，紧盯{focus}等重点工作，严格责任追究，以问题整改推动空气质量改善。",
        f"{chair}指出，当前攻坚形势依然严峻，各单位要把{focus}抓实抓细，主要负责人要亲自过问、靠前指挥。",
    ]))
    tail = {
        "spring": "要抓住春季大风天气前的关键期，坚决遏制扬尘污染反弹。",
        "summer": "要突出臭氧污染防控，强化VOCs和氮氧化物协同减排。",
        "autumn": "要提前谋划秋冬季攻坚，确保各项措施在采暖季前落实到位。",
        "winter": "要严格落实“党政同责、一岗双责、失职追责”要求，在不利气象条件下确保空气质量持续改善。",
    }[season]
    return opening + report + speak + demand + tail


def _minutes(m: Record, attendees: list[str], agenda: list[str], problems: list[Record],
             decisions: list[str], account: list[Record], actions: list[Record],
             units: dict[int, Record], summary: str) -> str:
    local = m["held_at"].astimezone(BJ)
    lines = [
        f"# 二七区大气污染防治攻坚战第{m['number']}次调度会纪要",
        "",
        f"**时间**：{local.year}年{local.month}月{local.day}日 {local:%H:%M}  ",
        f"**地点**：{m['location']}  ",
        f"**主持**：{m['chair_title']}  ",
        f"**参会单位**：{'、'.join(attendees)}",
        "",
        "## 一、会议议程",
        "",
        *[f"{i}. {x}" for i, x in enumerate(agenda, start=1)],
        "",
        "## 二、会议概要",
        "",
        summary,
        "",
        "（会议区间空气质量由系统按监测数据自动统计。）",
        "",
        "## 三、存在问题",
        "",
        *[f"{p['position']}. {p['description']}" for p in problems],
        "",
        "## 四、会议决定",
        "",
        *[f"{i}. {x}" for i, x in enumerate(decisions, start=1)],
        "",
    ]
    if account:
        lines += ["## 五、责任追究", "", "| 单位 | 措施 | 事由 |", "|---|---|---|"]
        lines += [f"| {units[a['unit_id']]['name']} | {_MEASURE_ZH[a['measure']]} | {a['reason']} |"
                  for a in account]
        lines.append("")
    lines += [f"## {'六' if account else '五'}、任务交办", "",
              "| 序号 | 任务 | 整改措施 | 责任单位 | 牵头部门 | 完成时限 |", "|---|---|---|---|---|---|"]
    for a in actions:
        lead = units[a["lead_department_id"]]["name"] if a["lead_department_id"] else ""
        resp = units[a["responsible_unit_id"]]["name"]
        lines.append(f"| {a['seq']} | {a['task']} | {a['measures']} | {resp} "
                     f"| {lead} | {a['deadline'].year}年{_fmt_md(a['deadline'])} |")
    lines.append("")
    return "\n".join(lines)


# --- stations and readings ------------------------------------------------------------------------


def _stations() -> tuple[list[Record], list[Record]]:
    stations, versions = [], []
    for i, r in enumerate(_read_stations(), start=1):
        bg = r["is_background"].strip().lower() in ("true", "1", "y", "yes")
        stations.append({"id": i, "code": r["code"], "name": r["name"], "city": CITY,
                         "longitude": float(r["longitude"]), "latitude": float(r["latitude"]),
                         "is_background": bg, "in_district": r["code"] in IN_DISTRICT_STATIONS,
                         "valid_from": None, "valid_to": None})
        versions.append({"id": i, "station_id": i, "valid_from": date(2022, 2, 13), "name": r["name"],
                         "city": CITY, "longitude": float(r["longitude"]), "latitude": float(r["latitude"]),
                         "is_background": bg})
    return stations, versions


def _ar1(rng: Generator, shape: tuple[int, ...], phi: float, sd: float) -> np.ndarray:
    """AR(1) noise along axis 0 with stationary standard deviation ``sd``."""
    e = rng.normal(0.0, sd * math.sqrt(1 - phi * phi), size=shape)
    out = np.empty(shape)
    out[0] = rng.normal(0.0, sd, size=shape[1:]) if len(shape) > 1 else rng.normal(0.0, sd)
    for t in range(1, shape[0]):
        out[t] = phi * out[t - 1] + e[t]
    return out


def _log_shape(values: list[float]) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    return np.log(a / a.mean())


# Diurnal shapes by Beijing hour label, calibrated by eye on Zhengzhou Nov–Dec 2019 hourly means.
_DIURNAL_PM25 = _log_shape([83, 83, 83, 82, 82, 82, 82, 84, 84, 83, 81, 80, 78, 76, 74, 72, 72, 74,
                            77, 80, 82, 83, 84, 84])
_DIURNAL_NO2 = _log_shape([60, 58, 57, 56, 54, 53, 54, 57, 60, 57, 54, 51, 48, 45, 41, 41, 43, 48,
                           58, 64, 65, 63, 62, 60])
_DIURNAL_CO = _log_shape([1.10, 1.10, 1.08, 1.07, 1.06, 1.06, 1.08, 1.18, 1.28, 1.26, 1.18, 1.12,
                          1.06, 1.02, 0.98, 0.97, 0.98, 1.00, 1.05, 1.10, 1.12, 1.12, 1.11, 1.10])
_DIURNAL_SO2 = _log_shape([10.1, 10.2, 10.6, 10.6, 10.8, 11.0, 11.0, 11.3, 11.8, 12.4, 13.3, 13.5,
                           13.6, 12.9, 12.3, 11.6, 11.0, 10.3, 9.8, 9.5, 9.4, 9.5, 9.5, 9.9])
# Coarse dust is stirred up in the daytime: PM2.5/PM10 ratio is lower then.
_DIURNAL_RATIO = np.array([0.02, 0.03, 0.03, 0.03, 0.03, 0.03, 0.02, 0.0, -0.02, -0.03, -0.04, -0.05,
                           -0.05, -0.04, -0.03, -0.02, -0.02, -0.02, -0.01, 0.0, 0.01, 0.01, 0.02, 0.02])


def _seasonal(t_days: np.ndarray, values: list[float]) -> np.ndarray:
    """Interpolate monthly levels given at mid-September, mid-October, mid-November, 10 December."""
    knots = np.array([14.0, 44.0, 75.0, 100.0])  # days since 2025-09-01
    return np.interp(t_days, knots, np.asarray(values, dtype=float))


def _readings(rng: Generator, stations: list[Record]) -> pd.DataFrame:
    n_days = (DEMO_TODAY - READINGS_FROM).days + 1
    H = n_days * 24
    S = len(stations)
    hour = np.tile(np.arange(24), n_days)
    t_days = np.arange(H) / 24.0
    start = datetime(READINGS_FROM.year, READINGS_FROM.month, READINGS_FROM.day, tzinfo=BJ)

    def hour_index(s: str) -> float:
        return (datetime.fromisoformat(s).replace(tzinfo=BJ) - start).total_seconds() / 3600

    # Regional PM2.5 in log space: seasonal median + synoptic (daily AR) + hourly noise + diurnal.
    median = _seasonal(t_days, [37, 46, 58, 50])
    daily = _ar1(rng, (n_days + 1,), 0.65, 0.36)
    synoptic = np.interp(t_days, np.arange(n_days + 1) + 0.5, daily)
    hourly = _ar1(rng, (H,), 0.9, 0.12)
    reg = np.log(median) + synoptic + hourly + _DIURNAL_PM25[hour]
    idx = np.arange(H, dtype=float)
    for ep in _EPISODES:
        kx = np.array([hour_index(s) for s, _ in ep])
        ky = np.log(np.array([v for _, v in ep], dtype=float))
        inside = (idx >= kx[0]) & (idx <= kx[-1])
        ramp = np.clip(np.minimum(idx - kx[0], kx[-1] - idx) / 12.0, 0, 1) * inside
        target = np.interp(idx, kx, ky) + 0.5 * hourly + 0.5 * _DIURNAL_PM25[hour]
        reg = (1 - ramp) * reg + ramp * target
    anom = reg - np.log(median)  # stagnation signal shared by the primary pollutants
    anom_daily = np.interp(t_days, np.arange(n_days) + 0.5, anom.reshape(n_days, 24).mean(axis=1))

    codes = [s["code"] for s in stations]
    bg = np.array([s["is_background"] for s in stations])

    def station_field(sd_off: float, phi: float, sd: float) -> np.ndarray:
        return rng.normal(0, sd_off, size=S)[None, :] + _ar1(rng, (H, S), phi, sd)

    pm25 = np.exp(reg[:, None] + station_field(0.06, 0.85, 0.12))
    ratio = (_seasonal(t_days, [0.50, 0.58, 0.68, 0.74])[:, None]
             + 0.08 * np.tanh(anom)[:, None] + _DIURNAL_RATIO[hour][:, None] + _ar1(rng, (H, S), 0.8, 0.05))
    for ds in _DUST_DAYS:
        h0 = hour_index(f"{ds} 09:00")
        dust = np.exp(-0.5 * ((idx - h0 - 6) / 6.0) ** 2)
        ratio = ratio - 0.3 * dust[:, None]
        pm25 = pm25 * (1 + 0.3 * dust)[:, None]
    ratio = np.clip(ratio, 0.22, 0.92)
    pm10 = pm25 / ratio

    no2 = (_seasonal(t_days, [30, 42, 50, 48])[:, None]
           * np.exp(0.45 * anom_daily[:, None] + _DIURNAL_NO2[hour][:, None] + station_field(0.08, 0.8, 0.2)
                    - np.where(bg, 0.3, 0.0)[None, :]))
    co = (_seasonal(t_days, [0.65, 0.8, 1.0, 1.15])[:, None]
          * np.exp(0.45 * anom[:, None] + _DIURNAL_CO[hour][:, None] + station_field(0.06, 0.8, 0.14)))
    so2 = (_seasonal(t_days, [8, 9, 10.5, 11.5])[:, None]
           * np.exp(0.25 * anom_daily[:, None] + _DIURNAL_SO2[hour][:, None] + station_field(0.12, 0.8, 0.28)
                    - np.where(bg, 0.3, 0.0)[None, :]))
    shape = np.clip(np.sin(np.pi * (hour - 8.5) / 13.0), 0, None) ** 1.6
    amp = _seasonal(t_days, [100, 72, 46, 36]) * np.exp(-0.45 * anom_daily + _ar1(rng, (H,), 0.97, 0.15))
    night = _seasonal(t_days, [32, 20, 12, 8])
    o3 = (night[:, None] * np.exp(station_field(0.1, 0.8, 0.35) + np.where(bg, 0.35, 0.0)[None, :])
          + (amp * shape)[:, None] * np.exp(station_field(0.05, 0.8, 0.12)))

    values = {
        "PM2.5": np.maximum(np.rint(pm25), 3),
        "PM10": np.maximum(np.rint(pm10), 5),
        "SO2": np.maximum(np.rint(so2), 2),
        "NO2": np.maximum(np.rint(no2), 3),
        "O3": np.maximum(np.rint(o3), 1),
        "CO": np.maximum(np.round(co, 1), 0.1),
    }
    values["PM10"] = np.maximum(values["PM10"], values["PM2.5"])
    cube = np.stack([values[p] for p in POLLUTANTS], axis=1)  # (H, P, S)
    P = len(POLLUTANTS)

    # Gaps like the real files: whole hours absent, a station outage, scattered blank cells.
    keep = np.ones(cube.shape, dtype=bool)
    for h in rng.choice(np.arange(24, H - 24), size=6, replace=False):
        keep[h] = False
    st = int(rng.choice([i for i in range(S) if not bg[i]]))
    h0 = int(rng.integers(24, H - 72))
    keep[h0:h0 + int(rng.integers(10, 30)), :, st] = False
    blank_p = np.full((P, S), 0.008)
    blank_p[0] = rng.uniform(0.015, 0.05, size=S)  # PM2.5 is blank most often
    keep &= rng.random(cube.shape) >= blank_p[None, :, :]

    times = pd.date_range(start=pd.Timestamp(start.astimezone(UTC)), periods=H, freq="h")
    hh, pp, ss = np.nonzero(keep)
    frame = pd.DataFrame({
        "station_code": np.asarray(codes, dtype=object)[ss],
        "time": times[hh],
        "pollutant": np.asarray(POLLUTANTS, dtype=object)[pp],
        "value": cube[hh, pp, ss].astype(float),
    })
    return frame


# --- site dust monitors (HJ 212) -------------------------------------------------------------------

DUST_MONITORS = 12
DUST_DAYS = 14
DUST_MINUTE_HOURS = 6
DUST_MN_PREFIX = "410103DUST"
# Construction dust (µg/m³ of PM10 above the station) by Beijing hour: work from 7 to 19 h,
# trucks leaving at dusk, next to nothing at night.
_WORK_PROFILE = np.array([0.1, 0.1, 0.1, 0.1, 0.1, 0.15, 0.3, 0.8, 1.0, 1.0, 1.0, 0.9, 0.7, 0.9, 1.0, 1.0,
                          1.0, 1.0, 1.1, 0.9, 0.5, 0.3, 0.2, 0.1])
# Share of construction dust left during an alert: orange stops earthworks, red all construction.
_ALERT_DUST = {"blue": 0.9, "yellow": 0.6, "orange": 0.35, "red": 0.05}


def _dust(rng: Generator, sites: list[Record], traits: dict[int, dict[str, Any]], stations: list[Record],
          readings: pd.DataFrame, alerts: list[Record]) -> tuple[list[Record], pd.DataFrame]:
    """Monitors on ``DUST_MONITORS`` active sites and their readings (see the module docstring)."""
    from dashboard.domain.township_stations import SitePoint, StationPoint, candidates, nearest

    active = [s for s in sites if s["status"] == "active"]
    green_city = next(s for s in active if s["name"] == "绿地城二期")
    others = [s for s in active if s["id"] not in (green_city["id"], 1)]
    picked = [s for s in sites if s["id"] == 1 and s["status"] == "active"] + [green_city]
    picked += [others[int(i)] for i in rng.choice(len(others), size=DUST_MONITORS - len(picked), replace=False)]
    picked.sort(key=lambda s: s["id"])
    pool = candidates(StationPoint(st["code"], st["longitude"], st["latitude"], st["is_background"])
                      for st in stations)
    first = bj(DEMO_TODAY - timedelta(days=DUST_DAYS - 1))
    hours = pd.date_range(pd.Timestamp(first), periods=DUST_DAYS * 24 - 1, freq="h")  # up to 22:00 today
    local_hour = hours.tz_convert(BJ).hour.to_numpy()
    # A station's label is the end of its hour: the site's hour starting at H is the station's H+1.
    wide = readings[readings["pollutant"].isin(["PM10", "PM2.5"])].pivot_table(
        index="time", columns=["pollutant", "station_code"], values="value")
    station_at = wide.reindex(hours + pd.Timedelta(hours=1)).interpolate(limit_direction="both")
    dust_left = np.ones(len(hours))
    for a in alerts:
        end = a["ends_at"] or END_OF_TODAY
        inside = (hours >= pd.Timestamp(a["starts_at"])) & (hours < pd.Timestamp(end))
        dust_left[inside] = np.minimum(dust_left[inside], _ALERT_DUST.get(a["level"], 1.0))
    n = len(hours)
    # Winter wind: mostly from the north-west, turning east and south ahead of an episode.
    regional_dir = (315 + np.cumsum(rng.normal(0, 6, n)) * 0.4 + 60 * np.sin(np.arange(n) / 40)) % 360
    regional_speed = np.exp(np.log(2.0) + _ar1(rng, (n,), 0.9, 0.35)) * (1 + 0.3 * np.sin((local_hour - 9) / 24 * 2
                                                                                           * np.pi))
    dustiest = {green_city["id"], int(picked[-1]["id"])}
    roles = {"offline": picked[3]["id"], "stuck": picked[5]["id"], "abnormal": picked[7]["id"]}
    monitors: list[Record] = []
    parts: list[pd.DataFrame] = []
    today_14 = pd.Timestamp(bj(DEMO_TODAY, 14))
    minute_from = bj(DEMO_TODAY, 24 - DUST_MINUTE_HOURS)
    for number, site in enumerate(picked, start=1):
        mid = number
        hit = nearest(SitePoint(site["township_id"], "active", site["longitude"], site["latitude"]), pool)
        code = hit[0] if hit else pool[0].code
        base10 = station_at[("PM10", code)].to_numpy()
        base25 = station_at[("PM2.5", code)].to_numpy()
        level = (rng.uniform(85, 115) if site["id"] in dustiest
                 else rng.uniform(6, 22) * min(2.0, traits[site["id"]]["risk"]))
        work = level * _WORK_PROFILE[local_hour] * dust_left * rng.lognormal(0, 0.35, n)
        pm10 = np.round(base10 * rng.lognormal(0, 0.06, n) + work, 1)
        pm25 = np.round(base25 * rng.lognormal(0, 0.06, n) + 0.2 * work, 1)
        tsp = np.round(pm10 * rng.uniform(1.45, 1.8) * rng.lognormal(0, 0.04, n), 1)
        direction = np.round((regional_dir + rng.normal(0, 18, n)) % 360, 0)
        speed = np.round(np.maximum(0.1, regional_speed * rng.lognormal(0, 0.15, n)), 1)
        temp = np.round(2 + 5 * np.sin((local_hour - 9) / 24 * 2 * np.pi) + rng.normal(0, 0.6, n), 1)
        humidity = np.round(np.clip(60 - 4 * (temp - 2) + rng.normal(0, 3, n), 15, 98), 0)
        flags = np.where(rng.random(n) < 0.015, rng.choice(np.array(["M", "C", "D"]), n), "N").astype(object)
        keep = np.ones(n, dtype=bool)
        last_seen = bj(DEMO_TODAY, 23, 59)
        if site["id"] == roles["offline"]:
            keep = hours < pd.Timestamp(bj(DEMO_TODAY, 17))
            last_seen = bj(DEMO_TODAY, 17)
        if site["id"] == roles["stuck"]:
            pm10 = np.where(hours >= today_14, 88.0, pm10)
            flags = np.where(hours >= today_14, "N", flags).astype(object)
        if site["id"] == roles["abnormal"]:
            recent = hours >= pd.Timestamp(minute_from) - pd.Timedelta(hours=12)
            flags = np.where(recent & (rng.random(n) < 0.5), "C", flags).astype(object)
        for pollutant, values, flag in (("a34002", pm10, flags), ("a34004", pm25, flags), ("a34001", tsp, flags),
                                        ("a01008", direction, "N"), ("a01007", speed, "N"), ("a01001", temp, "N"),
                                        ("a01002", humidity, "N")):
            parts.append(pd.DataFrame({"monitor_id": mid, "data_time": hours[keep], "cn": 2061,
                                       "pollutant": pollutant, "field": "Avg", "value": np.asarray(values)[keep],
                                       "flag": np.broadcast_to(np.asarray(flag, dtype=object), (n,))[keep]}))
        if site["id"] != roles["offline"]:
            minutes = pd.date_range(pd.Timestamp(minute_from), pd.Timestamp(bj(DEMO_TODAY, 23, 58)), freq="min")
            m = len(minutes)
            hour_of = np.minimum(((minutes - hours[0]) // pd.Timedelta(hours=1)).to_numpy(), n - 1)
            m_flags = np.where(rng.random(m) < 0.01, "M", "N").astype(object)
            if site["id"] == roles["abnormal"]:
                m_flags = np.where(rng.random(m) < 0.5, "C", m_flags).astype(object)
            for pollutant, values in (("a34002", pm10), ("a34004", pm25), ("a34001", tsp)):
                minute_values = np.round(values[hour_of] * rng.lognormal(0, 0.08, m), 1)
                if site["id"] == roles["stuck"] and pollutant == "a34002":
                    minute_values = np.full(m, 88.0)
                parts.append(pd.DataFrame({"monitor_id": mid, "data_time": minutes, "cn": 2051,
                                           "pollutant": pollutant, "field": "Avg", "value": minute_values,
                                           "flag": m_flags}))
        monitors.append({"id": mid, "mn": f"{DUST_MN_PREFIX}{number:014d}", "site_id": site["id"],
                         "password": f"{int(rng.integers(0, 10**6)):06d}", "active": True,
                         "created_at": first - timedelta(days=1), "last_seen_at": last_seen})
    frame = pd.concat(parts, ignore_index=True)
    frame["data_time"] = frame["data_time"].astype("datetime64[us, UTC]")
    frame["value"] = frame["value"].astype(float)
    return monitors, frame


# --- the whole district ---------------------------------------------------------------------------


def generate_district(seed: int = DEFAULT_SEED) -> DemoDistrict:
    """The demo district for ``seed``: same seed, identical output."""
    townships = _townships()
    units = _units(townships)
    versions, items = _checklists()
    version = next(v for v in versions if v["code"] == CHECKLIST_CODE)
    zz8 = [it for it in items if it["version_id"] == version["id"]]
    sites, traits = _sites(_rng(seed, 1), townships)
    alerts = _alerts()
    meetings = _meeting_schedule()
    sim = _simulate(_rng(seed, 2), sites, traits, zz8, version["id"], alerts, meetings, townships)
    t_name = {t["id"]: t["name"] for t in townships}
    rects = _rectifications(sites, t_name, zz8, sim.inspections, sim.results)
    plates = _plates(sites, traits, sim.inspections, sim.results, rects)
    for s in sites:
        created = bj(s["started_on"], 9)
        s["created_at"] = created
        s["updated_at"] = max([created] + [c["changed_at"] for c in plates if c["site_id"] == s["id"]])
    content = _meetings(_rng(seed, 3), meetings, sim, sites, townships, units, zz8)
    stations, station_versions = _stations()
    readings = _readings(_rng(seed, 4), stations)
    dust_monitors, dust_readings = _dust(_rng(seed, 5), sites, traits, stations, readings, alerts)
    return DemoDistrict(
        seed=seed,
        today=DEMO_TODAY,
        townships=townships,
        units=units,
        checklist_versions=versions,
        checklist_items=items,
        sites=sites,
        plate_changes=plates,
        alerts=alerts,
        inspections=sim.inspections,
        inspection_results=sim.results,
        rectifications=rects,
        meetings=meetings,
        meeting_problems=content["problems"],
        meeting_decisions=content["decisions"],
        accountability_records=content["accountability"],
        action_items=content["actions"],
        action_item_changes=content["changes"],
        stations=stations,
        station_versions=station_versions,
        readings=readings,
        dust_monitors=dust_monitors,
        dust_readings=dust_readings,
    )
