"""The dust views' pure parts: monitor health, hours from minutes, the excess, wind-rose bins,
and the figures drawn from them (wind rose, inspection markers, PM10 colours)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.domain import site_dust_rules as rules
from dashboard.domain.rules import InvalidRule
from dashboard.figures.site_dust import dust_map, pm10_colours, pm10_timeline, wind_rose
from dashboard.figures.theme import AQI_COLOURS

UTC = dt.UTC
NOW = dt.datetime(2025, 12, 11, 15, 59, 59, tzinfo=UTC)
DEFAULTS = rules.DustLimits()


def status(last_seen, *, wall=NOW, run=0, share=None, active=True, limits=DEFAULTS):
    return rules.monitor_status(active=active, last_seen=last_seen, app_now=NOW, wall_now=wall, limits=limits,
                                stuck_run=run, abnormal_share=share)


def test_status_order_and_limits():
    minutes = dt.timedelta(minutes=1)
    assert status(None) == "never" and status(NOW, active=False) == "removed"
    assert status(NOW - 30 * minutes) == "online" and status(NOW - 31 * minutes) == "offline"
    assert status(NOW - 31 * minutes, run=50, share=1.0) == "offline"  # silence comes first
    assert status(NOW, run=8, share=1.0) == "stuck" and status(NOW, run=7) == "online"
    assert status(NOW, share=0.2) == "abnormal" and status(NOW, share=0.19) == "online"
    assert status(NOW - 50 * minutes, limits=rules.DustLimits(offline_minutes=60)) == "online"


def test_a_monitor_heard_after_a_pinned_clock_is_judged_by_the_wall_clock():
    wall = dt.datetime(2026, 11, 28, 13, 0, tzinfo=UTC)
    assert status(wall - dt.timedelta(minutes=5), wall=wall) == "online"
    assert status(wall - dt.timedelta(minutes=45), wall=wall) == "offline"
    # One last seen before the pinned moment keeps being judged against that moment.
    assert status(NOW - dt.timedelta(minutes=5), wall=wall) == "online"


def test_trailing_run():
    assert rules.trailing_run([]) == 0
    assert rules.trailing_run([1.0, 2.0, 2.0, 2.0]) == 3
    assert rules.trailing_run([2.0, 2.0, 1.0]) == 1
    assert rules.trailing_run([2.0, float("nan"), 2.0, 2.0]) == 2


def test_limits_parse_and_check():
    assert rules.parse_limits(None) == rules.DustLimits()
    assert rules.parse_limits("not json") == rules.DustLimits()
    assert rules.parse_limits('{"offline_minutes": 1, "stuck_count": 12}') == rules.DustLimits(30, 12)
    assert rules.parse_limits(rules.dump_limits(rules.DustLimits(90, 20))) == rules.DustLimits(90, 20)
    assert rules.check_limits({"offline_minutes": "45", "stuck_count": 10.0}) == rules.DustLimits(45, 10)
    for bad in ({"offline_minutes": 4, "stuck_count": 8}, {"offline_minutes": 30, "stuck_count": 2.5},
                {"offline_minutes": True, "stuck_count": 8}, {"stuck_count": 8}):
        with pytest.raises(InvalidRule):
            rules.check_limits(bad)


def _frame(rows):
    return pd.DataFrame(rows, columns=["key", "data_time", "value", "flag"]).assign(
        data_time=lambda f: pd.to_datetime(f["data_time"], utc=True))


def test_hours_from_the_device_and_from_its_minutes():
    hourly = _frame([(1, "2025-12-11T01:00Z", 100.0, "N"), (1, "2025-12-11T02:00Z", 500.0, "D")])
    minutes = _frame([(1, "2025-12-11T01:10Z", 1.0, "N"),  # the device's own hour wins
                      (1, "2025-12-11T02:05Z", 40.0, "N"), (1, "2025-12-11T02:06Z", 60.0, "N"),
                      (1, "2025-12-11T03:00Z", 70.0, "N"), (1, "2025-12-11T03:01Z", 999.0, "C")])
    out = rules.hourly_from_parts(hourly, minutes)
    got = {h.hour: (v, s, n) for h, v, s, n in zip(out["hour"], out["value"], out["source"], out["n"], strict=True)}
    # 02:00's own hour is flagged D: its valid minutes stand in for it.
    assert got == {1: (100.0, "hour", 1), 2: (50.0, "minute", 2), 3: (70.0, "minute", 1)}
    empty = rules.hourly_from_parts(_frame([]), _frame([]))
    assert list(empty.columns) == ["key", "hour", "value", "source", "n"] and empty.empty


def test_excess_counts_only_hours_both_have():
    hours = pd.date_range("2025-12-11", periods=4, freq="h", tz="UTC")
    site = pd.Series([100.0, 120.0, None, 90.0], index=hours)
    station = pd.Series([60.0, 70.0, 80.0], index=hours[1:])
    assert rules.excess(site, station) == (pytest.approx(((120 - 60) + (90 - 80)) / 2), 2)
    assert rules.excess(site.iloc[:1], station) == (None, 0)


def test_wind_rose_bins():
    bins = rules.wind_rose_bins([0, 11.2, 11.3, 359, 90, 225, None], [0.5, 1.5, 2.5, 6.0, 3.0, 4.9, 3.0])
    assert len(bins) == rules.SECTORS * len(rules.SPEED_CLASSES)
    assert bins["count"].sum() == 6 and bins["share"].sum() == pytest.approx(100)
    count = bins.set_index(["sector", "speed_class"])["count"]
    assert count[(0, 0)] == 1 and count[(0, 1)] == 1 and count[(0, 4)] == 1  # 0°, 11.2°, 359° are north
    assert count[(1, 2)] == 1  # 11.3° is north-north-east
    assert count[(4, 3)] == 1 and count[(10, 3)] == 1  # east at 3 m/s; south-west at 4.9 m/s
    assert rules.wind_rose_bins([], [])["count"].sum() == 0


def test_wind_rose_figure():
    bins = rules.wind_rose_bins([315, 320, 90], [2.5, 2.5, 6.0])
    fig = wind_rose(bins, 3, "zh")
    assert [trace.type for trace in fig.data] == ["barpolar"] * len(rules.SPEED_CLASSES)
    assert fig.layout.polar.angularaxis.direction == "clockwise" and fig.layout.polar.angularaxis.rotation == 90
    strong = fig.data[-1]
    assert dict(zip(strong.theta, strong.r, strict=True))[90.0] == pytest.approx(100 / 3)
    assert "北" in fig.layout.polar.angularaxis.ticktext
    assert not wind_rose(rules.wind_rose_bins([], []), 0, "en").data  # an empty figure that says why


def test_timeline_marks_inspections_and_names_failed_items():
    hours = pd.date_range("2025-12-11T00:00Z", periods=3, freq="h")
    hourly = pd.DataFrame({"hour": hours, "value": [80.0, 120.0, 200.0], "source": "hour"})
    fine = pd.DataFrame({"data_time": pd.Series(dtype="datetime64[us, UTC]"), "value": pd.Series(dtype=float)})
    station = pd.DataFrame({"hour": hours, "value": [60.0, 70.0, 80.0]})
    inspections = pd.DataFrame({"inspected_at": pd.to_datetime(["2025-12-11T01:30Z", "2025-12-11T02:10Z"]),
                                "kind": ["routine", "routine"], "n_fail": [2, 0],
                                "failed": ["物料覆盖、围挡", ""]})
    fig = pm10_timeline(hourly, fine, station, inspections, hours[0], hours[-1], "Asia/Shanghai", "zh", "甲站 1001A")
    names = [trace.name for trace in fig.data]
    assert names == ["甲站 1001A", "工地 PM10（小时）", "巡查"]
    marks = fig.data[-1]
    assert list(marks.marker.color) == ["#e03131", "#2f9e44"]
    assert "物料覆盖、围挡" in marks.customdata[0] and "2 项不合格" in marks.customdata[0]
    assert all(y > 200 for y in marks.y)  # above the lines
    # Hours are shown in Beijing time.
    assert pd.Timestamp(fig.data[1].x[0]) == pd.Timestamp("2025-12-11 08:00")
    empty = pm10_timeline(hourly.iloc[0:0], fine, station, inspections.iloc[0:0], hours[0], hours[-1],
                          "Asia/Shanghai", "en", None)
    assert not empty.data


def test_pm10_colours_follow_the_standard_in_force():
    before = pd.Timestamp("2026-02-28T12:00Z")
    after = pd.Timestamp("2026-03-02T12:00Z")
    # 130 µg/m³ is 良 under HJ 633-2012 (≤ 150) and 轻度污染 under HJ 633-2026 (> 120).
    assert pm10_colours([130.0, 130.0, 40.0], [before, after, after]) == [AQI_COLOURS[2], AQI_COLOURS[3],
                                                                           AQI_COLOURS[1]]


def test_map_greys_offline_monitors():
    places = pd.DataFrame({"site_id": [1, 2, 3], "code": ["A", "B", "C"], "name": ["甲", "乙", "丙"],
                           "township": ["t", "t", "t"], "longitude": [113.6, 113.61, None],
                           "latitude": [34.7, 34.71, 34.7], "latest_pm10": [40.0, 300.0, 50.0],
                           "latest_time": pd.to_datetime(["2025-12-11T10:00Z"] * 3),
                           "status": ["online", "offline", "online"]})
    fig = dust_map(places, "zh")
    assert list(fig.data[0].marker.color) == [AQI_COLOURS[1], "#adb5bd"]  # C has no coordinates
    assert list(fig.data[0].text) == ["40", "300"]


def test_map_says_why_it_is_empty():
    places = pd.DataFrame({"site_id": [1], "code": ["A"], "name": ["甲"], "township": ["t"], "longitude": [None],
                           "latitude": [None], "latest_pm10": [40.0],
                           "latest_time": pd.to_datetime(["2025-12-11T10:00Z"]), "status": ["online"]})
    texts = [a.text for a in dust_map(places.iloc[:0], "zh").layout.annotations]
    assert any("还没有扬尘监测设备" in x for x in texts)
    texts = [a.text for a in dust_map(places, "zh").layout.annotations]
    assert any("都没有坐标" in x for x in texts)
