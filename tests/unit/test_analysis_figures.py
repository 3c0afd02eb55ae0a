"""Figures and pure frames of 综合研判, on frames small enough to check by eye."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from dashboard.analytics import analysis
from dashboard.figures import analysis as figs
from dashboard.figures.compliance import ALERT_COLOURS
from dashboard.figures.theme import AQI_COLOURS

TZ = ZoneInfo("Asia/Shanghai")
FIRST, LAST = dt.date(2025, 12, 1), dt.date(2025, 12, 7)


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=TZ).tz_convert("UTC")


def _timeline(air_values=(40.0, 120.0, 260.0, np.nan, 80.0, 30.0, 60.0)) -> analysis.Timeline:
    days = pd.date_range("2025-12-01", periods=7, freq="D")
    daily = pd.DataFrame({"series": "district", "date": days, "PM10": list(air_values),
                          "aqi": [40, 85, 155, np.nan, 65, 30, 55],
                          "category": pd.array([1, 2, 4, None, 2, 1, 2], dtype="Int64"),
                          "primary_pollutants": ["", "PM10", "PM10", "", "PM10", "", "PM10"],
                          "standard": "HJ 633-2012"})
    results = pd.DataFrame({
        "inspection_id": [1, 1, 2, 2], "site_id": 1, "township_id": 1,
        "date": [dt.date(2025, 12, 2)] * 2 + [dt.date(2025, 12, 4)] * 2,
        "item_key": ["a", "b", "a", "b"], "result": ["pass", "fail", "pass", "pass"]})
    rects = pd.DataFrame({"opened_at": [_utc("2025-12-02 10:00")], "closed_at": [_utc("2025-12-05 10:00")]})
    meetings = pd.DataFrame({"number": [26, 27], "held_at": [_utc("2025-11-28 09:00"), _utc("2025-12-05 09:00")]})
    meetings["date"] = [t.tz_convert(TZ).date() for t in meetings["held_at"]]
    alerts = pd.DataFrame({"id": [1, 2], "level": ["orange", "red"],
                           "starts_at": [_utc("2025-12-02 12:00"), _utc("2025-12-04 12:00")],
                           "ends_at": [_utc("2025-12-04 12:00"), pd.NaT]})
    return analysis.Timeline(
        first=FIRST, last=LAST, township_id=None, measure="pm10", stations=(),
        air=analysis.measure_frame(daily, "pm10", FIRST, LAST), aqi=analysis.measure_frame(daily, "aqi", FIRST, LAST),
        weekly=analysis.weekly_rate(results, FIRST, LAST), rolling=analysis.rolling_rate(results, FIRST, LAST),
        checks=analysis.daily_checks(results, FIRST, LAST), backlog=analysis.daily_backlog(rects, FIRST, LAST, TZ),
        meetings=meetings, alerts=alerts,
    )


def test_bars_take_the_category_colour_of_the_pollutants_own_index():
    tl = _timeline()
    # PM10 40 → 优, 120 → 良, 260 → 中度 (IAQI 155, between the 250 and 350 breakpoints), 80 → 良.
    assert tl.air["category"].tolist()[:3] == [1.0, 2.0, 4.0]
    fig = figs.combined(tl, "zh", TZ, "全区")
    bars = [trace for trace in fig.data if trace.type == "bar"]
    assert len(bars) == 1
    assert list(bars[0].marker.color) == [AQI_COLOURS[1], AQI_COLOURS[2], AQI_COLOURS[4], figs.NO_DATA_COLOUR,
                                          AQI_COLOURS[2], AQI_COLOURS[1], AQI_COLOURS[2]]


def test_meeting_markers_carry_their_numbers_and_alerts_are_bands_by_level():
    fig = figs.combined(_timeline(), "zh", TZ, "全区", period=(FIRST, LAST))
    meetings = [trace for trace in fig.data if trace.name == "调度会"]
    assert len(meetings) == 1
    # Meeting 26 (28 November) is before the view: only 27 is drawn, and clickable by number.
    assert [list(c) for c in meetings[0].customdata] == [["meeting", 27]]
    assert list(meetings[0].text) == ["27"]
    bands = [s for s in fig.layout.shapes if s.name and s.name.startswith("alert-")]
    assert [(s.name, s.fillcolor) for s in bands] == [("alert-orange", ALERT_COLOURS["orange"]),
                                                      ("alert-red", ALERT_COLOURS["red"])]
    # The red alert is still in force: its band runs to the end of the view.
    assert pd.Timestamp(bands[1].x1) == pd.Timestamp(LAST) + pd.Timedelta(days=1)


def test_air_and_compliance_share_the_time_axis_on_two_y_axes():
    fig = figs.combined(_timeline(), "en", TZ, "District")
    layout = fig.layout
    assert layout.yaxis.title.text.startswith("PM10")
    assert layout.yaxis2.overlaying == "y" and layout.yaxis2.side == "right" and layout.yaxis2.ticksuffix == "%"
    rate = [trace for trace in fig.data if trace.name == "7-day compliance"][0]
    assert rate.yaxis == "y2"
    backlog = [trace for trace in fig.data if trace.name == "Open rectifications"][0]
    assert backlog.yaxis == "y4" and backlog.xaxis == "x3" and layout.xaxis.matches == layout.xaxis2.matches == "x3"
    assert list(backlog.y) == [0, 1, 1, 1, 0, 0, 0]


def test_an_empty_view_says_so():
    empty = analysis.Timeline(
        first=FIRST, last=LAST, township_id=None, measure="aqi", stations=(),
        air=analysis.measure_frame(pd.DataFrame(), "aqi", FIRST, LAST),
        aqi=analysis.measure_frame(pd.DataFrame(), "aqi", FIRST, LAST),
        weekly=analysis.weekly_rate(pd.DataFrame(), FIRST, LAST),
        rolling=analysis.rolling_rate(pd.DataFrame(), FIRST, LAST),
        checks=analysis.daily_checks(pd.DataFrame(), FIRST, LAST),
        backlog=analysis.daily_backlog(pd.DataFrame(), FIRST, LAST, TZ),
        meetings=pd.DataFrame(columns=["number", "held_at", "date"]),
        alerts=pd.DataFrame(columns=["id", "level", "starts_at", "ends_at"]),
    )
    fig = figs.combined(empty, "zh", TZ, "全区")
    assert fig.layout.annotations[0].text == "所选时段内没有空气质量、检查或整改数据"
    assert figs.paired_calendar(empty, dt.date(2025, 12, 1), "zh").data  # a grey month, not an error


def test_the_rolling_rate_sums_checks_over_the_week_rather_than_averaging_rates():
    results = pd.DataFrame({"inspection_id": [1, 1, 1, 1, 2], "date": [dt.date(2025, 12, 1)] * 4 + [
        dt.date(2025, 12, 3)], "result": ["pass", "pass", "pass", "fail", "fail"]})
    rolling = analysis.rolling_rate(results, FIRST, LAST).set_index("date")
    # 3 December: (3 passed) / (4 + 1 applicable) = 60 %, not the mean of 75 % and 0 %.
    assert rolling.loc[pd.Timestamp("2025-12-03"), "rate"] == pytest.approx(0.6)
    assert rolling.loc[pd.Timestamp("2025-12-07"), "applicable"] == 5
    weekly = analysis.weekly_rate(results, FIRST, LAST)
    assert weekly["rate"].tolist() == [pytest.approx(0.6)] and weekly["partial"].tolist() == [False]


def test_failed_items_calendar_steps_by_share_of_applicable_checks():
    assert figs.failure_level(0, 0) == 0
    assert figs.failure_level(0, 10) == 1
    assert figs.failure_level(1, 20) == 2  # 5 %
    assert figs.failure_level(1, 10) == 3  # 10 %
    assert figs.failure_level(2, 10) == 4  # 20 %
    assert figs.failure_level(3, 10) == 5  # 30 %
    fig = figs.paired_calendar(_timeline(), dt.date(2025, 12, 1), "zh")
    heatmaps = [trace for trace in fig.data if trace.type == "heatmap"]
    assert len(heatmaps) == 2  # AQI above, failed items below, the same grid
    # 1 December is a Monday: row 0, column 0 on both; 2 December had 1 failed of 2 (level 5).
    assert heatmaps[0].z[0][0] == 1 and heatmaps[1].z[0][1] == 5
    assert fig.layout.yaxis.range == fig.layout.yaxis2.range == (0.5, -0.5)  # the one week shown


def test_the_quadrant_draws_an_arrow_from_the_period_before():
    period = analysis.Period("2", FIRST, LAST, (dt.date(2025, 11, 24), dt.date(2025, 11, 30)), 2, 1)
    points = pd.DataFrame({"township_id": [1, 2], "name": ["甲乡", "乙乡"], "name_en": ["A", "B"],
                           "rate": [0.75, 1.0], "applicable": [4, 2], "pm10": [100.0, 40.0],
                           "rate_before": [1 / 3, np.nan], "applicable_before": [3, 0], "pm10_before": [60.0, 80.0]})
    q = analysis.Quadrant(period, points, pd.DataFrame(columns=["township_id", "name", "name_en"]), 5 / 6, 70.0)
    fig = figs.quadrant(q, "zh", highlight=2)
    arrows = [a for a in fig.layout.annotations if a.name == "arrow"]
    assert [(a.ax, a.ay, a.x, a.y) for a in arrows] == [(pytest.approx(100 / 3), 60.0, 75.0, 100.0)]
    scatter = fig.data[0]
    assert list(scatter.text) == ["甲乡", "乙乡"]
    assert [c[0] for c in scatter.customdata] == ["1", "2"]
    assert list(scatter.marker.size) == [11, 16]
    lines = {s.name: s for s in fig.layout.shapes}
    assert lines["district-rate"].x0 == pytest.approx(500 / 6) and lines["district-pm10"].y0 == 70.0
    # A: compliance below the district's and PM10 above it (bad); B: the other way round (good).
    assert list(scatter.marker.color) == [figs.QUADRANT_COLOURS["bad"], figs.QUADRANT_COLOURS["good"]]


def test_crowded_labels_take_different_sides():
    x = np.array([90.0, 90.2, 90.4])
    y = np.array([100.0, 100.0, 100.0])
    positions = figs.label_positions(x, y, ["长江路街道", "大学路街道", "福华街街道"], [80, 100], [60, 120])
    assert len(set(positions)) == 3
