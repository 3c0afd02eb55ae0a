"""Dispatch meetings (调度会): recording a meeting with its new ledger lines, and freezing the
air quality of a meeting recorded before the dashboard had readings. Editors and admins only.

A meeting's air-quality figures are computed when it is saved and frozen into the record, so
what the meeting was told stays what it was told, whatever data arrives later.
"""

from __future__ import annotations

from dashboard.analytics.meetings import compute_air_quality
from dashboard.domain import meeting_record
from dashboard.domain.meeting_record import MeetingError, MeetingInput
from dashboard.services.access import Actor, require
from dashboard.settings import Settings
from dashboard.store import clock
from dashboard.store import meetings as store
from dashboard.store.db import session_scope
from dashboard.store.users import audit

__all__ = ["MeetingError", "MeetingInput", "create_meeting", "freeze_air_quality"]


def create_meeting(settings: Settings, actor: Actor, data: MeetingInput) -> int:
    """Save a new meeting whole; returns its number. Raises ``MeetingError`` (``MeetingNumberTaken``
    for a number already used) or ``Forbidden``; nothing is written then."""
    require(actor, "editor")
    with session_scope(settings.database_url) as session:
        meeting_record.check(data, **store.reference_ids(session))
        assert data.held_at is not None  # check() refuses a meeting without a time
        now = clock.now(session, settings.tz)
        meeting = store.create_meeting(
            session, data, user_id=actor.user_id, now=now,
            air_quality=compute_air_quality(session, data.held_at, settings.tz, now),
        )
        audit(session, actor.user_id, "create", "meeting", meeting.number, {"after": {
            "held_at": meeting.held_at.isoformat(), "problems": len(meeting.problems),
            "decisions": len(meeting.decisions), "accountability": len(meeting.accountability),
            "actions": len(data.actions),
        }})
        return meeting.number


def freeze_air_quality(settings: Settings, actor: Actor, number: int, expected_version: object) -> None:
    """Store the computed air quality in a meeting that has none, if it is still at ``expected_version``."""
    require(actor, "editor")
    if not isinstance(expected_version, int) or isinstance(expected_version, bool):
        raise MeetingError("version_missing")
    with session_scope(settings.database_url) as session:
        meeting = store.get_meeting(session, number)
        if meeting is None:
            raise MeetingError("not_found", number=number)
        air = compute_air_quality(session, meeting.held_at, settings.tz, clock.now(session, settings.tz))
        store.freeze_air_quality(session, number, expected_version=expected_version, air_quality=air)
        audit(session, actor.user_id, "freeze_air_quality", "meeting", number,
              {"after": {"computed_at": air.get("computed_at")}})
