"""The meeting page's before/after card and its figure, on records made by hand (no database):
every state says something short, none fails."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import plotly

from dashboard.analytics.meeting_effect import ActionClosure, EffectRow, MeetingEffect, Window
from dashboard.figures.meetings import effect_bars
from dashboard.ui.components.meeting_effect import effect_body

NO_ACTIONS = ActionClosure(0, 0, 0, 0, 0, 0, None)


def _effect(rows, after_days: int = 5) -> MeetingEffect:
    day = dt.date(2025, 12, 10)
    return MeetingEffect(
        number=3, meeting_day=day, days=7, held=True, last_complete_day=dt.date(2025, 12, 14),
        before=Window(dt.date(2025, 12, 3), dt.date(2025, 12, 9)),
        after=Window(day, day + dt.timedelta(days=after_days - 1)),
        year_before=(Window(dt.date(2024, 12, 3), dt.date(2024, 12, 9)),
                     Window(dt.date(2024, 12, 10), dt.date(2024, 12, 14))),
        district_stations=("1001A",), background_stations=(), rows=tuple(rows), actions=NO_ACTIONS,
    )


def test_one_pair_of_bars_per_series_and_pollutant():
    fig = effect_bars(_effect([
        EffectRow("district", "PM2.5", 80.0, 7, 60.0, 5, -20.0, -25.0),
        EffectRow("district", "PM10", 130.0, 7, 100.0, 5, -30.0, -23.1),
        EffectRow("year_before", "PM2.5", 100.0, 2, None, 0, None, None),
        EffectRow("year_before", "PM10", 150.0, 2, None, 0, None, None),
    ]), "zh")
    bars = [(tr.name, list(tr.x), list(tr.y)) for tr in fig.data]
    assert bars == [
        ("会前7天", ["全区", "一年前同期"], [80.0, 100.0]), ("会后7天", ["全区", "一年前同期"], [60.0, None]),
        ("会前7天", ["全区", "一年前同期"], [130.0, 150.0]), ("会后7天", ["全区", "一年前同期"], [100.0, None]),
    ]
    assert [tr.showlegend for tr in fig.data] == [True, True, False, False]


def test_nothing_to_compare_is_said_not_drawn():
    empty = effect_bars(_effect([EffectRow("district", "PM2.5", None, 0, None, 0, None, None)]), "en")
    assert not empty.data and empty.layout.annotations[0].text == "Nothing to compare yet"
    not_yet = effect_bars(_effect([EffectRow("district", "PM2.5", 80.0, 7, None, 0, None, None)], after_days=0), "en")
    assert not not_yet.data


def _said(e: MeetingEffect, lang: str = "zh") -> str:
    return json.dumps(effect_body(e, lang), cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


ROWS = [EffectRow("district", "PM2.5", 80.0, 7, 60.0, 5, -20.0, -25.0),
        EffectRow("district", "PM10", 130.0, 7, 100.0, 5, -30.0, -23.1)]


def test_each_state_says_so_in_a_short_sentence():
    e = _effect(ROWS)
    said = _said(e)
    assert "全区 PM2.5" in said and "-20.0" in said and "(-25.0%)" in said and "有效5/7天" in said
    assert "会后只有5天" in said and "未设对照点" in said and "一年前同期没有数据" in said
    assert "本次会议没有交办任务" in said and "不是成效评判" in said
    empty = Window(e.meeting_day, e.meeting_day - dt.timedelta(days=1))
    assert "尚未召开" in _said(dataclasses.replace(e, held=False, after=empty))
    assert "还没有完整的一天" in _said(dataclasses.replace(e, after=empty))
    none = dataclasses.replace(e, rows=(EffectRow("district", "PM2.5", None, 0, None, 0, None, None),))
    assert "没有有效的日均值" in _said(none)
    assert "not a verdict" in _said(e, "en") and "No data for the same days a year earlier" in _said(e, "en")


def test_the_actions_line():
    e = dataclasses.replace(_effect(ROWS), actions=ActionClosure(4, 2, 3, 1, 2, 1, 1 / 3))
    assert "按期完成 1/3 项（33%" in _said(e) and "共4项：未完成2项，其中超期1项" in _said(e)
    nothing_due = dataclasses.replace(e, actions=ActionClosure(2, 0, 0, 0, 2, 0, None))
    assert "尚无到期任务" in _said(nothing_due)
