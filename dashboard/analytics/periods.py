"""Which days a page opens on: the recent window, or the newest data when that is older.

A district that imported last winter's archive, or whose feed stopped, would otherwise open every
page on an empty window "before today" and read "no data" over data it holds.
"""

from __future__ import annotations

import datetime as dt


def opening_window(today: dt.date, newest: dt.date | None, days: int, *,
                   through_today: bool) -> tuple[dt.date, dt.date]:
    """``days`` days ending today (``through_today``) or yesterday; when the newest data day is
    before that window, the ``days`` days ending on it instead."""
    end = today if through_today else today - dt.timedelta(days=1)
    start = end - dt.timedelta(days=days - 1)
    if newest is not None and newest < start:
        end = newest
        start = end - dt.timedelta(days=days - 1)
    return start, end
