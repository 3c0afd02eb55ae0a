"""The demo district generator: determinism and the plausibility of what it tells."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from dashboard.demo.generate import DEMO_TODAY, DemoDistrict, generate_district

BJ = timezone(timedelta(hours=8))
END = datetime(2025, 12, 12, tzinfo=BJ)
BBOX = (113.52, 113.68, 34.58, 34.76)
DEADLINE_KEYS = {"deadline"}


@pytest.fixture(scope="module")
def district() -> DemoDistrict:
    return generate_district()


def _bj(t: datetime) -> datetime:
    return t.astimezone(BJ)


# --- determinism ----------------------------------------------------------------------------------


def test_same_seed_gives_identical_output(district: DemoDistrict) -> None:
    again = generate_district(2025)
    assert again.seed == district.seed == 2025
    assert again.records() == district.records()
    pd.testing.assert_frame_equal(again.readings, district.readings)


def test_other_seed_differs(district: DemoDistrict) -> None:
    other = generate_district(7)
    assert other.sites != district.sites
    assert other.inspection_results != district.inspection_results
    assert not other.readings["value"].equals(district.readings["value"])
    # The calendar does not depend on the seed.
    assert [m["held_at"] for m in other.meetings] == [m["held_at"] for m in district.meetings]


# --- organisation and sites -----------------------------------------------------------------------


def test_townships_and_units(district: DemoDistrict) -> None:
    names = {t["name"] for t in district.townships}
    assert len(district.townships) == 18
    assert {"福华街街道", "长江路街道", "人和路街道", "侯寨乡"} <= names
    kinds = defaultdict(set)
    for u in district.units:
        kinds[u["kind"]].add(u["name"])
    assert kinds["township"] == names
    assert {"区生态环境分局", "区住建局", "区城管局", "区交警大队", "区督查办"} <= kinds["department"]
    assert kinds["company"]
    assert len({u["name"] for u in district.units}) == len(district.units)


def test_sites_inside_the_district(district: DemoDistrict) -> None:
    sites = district.sites
    assert 110 <= len(sites) <= 130
    assert len({s["code"] for s in sites}) == len(sites)
    lon0, lon1, lat0, lat1 = BBOX
    for s in sites:
        assert lon0 <= s["longitude"] <= lon1 and lat0 <= s["latitude"] <= lat1, s["name"]
        assert s["coord_system"] == "WGS84"
        assert s["site_type"] in {"housing", "public_building", "municipal", "road", "demolition",
                                  "land_preparation", "other"}
        assert s["status"] in {"active", "suspended", "completed"}
        assert s["started_on"] <= DEMO_TODAY
    statuses = [s["status"] for s in sites]
    assert statuses.count("active") > 0.8 * len(sites)
    assert "suspended" in statuses and "completed" in statuses
    houzhai = next(t["id"] for t in district.townships if t["name"] == "侯寨乡")
    assert any(s["name"] == "绿地城二期" and s["township_id"] == houzhai for s in sites)
    # Southern townships lie south-west of the old town.
    by_t = defaultdict(list)
    for s in sites:
        by_t[s["township_id"]].append((s["longitude"], s["latitude"]))
    fuhua = next(t["id"] for t in district.townships if t["name"] == "福华街街道")
    assert np.mean(by_t[houzhai], axis=0)[1] < np.mean(by_t[fuhua], axis=0)[1] - 0.05


def test_plates_follow_their_history(district: DemoDistrict) -> None:
    last = {}
    for c in sorted(district.plate_changes, key=lambda c: c["changed_at"]):
        last[c["site_id"]] = c["plate"]
    plates = defaultdict(int)
    for s in district.sites:
        plates[s["plate"]] += 1
        if s["id"] in last:
            assert s["plate"] == last[s["id"]]
    assert plates["green"] and plates["yellow"] and plates["red"]


# --- inspections and rectifications ---------------------------------------------------------------


def test_inspections_use_the_eight_items(district: DemoDistrict) -> None:
    zz8 = next(v for v in district.checklist_versions if v["code"] == "zz-8-2018")
    items = {i["id"]: i["key"] for i in district.checklist_items if i["version_id"] == zz8["id"]}
    assert len(items) == 8
    per = defaultdict(list)
    for r in district.inspection_results:
        per[r["inspection_id"]].append(r["item_id"])
        assert r["result"] in {"pass", "fail", "na"}
        assert r["photos"] == []
        assert bool(r["note"]) == (r["result"] == "fail")
    for i in district.inspections:
        assert i["checklist_version_id"] == zz8["id"] and i["status"] == "submitted"
        assert sorted(per[i["id"]]) == sorted(items)
        assert date(2025, 10, 1) <= _bj(i["inspected_at"]).date() <= DEMO_TODAY
    fails = defaultdict(int)
    for r in district.inspection_results:
        if r["result"] == "fail":
            fails[items[r["item_id"]]] += 1
    assert fails["cover"] > fails["hardening"] > fails["video_monitoring"]
    assert fails["vehicle_wash"] > fails["hoarding"]


def test_work_during_stop_orders_happens_inside_alerts(district: DemoDistrict) -> None:
    alerts = {a["id"]: a for a in district.alerts}
    wds = [i for i in district.inspections if i["working_during_stop"]]
    assert wds
    for i in wds:
        a = alerts[i["alert_id"]]
        assert a["starts_at"] <= i["inspected_at"] < a["ends_at"]


def test_southern_townships_fail_more(district: DemoDistrict) -> None:
    site_t = {s["id"]: s["township_id"] for s in district.sites}
    insp_t = {i["id"]: site_t[i["site_id"]] for i in district.inspections}
    fails = defaultdict(int)
    for r in district.inspection_results:
        if r["result"] == "fail":
            fails[insp_t[r["inspection_id"]]] += 1
    ranked = sorted(fails, key=fails.get, reverse=True)
    names = {t["id"]: t["name"] for t in district.townships}
    assert {"侯寨乡", "马寨镇"} & {names[t] for t in ranked[:3]}


def test_rectifications_close_on_a_later_pass_of_the_same_item(district: DemoDistrict) -> None:
    insp = {i["id"]: i for i in district.inspections}
    key_of = {i["id"]: i["key"] for i in district.checklist_items}
    res = {r["id"]: r for r in district.inspection_results}
    history = defaultdict(list)  # (site, key) -> [(time, result)]
    for r in district.inspection_results:
        i = insp[r["inspection_id"]]
        history[(i["site_id"], key_of[r["item_id"]])].append((i["inspected_at"], r["result"]))
    # Every failure opens a rectification, or repeats one of the same item still open then.
    openers = {r["opened_by_id"] for r in district.rectifications}
    for r in district.inspection_results:
        if r["result"] == "fail" and r["id"] not in openers:
            i = insp[r["inspection_id"]]
            assert any(rec["site_id"] == i["site_id"] and rec["item_key"] == key_of[r["item_id"]]
                       and rec["opened_at"] < i["inspected_at"]
                       and (rec["closed_at"] is None or rec["closed_at"] >= i["inspected_at"])
                       for rec in district.rectifications)
    for rec in district.rectifications:
        opened = res[rec["opened_by_id"]]
        oi = insp[opened["inspection_id"]]
        assert opened["result"] == "fail" and key_of[opened["item_id"]] == rec["item_key"]
        assert oi["site_id"] == rec["site_id"] and oi["inspected_at"] == rec["opened_at"]
        assert rec["deadline"] == _bj(rec["opened_at"]).date() + timedelta(days=3)
        assert "／" in rec["responsible_unit"]
        assert 0 <= rec["escalation_level"] <= 3
        later = [(t, r) for t, r in history[(rec["site_id"], rec["item_key"])] if t > rec["opened_at"]]
        first_pass = next((t for t, r in later if r == "pass"), None)
        if rec["status"] == "closed":
            closer = res[rec["closed_by_id"]]
            ci = insp[closer["inspection_id"]]
            assert closer["result"] == "pass" and key_of[closer["item_id"]] == rec["item_key"]
            assert ci["site_id"] == rec["site_id"]
            assert rec["closed_at"] == ci["inspected_at"] == first_pass
        else:
            assert rec["closed_by_id"] is None and rec["closed_at"] is None and first_pass is None
    levels = {r["escalation_level"] for r in district.rectifications}
    assert levels == {0, 1, 2, 3}
    assert any(r["status"] == "open" for r in district.rectifications)


# --- meetings and the ledger ----------------------------------------------------------------------


def test_meetings(district: DemoDistrict) -> None:
    ms = sorted(district.meetings, key=lambda m: m["number"])
    assert [m["number"] for m in ms] == list(range(1, 28))
    times = [m["held_at"] for m in ms]
    assert times == sorted(times)
    assert _bj(ms[0]["held_at"]).date() >= date(2025, 4, 1)
    # 14..27 weekly (around the National Day holiday: 9-30 and 10-10)
    gaps = [(times[i + 1] - times[i]).days for i in range(13, 26)]
    assert max(gaps) <= 10
    m27 = ms[26]
    assert _bj(m27["held_at"]) == datetime(2025, 12, 5, 9, 0, tzinfo=BJ)
    assert m27["chair_title"] == "区长"
    assert sum(m["chair_title"] == "区长" for m in ms) > 20
    for phrase in ("工地扬尘污染", "道路扬尘治理", "渣土车重型车辆整治", "重污染天气应急管控",
                   "党政同责", "一岗双责", "失职追责"):
        assert phrase in m27["summary"], phrase
    unit_names = {u["name"] for u in district.units}
    for m in ms:
        assert m["air_quality"] == {}
        assert m["attendees"] and set(m["attendees"]) <= unit_names
        assert m["minutes_md"].startswith(f"# 二七区大气污染防治攻坚战第{m['number']}次调度会纪要")
    by_meeting = defaultdict(list)
    for p in district.meeting_problems:
        by_meeting[p["meeting_id"]].append(p)
    assert all(by_meeting[m["id"]] for m in ms)
    assert any(p["site_id"] and p["item_key"] for p in district.meeting_problems)
    measures = {a["measure"] for a in district.accountability_records}
    assert measures <= {"criticism", "interview", "admonition", "accountability"}
    assert {"criticism", "interview"} <= measures
    assert any(a["meeting_id"] == m27["id"] for a in district.accountability_records)


def test_task_ledger(district: DemoDistrict) -> None:
    held = {m["id"]: _bj(m["held_at"]).date() for m in district.meetings}
    per = defaultdict(list)
    for a in district.action_items:
        per[a["meeting_id"]].append(a["seq"])
        assert 3 <= (a["deadline"] - held[a["meeting_id"]]).days <= 21
        st = a["status"]
        if st == "verified":
            assert a["done_at"] and a["verified_at"] and a["done_at"] < a["verified_at"]
        elif st == "done":
            assert a["done_at"] and a["verified_at"] is None
        else:
            assert a["done_at"] is None and a["verified_at"] is None
    assert all(sorted(s) == list(range(1, len(s) + 1)) and 3 <= len(s) <= 6 for s in per.values())
    assert len(per) == 27
    history = defaultdict(list)
    for c in district.action_item_changes:
        assert c["field"] == "status"
        history[c["action_item_id"]].append(c)
    for a in district.action_items:
        h = sorted(history[a["id"]], key=lambda c: c["at"])
        assert h[-1]["new_value"] == a["status"]
        assert all(x["new_value"] == y["old_value"] for x, y in zip(h, h[1:]))
    statuses = [a["status"] for a in district.action_items]
    overdue = [a for a in district.action_items
               if a["deadline"] < DEMO_TODAY and a["status"] in ("open", "in_progress")]
    assert 8 <= len(overdue) <= 12
    assert statuses.count("verified") > len(statuses) / 2
    assert "done" in statuses
    # Overdue items come back at the following meetings (回头看).
    m27 = next(m for m in district.meetings if m["number"] == 27)
    follow = [p for p in district.meeting_problems
              if p["meeting_id"] == m27["id"] and "回头看" in p["description"]]
    assert len(follow) >= 3


# --- nothing from the future ----------------------------------------------------------------------


def test_nothing_after_demo_today(district: DemoDistrict) -> None:
    for table, rows in district.records().items():
        for row in rows:
            for key, value in row.items():
                if isinstance(value, datetime):
                    assert value.tzinfo is not None, (table, key)
                    assert value < END, (table, key, value)
                elif isinstance(value, date) and key not in DEADLINE_KEYS:
                    assert value <= DEMO_TODAY, (table, key, value)
    assert district.readings["time"].max() < pd.Timestamp(END)


# --- stations, alerts and readings ----------------------------------------------------------------


def test_stations(district: DemoDistrict) -> None:
    codes = [s["code"] for s in district.stations]
    assert codes == [f"{n}A" for n in range(1316, 1325)]
    bg = [s["code"] for s in district.stations if s["is_background"]]
    assert bg == ["1324A"]
    group = [s for s in district.stations if s["in_district"]]
    assert 2 <= len(group) <= 3
    for s in group:
        assert 113.52 <= s["longitude"] <= 113.68 and 34.58 <= s["latitude"] <= 34.76
        assert not s["is_background"]
    assert all(s["city"] == "郑州市" for s in district.stations)


def test_alerts(district: DemoDistrict) -> None:
    alerts = sorted(district.alerts, key=lambda a: a["starts_at"])
    assert [a["level"] for a in alerts][-2:] == ["orange", "red"]
    assert alerts[-2]["ends_at"] == alerts[-1]["starts_at"]
    assert _bj(alerts[-2]["starts_at"]) == datetime(2025, 12, 6, 12, tzinfo=BJ)
    assert _bj(alerts[-1]["ends_at"]) == datetime(2025, 12, 10, 18, tzinfo=BJ)
    assert any(a["level"] == "yellow" and _bj(a["starts_at"]).month == 11 for a in alerts)
    assert all(a["issued_by"] == "区重污染天气应急指挥部" for a in alerts)


@pytest.fixture(scope="module")
def readings(district: DemoDistrict) -> pd.DataFrame:
    r = district.readings.copy()
    r["bj"] = r["time"].dt.tz_convert("Etc/GMT-8")
    return r


def test_readings_shape(district: DemoDistrict, readings: pd.DataFrame) -> None:
    r = district.readings
    assert list(r.columns) == ["station_code", "time", "pollutant", "value"]
    assert str(r["time"].dt.tz) == "UTC"
    assert set(r["pollutant"]) == {"PM2.5", "PM10", "SO2", "NO2", "O3", "CO"}
    assert set(r["station_code"]) == {s["code"] for s in district.stations}
    assert 120_000 <= len(r) <= 180_000
    assert not r.duplicated(["station_code", "time", "pollutant"]).any()
    assert r["value"].notna().all() and (r["value"] > 0).all()
    co = r.loc[r["pollutant"] == "CO", "value"]
    assert np.allclose(co, co.round(1))
    rest = r.loc[r["pollutant"] != "CO", "value"]
    assert np.allclose(rest, rest.round(0))
    first, last = readings["bj"].min(), readings["bj"].max()
    assert (first.date(), first.hour) == (date(2025, 9, 1), 0)
    assert (last.date(), last.hour) == (DEMO_TODAY, 23)
    hours = pd.date_range(first, last, freq="h")
    assert len(hours) > r["time"].nunique() >= len(hours) - 24  # a few whole hours missing


def test_readings_seasons_and_episodes(readings: pd.DataFrame) -> None:
    pm = readings[readings["pollutant"] == "PM2.5"]
    month = pm.groupby(pm["bj"].dt.month)["value"].mean()
    assert month[12] > month[10]
    assert 25 <= month[9] <= 60 and 70 <= month[12] <= 160
    dec = pm[(pm["bj"] >= pd.Timestamp("2025-12-07", tz="Etc/GMT-8"))
             & (pm["bj"] < pd.Timestamp("2025-12-11", tz="Etc/GMT-8"))]
    assert (dec["value"] > 150).any()
    nov = pm[(pm["bj"] >= pd.Timestamp("2025-11-13", tz="Etc/GMT-8"))
             & (pm["bj"] < pd.Timestamp("2025-11-16", tz="Etc/GMT-8"))]
    assert nov["value"].mean() > 150
    w = readings.pivot_table(index=["station_code", "time"], columns="pollutant", values="value")
    ratio = (w["PM2.5"] / w["PM10"]).median()
    assert 0.5 <= ratio <= 0.7


def test_readings_diurnal_cycles(readings: pd.DataFrame) -> None:
    def peak(pollutant: str) -> int:
        x = readings[readings["pollutant"] == pollutant]
        return int(x.groupby(x["bj"].dt.hour)["value"].mean().idxmax())

    assert 13 <= peak("O3") <= 17
    assert peak("NO2") in (7, 8, 9, 18, 19, 20, 21, 22)
    assert peak("CO") in (7, 8, 9, 10, 20, 21, 22, 23)


def test_stations_share_a_regional_signal(readings: pd.DataFrame) -> None:
    pm = readings[readings["pollutant"] == "PM2.5"].pivot_table(index="time", columns="station_code",
                                                                values="value")
    corr = pm.corr().to_numpy()
    assert corr[np.triu_indices_from(corr, 1)].min() > 0.7
