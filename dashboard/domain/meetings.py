"""Calendar rules of dispatch meetings (调度会): when the next one is held, which days it reviews.

Pure Python. The one definition of a meeting's period, used by every page, the briefing, its PDF
and the agenda (``analytics.meeting_periods`` applies it to the stored meetings):

- Meeting N reviews the Beijing days from the day of meeting N−1 up to the day before meeting N,
  both inclusive. A meeting's own day belongs to the period *after* it: meetings are held in the
  morning, so nearly all of that day's air comes after the meeting.
- Without a previous meeting (or with one on the same day) the period is the
  ``DEFAULT_PERIOD_DAYS`` days before the meeting.
- Only whole days count: a period is cut at the last complete day (yesterday), so a period still
  running ("since the last meeting") or a meeting recorded ahead of its day covers the days so
  far, never a part of today. A period that has no whole day yet is empty (``last < first``).
- Whether a day has a value at all is HJ 663's rule (a daily mean needs 20 hourly values), applied
  where daily values are computed: a period reports its calendar days and its valid days apart.
- Inspections, ledger changes and other events are instants: they count from the time meeting N−1
  started to the time meeting N started (or now).
"""

from __future__ import annotations

import datetime as dt
import re

DEFAULT_PERIOD_DAYS = 7
DEFAULT_HOUR = 9  # meetings are held at 09:00 unless the user says otherwise


def next_working_day(day: dt.date) -> dt.date:
    """The first Monday–Friday after ``day`` (public holidays are not modelled)."""
    nxt = day + dt.timedelta(days=1)
    while nxt.weekday() >= 5:
        nxt += dt.timedelta(days=1)
    return nxt


def review_period(meeting_day: dt.date, previous_day: dt.date | None,
                  last_complete: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """First and last Beijing day a meeting on ``meeting_day`` reviews (both inclusive), cut at
    ``last_complete`` (the last whole day, yesterday) when given; ``last < first`` when no day of
    the period is over yet."""
    last = meeting_day - dt.timedelta(days=1)
    if previous_day is None or previous_day > last:
        first = meeting_day - dt.timedelta(days=DEFAULT_PERIOD_DAYS)
    else:
        first = previous_day
    if last_complete is not None and last_complete < last:
        last = max(last_complete, first - dt.timedelta(days=1))
    return first, last


def period_before(first: dt.date, last: dt.date, previous_first: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The period a review is compared with: the previous meeting's period when known, else the
    same number of days just before ``first``."""
    end = first - dt.timedelta(days=1)
    if previous_first is not None and previous_first <= end:
        return previous_first, end
    return first - dt.timedelta(days=(last - first).days + 1), end


def meeting_label(number: int) -> str:
    """第N次调度会: how staff name a meeting in ledgers (the Excel column 会议)."""
    return f"第{number}次调度会"


_LABEL = re.compile(r"^\s*(?:第\s*)?(\d+)\s*(?:次)?\s*(?:调度会)?\s*$")


def parse_meeting_label(text: object) -> int | None:
    """The meeting number in "第27次调度会", "第27次" or "27"; None when it is none of these."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text if text > 0 else None
    if isinstance(text, float) and text.is_integer():
        return int(text) if text > 0 else None
    match = _LABEL.match(str(text or ""))
    return int(match.group(1)) if match and int(match.group(1)) > 0 else None
