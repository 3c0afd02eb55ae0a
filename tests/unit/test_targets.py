"""The yearly targets and the polluted-day budget, as pure rules, on hand-worked numbers.

Budget: remaining = N − ceil(s·N) − (V − G) with N = V + D (domain.targets.polluted_day_budget).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dashboard.domain.targets import (
    InvalidTarget,
    YearTargets,
    check_year,
    check_year_targets,
    dump_year_targets,
    elapsed_and_remaining,
    good_days_needed,
    parse_year_targets,
    polluted_day_budget,
    spread_budget,
    targets_for_year,
    within_mean_target,
)

GOOD = {"pm25": 45, "pm10": 75, "good_day_share": 0.7, "heavy_days": 8}
LEGACY = {"target_good_day_share": 0.65, "target_pm25": 48.0}


# --------------------------------------------------------------------------- the budget
def test_the_demo_year_worked_by_hand():
    # 101 valid days to 10 Dec 2025, 87 good (14 polluted); 11..31 Dec = 21 days to come.
    # N = 122; 0.7 × 122 = 85.4 → 86 good days needed; 122 − 86 − 14 = 22.
    b = polluted_day_budget(101, 87, 21, 0.7)
    assert (b.year_valid_days, b.good_days_needed, b.polluted_days, b.remaining) == (122, 86, 14, 22)
    assert b.attainable
    # 22 polluted and 21 − 22 < 0 ... the budget may exceed the days left: every day may be polluted.
    assert b.remaining > b.remaining_days


def test_the_share_is_compared_exactly_not_in_floating_point():
    # 0.7 × 300 is 210.00000000000003 in floating point; ceil would ask for 211.
    assert good_days_needed(300, 0.7) == 210
    assert good_days_needed(10, 0.3) == 3  # 0.3 × 10 = 3.0000000000000004 in floats
    assert polluted_day_budget(300, 210, 0, 0.7).remaining == 0  # exactly 70 %: met


def test_a_target_already_missed_is_negative():
    # 200 valid, 100 good, 10 to come, 80 %: N = 210, needs 168; 100 polluted: 210 − 168 − 100 = −58.
    b = polluted_day_budget(200, 100, 10, 0.8)
    assert b.remaining == -58 and not b.attainable
    # Even if all 10 days are good: 110 good < 168.
    assert b.good_days + b.remaining_days < b.good_days_needed


def test_no_data_yet_the_whole_year_is_to_come():
    # 0.7 × 365 = 255.5 → 256: 365 − 256 = 109 polluted days allowed.
    assert polluted_day_budget(0, 0, 365, 0.7).remaining == 109
    assert polluted_day_budget(0, 0, 0, 0.7).remaining == 0  # nothing at all: nothing allowed, nothing missed


def test_a_leap_year_has_a_day_more():
    assert elapsed_and_remaining(2024, dt.date(2024, 1, 1)) == (None, 366)
    assert elapsed_and_remaining(2024, dt.date(2024, 2, 29)) == (dt.date(2024, 2, 28), 307)
    assert elapsed_and_remaining(2025, dt.date(2025, 3, 1)) == (dt.date(2025, 2, 28), 306)
    # Half the days: 365 → 183 needed, 182 allowed; 366 → 183 needed, 183 allowed.
    assert polluted_day_budget(0, 0, 365, 0.5).remaining == 182
    assert polluted_day_budget(0, 0, 366, 0.5).remaining == 183


def test_the_last_day_of_the_year():
    # On 31 Dec the 30th is the last finished day and one day is still to come.
    assert elapsed_and_remaining(2025, dt.date(2025, 12, 31)) == (dt.date(2025, 12, 30), 1)
    # 364 valid, 255 good (109 polluted): N = 365 needs 256, so the last day must be good.
    assert polluted_day_budget(364, 255, 1, 0.7).remaining == 0
    assert polluted_day_budget(364, 256, 1, 0.7).remaining == 1
    # From 1 Jan on, the past year is over: nothing to come.
    assert elapsed_and_remaining(2025, dt.date(2026, 1, 1)) == (dt.date(2025, 12, 31), 0)
    assert elapsed_and_remaining(2025, dt.date(2030, 6, 1)) == (dt.date(2025, 12, 31), 0)
    # A year not begun yet.
    assert elapsed_and_remaining(2026, dt.date(2025, 12, 11)) == (None, 365)


def test_extreme_targets():
    assert polluted_day_budget(100, 99, 50, 1.0).remaining == -1  # every day must be good
    assert polluted_day_budget(100, 99, 50, 1.0).good_days_needed == 150
    assert polluted_day_budget(100, 0, 50, 0.0).remaining == 50  # anything goes


@pytest.mark.parametrize("args", [(-1, 0, 3), (3, 4, 3), (3, 1, -2)])
def test_impossible_counts_are_refused(args):
    with pytest.raises(ValueError):
        polluted_day_budget(*args, 0.7)


# --------------------------------------------------------------------------- the months' pace
def test_the_budget_is_spread_over_the_days_to_come():
    assert spread_budget(22, {12: 21}) == {12: 22}
    # 10 over Nov (30 days) and Dec (31): 4.92 and 5.08 → 4 + 5, the larger remainder (Nov) takes the last.
    assert spread_budget(10, {11: 30, 12: 31}) == {11: 5, 12: 5}
    whole_year = {m: d for m, d in zip(range(1, 13), (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31), strict=True)}
    spread = spread_budget(109, whole_year)
    # 109·31/365 = 9.26, 109·28/365 = 8.36, 109·30/365 = 8.96: floors 9 / 8 / 8 add up to 103;
    # the 6 left go to the four 30-day months (.96), February (.36), then January (.26, earliest).
    assert spread == {1: 10, 2: 9, 3: 9, 4: 9, 5: 9, 6: 9, 7: 9, 8: 9, 9: 9, 10: 9, 11: 9, 12: 9}
    assert spread_budget(-5, {11: 30, 12: 31}) == {11: 0, 12: 0}
    assert spread_budget(3, {}) == {}


# --------------------------------------------------------------------------- means
def test_a_mean_meets_its_target_as_reported():
    assert within_mean_target(35.4, 35)
    assert within_mean_target(35.5, 35) is False  # reported 36 (half to even)
    assert within_mean_target(34.5, 34)  # reported 34 (half to even)


# --------------------------------------------------------------------------- checking targets
def test_a_years_targets_are_checked():
    assert check_year_targets(GOOD) == YearTargets(45.0, 75.0, 0.7, 8)
    assert check_year_targets({k: str(v) for k, v in GOOD.items()}) == YearTargets(45.0, 75.0, 0.7, 8)
    assert check_year_targets({**GOOD, "heavy_days": 8.0}).heavy_days == 8


@pytest.mark.parametrize("change, code, target", [
    ({"pm25": "很多"}, "not_a_number", "pm25"),
    ({"pm10": None}, "not_a_number", "pm10"),
    ({"pm25": True}, "not_a_number", "pm25"),
    ({"pm25": 0}, "out_of_range", "pm25"),
    ({"pm10": float("nan")}, "out_of_range", "pm10"),
    ({"good_day_share": 1.2}, "out_of_range", "good_day_share"),
    ({"heavy_days": 2.5}, "not_whole", "heavy_days"),
    ({"heavy_days": 400}, "out_of_range", "heavy_days"),
    ({"o3": 160}, "unknown", "o3"),
])
def test_bad_targets_are_refused_naming_the_field(change, code, target):
    with pytest.raises(InvalidTarget) as refused:
        check_year_targets({**GOOD, **change})
    assert refused.value.code == code and refused.value.details["target"] == target


def test_a_missing_field_is_refused():
    with pytest.raises(InvalidTarget) as refused:
        check_year_targets({k: v for k, v in GOOD.items() if k != "pm10"})
    assert refused.value.details["target"] == "pm10"


def test_years_are_within_the_data_and_the_planning_horizon():
    today = dt.date(2025, 12, 11)
    assert check_year("2026", today) == 2026
    for bad in ("2012", 2036, "二〇二五", None):
        with pytest.raises(InvalidTarget):
            check_year(bad, today)


def test_stored_targets_read_back_and_bad_entries_are_left_out():
    stored = {2025: YearTargets(45.0, 75.0, 0.7, 8), 2026: YearTargets(42.0, 70.0, 0.72, 6)}
    assert parse_year_targets(dump_year_targets(stored)) == stored
    text = json.dumps({"2025": GOOD, "2026": {**GOOD, "pm25": -1}, "x": GOOD, "2027": [1, 2]})
    assert parse_year_targets(text) == {2025: YearTargets(45.0, 75.0, 0.7, 8)}
    for garbage in (None, "", "{", "[1]", "null"):
        assert parse_year_targets(garbage) == {}


def test_a_year_without_its_own_targets_uses_the_original_two():
    own = {2025: YearTargets(45.0, 75.0, 0.7, 8)}
    assert targets_for_year(own, 2025, LEGACY) == own[2025]
    fallback = targets_for_year(own, 2026, LEGACY)
    assert fallback == YearTargets(48.0, 70.0, 0.65, 10, own=False)
    assert fallback.as_dict() == {"pm25": 48.0, "pm10": 70.0, "good_day_share": 0.65, "heavy_days": 10}


# --------------------------------------------------------------------------- the paths' figure
def test_the_paths_figure_has_plotlys_own_target_lines_and_axes():
    """The target lines and the axes are set in one update each (the panel is drawn on every
    /air and briefing view): the same items and axes as plotly's add_hline and update_yaxes give."""
    import pandas as pd
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from dashboard.figures import targets as figs

    path = pd.DataFrame({"date": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03"]),
                         "pm25": [80.0, 70.0, 65.0], "pm10": [100.0, 90.0, float("nan")],
                         "good_share": [0.0, 0.5, 2 / 3], "heavy_days": [0, 0, 1], "valid_days": [1, 2, 3]})
    targets = YearTargets(pm25=45.0, pm10=75.0, good_day_share=0.7, heavy_days=8, own=True)
    fig = figs.year_path(path, targets, 2025, "en")
    ref = make_subplots(rows=2, cols=2)
    for (row, col), y, text, top in (((1, 1), 45.0, "target 45", 96.0), ((1, 2), 75.0, "target 75", 120.0),
                                     ((2, 1), 70.0, "target 70%", None), ((2, 2), 8.0, "target 8 days", 9.6)):
        ref.add_scatter(x=path["date"], y=[1, 2, 3], row=row, col=col)  # add_hline skips empty subplots
        ref.add_hline(y=y, line=figs.TARGET_LINE, row=row, col=col, annotation_position="top left",
                      annotation={"text": text, "font": {"size": 11, "color": "#c92a2a"},
                                  "bgcolor": "rgba(255,255,255,0.85)"})
        ref.update_yaxes(range=[0, 105] if top is None else [0, pytest.approx(top)], gridcolor=figs.GRID,
                         row=row, col=col)
    assert [s.to_plotly_json() for s in fig.layout.shapes] == [s.to_plotly_json() for s in ref.layout.shapes]
    assert [a.to_plotly_json() for a in fig.layout.annotations[4:]] == \
        [a.to_plotly_json() for a in ref.layout.annotations]
    for axis in ("yaxis", "yaxis2", "yaxis3", "yaxis4"):
        assert fig.layout[axis].range == ref.layout[axis].range and fig.layout[axis].gridcolor == figs.GRID
    assert [tr.xaxis for tr in fig.data] == ["x", "x2", "x3", "x4"] and isinstance(fig.data[0], go.Scatter)
