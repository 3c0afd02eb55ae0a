"""Ledger rules: status transitions, overdue, carry-over and on-time closure (properties over dates)."""

import datetime as dt

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from dashboard.domain import ledger as rules
from dashboard.domain import meetings as calendar

UTC = dt.UTC
dates = st.dates(min_value=dt.date(2018, 1, 1), max_value=dt.date(2030, 12, 31))
times = st.datetimes(min_value=dt.datetime(2018, 1, 1), max_value=dt.datetime(2030, 12, 31), timezones=st.just(UTC))
statuses = st.sampled_from(rules.STATUSES)


# --------------------------------------------------------------------------- transitions
@pytest.mark.parametrize("old,new", [("open", "in_progress"), ("in_progress", "done"), ("open", "done")])
def test_forward_moves_need_no_editor_and_no_reason(old, new):
    move = rules.check_transition(old, new, is_editor=False)
    assert not move.reopen and not move.needs_editor


def test_verify_only_from_done_and_only_by_an_editor():
    assert rules.check_transition("done", "verified", is_editor=True).needs_editor
    with pytest.raises(rules.TransitionError) as err:
        rules.check_transition("done", "verified", is_editor=False)
    assert err.value.code == "verify_needs_editor"
    for old in ("open", "in_progress"):
        with pytest.raises(rules.TransitionError) as err:
            rules.check_transition(old, "verified", is_editor=True)
        assert err.value.code == "verify_needs_done"


def test_reopen_needs_a_reason_and_a_verified_item_an_editor():
    with pytest.raises(rules.TransitionError) as err:
        rules.check_transition("done", "in_progress", is_editor=True, reason="  ")
    assert err.value.code == "reopen_needs_reason"
    assert rules.check_transition("done", "open", is_editor=False, reason="not cleaned").reopen
    with pytest.raises(rules.TransitionError) as err:
        rules.check_transition("verified", "open", is_editor=False, reason="re-inspection failed")
    assert err.value.code == "reopen_verified_needs_editor"
    assert rules.check_transition("verified", "open", is_editor=True, reason="re-inspection failed").reopen


@given(statuses, statuses, st.booleans(), st.text(max_size=5))
def test_every_transition_is_judged_consistently(old, new, editor, reason):
    try:
        move = rules.check_transition(old, new, is_editor=editor, reason=reason)
    except rules.TransitionError as exc:
        assert exc.code in {
            "unchanged",
            "verify_needs_done",
            "verify_needs_editor",
            "reopen_needs_reason",
            "reopen_verified_needs_editor",
        }
        return
    assert old != new
    assert move.reopen == (rules.RANK[new] < rules.RANK[old])
    if move.reopen:
        assert reason.strip()
    if new == "verified" or (move.reopen and old == "verified"):
        assert editor


# --------------------------------------------------------------------------- overdue and on time
@given(statuses, dates, dates)
def test_days_overdue(status, deadline, today):
    days = rules.days_overdue(status, deadline, today)
    if status in ("done", "verified") or deadline >= today:
        assert days == 0
    else:
        assert days == (today - deadline).days > 0
    assert rules.is_overdue(status, deadline, today) == (days > 0)


@given(statuses, dates, dates, st.integers(min_value=1, max_value=400))
def test_an_open_item_gets_later_by_one_day_per_day(status, deadline, today, later):
    before = rules.days_overdue(status, deadline, today)
    after = rules.days_overdue(status, deadline, today + dt.timedelta(days=later))
    assert after >= before
    if status in rules.OPEN_STATUSES and deadline < today:
        assert after - before == later


@given(dates, dates)
def test_on_time_closure_is_done_date_on_or_before_deadline(done_on, deadline):
    assert rules.closed_on_time(done_on, deadline) == (done_on <= deadline)
    assert rules.closed_on_time(None, deadline) is None


def test_done_on_the_deadline_day_is_on_time():
    assert rules.closed_on_time(dt.date(2025, 12, 5), dt.date(2025, 12, 5)) is True
    assert rules.closed_on_time(dt.date(2025, 12, 6), dt.date(2025, 12, 5)) is False


# --------------------------------------------------------------------------- carry-over
@given(st.lists(st.tuples(times, statuses), max_size=8), times)
def test_status_at_is_the_latest_change_not_after_the_moment(changes, at):
    status = rules.status_at(changes, at)
    earlier = [c for c in changes if c[0] <= at]
    if not earlier:
        assert status == "open"
    else:
        latest = max(c[0] for c in earlier)
        assert status in {s for t, s in earlier if t == latest}


@given(times, st.lists(times, max_size=12, unique=True), st.one_of(st.none(), times))
def test_an_item_never_closed_is_carried_to_every_later_meeting(origin, meetings, until):
    carried = rules.times_carried(origin, meetings, [(origin, "open")], until)
    assert carried == sum(1 for m in meetings if m > origin and (until is None or m <= until))


@given(times, st.lists(times, max_size=12, unique=True), times)
def test_an_item_closed_stops_being_carried(origin, meetings, closed):
    assume(closed > origin)
    changes = [(origin, "open"), (closed, "done")]
    carried = rules.carried_meetings(origin, meetings, changes)
    assert carried == sorted(m for m in meetings if origin < m < closed)


@given(times, st.lists(times, max_size=12, unique=True), times, times)
def test_times_carried_grows_with_time(origin, meetings, until_a, until_b):
    changes = [(origin, "open")]
    a, b = sorted((until_a, until_b))
    assert rules.times_carried(origin, meetings, changes, a) <= rules.times_carried(origin, meetings, changes, b)


def test_carried_counts_reopened_periods():
    t = lambda day: dt.datetime(2025, 11, day, 1, tzinfo=UTC)  # noqa: E731
    meetings = [t(1), t(8), t(15), t(22), t(29)]
    changes = [(t(1), "open"), (t(5), "done"), (t(12), "open"), (t(20), "done")]
    # Closed on the 8th, open again on the 15th, closed by the 22nd and 29th.
    assert rules.carried_meetings(t(1), meetings, changes) == [t(15)]


@given(
    st.lists(st.tuples(statuses, dates, st.one_of(st.none(), dates), st.integers(0, 9)), max_size=20),
    dates,
    st.integers(0, 5),
)
def test_unit_score_counts_are_consistent(items, today, accountability):
    score = rules.unit_score(items, today, accountability)
    assert score.on_time <= score.closed <= score.due <= score.items == len(items)
    assert score.overdue + score.closed <= score.items
    assert score.carried == sum(i[3] for i in items)
    assert score.accountability == accountability
    if score.due:
        assert 0 <= score.on_time_rate <= 1
    else:
        assert score.on_time_rate is None


# --------------------------------------------------------------------------- meeting calendar
@given(dates)
def test_next_working_day_is_the_first_weekday_after(day):
    nxt = calendar.next_working_day(day)
    assert nxt > day and nxt.weekday() < 5 and (nxt - day).days <= 3
    assert all((day + dt.timedelta(days=i)).weekday() >= 5 for i in range(1, (nxt - day).days))


def test_meeting_27_is_followed_by_friday_12_december():
    assert calendar.next_working_day(dt.date(2025, 12, 11)) == dt.date(2025, 12, 12)
    assert calendar.next_working_day(dt.date(2025, 12, 12)) == dt.date(2025, 12, 15)


@given(dates, st.one_of(st.none(), dates))
def test_review_period_ends_the_day_before_the_meeting(day, previous):
    first, last = calendar.review_period(day, previous)
    assert last == day - dt.timedelta(days=1) and first <= last
    before = calendar.period_before(first, last)
    assert before[1] == first - dt.timedelta(days=1) and (before[1] - before[0]) == (last - first)


@given(dates, st.one_of(st.none(), dates), dates)
def test_review_period_counts_only_whole_days(day, previous, yesterday):
    first, last = calendar.review_period(day, previous, yesterday)
    assert (first, max(last, first)) <= (first, calendar.review_period(day, previous)[1])
    assert last <= max(yesterday, first - dt.timedelta(days=1))
    assert last >= first - dt.timedelta(days=1)


def test_review_period_cut_at_yesterday_worked_by_hand():
    # Previous meeting Friday 5 December, next one Friday 12th, today Thursday 11th.
    assert calendar.review_period(dt.date(2025, 12, 12), dt.date(2025, 12, 5), dt.date(2025, 12, 10)) == (
        dt.date(2025, 12, 5), dt.date(2025, 12, 10))
    # Meeting held today: nothing whole yet.
    assert calendar.review_period(dt.date(2025, 12, 20), dt.date(2025, 12, 11), dt.date(2025, 12, 10)) == (
        dt.date(2025, 12, 11), dt.date(2025, 12, 10))


@pytest.mark.parametrize(
    "text,number",
    [
        ("第27次调度会", 27),
        ("第 3 次", 3),
        ("12", 12),
        (5, 5),
        (5.0, 5),
        ("第0次调度会", None),
        ("调度会", None),
        (None, None),
        (True, None),
    ],
)
def test_meeting_labels(text, number):
    assert calendar.parse_meeting_label(text) == number
    if number:
        assert calendar.parse_meeting_label(calendar.meeting_label(number)) == number


@given(times, st.lists(times, max_size=12), st.lists(st.tuples(times, statuses), max_size=8),
       st.one_of(st.none(), times))
def test_times_carried_counts_the_meetings_carried_meetings_lists(origin, meetings, changes, until):
    """The ledger's fast count agrees with the meeting-by-meeting definition, reopenings,
    changes made at the same moment and repeated meeting times included."""
    assert rules.times_carried(origin, meetings, changes, until) == len(
        rules.carried_meetings(origin, meetings, changes, until))
