"""The dust rules as data, hourly values from HJ 212 samples, episodes and when they open a task."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.domain import dust_tasks as D
from dashboard.domain.rules import InvalidRule

T0 = dt.datetime(2025, 12, 11, 0, 0, tzinfo=dt.UTC)  # 08:00 Beijing
ABOVE = D.DustRule("pm10_above", limit=150, hours=2)
EXCESS = D.DustRule("pm10_excess", margin=80, hours=3)
OFFLINE = D.DustRule("offline", minutes=60)


def h(n: int) -> dt.datetime:
    return T0 + dt.timedelta(hours=n)


def minutes(hour: int, values: list[float], flag: str = "N", step: int = 1) -> list[D.Sample]:
    return [D.Sample(h(hour) + dt.timedelta(minutes=i * step), v, flag) for i, v in enumerate(values)]


# --------------------------------------------------------------------------- rules as data
def test_the_defaults_are_the_documented_ones():
    assert [r.as_dict() for r in D.DEFAULT_RULES] == [
        {"kind": "pm10_above", "enabled": True, "limit": 150, "hours": 2},
        {"kind": "pm10_excess", "enabled": True, "margin": 80, "hours": 3},
        {"kind": "offline", "enabled": True, "minutes": 60},
    ]


def test_rules_are_checked_and_each_kind_is_needed_once():
    form = [r.as_dict() for r in D.DEFAULT_RULES]
    assert D.check_dust_rules(form) == D.DEFAULT_RULES
    assert D.check_dust_rules([{**form[0], "limit": "200"}, *form[1:]])[0].limit == 200
    cases = [
        ([{**form[0], "limit": 20}, *form[1:]], "out_of_range", "pm10_above.limit"),
        ([{**form[0], "hours": 1.5}, *form[1:]], "not_whole", "pm10_above.hours"),
        ([form[0], {**form[1], "margin": None}, form[2]], "missing", "pm10_excess.margin"),
        ([form[0], form[1], {**form[2], "minutes": 5}], "out_of_range", "offline.minutes"),
        ([form[0], form[1], {**form[2], "enabled": "yes"}], "missing", "offline.enabled"),
        (form[:2], "missing", "offline"),
        ([*form, form[0]], "duplicate_kind", "pm10_above"),
        ([*form, {"kind": "pm25"}], "unknown_kind", "kind"),
        ("pm10", "missing", "rules"),
    ]
    for values, code, field in cases:
        with pytest.raises(InvalidRule) as caught:
            D.check_dust_rules(values)
        assert (caught.value.code, caught.value.details["field"]) == (code, field), values


def test_a_bad_stored_rule_falls_back_to_its_default_alone():
    stored = [{"kind": "pm10_above", "enabled": False, "limit": 200, "hours": 4},
              {"kind": "pm10_excess", "margin": -5, "hours": 3}, "junk"]
    rules = D.rules_from_stored(stored)
    assert rules[0] == D.DustRule("pm10_above", False, limit=200, hours=4)
    assert rules[1:] == D.DEFAULT_RULES[1:]
    assert D.rules_from_stored({"not": "a list"}) == D.DEFAULT_RULES


# --------------------------------------------------------------------------- hourly values
def test_the_monitors_own_hourly_value_wins_and_counts_only_with_flag_n():
    hourly = [D.Sample(h(0), 180.0, "N"), D.Sample(h(1), 300.0, "D")]
    values = D.hourly_pm10(hourly, minutes(0, [100.0] * 60) + minutes(1, [200.0] * 60))
    assert values == {h(0): 180.0, h(1): None}


def test_minute_data_make_an_hour_when_they_cover_45_minutes():
    assert D.hourly_pm10([], minutes(0, [100.0] * 44 + [200.0]))[h(0)] == pytest.approx((4400 + 200) / 45)
    assert D.hourly_pm10([], minutes(0, [100.0] * 44))[h(0)] is None
    # Invalid flags are left out of the mean and of the count.
    mixed = minutes(0, [100.0] * 45) + [D.Sample(h(0) + dt.timedelta(minutes=50 + i), 900.0, "C") for i in range(10)]
    assert D.hourly_pm10([], mixed)[h(0)] == 100.0
    few_valid = minutes(0, [100.0] * 40) + [D.Sample(h(0) + dt.timedelta(minutes=40 + i), 900.0, "M")
                                            for i in range(20)]
    assert D.hourly_pm10([], few_valid)[h(0)] is None


def test_the_minute_interval_is_learnt_from_the_data():
    ten = minutes(0, [160.0] * 5, step=10) + minutes(1, [160.0] * 6, step=10)
    assert D.minute_interval(s.time for s in ten) == 10
    assert D.minutes_needed(10) == 5
    values = D.hourly_pm10([], ten)
    assert values == {h(0): 160.0, h(1): 160.0}
    assert D.minute_interval([h(0)]) == 1


# --------------------------------------------------------------------------- runs
def test_runs_are_consecutive_breaching_hours_broken_by_gaps_and_invalid_hours():
    values = {h(0): 160.0, h(1): 236.0, h(2): 120.0, h(3): 170.0, h(4): None, h(5): 180.0, h(7): 190.0,
              h(8): 200.0, h(9): 150.0}
    runs = D.pm10_above_runs(values, ABOVE)
    assert [(r.first, r.last, r.hours, r.peak) for r in runs] == [
        (h(0), h(1), 2, 236.0), (h(3), h(3), 1, 170.0), (h(5), h(5), 1, 180.0), (h(7), h(8), 2, 200.0)]


def test_excess_over_the_station_needs_the_stations_hour():
    site = {h(0): 250.0, h(1): 260.0, h(2): 230.0, h(3): 240.0, h(4): 250.0}
    station = {h(0): 150.0, h(1): 200.0, h(2): 150.0, h(4): 100.0}  # no station value at h(3)
    runs = D.pm10_excess_runs(site, station, EXCESS)
    assert [(r.first, r.last, r.peak, r.detail) for r in runs] == [
        (h(0), h(0), 250.0, {"peak_excess": 100.0}), (h(2), h(2), 230.0, {"peak_excess": 80.0}),
        (h(4), h(4), 250.0, {"peak_excess": 150.0})]
    # Above the limit everywhere, yet not above the station by the margin: no excess.
    assert D.pm10_excess_runs({h(0): 400.0}, {h(0): 330.0}, EXCESS) == []


# --------------------------------------------------------------------------- decisions
def run(first: int, last: int, peak: float = 200.0) -> D.Run:
    return D.Run(h(first), h(last), peak)


def test_one_task_per_episode():
    # A run too short opens nothing; one long enough opens one task.
    assert D.decide([run(0, 0)], None, 2) == []
    [opened] = D.decide([run(0, 1)], None, 2)
    assert opened.action == "open" and opened.run == run(0, 1)
    # The same episode seen again, or continuing while the task is open, extends it.
    task = D.LatestTask(7, h(0), h(1), open=True)
    assert D.decide([run(0, 1)], task, 2) == []
    assert [(d.action, d.task_id, d.peak) for d in D.decide([run(0, 3)], task, 2)] == [("extend", 7, True)]
    # A separate run while the task is still open: no second task (one open per site and kind).
    assert [d.action for d in D.decide([run(5, 8)], task, 2)] == ["extend"]


def test_after_closing_only_a_new_episode_opens_a_new_task():
    closed = D.LatestTask(7, h(0), h(1), open=False)
    # The closed episode going on (no break of an hour) is still that episode: nothing new.
    assert [(d.action, d.peak) for d in D.decide([run(0, 4)], closed, 2)] == [("extend", False)]
    # A new run after a break opens a new task, once it is long enough.
    assert D.decide([run(3, 3)], closed, 2) == []
    assert [d.action for d in D.decide([run(3, 4)], closed, 2)] == ["open"]
    # An old run from before the latest task is not dug up again.
    assert D.decide([D.Run(T0 - dt.timedelta(hours=5), T0 - dt.timedelta(hours=3), 300.0)], closed, 2) == []


def test_two_runs_in_one_window_open_one_task_and_extend_it():
    decisions = D.decide([run(0, 1), run(3, 5)], None, 2)
    assert [(d.action, d.task_id) for d in decisions] == [("open", None), ("extend", -1)]


def test_offline_opens_once_per_silence():
    last_seen = h(0)
    assert D.offline_decision(last_seen, last_seen + dt.timedelta(minutes=60), OFFLINE, None) is None
    opened = D.offline_decision(last_seen, last_seen + dt.timedelta(minutes=61), OFFLINE, None)
    assert opened is not None and opened.action == "open" and opened.run.first == last_seen and opened.run.peak == 61
    task = D.LatestTask(3, last_seen, last_seen, open=True)
    later = D.offline_decision(last_seen, last_seen + dt.timedelta(minutes=200), OFFLINE, task)
    assert later is not None and (later.action, later.task_id, later.run.peak) == ("extend", 3, 200)
    # Closed by an inspection while still silent: the same silence opens nothing more...
    closed = D.LatestTask(3, last_seen, last_seen, open=False)
    assert D.offline_decision(last_seen, last_seen + dt.timedelta(hours=9), OFFLINE, closed) is None
    # ...a new one (the monitor came back, then stopped again) does.
    again = D.offline_decision(h(5), h(7), OFFLINE, closed)
    assert again is not None and again.action == "open"
    # Never sent anything: silent since it was registered.
    assert D.offline_since(None, h(2)) == h(2)


def test_the_nearest_station_is_not_a_background_one_and_not_too_far():
    stations = [D.Station("1324A", "对照点", 113.60, 34.70, is_background=True),
                D.Station("1322A", "银行学校", 113.65, 34.72), D.Station("1323A", "经开区", 113.70, 34.72),
                D.Station("1999A", "远处", 114.60, 34.72)]
    station, km = D.nearest_station(113.61, 34.70, stations)
    assert station.code == "1322A" and 3 < km < 5
    assert D.nearest_station(113.60, 34.70, [stations[0]]) is None  # a background station, however near
    assert D.nearest_station(114.20, 34.72, [stations[3]]) is None  # 36 km away
    assert D.nearest_station(115.5, 34.72, stations) is None
    assert D.nearest_station(None, 34.7, stations) is None
