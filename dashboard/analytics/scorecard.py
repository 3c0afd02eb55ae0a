"""The scorecard (/scorecard): ``analytics.meetings.scorecard`` kept on the ``ledger`` data
version and the day. Every unit's figures read the whole ledger, which grows with the years;
they change only with a write of the ledger, meetings or units, or with the day (overdue)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy.orm import Session

from dashboard.analytics import meetings
from dashboard.analytics.versioned import VersionedCache
from dashboard.store.versions import LEDGER

_CACHE = VersionedCache(4)


def scorecard(session: Session, today: dt.date, tz: ZoneInfo) -> pd.DataFrame:
    """Per responsible unit (``analytics.meetings.scorecard``); a copy the caller may change."""
    return _CACHE.get(session, (LEDGER,), (today, tz.key), lambda: meetings.scorecard(session, today, tz)).copy()
