"""The meeting-effect card's figures on a district built here, values worked by hand, and the card
on the demo's meeting page for a viewer.

The district: 1001A and 1002A form the district figure, 1003A is the background station. The
clock is pinned to 2025-12-15, so the last complete day is 14 December. Meeting 3 is held on
10 December at 09:00: with N = 7, before = 3–9 December (7 days), after = 10–14 December (5 days,
clipped). Every hour of a day carries the same value, so a station's daily value is that value.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from dashboard.analytics import meeting_effect as effect
from dashboard.store.clock import FROZEN_TODAY
from dashboard.store.db import read_scope, session_scope, upgrade
from dashboard.store.models import ActionItem, AppSetting, Meeting, Reading, Station, Unit
from tests.conftest import copy_database, new_database_url
from tests.dash_http import call, log_in, text_of
from tests.integration.test_page_states import page

TZ = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2025, 12, 15)


def _day(session, station_id: int, day: dt.date, pm25: float, pm10: float, hours: int = 24) -> None:
    """``hours`` hourly readings of Beijing day ``day`` (labels 01:00 … 24:00, each ending its hour)."""
    start = pd.Timestamp(day, tz=TZ)
    for h in range(1, hours + 1):
        at = (start + pd.Timedelta(hours=h)).tz_convert("UTC").to_pydatetime()
        session.add(Reading(station_id=station_id, pollutant="PM2.5", time=at, value=pm25, source="manual"))
        session.add(Reading(station_id=station_id, pollutant="PM10", time=at, value=pm10, source="manual"))


def _days(first: str, last: str) -> list[dt.date]:
    return [d.date() for d in pd.date_range(first, last)]


def _at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), TZ)


@pytest.fixture(scope="module")
def district(tmp_path_factory) -> str:
    url = new_database_url(tmp_path_factory.mktemp("effect"), "effect.db")
    upgrade(url)
    with session_scope(url) as s:
        s.add(AppSetting(key=FROZEN_TODAY, value=TODAY.isoformat()))
        s.add_all([
            Station(id=1, code="1001A", name="甲站", in_district=True),
            Station(id=2, code="1002A", name="乙站", in_district=True),
            Station(id=3, code="1003A", name="对照点", is_background=True),
        ])
        s.flush()
        for day in _days("2025-12-03", "2025-12-09"):  # before: district 80 / 130
            _day(s, 1, day, 70, 120)
            _day(s, 2, day, 90, 140)
            # The background's 5 December has 19 hours: not a valid day (HJ 663 needs 20).
            _day(s, 3, day, 40, 60, hours=19 if day == dt.date(2025, 12, 5) else 24)
        for day in _days("2025-12-10", "2025-12-14"):  # after: district 60 / 100
            _day(s, 1, day, 50, 100)
            _day(s, 2, day, 70, 100)
            _day(s, 3, day, 38, 66)
        for day in (dt.date(2025, 12, 2), TODAY):  # just outside both windows
            _day(s, 1, day, 500, 500)
            _day(s, 2, day, 500, 500)
        # A year earlier: two days of the before window and one of the after window, at 1001A only.
        for day in _days("2024-12-08", "2024-12-09"):
            _day(s, 1, day, 100, 150)
        _day(s, 1, dt.date(2024, 12, 10), 110, 150)

        s.add_all([Unit(id=1, name="区城管局", kind="department"), Unit(id=2, name="侯寨乡", kind="township")])
        s.flush()
        s.add_all([
            Meeting(id=1, number=1, held_at=_at("2025-06-02"), chair_title="区长"),
            Meeting(id=2, number=2, held_at=_at("2025-12-01"), chair_title="区长"),
            Meeting(id=3, number=3, held_at=_at("2025-12-10"), chair_title="区长"),
            Meeting(id=4, number=4, held_at=_at("2025-12-15"), chair_title="区长"),
            Meeting(id=5, number=5, held_at=_at("2025-12-20"), chair_title="区长"),
        ])
        s.flush()
        items = [
            # meeting, seq, deadline, status, done at
            (3, 1, "2025-12-12", "done", _at("2025-12-11", 16)),  # on time
            (3, 2, "2025-12-11", "verified", _at("2025-12-13", 10)),  # closed late
            (3, 3, "2025-12-12", "open", None),  # overdue
            (3, 4, "2025-12-20", "in_progress", None),  # open, not yet due
            (2, 1, "2025-12-05", "open", None),  # another meeting's
        ]
        for meeting_id, seq, deadline, status, done_at in items:
            s.add(ActionItem(meeting_id=meeting_id, seq=seq, task=f"任务{meeting_id}-{seq}", responsible_unit_id=1,
                             deadline=dt.date.fromisoformat(deadline), status=status, done_at=done_at))
    return url


def _effect(url: str, number: int, days: int = 7) -> effect.MeetingEffect:
    with read_scope(url) as s:
        meeting = s.query(Meeting).filter_by(number=number).one()
        return effect.meeting_effect(s, url, meeting, days, TZ)


def test_before_and_after_at_the_district_worked_by_hand(district):
    e = _effect(district, 3)
    assert (e.before.first, e.before.last, e.before.days) == (dt.date(2025, 12, 3), dt.date(2025, 12, 9), 7)
    # The meeting's day opens the after window; clipped to yesterday (14 December): 5 of 7 days.
    assert (e.after.first, e.after.last, e.after.days) == (dt.date(2025, 12, 10), dt.date(2025, 12, 14), 5)
    assert e.after_clipped and e.held and e.has_readings
    assert e.last_complete_day == dt.date(2025, 12, 14)
    assert e.district_stations == ("1001A", "1002A") and e.background_stations == ("1003A",)
    assert e.row("district", "PM2.5") == effect.EffectRow("district", "PM2.5", 80.0, 7, 60.0, 5, -20.0, -25.0)
    assert e.row("district", "PM10") == effect.EffectRow("district", "PM10", 130.0, 7, 100.0, 5, -30.0, -23.1)


def test_the_background_station_beside_it_with_an_invalid_day(district):
    e = _effect(district, 3)
    assert e.row("background", "PM2.5") == effect.EffectRow("background", "PM2.5", 40.0, 6, 38.0, 5, -2.0, -5.0)
    assert e.row("background", "PM10") == effect.EffectRow("background", "PM10", 60.0, 6, 66.0, 5, 6.0, 10.0)


def test_the_same_days_a_year_earlier(district):
    e = _effect(district, 3)
    assert e.year_before == (effect.Window(dt.date(2024, 12, 3), dt.date(2024, 12, 9)),
                             effect.Window(dt.date(2024, 12, 10), dt.date(2024, 12, 14)))
    assert e.row("year_before", "PM2.5") == effect.EffectRow("year_before", "PM2.5", 100.0, 2, 110.0, 1, 10.0, 10.0)
    assert e.row("year_before", "PM10") == effect.EffectRow("year_before", "PM10", 150.0, 2, 150.0, 1, 0.0, 0.0)


def test_n_moves_both_windows(district):
    e = _effect(district, 3, days=3)
    assert (e.before.first, e.before.last) == (dt.date(2025, 12, 7), dt.date(2025, 12, 9))
    assert (e.after.first, e.after.last) == (dt.date(2025, 12, 10), dt.date(2025, 12, 12))
    assert not e.after_clipped
    assert e.row("district", "PM2.5") == effect.EffectRow("district", "PM2.5", 80.0, 3, 60.0, 3, -20.0, -25.0)
    # Ten days back reaches 2 December (500) in the before window.
    assert _effect(district, 3, days=10).row("district", "PM2.5").before_mean == pytest.approx((80 * 7 + 500) / 8, 0.01)


def test_the_meetings_own_actions_by_the_scorecard_rules(district):
    a = _effect(district, 3).actions
    assert a == effect.ActionClosure(total=4, closed=2, due=3, on_time=1, open=2, overdue=1,
                                     on_time_rate=pytest.approx(1 / 3))


def test_no_readings_no_actions_and_no_year_earlier(district):
    e = _effect(district, 1)  # June 2025: nothing stored, no items
    assert e.held and not e.has_readings
    assert [(r.series, r.before_days, r.after_days, r.before_mean) for r in e.rows] == [
        ("district", 0, 0, None), ("district", 0, 0, None),
        ("background", 0, 0, None), ("background", 0, 0, None)]
    assert e.row("year_before", "PM2.5") is None
    assert e.actions == effect.ActionClosure(0, 0, 0, 0, 0, 0, None)


def test_a_meeting_today_or_ahead_has_no_after_days(district):
    today = _effect(district, 4)
    assert today.held and today.after.days == 0 and today.before.days == 7
    ahead = _effect(district, 5)
    assert not ahead.held and ahead.after.days == 0
    assert (ahead.before.first, ahead.before.last) == (dt.date(2025, 12, 13), dt.date(2025, 12, 14))


def test_without_a_background_station(district, tmp_path):
    url = copy_database(district, tmp_path, "copy.db")
    with session_scope(url) as s:
        s.get(Station, 3).is_background = False
    e = _effect(url, 3)
    assert e.background_stations == () and e.row("background", "PM2.5") is None
    assert e.row("district", "PM2.5").before_mean == 80.0  # 1003A is not in the district group either


@pytest.mark.parametrize(("value", "days"), [
    (None, 7), ("", 7), ("14", 14), (14, 14), (14.0, 14), (2, 3), ("1", 3), (31, 30), (10**20, 30), ("x" * 5000, 7),
    (True, 7), (3.5, 7), (float("nan"), 7), ([], 7), ({}, 7), ("-5", 7),
])
def test_n_from_a_url_or_an_input(value, days):
    assert effect.parse_days(value) == days


def test_n_outside_its_range_is_refused():
    with pytest.raises(ValueError):
        effect.meeting_effect(None, "", None, 2, TZ)  # type: ignore[arg-type]


def test_a_29_february_window_a_year_back():
    w = effect.year_earlier(effect.Window(dt.date(2024, 2, 29), dt.date(2024, 3, 6)))
    assert (w.first, w.last, w.days) == (dt.date(2023, 2, 28), dt.date(2023, 3, 6), 7)
def test_the_card_on_the_demo_meeting_page_for_a_viewer(demo_app, client):
    from tests.conftest import TEST_PASSWORDS

    log_in(client, "viewer", TEST_PASSWORDS["viewer"])
    said = "\n".join(_texts(page(client, "/meetings/27")))
    assert "会议前后对比" in said
    assert "会前7天" in said and "会后7天" in said
    assert "2025年11月28日至12月4日" in said  # before: the 7 days ending the day before 5 December
    assert "只有6天" in said  # after: 5–10 December, clipped to the last complete day
    assert "天气" in said  # the weather caveat
    assert "一年前同期没有数据" in said  # the demo's readings start in September 2025
    answer = call(client, demo_app, "effect-body.children",
                  {"effect-days.value": 14, "meeting-ref.data": {"number": 27, "version": 1}})
    assert answer.status_code == 200
    assert "会前14天" in text_of(answer) and "2025年11月21日至12月4日" in text_of(answer)


def _texts(tree) -> list[str]:
    from tests.dash_http import texts

    return texts(tree)
