"""The one definition of a meeting period, on meetings worked by hand and on the demo district."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from dashboard.analytics import meeting_periods as periods
from dashboard.analytics import meetings as analytics
from dashboard.store import clock
from dashboard.store import meetings as meeting_store
from dashboard.store.db import session_scope, upgrade
from dashboard.store.models import AppSetting, Meeting

TZ = ZoneInfo("Asia/Shanghai")


def _at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), TZ)


@pytest.fixture
def calendar_db(sqlite_url):
    """Meetings 1-3 on 1, 8 and 15 December 2025 (Mondays, 09:00); today pinned to 18 December."""
    upgrade(sqlite_url)
    with session_scope(sqlite_url) as session:
        session.add(AppSetting(key=clock.FROZEN_TODAY, value="2025-12-18"))
        for number, day in ((1, "2025-12-01"), (2, "2025-12-08"), (3, "2025-12-15")):
            held = _at(day)
            session.add(Meeting(number=number, held_at=held, chair_title="区长", created_at=held, updated_at=held))
    return sqlite_url


def test_a_meeting_reviews_the_days_from_the_previous_meeting_to_the_day_before_it(calendar_db):
    with session_scope(calendar_db) as session:
        p2 = periods.period_of(session, meeting_store.get_meeting(session, 2), TZ)
        assert (p2.first, p2.last, p2.days, p2.after, p2.running) == (
            dt.date(2025, 12, 1), dt.date(2025, 12, 7), 7, 1, False)
        assert (p2.start_at, p2.end_at) == (_at("2025-12-01"), _at("2025-12-08"))
        # The first meeting has no previous one: the seven days before it.
        p1 = periods.period_of(session, meeting_store.get_meeting(session, 1), TZ)
        assert (p1.first, p1.last, p1.after) == (dt.date(2025, 11, 24), dt.date(2025, 11, 30), None)
        assert periods.before(session, p2, TZ) == (dt.date(2025, 11, 24), dt.date(2025, 11, 30))


def test_since_the_last_meeting_counts_whole_days_up_to_yesterday(calendar_db):
    with session_scope(calendar_db) as session:
        m3 = meeting_store.get_meeting(session, 3)
        since = periods.since(session, m3, TZ)
        # Today is the 18th: the 15th (the meeting's own day), 16th and 17th are over.
        assert (since.first, since.last, since.days, since.running) == (
            dt.date(2025, 12, 15), dt.date(2025, 12, 17), 3, True)
        assert since.number is None and since.after == 3
        assert periods.upcoming(session, TZ) == since
        # Compared with meeting 3's own period (8-14 December), not with three days.
        assert periods.before(session, since, TZ) == (dt.date(2025, 12, 8), dt.date(2025, 12, 14))
        # Since meeting 2 is meeting 3's period.
        assert periods.since(session, meeting_store.get_meeting(session, 2), TZ) == periods.period_of(session, m3, TZ)


def test_a_meeting_recorded_ahead_is_the_next_one_and_its_period_stops_at_yesterday(calendar_db):
    with session_scope(calendar_db) as session:
        held = _at("2025-12-22")
        session.add(Meeting(number=4, held_at=held, chair_title="区长", created_at=held, updated_at=held))
    with session_scope(calendar_db) as session:
        p4 = periods.upcoming(session, TZ)
        assert (p4.number, p4.first, p4.last, p4.end, p4.running) == (
            4, dt.date(2025, 12, 15), dt.date(2025, 12, 17), dt.date(2025, 12, 21), True)
        assert p4.end_at == clock.now(session, TZ)


def test_a_meeting_held_today_has_no_whole_day_after_it_yet(calendar_db):
    with session_scope(calendar_db) as session:
        held = _at("2025-12-18", 8)
        session.add(Meeting(number=4, held_at=held, chair_title="区长", created_at=held, updated_at=held))
    with session_scope(calendar_db) as session:
        since = periods.since(session, meeting_store.get_meeting(session, 4), TZ)
        assert since.days == 0 and since.dates is None and since.first == dt.date(2025, 12, 18)


def test_every_since_meeting_27_figure_agrees_on_the_demo(demo_settings):
    """/meetings/27's 会后进展 and its before/after card, /meetings/new's 会前准备 and agenda, the
    briefing and /analysis's "since the last meeting" count the same days and say the same."""
    from dashboard.analytics import analysis, briefing, meeting_effect

    url = demo_settings.database_url
    with session_scope(url) as session:
        meeting = meeting_store.get_meeting(session, 27)
        report = analytics.since(session, url, meeting, TZ)
        draft = analytics.draft_next_meeting(session, TZ)
        period = periods.upcoming(session, TZ)
        brief = briefing.briefing(session, url, TZ)
        effect = meeting_effect.meeting_effect(session, url, meeting, 7, TZ)
        view = analysis.resolve_period(session, TZ, analysis.SINCE)
        quadrant = analysis.quadrant(session, url, TZ, view)
    assert (period.first, period.last) == (dt.date(2025, 12, 5), dt.date(2025, 12, 10))
    assert report.air_after_period == (period.first, period.last)
    assert draft.air["period"] == {"start": "2025-12-05", "end": "2025-12-10", "days": 6}
    for key in ("pm25", "pm10", "n_valid", "n_good", "categories"):
        assert draft.air["district"][key] == report.air_after[key], key
    assert draft.since == meeting.held_at
    assert (brief.period.first, brief.period.last) == (view.first, view.last) == (period.first, period.last)
    assert (effect.after.first, effect.after.last) == (period.first, period.last)
    pm25, pm10 = report.air_after["pm25"], report.air_after["pm10"]
    assert brief.headline_of("pm25").now == pm25 and brief.headline_of("pm10").now == pm10
    assert effect.row("district", "PM2.5").after_mean == pm25 and effect.row("district", "PM10").after_mean == pm10
    assert quadrant.district_pm10 == pm10
