"""The rectification loop's pure rules: deadlines, the escalation ladder, planning from history,
and what makes an inspection record acceptable."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.domain.inspection import ItemEntry, may_write, validate
from dashboard.domain.rectification import (
    Observation,
    RectificationRules,
    can_close,
    days_late,
    deadline_for,
    escalation_level,
    plan,
    repeat_failures,
    responsible_unit,
)

UTC = dt.UTC
T0 = dt.datetime(2025, 12, 1, 1, 0, tzinfo=UTC)
RULES = RectificationRules()


def test_deadline_is_three_days_after_the_inspection_day_by_default():
    assert deadline_for(dt.date(2025, 12, 8), RULES) == dt.date(2025, 12, 11)
    assert deadline_for(dt.date(2025, 12, 8), RectificationRules(deadline_days=5)) == dt.date(2025, 12, 13)


def test_the_ladder_warning_interview_accountability():
    # 一次警告，两次约谈，三次问责: strikes from repeats (≤ 2), late, more than 7 days late.
    assert escalation_level(0, 0, RULES) == 0
    assert escalation_level(1, 0, RULES) == 1  # late
    assert escalation_level(7, 0, RULES) == 1
    assert escalation_level(8, 0, RULES) == 2  # more than a week late
    assert escalation_level(0, 1, RULES) == 1  # failed again
    assert escalation_level(0, 5, RULES) == 2  # repeats count at most twice
    assert escalation_level(30, 5, RULES) == 3  # capped at 问责
    assert escalation_level(30, 5, RectificationRules(max_level=2)) == 2
    assert escalation_level(3, 0, RectificationRules(late_thresholds=(2,))) == 1


def test_days_late_counts_from_the_deadline_not_before():
    assert days_late(dt.date(2025, 12, 11), dt.date(2025, 12, 11)) == 0
    assert days_late(dt.date(2025, 12, 11), dt.date(2025, 12, 9)) == 0
    assert days_late(dt.date(2025, 12, 11), dt.date(2025, 12, 14)) == 3


def test_rules_refuse_nonsense():
    with pytest.raises(ValueError):
        RectificationRules(deadline_days=-1)
    with pytest.raises(ValueError):
        RectificationRules(max_level=7)


@given(st.integers(0, 400), st.integers(0, 400), st.integers(0, 10))
def test_escalation_is_monotone_in_days_overdue(a, b, repeats):
    low, high = sorted((a, b))
    assert escalation_level(low, repeats, RULES) <= escalation_level(high, repeats, RULES)


@given(st.integers(0, 400), st.integers(0, 10), st.integers(0, 10))
def test_escalation_is_monotone_in_repeat_failures_and_bounded(days, a, b):
    low, high = sorted((a, b))
    assert 0 <= escalation_level(days, low, RULES) <= escalation_level(days, high, RULES) <= RULES.max_level


def test_responsible_unit_is_township_and_contractor():
    assert responsible_unit("侯寨乡", "郑州鼎诚土石方工程有限公司") == "侯寨乡／郑州鼎诚土石方工程有限公司"
    assert responsible_unit("侯寨乡", "") == "侯寨乡"


def obs(rid, hours, outcome):
    return Observation(rid, T0 + dt.timedelta(hours=hours), outcome)


def test_open_repeat_close():
    history = [obs(1, 0, "fail"), obs(2, 24, "fail"), obs(3, 48, "pass"), obs(4, 72, "fail")]
    first, second = plan(history)
    assert (first.opened_by, first.repeats, first.closed_by) == (1, [2], 3)
    assert (second.opened_by, second.closed_by) == (4, None)


def test_a_pass_at_the_same_time_does_not_close():
    (rect,) = plan([obs(2, 5, "pass"), obs(1, 5, "fail")])
    assert rect.is_open and not can_close(rect.opened_at, rect.opened_at)


def test_recorded_rectifications_of_repeat_failures_are_kept_and_closed_together():
    # The demo opened one rectification per failure: re-planning keeps both.
    history = [obs(1, 0, "fail"), obs(2, 24, "fail"), obs(3, 48, "pass")]
    rects = plan(history, keep_openers={1, 2})
    assert [(r.opened_by, r.closed_by) for r in rects] == [(1, 3), (2, 3)]


def test_repeat_failures_counted_in_the_window_up_to_the_end():
    fails = [(1, T0 - dt.timedelta(days=70)), (2, T0 - dt.timedelta(days=10)), (3, T0), (4, T0 + dt.timedelta(days=2))]
    assert repeat_failures(3, T0, T0 + dt.timedelta(days=5), fails, RULES) == 2
    assert repeat_failures(3, T0, T0 + dt.timedelta(days=1), fails, RULES) == 1


histories = st.lists(
    st.tuples(st.integers(0, 12), st.sampled_from(["pass", "fail", "na"])), min_size=0, max_size=25
).map(lambda rows: [obs(i + 1, hours, outcome) for i, (hours, outcome) in enumerate(rows)])


@given(histories, st.randoms())
def test_plan_never_closes_by_an_earlier_or_same_inspection(history, rnd):
    by_id = {o.result_id: o for o in history}
    shuffled = list(history)
    rnd.shuffle(shuffled)
    rects = plan(shuffled)
    for rect in rects:
        if rect.closed_by is not None:
            closer = by_id[rect.closed_by]
            assert closer.outcome == "pass" and closer.at > rect.opened_at
            # closed by the FIRST later pass
            earlier_passes = [o for o in history if o.outcome == "pass" and rect.opened_at < o.at < closer.at]
            assert not earlier_passes
    # Every failure either opened a rectification or is a repeat of one open at the time.
    covered = [r.opened_by for r in rects] + [rid for r in rects for rid in r.repeats]
    assert sorted(covered) == sorted(o.result_id for o in history if o.outcome == "fail")
    for rect in rects:
        for rid in rect.repeats:
            assert by_id[rid].at >= rect.opened_at
            assert rect.closed_at is None or by_id[rid].at <= rect.closed_at
    assert sum(r.is_open for r in rects) <= 1
    # The plan depends on the history only, not on the order it is read in.
    assert [(r.opened_by, r.closed_by) for r in plan(history)] == [(r.opened_by, r.closed_by) for r in rects]


# --- inspection records ------------------------------------------------------------------------------

KEYS = ("hoarding", "cover")
NOW = dt.datetime(2025, 12, 11, 23, 59, tzinfo=UTC)


def check(entries, submit=True, at=T0, inspector="王磊", site=1):
    return [(i.code, i.key) for i in validate(site_id=site, inspected_at=at, now=NOW, inspector=inspector,
                                                kind="routine", entries=entries, expected_keys=KEYS, submit=submit)]


def test_a_failure_needs_a_note_when_submitted_not_in_a_draft():
    entries = [ItemEntry("hoarding", "pass"), ItemEntry("cover", "fail", "  ")]
    assert check(entries) == [("note_required", "cover")]
    assert check(entries, submit=False) == []
    assert check([ItemEntry("hoarding", "pass"), ItemEntry("cover", "fail", "裸土未覆盖")]) == []


def test_submitted_needs_every_item_an_inspector_and_no_future_time():
    issues = check([ItemEntry("hoarding", "pass")], at=NOW + dt.timedelta(minutes=1), inspector="")
    assert ("time_future", None) in issues and ("inspector_required", None) in issues
    assert ("result_missing", "cover") in issues
    assert ("site_required", None) in check([], submit=False, site=None)


def test_inspectors_write_for_their_own_township_only():
    assert may_write("inspector", 15, 15)
    assert not may_write("inspector", 15, 3)
    assert may_write("inspector", None, 3)  # a district-wide inspector
    assert may_write("editor", None, 3) and may_write("admin", 15, 3)
    assert not may_write("viewer", None, 3)
