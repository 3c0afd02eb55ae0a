"""Calendar rules of dispatch meetings (调度会): when the next one is held, which days it reviews.

Pure Python. A meeting reviews the *period since the previous meeting*: the Beijing days from the
previous meeting's day up to the day before this meeting (the previous meeting's own day is
mostly after it, this meeting's day mostly before any data of it exists). Without a previous
meeting the period is the ``DEFAULT_PERIOD_DAYS`` days before the meeting.
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


def review_period(meeting_day: dt.date, previous_day: dt.date | None) -> tuple[dt.date, dt.date]:
    """First and last Beijing day a meeting on ``meeting_day`` reviews (both inclusive)."""
    last = meeting_day - dt.timedelta(days=1)
    if previous_day is None or previous_day > last:
        return meeting_day - dt.timedelta(days=DEFAULT_PERIOD_DAYS), last
    return previous_day, last


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
