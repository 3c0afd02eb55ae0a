"""Compliance measures and plate rules (pure): the rate's definition, rankings, offenders,
coverage, and red / yellow / green plates."""

import datetime as dt
import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.domain import compliance as c
from dashboard.domain.alerts import measures, stops_all_construction

D = dt.date(2025, 12, 11)


def _results(rows):
    """rows: (inspection_id, site_id, township_id, date, item_key, result)."""
    return pd.DataFrame(rows, columns=c.RESULT_COLUMNS)


results_lists = st.lists(
    st.tuples(st.integers(1, 5), st.sampled_from(["hoarding", "cover", "wet_ops"]), st.sampled_from(c.RESULTS)),
    max_size=60,
)


def _frame(items) -> pd.DataFrame:
    return _results([(i, i, 1 + i % 2, D, key, result) for i, key, result in items])


# --------------------------------------------------------------------------- the rate
def test_rate_is_passed_over_pass_plus_fail():
    frame = _results([(1, 1, 1, D, "hoarding", "pass"), (1, 1, 1, D, "cover", "fail"),
                      (1, 1, 1, D, "wet_ops", "na"), (2, 1, 1, D, "hoarding", "pass")])
    assert c.compliance_rate(frame) == pytest.approx(2 / 3)


def test_no_applicable_check_has_no_rate_rather_than_zero_or_one():
    only_na = _results([(1, 1, 1, D, "wet_ops", "na")])
    assert math.isnan(c.compliance_rate(only_na))
    assert math.isnan(c.compliance_rate(_results([])))
    by_site = c.rates_by(only_na, "site_id")
    assert by_site["applicable"].tolist() == [0] and by_site["rate"].isna().all()


@given(results_lists)
def test_rate_is_a_fraction_and_na_never_counts(items):
    frame = _frame(items)
    rate = c.compliance_rate(frame)
    applicable = sum(r != "na" for _, _, r in items)
    if applicable == 0:
        assert math.isnan(rate)
    else:
        assert 0.0 <= rate <= 1.0
    # Adding not-applicable results changes nothing.
    more_na = _frame(items + [(9, "cover", "na")] * 5)
    assert (math.isnan(rate) and math.isnan(c.compliance_rate(more_na))) or c.compliance_rate(more_na) == rate


@given(results_lists)
def test_group_rates_add_up_to_the_overall_rate(items):
    frame = _frame(items)
    by = c.rates_by(frame, "township_id")
    assert by["passed"].sum() == (frame["result"] == "pass").sum()
    assert by["applicable"].sum() == frame["result"].isin(["pass", "fail"]).sum()
    per_item = c.rates_by(frame, ["item_key"])
    if per_item["applicable"].sum():
        assert per_item["passed"].sum() / per_item["applicable"].sum() == pytest.approx(c.compliance_rate(frame))


def test_weekly_rates_group_by_monday_weeks():
    sunday, monday = dt.date(2025, 12, 7), dt.date(2025, 12, 8)
    frame = _results([(1, 1, 1, sunday, "cover", "fail"), (2, 1, 1, monday, "cover", "pass")])
    weeks = c.weekly_rates(frame)
    assert weeks["week"].dt.date.tolist() == [dt.date(2025, 12, 1), monday]
    assert weeks["rate"].tolist() == [0.0, 1.0]


# --------------------------------------------------------------------------- ranking
def test_ranking_change_compares_the_windows_ending_then_and_now():
    then, now = dt.date(2025, 12, 4), D
    frame = _results([
        # township 1: bad before the meeting, good after
        (1, 1, 1, then, "cover", "fail"), (2, 1, 1, now, "cover", "pass"),
        # township 2: good before, bad after
        (3, 2, 2, then, "cover", "pass"), (4, 2, 2, now, "cover", "fail"),
        # township 3: nothing to rate
    ])
    table = c.ranking_change(frame, then, now, window_days=3, townships=[1, 2, 3]).set_index("township_id")
    assert table.loc[1, "rank_now"] == 1 and table.loc[1, "rank_then"] == 2 and table.loc[1, "rank_change"] == 1
    assert table.loc[2, "rank_change"] == -1 and table.loc[2, "rate_change"] == pytest.approx(-1.0)
    assert math.isnan(table.loc[3, "rank_now"])  # unranked, not ranked last with rate 0


# --------------------------------------------------------------------------- offenders, items, coverage
def test_chronic_offenders_count_failed_inspections_in_the_window():
    rows = [
        (1, 7, 1, D - dt.timedelta(days=1), 2, False),
        (2, 7, 1, D - dt.timedelta(days=8), 1, False),
        (3, 7, 1, D - dt.timedelta(days=15), 0, True),  # working during a stop order counts
        (4, 7, 1, D - dt.timedelta(days=40), 3, False),  # outside 28 days
        (5, 8, 1, D, 1, False),
        (6, 8, 1, D - dt.timedelta(days=2), 0, False),
    ]
    inspections = pd.DataFrame(rows, columns=c.INSPECTION_COLUMNS)
    out = c.chronic_offenders(inspections, D, min_failed=3, days=28)
    assert out["site_id"].tolist() == [7]
    assert out.iloc[0]["failed_inspections"] == 3 and out.iloc[0]["failed_items"] == 3
    assert out.iloc[0]["last_failure"] == D - dt.timedelta(days=1)
    assert c.chronic_offenders(inspections, D, min_failed=1, days=28)["site_id"].tolist() == [7, 8]


def test_most_failed_items_are_ordered_by_failures():
    frame = _results([(1, 1, 1, D, "cover", "fail"), (2, 1, 1, D, "cover", "fail"), (3, 1, 1, D, "cover", "pass"),
                      (1, 1, 1, D, "hoarding", "fail"), (2, 1, 1, D, "hoarding", "na")])
    out = c.most_failed_items(frame)
    assert out["item_key"].tolist() == ["cover", "hoarding"]
    assert out.iloc[0]["fail_share"] == pytest.approx(2 / 3) and out.iloc[1]["fail_share"] == 1.0


def test_coverage_lists_active_sites_not_seen_in_n_days_including_never():
    sites = pd.DataFrame({"site_id": [1, 2, 3, 4], "status": ["active", "active", "active", "completed"]})
    last = pd.Series({1: D - dt.timedelta(days=3), 2: D - dt.timedelta(days=9), 4: D - dt.timedelta(days=90)})
    out = c.coverage_gaps(sites, last, D, days=7)
    assert out["site_id"].tolist() == [3, 2]  # never inspected first, then the longest gap
    assert out["days_since"].tolist() == [None, 9]
    assert c.coverage_gaps(sites, last, D, days=10)["site_id"].tolist() == [3]


# --------------------------------------------------------------------------- plates
RULES = c.PlateRules()


@pytest.mark.parametrize(
    ("facts", "plate"),
    [
        (c.PlateFacts(), "green"),
        (c.PlateFacts(failures=1), "green"),
        (c.PlateFacts(failures=2), "yellow"),
        (c.PlateFacts(open_rectifications=1), "yellow"),
        (c.PlateFacts(failures=5, open_rectifications=3, overdue_rectifications=1), "yellow"),
        (c.PlateFacts(failures=6), "red"),
        (c.PlateFacts(open_rectifications=2, overdue_rectifications=2), "red"),
        (c.PlateFacts(working_during_stop=1), "red"),
    ],
)
def test_the_demo_plate_rules(facts, plate):
    assert c.derive_plate(facts, RULES).plate == plate


def test_plate_reasons_say_why():
    decision = c.derive_plate(c.PlateFacts(failures=7, working_during_stop=1), RULES)
    keys = [key for key, _ in decision.reasons]
    assert keys == ["compliance.plate_reason.working_during_stop", "compliance.plate_reason.failures"]
    assert decision.reasons[1][1] == {"n": 7, "days": 28}


facts = st.builds(c.PlateFacts, st.integers(0, 20), st.integers(0, 3), st.integers(0, 6), st.integers(0, 6))


@given(facts)
def test_more_trouble_never_gives_a_better_plate(f):
    order = {"green": 0, "yellow": 1, "red": 2}
    base = order[c.derive_plate(f, RULES).plate]
    worse = c.PlateFacts(f.failures + 1, f.working_during_stop, f.open_rectifications + 1,
                         f.overdue_rectifications + 1)
    assert order[c.derive_plate(worse, RULES).plate] >= base


def test_thresholds_are_configurable_and_bad_overrides_are_ignored():
    strict = c.PlateRules.from_overrides({"red_failures": 3, "red_on_working_during_stop": False,
                                          "window_days": 0, "yellow_failures": "two", "unknown": 1})
    assert strict.red_failures == 3 and not strict.red_on_working_during_stop
    assert strict.window_days == 28 and strict.yellow_failures == 2
    assert c.derive_plate(c.PlateFacts(failures=3), strict).plate == "red"
    assert c.derive_plate(c.PlateFacts(working_during_stop=1), strict).plate == "green"
    assert c.PlateRules.from_overrides(None) == c.PlateRules()


def test_plate_facts_use_the_window_and_the_state_of_rectifications_on_the_day():
    rules = c.PlateRules(window_days=28)
    facts = c.plate_facts(
        failure_dates=[D, D - dt.timedelta(days=27), D - dt.timedelta(days=28)],
        working_during_stop_dates=[D - dt.timedelta(days=30)],
        rectifications=[
            (D - dt.timedelta(days=10), D - dt.timedelta(days=7), None),  # open, overdue
            (D - dt.timedelta(days=1), D + dt.timedelta(days=2), None),  # open, in time
            (D - dt.timedelta(days=10), D - dt.timedelta(days=7), D - dt.timedelta(days=8)),  # closed
            (D + dt.timedelta(days=1), D + dt.timedelta(days=4), None),  # not yet opened
        ],
        today=D,
        rules=rules,
    )
    assert facts == c.PlateFacts(failures=2, working_during_stop=0, open_rectifications=2, overdue_rectifications=1)


# --------------------------------------------------------------------------- alert measures
def test_each_alert_level_adds_to_the_measures_below_it():
    assert measures("yellow") == ["earthworks", "demolition", "muck_transport", "nonroad_machinery"]
    assert set(measures("yellow")) < set(measures("orange")) < set(measures("red"))
    assert {"outdoor_welding_painting", "material_transport"} <= set(measures("orange"))
    assert stops_all_construction("red") and not stops_all_construction("orange")
    assert measures("blue") == []
    with pytest.raises(ValueError):
        measures("purple")
