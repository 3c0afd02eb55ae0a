"""Rectifications as the pages show them: with the escalation level of the day.

Levels grow with lateness, so a stored level is as old as the last write or the last run of
``rectifications escalate``. Pages compute the level of the day here, with the same domain rule
the services store, and never write it.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy.orm import Session

from dashboard.analytics.versioned import VersionedCache
from dashboard.domain.rectification import level_as_of
from dashboard.store import rectifications as store
from dashboard.store.versions import RECORDS

FRAME_COLUMNS = store.FRAME_COLUMNS
STATUS_FILTERS = ("open", "overdue", "escalated", "closed", "all")


def with_levels_of_the_day(session: Session, frame: pd.DataFrame, today: dt.date, tz: ZoneInfo) -> pd.DataFrame:
    """``frame`` (rows of ``store.rectifications_frame``) with ``escalation_level`` as of ``today``."""
    if frame.empty:
        return frame
    rules = store.load_rules(session)
    # Failures count from the repeat window before each opening: older ones never do.
    since = pd.Timestamp(frame["opened_at"].min()).to_pydatetime() - dt.timedelta(days=rules.repeat_window_days)
    failures = store.failures_at(session, zip(frame["site_id"], frame["item_key"]), since)
    out = frame.copy()
    out["escalation_level"] = [
        level_as_of(int(r.opened_by_result), r.opened_at, r.deadline, None if pd.isna(r.closed_at) else r.closed_at,
                    failures.get((r.site_id, r.item_key), []), today, tz, rules)
        for r in frame.itertuples()
    ]
    return out


_frames = VersionedCache(16)


def rectifications(session: Session, today: dt.date, tz: ZoneInfo, **filters) -> pd.DataFrame:
    """Rectifications (``store.rectifications_frame`` filters) with the levels of the day, kept
    until a write to the district's records (their data version) or another day: the list page
    asks for the same frame for its counts, its grid's blocks and its phone cards. Callers read
    the frame, never change it."""
    # A filter left at None filters nothing: the same frame whether it is passed or not.
    args = (today, tz.key, tuple(sorted((name, tuple(value) if name == "ids" else value)
                                        for name, value in filters.items() if value is not None)))
    return _frames.get(session, (RECORDS,), args, lambda: with_levels_of_the_day(
        session, store.rectifications_frame(session, today, tz=tz, **filters), today, tz))


def open_for_site(session: Session, site_id: int, today: dt.date, tz: ZoneInfo) -> pd.DataFrame:
    """The site's open rectifications (for the inspection form's reminder and the site page)."""
    return rectifications(session, today, tz, site_id=site_id, status="open")


def effects_of_inspection(session: Session, inspection_id: int, today: dt.date, tz: ZoneInfo) -> pd.DataFrame:
    """What an inspection did to its site's rectifications (``effect``: opened, closed or repeat)."""
    return with_levels_of_the_day(session, store.effects_of_inspection(session, inspection_id, today, tz),
                                  today, tz)


def escalated(session: Session, since: dt.datetime, today: dt.date, tz: ZoneInfo, min_level: int = 1) -> pd.DataFrame:
    """Escalated rectifications for the next dispatch meeting's agenda (e.g. since the last one).

    Those at ``min_level`` or above (as of ``today``) that are still open, or were closed after
    ``since`` (so the meeting sees what was put right as well as what is still late); highest
    level first, then the most overdue. Reads only the open ones and those closed since
    ``since`` (the closed ones before it are what grows with history).
    """
    frame = rectifications(session, today, tz, open_or_closed_since=since)
    if frame.empty:
        return frame
    keep = (frame["escalation_level"] >= min_level) & ((frame["status"] == "open") | (frame["closed_at"] >= since))
    return (
        frame[keep]
        .sort_values(["escalation_level", "days_overdue", "id"], ascending=[False, False, True])
        .reset_index(drop=True)
    )


def for_filters(session: Session, today: dt.date, tz: ZoneInfo, status: str, township_id: int | None = None,
                item_key: str | None = None) -> pd.DataFrame:
    """The rows of ``filtered``, reading only what the filters can select (the open ones for
    open, overdue and escalated: those that grow with history are the closed ones)."""
    stored = {"closed": "closed", "all": None}.get(status, "open")
    frame = rectifications(session, today, tz, township_id=township_id, status=stored)
    return filtered(frame, status, township_id, item_key)


def closed_since(session: Session, since: dt.datetime) -> int:
    return store.closed_since(session, since)


def filtered(frame: pd.DataFrame, status: str, township_id: int | None = None,
             item_key: str | None = None) -> pd.DataFrame:
    """The rows of one township and item (None: all) in a ``STATUS_FILTERS`` state: open, overdue
    (open past the deadline), escalated (open at level 1 or above), closed, or all."""
    if township_id is not None:
        frame = frame[frame["township_id"] == township_id]
    if item_key:
        frame = frame[frame["item_key"] == item_key]
    is_open = frame["status"] == "open"
    if status == "open":
        frame = frame[is_open]
    elif status == "overdue":
        frame = frame[is_open & (frame["days_overdue"] > 0)]
    elif status == "escalated":
        frame = frame[is_open & (frame["escalation_level"] >= 1)]
    elif status == "closed":
        frame = frame[~is_open]
    return frame


def rules(session: Session):
    """The rectification rules in force (deadline, ladder)."""
    return store.load_rules(session)
