"""The pre-meeting briefing's facts against values worked by hand, its narrative, its page.

The district of this file: two townships with one site each, two district stations and a control
station, meetings 1-3 on Mondays 1, 8 and 15 December 2025, today pinned to Thursday the 18th. So
the next meeting (No. 4) reviews 15-17 December and compares with meeting 3's period, 8-14
December. Every reading is constant over a day, so the daily values are the hourly ones:

- 8-14 Dec: PM2.5 50 and 70 (district 60), PM10 80 and 100 (district 90): IAQI of PM2.5 60 is
  50 + (60-35)/(75-35)*50 = 81.25, so AQI 82, 良, on all 7 days.
- 15-17 Dec: PM2.5 150 and 170 (district 160), PM10 200 and 220 (district 210): IAQI of PM2.5
  160 is 200 + (160-150)/(250-150)*100 = 210, so AQI 210, 重度污染, on all 3 days.
- SO2 10, NO2 30, CO 1.0, O3 60 throughout: 综合指数 = 10/60 + 30/40 + PM10/70 + PM2.5/35 + 1/4
  + 60/160, i.e. 4.54 before and 9.11 now.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from dashboard.analytics import briefing as analytics
from dashboard.analytics.briefing_narrative import narrative
from dashboard.store import clock
from dashboard.store.db import session_scope, upgrade
from dashboard.store.models import (
    ActionItem,
    Alert,
    AppSetting,
    ChecklistItem,
    ChecklistVersion,
    Inspection,
    InspectionResult,
    Meeting,
    Reading,
    Site,
    Station,
    Township,
    Unit,
)
from dashboard.store.users import upsert_user
from tests.conftest import make_settings
from tests.dash_http import log_in, page_layout, texts

TZ = ZoneInfo("Asia/Shanghai")
DAY = dt.date.fromisoformat


def _at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(DAY(day), dt.time(hour), TZ)


def _readings(station_id: int, first: str, days: int, pm25: float, pm10: float) -> list[Reading]:
    rows = []
    for d in range(days):
        day = DAY(first) + dt.timedelta(days=d)
        for hour in range(1, 25):  # hourly values are labelled by their end: 01:00 … 24:00 make a day
            time = (dt.datetime.combine(day, dt.time(), TZ) + dt.timedelta(hours=hour)).astimezone(dt.UTC)
            for pollutant, value in (("PM2.5", pm25), ("PM10", pm10), ("SO2", 10), ("NO2", 30), ("CO", 1.0),
                                     ("O3", 60)):
                rows.append(Reading(station_id=station_id, pollutant=pollutant, time=time, value=value,
                                    source="test"))
    return rows


def _inspection(site_id: int, when: dt.datetime, results: dict[int, str]) -> Inspection:
    inspection = Inspection(site_id=site_id, checklist_version_id=1, inspected_at=when, status="submitted",
                            inspector_name="巡查员")
    inspection.results = [InspectionResult(item_id=item, result=result) for item, result in results.items()]
    return inspection


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("briefing"))
    url = settings.database_url
    upgrade(url)
    with session_scope(url) as s:
        s.add(AppSetting(key=clock.FROZEN_TODAY, value="2025-12-18"))
        s.add_all([Township(id=1, code="east", name="东街道", name_en="East", kind="subdistrict", position=1),
                   Township(id=2, code="west", name="西乡", name_en="West", kind="township", position=2)])
        s.add_all([Station(id=1, code="1001A", name="甲站", in_district=True),
                   Station(id=2, code="1002A", name="乙站", in_district=True),
                   Station(id=3, code="1003A", name="对照点", is_background=True)])
        s.flush()
        s.add_all(_readings(1, "2025-12-08", 7, 50, 80) + _readings(2, "2025-12-08", 7, 70, 100)
                  + _readings(1, "2025-12-15", 3, 150, 200) + _readings(2, "2025-12-15", 3, 170, 220))
        s.add(ChecklistVersion(id=1, code="v1", name="8个100%", valid_from=DAY("2025-01-01"), items=[
            ChecklistItem(id=1, key="hoarding", position=1, label="围挡", label_en="Hoarding"),
            ChecklistItem(id=2, key="covering", position=2, label="覆盖", label_en="Covering")]))
        s.flush()
        s.add_all([Site(id=1, code="S1", name="东工地", township_id=1, site_type="building"),
                   Site(id=2, code="S2", name="西工地", township_id=2, site_type="building")])
        s.flush()
        s.add_all([
            # Meeting 3's period: East 1/2 passed, West 2/2.
            _inspection(1, _at("2025-12-10"), {1: "pass", 2: "fail"}),
            _inspection(2, _at("2025-12-11"), {1: "pass", 2: "pass"}),
            # Since meeting 3: East 2/2, West 1/4.
            _inspection(1, _at("2025-12-16"), {1: "pass", 2: "pass"}),
            _inspection(2, _at("2025-12-16"), {1: "fail", 2: "fail"}),
            _inspection(2, _at("2025-12-17"), {1: "pass", 2: "fail"}),
        ])
        meetings = {}
        for number, day in ((1, "2025-12-01"), (2, "2025-12-08"), (3, "2025-12-15")):
            meetings[number] = Meeting(number=number, held_at=_at(day), chair_title="区长", created_at=_at(day),
                                       updated_at=_at(day))
        s.add_all(meetings.values())
        s.add_all([Unit(id=1, name="区城管局", name_en="Urban Management", kind="department"),
                   Unit(id=2, name="区住建局", name_en="Housing", kind="department")])
        s.flush()
        s.add_all([
            ActionItem(meeting_id=meetings[2].id, seq=1, task="道路冲洗", responsible_unit_id=1,
                       deadline=DAY("2025-12-12")),
            ActionItem(meeting_id=meetings[2].id, seq=2, task="工地复查", responsible_unit_id=2,
                       deadline=DAY("2025-12-20")),
            ActionItem(meeting_id=meetings[3].id, seq=1, task="渣土车夜查", responsible_unit_id=1,
                       deadline=DAY("2025-12-16"), status="done", done_at=_at("2025-12-16", 18)),
        ])
        s.add(Alert(level="orange", starts_at=_at("2025-12-16", 0), ends_at=_at("2025-12-17", 12)))
        upsert_user(s, "head", "head-pass-1", "viewer")
    return settings


def test_the_next_meetings_briefing_worked_by_hand(district):
    with session_scope(district.database_url) as session:
        b = analytics.briefing(session, district.database_url, TZ)
    assert b.number == 4 and not b.recorded
    assert (b.period.first, b.period.last, b.period.days) == (DAY("2025-12-15"), DAY("2025-12-17"), 3)
    assert (b.previous.first, b.previous.last) == (DAY("2025-12-08"), DAY("2025-12-14"))
    figures = {h.key: (h.now, h.before, h.change) for h in b.headline}
    assert figures == {
        "good_days": (0, 7, -7),
        "heavy_days": (3, 0, 3),
        "pm25": (160.0, 60.0, 100.0),
        "pm10": (210.0, 90.0, 120.0),
        "composite": (9.11, 4.54, 4.57),
        "compliance": (50.0, 75.0, -25.0),
        "inspections": (3, 2, 1),
        "failed": (3, 1, 2),
    }
    assert b.categories.set_index("category").loc[[2, 5]].to_dict("list") == {"now": [0, 3], "before": [7, 0]}
    towns = b.townships.set_index("township")
    assert towns.loc["东街道", ["rate", "rank", "rank_before"]].tolist() == [100.0, 1, 2]
    assert towns.loc["西乡", ["rate", "applicable", "failed", "rank", "rank_before"]].tolist() == [25.0, 4, 3, 2, 1]
    assert b.worst_sites[["site", "failed", "item_key"]].values.tolist() == [["西工地", 3, "covering"]]
    # The ledger now: 道路冲洗 6 days overdue and carried once; 工地复查 carried, not yet due.
    assert b.units[["unit", "open", "overdue", "carried", "max_days_overdue"]].values.tolist() == [
        ["区城管局", 1, 1, 1, 6], ["区住建局", 1, 0, 1, 0]]
    assert b.overdue_items[["task", "days_overdue", "carried"]].values.tolist() == [["道路冲洗", 6, 1]]
    assert b.alerts["level"].tolist() == ["orange"]


def test_a_held_meetings_briefing_shows_the_ledger_as_it_stood_then(district):
    with session_scope(district.database_url) as session:
        b = analytics.briefing(session, district.database_url, TZ, 3)
        assert analytics.briefing(session, district.database_url, TZ, 9) is None
    assert b.recorded and (b.period.first, b.period.last) == (DAY("2025-12-08"), DAY("2025-12-14"))
    assert b.headline_of("pm25").now == 60.0 and b.headline_of("pm25").before is None  # no readings 1-7 Dec
    assert b.headline_of("compliance").now == 75.0
    # At meeting 3 (15 Dec), 道路冲洗 was 3 days overdue; 渣土车夜查 was assigned at it, not carried.
    assert b.overdue_items[["task", "days_overdue"]].values.tolist() == [["道路冲洗", 3]]
    assert b.alerts.empty


NUMBER = re.compile(r"\d+(?:\.\d+)?")


def test_the_narrative_holds_only_numbers_of_the_facts(district):
    with session_scope(district.database_url) as session:
        b = analytics.briefing(session, district.database_url, TZ)
    text = "\n".join(narrative(b, "zh"))
    assert "PM2.5均值160.0µg/m³，较上期上升100.0" in text
    assert "检查合格率50.0%，较上期下降25.0个百分点" in text
    assert "西乡（25.0%）" in text and "区城管局1项" in text and "橙色预警" in text
    facts = {f"{v:.2f}" for h in b.headline for v in (h.now, h.before, h.change) if v is not None}
    facts |= {f"{v:.1f}" for h in b.headline for v in (h.now, h.before, h.change) if v is not None}
    facts |= {str(int(v)) for h in b.headline for v in (h.now, h.before, h.change) if v is not None}
    facts |= {str(v) for v in (b.period.days, b.air["n_valid"], len(b.alerts), int(b.units["overdue"].sum()),
                               int((b.units["overdue"] > 0).sum()))}
    facts |= {f"{r:.1f}" for r in b.townships["rate"]} | {str(n) for n in b.units["overdue"]}
    dates = {"2025", "12", "15", "17"}  # 2025年12月15日 … 12月17日
    for lang in ("zh", "en"):
        for number in NUMBER.findall("\n".join(narrative(b, lang)).replace("PM2.5", "").replace("PM10", "")):
            assert number in facts | dates, (lang, number)


def test_the_briefing_page_for_a_viewer_and_its_figures_in_its_tables(district):
    from dashboard.app import create_app

    client = create_app(district).server.test_client()
    log_in(client, "head", "head-pass-1")
    response = page_layout(client, "/briefing")
    assert response.status_code == 200
    tree = response.get_json()["response"]["_pages_content"]["children"]
    words = texts(tree)
    whole = "\n".join(words)
    assert "第4次调度会 会前简报（下次会议）" in whole and "服务器出错" not in whole

    points = _subtree(tree, "briefing-points")
    narrative_numbers = set(NUMBER.findall("\n".join(texts(points)).replace("PM2.5", "").replace("PM10", "")))
    rest = "\n".join(texts(_without(tree, "briefing-points")))
    missing = {n for n in narrative_numbers if n not in rest}
    assert not missing, missing

    held = page_layout(client, "/briefing/3").get_json()["response"]["_pages_content"]["children"]
    assert "第3次调度会 会前简报" in "\n".join(texts(held))
    absent = page_layout(client, "/briefing/99").get_json()["response"]["_pages_content"]["children"]
    assert "没有第99次调度会" in "\n".join(texts(absent))


def _subtree(node, wanted: str):
    if isinstance(node, dict):
        if isinstance(node.get("props"), dict) and node["props"].get("id") == wanted:
            return node
        for value in node.values():
            found = _subtree(value, wanted)
            if found is not None:
                return found
    elif isinstance(node, list):
        for value in node:
            found = _subtree(value, wanted)
            if found is not None:
                return found
    return None


def _without(node, unwanted: str):
    if isinstance(node, dict):
        if isinstance(node.get("props"), dict) and node["props"].get("id") == unwanted:
            return None
        return {k: _without(v, unwanted) for k, v in node.items()}
    if isinstance(node, list):
        return [_without(v, unwanted) for v in node]
    return node
