"""The dashboard's idea of "today".

A real database follows the wall clock in the configured time zone. The demo district is a
snapshot (of 11 December 2025) and pins its clock with the ``frozen_today`` app setting, so that
"overdue" and "since the last meeting" read as they did that day.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from dashboard.store.models import AppSetting

FROZEN_TODAY = "frozen_today"


def frozen_today(session: Session) -> dt.date | None:
    row = session.get(AppSetting, FROZEN_TODAY)
    return dt.date.fromisoformat(row.value) if row else None


def today(session: Session, tz: ZoneInfo) -> dt.date:
    return frozen_today(session) or dt.datetime.now(tz).date()


def now(session: Session, tz: ZoneInfo) -> dt.datetime:
    """The current moment; for a pinned day, the end of that day in ``tz``."""
    pinned = frozen_today(session)
    if pinned is None:
        return dt.datetime.now(tz)
    return dt.datetime.combine(pinned, dt.time(23, 59, 59), tz)
