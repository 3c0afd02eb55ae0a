"""Meeting periods of the stored meetings: the days each dispatch meeting reviews, and "since the
last meeting". The rule is ``domain.meetings`` (written down there); this module is the one place
that applies it to the meetings in the database, for every page, the briefing and the agenda.

"Since meeting N" is the period of meeting N+1: up to the day before N+1 once it is held, up to
yesterday while it is not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from dashboard.domain import meetings as calendar
from dashboard.store import clock
from dashboard.store import meetings as store
from dashboard.store.models import Meeting


@dataclass(frozen=True)
class MeetingPeriod:
    """Days (air quality) and instants (events) of one meeting period."""

    number: int | None  # the meeting reviewing these days; None: the next one, not recorded yet
    after: int | None  # the meeting the period starts at; None before the first meeting
    first: dt.date
    last: dt.date  # last whole day counted; before ``first`` when no day is over yet
    end: dt.date  # the day before the reviewing meeting (yesterday for the next, unrecorded one)
    start_at: dt.datetime  # events from this instant ...
    end_at: dt.datetime  # ... up to this one (exclusive): the reviewing meeting, or now

    @property
    def days(self) -> int:
        """Whole calendar days counted so far."""
        return max(0, (self.last - self.first).days + 1)

    @property
    def running(self) -> bool:
        """True while days of the period are still to come (always, before the next meeting is set)."""
        return self.number is None or self.last < self.end

    @property
    def dates(self) -> tuple[dt.date, dt.date] | None:
        return (self.first, self.last) if self.days else None


def _day(meeting: Meeting | None, tz: ZoneInfo) -> dt.date | None:
    return meeting.held_at.astimezone(tz).date() if meeting is not None else None


def _period(meeting_day: dt.date, held_at: dt.datetime | None, number: int | None, prev: Meeting | None,
            tz: ZoneInfo, now: dt.datetime) -> MeetingPeriod:
    yesterday = now.astimezone(tz).date() - dt.timedelta(days=1)
    first, last = calendar.review_period(meeting_day, _day(prev, tz), yesterday)
    nominal = calendar.review_period(meeting_day, _day(prev, tz))[1]
    opening = prev if prev is not None and _day(prev, tz) == first else None
    start_at = opening.held_at if opening is not None else dt.datetime.combine(first, dt.time(), tz)
    end_at = min(held_at, now) if held_at is not None else now
    return MeetingPeriod(number, opening.number if opening is not None else None,
                         first, last, nominal, start_at, max(start_at, end_at))


def period_of(session: Session, meeting: Meeting, tz: ZoneInfo) -> MeetingPeriod:
    """The days ``meeting`` reviews (cut at yesterday if it is not held yet)."""
    now = clock.now(session, tz)
    prev = store.previous_meeting(session, meeting.held_at)
    return _period(meeting.held_at.astimezone(tz).date(), meeting.held_at, meeting.number, prev, tz, now)


def period_at(session: Session, held_at: dt.datetime, tz: ZoneInfo) -> MeetingPeriod:
    """The days a meeting held at ``held_at`` (recorded or not) reviews, as known now."""
    now = clock.now(session, tz)
    prev = store.previous_meeting(session, held_at)
    return _period(held_at.astimezone(tz).date(), held_at, None, prev, tz, now)


def since(session: Session, meeting: Meeting, tz: ZoneInfo) -> MeetingPeriod:
    """"Since meeting N": the period of the meeting after it, or the days since it up to yesterday."""
    nxt = store.next_meeting(session, meeting.held_at)
    if nxt is not None:
        return period_of(session, nxt, tz)
    return upcoming(session, tz, after=meeting)


def upcoming(session: Session, tz: ZoneInfo, after: Meeting | None = None) -> MeetingPeriod:
    """The period the next meeting will review: since the last meeting held (or ``after``) up to
    yesterday. A meeting recorded ahead of its day is that next meeting."""
    now = clock.now(session, tz)
    if after is None:
        ahead = store.next_meeting(session, now)
        if ahead is not None:
            return period_of(session, ahead, tz)
        after = store.previous_meeting(session, now + dt.timedelta(microseconds=1))
    today = now.astimezone(tz).date()
    if after is None:
        # No meeting yet: the default window before a meeting that would be held today.
        return _period(today, None, None, None, tz, now)
    first = _day(after, tz)
    assert first is not None
    last = today - dt.timedelta(days=1)
    return MeetingPeriod(None, after.number, first, max(last, first - dt.timedelta(days=1)), max(last, first),
                         after.held_at, max(after.held_at, now))


def previous(session: Session, period: MeetingPeriod, tz: ZoneInfo) -> MeetingPeriod:
    """The period ``period`` is compared with: the period of the meeting it starts at (when there
    is one), else as many days just before it."""
    opening = store.get_meeting(session, period.after) if period.after is not None else None
    if opening is not None:
        return period_of(session, opening, tz)
    last = period.last if period.days else period.first
    first, end = calendar.period_before(period.first, last)
    start_at = dt.datetime.combine(first, dt.time(), tz)
    return MeetingPeriod(None, None, first, end, end, start_at, period.start_at)


def before(session: Session, period: MeetingPeriod, tz: ZoneInfo) -> tuple[dt.date, dt.date]:
    """The days of ``previous(period)``."""
    p = previous(session, period, tz)
    return p.first, p.last
