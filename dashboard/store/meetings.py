"""Queries and writes of dispatch meetings (调度会), and the inspection facts a meeting reviews.

A meeting is saved whole (problems, decisions, accountability, new ledger lines) in the caller's
transaction; a number already taken raises ``MeetingNumberTaken`` (also when another user saved
it a moment earlier). What a valid record is: ``domain.meeting_record``.

The inspection results a meeting reviews are read at exact times (a meeting starts at 09:00,
so a day-based query would count that morning twice) and rated with ``domain.compliance``'s
definition (passed / applicable checks).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pandas as pd
from sqlalchemy import func, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from dashboard.domain.meeting_record import MeetingConflict, MeetingError, MeetingInput, MeetingNumberTaken
from dashboard.store import ledger as ledger_store
from dashboard.store.models import (
    AccountabilityRecord,
    ActionItem,
    ChecklistItem,
    ChecklistVersion,
    Inspection,
    InspectionResult,
    Meeting,
    MeetingDecision,
    MeetingProblem,
    Site,
    Township,
    Unit,
)


# --------------------------------------------------------------------------- meetings
def all_meetings(session: Session) -> list[Meeting]:
    return list(session.scalars(select(Meeting).order_by(Meeting.number)))


def meetings_newest_first(session: Session, offset: int, limit: int) -> list[Meeting]:
    """``limit`` meetings from the ``offset``-th newest (by number): one page of the list."""
    return list(session.scalars(select(Meeting).order_by(Meeting.number.desc()).offset(offset).limit(limit)))


def meeting_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Meeting)) or 0)


def meeting_dates(session: Session) -> list[tuple[int, dt.datetime]]:
    """(number, held_at) of every meeting, newest first: a list to choose from, without each
    meeting's record."""
    return [(n, at) for n, at in session.execute(select(Meeting.number, Meeting.held_at)
                                                 .order_by(Meeting.number.desc()))]


def get_meeting(session: Session, number: int) -> Meeting | None:
    return session.scalar(
        select(Meeting)
        .where(Meeting.number == number)
        .options(
            selectinload(Meeting.problems),
            selectinload(Meeting.decisions),
            selectinload(Meeting.accountability).selectinload(AccountabilityRecord.unit),
        )
    )


def meeting_times(session: Session) -> list[dt.datetime]:
    return list(session.scalars(select(Meeting.held_at).order_by(Meeting.held_at)))


def previous_meeting(session: Session, held_at: dt.datetime) -> Meeting | None:
    return session.scalar(select(Meeting).where(Meeting.held_at < held_at).order_by(Meeting.held_at.desc()).limit(1))


def next_meeting(session: Session, held_at: dt.datetime) -> Meeting | None:
    return session.scalar(select(Meeting).where(Meeting.held_at > held_at).order_by(Meeting.held_at).limit(1))


def latest_meeting(session: Session) -> Meeting | None:
    return session.scalar(select(Meeting).order_by(Meeting.held_at.desc()).limit(1))


def next_number(session: Session) -> int:
    return (session.scalar(select(func.max(Meeting.number))) or 0) + 1


def meeting_counts(session: Session, meeting_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """Per meeting (these, or all): problems, decisions, accountability records and action items."""
    ids = None if meeting_ids is None else list(meeting_ids)

    def counts(model, name):
        query = select(model.meeting_id, func.count().label(name)).group_by(model.meeting_id)
        if ids is not None:
            query = query.where(model.meeting_id.in_(ids))
        return query.subquery()

    p, d, a, i = (
        counts(MeetingProblem, "problems"),
        counts(MeetingDecision, "decisions"),
        counts(AccountabilityRecord, "accountability"),
        counts(ActionItem, "actions"),
    )
    rows = session.execute(
        select(Meeting.id, Meeting.number, p.c.problems, d.c.decisions, a.c.accountability, i.c.actions)
        .outerjoin(p, p.c.meeting_id == Meeting.id)
        .outerjoin(d, d.c.meeting_id == Meeting.id)
        .outerjoin(a, a.c.meeting_id == Meeting.id)
        .outerjoin(i, i.c.meeting_id == Meeting.id)
        .where(Meeting.id.in_(ids) if ids is not None else true())
    ).all()
    frame = pd.DataFrame(rows, columns=["meeting_id", "number", "problems", "decisions", "accountability", "actions"])
    for col in ("problems", "decisions", "accountability", "actions"):
        frame[col] = frame[col].fillna(0).astype(int)
    return frame


def reference_ids(session: Session) -> dict[str, set[int]]:
    """The ids a meeting record may refer to: ``unit_ids``, ``township_ids``, ``site_ids``."""
    return {
        "unit_ids": set(session.scalars(select(Unit.id))),
        "township_ids": set(session.scalars(select(Township.id))),
        "site_ids": set(session.scalars(select(Site.id))),
    }


def create_meeting(
    session: Session, data: MeetingInput, *, user_id: int | None, now: dt.datetime, air_quality: dict[str, Any]
) -> Meeting:
    """Save a new meeting (checked by ``domain.meeting_record.check``) with its problems,
    decisions, accountability and ledger lines. ``air_quality`` is the figure frozen into it.
    """
    if session.scalar(select(Meeting.id).where(Meeting.number == data.number)) is not None:
        raise MeetingNumberTaken(data.number)
    meeting = Meeting(
        number=data.number,
        held_at=data.held_at,
        location=data.location.strip(),
        chair_title=data.chair_title.strip(),
        attendees=[a for a in data.attendees if a],
        agenda=data.agenda,
        summary=data.summary,
        minutes_md=data.minutes_md,
        air_quality=air_quality,
        created_at=now,
        updated_at=now,
    )
    meeting.problems = [
        MeetingProblem(
            position=pos,
            description=p.description.strip(),
            township_id=p.township_id,
            site_id=p.site_id,
            item_key=p.item_key or None,
        )
        for pos, p in enumerate(data.problems, start=1)
    ]
    meeting.decisions = [
        MeetingDecision(position=pos, text=text.strip())
        for pos, text in enumerate([d for d in data.decisions if d.strip()], start=1)
    ]
    meeting.accountability = [
        AccountabilityRecord(unit_id=a.unit_id, measure=a.measure, reason=a.reason.strip()) for a in data.accountability
    ]
    session.add(meeting)
    try:
        # The check above cannot see a save of the same number still in flight in another
        # transaction; the unique number catches it here, before any ledger line is written.
        session.flush()
    except IntegrityError as exc:
        raise MeetingNumberTaken(data.number) from exc
    for seq, a in enumerate(data.actions, start=1):
        ledger_store.create_item(
            session,
            meeting=meeting,
            seq=seq,
            task=a.task.strip(),
            measures=a.measures.strip(),
            responsible_unit_id=a.responsible_unit_id,
            lead_department_id=a.lead_department_id,
            deadline=a.deadline,
            actor_id=user_id,
            now=now,
        )
    session.flush()
    return meeting


def freeze_air_quality(
    session: Session, number: int, *, expected_version: int, air_quality: dict[str, Any]
) -> Meeting:
    """Store computed air-quality figures in a meeting that has none (recorded before this system)."""
    meeting = session.scalar(select(Meeting).where(Meeting.number == number))
    if meeting is None:
        raise MeetingError("not_found", number=number)
    if meeting.version != expected_version:
        raise MeetingConflict(number)
    if meeting.air_quality:
        raise MeetingError("already_frozen", number=number)
    meeting.air_quality = air_quality
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise MeetingConflict(number) from None
    return meeting


def accountability_frame(
    session: Session, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> pd.DataFrame:
    """Accountability decided at meetings held in ``(start, end]``: meeting, unit, measure, reason."""
    query = (
        select(
            Meeting.number,
            Meeting.held_at,
            AccountabilityRecord.unit_id,
            Unit.name,
            Unit.name_en,
            AccountabilityRecord.measure,
            AccountabilityRecord.reason,
        )
        .join(Meeting, Meeting.id == AccountabilityRecord.meeting_id)
        .join(Unit, Unit.id == AccountabilityRecord.unit_id)
        .order_by(Meeting.held_at, AccountabilityRecord.id)
    )
    if start is not None:
        query = query.where(Meeting.held_at > start)
    if end is not None:
        query = query.where(Meeting.held_at <= end)
    return pd.DataFrame(
        session.execute(query).all(),
        columns=["meeting_number", "held_at", "unit_id", "unit", "unit_en", "measure", "reason"],
    )


def status_events(session: Session, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """Ledger status changes to done / verified made in ``(start, end]``."""
    from dashboard.store.models import ActionItemChange

    rows = session.execute(
        select(ActionItemChange.action_item_id, ActionItemChange.at, ActionItemChange.new_value).where(
            ActionItemChange.field == "status",
            ActionItemChange.new_value.in_(("done", "verified")),
            ActionItemChange.at > start,
            ActionItemChange.at <= end,
        )
    ).all()
    return pd.DataFrame(rows, columns=["item_id", "at", "status"])


# --------------------------------------------------------------------------- inspections
RESULT_COLUMNS = ["inspection_id", "site_id", "site", "township_id", "item_key", "result"]


def results_between(session: Session, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """Checked items of submitted inspections made in ``(start, end]`` (exact times, since a
    meeting starts mid-morning), in the shape ``domain.compliance`` rates."""
    rows = session.execute(
        select(
            Inspection.id, Inspection.site_id, Site.name, Site.township_id, ChecklistItem.key, InspectionResult.result
        )
        .join(Inspection, Inspection.id == InspectionResult.inspection_id)
        .join(Site, Site.id == Inspection.site_id)
        .join(ChecklistItem, ChecklistItem.id == InspectionResult.item_id)
        .where(Inspection.status == "submitted", Inspection.inspected_at > start, Inspection.inspected_at <= end)
    ).all()
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def working_during_stop(session: Session, start: dt.datetime, end: dt.datetime) -> int:
    """Sites found working during a heavy-pollution stop order in ``(start, end]``."""
    return (
        session.scalar(
            select(func.count(func.distinct(Inspection.site_id))).where(
                Inspection.status == "submitted",
                Inspection.working_during_stop.is_(True),
                Inspection.inspected_at > start,
                Inspection.inspected_at <= end,
            )
        )
        or 0
    )


# --------------------------------------------------------------------------- choices for the form
def townships(session: Session) -> list[Township]:
    return list(session.scalars(select(Township).order_by(Township.position)))


def sites(session: Session) -> list[Site]:
    return list(session.scalars(select(Site).order_by(Site.township_id, Site.code)))


def checklist_items(session: Session, on: dt.date) -> list[ChecklistItem]:
    """The items of the checklist version in force on ``on`` (the latest one if none is)."""
    versions = session.scalars(select(ChecklistVersion).order_by(ChecklistVersion.valid_from)).all()
    current = [v for v in versions if v.valid_from <= on and (v.valid_to is None or v.valid_to >= on)]
    chosen = current[-1] if current else (versions[-1] if versions else None)
    return list(chosen.items) if chosen else []


def item_labels(session: Session) -> dict[str, tuple[str, str]]:
    """Checklist item key → (Chinese label, English label), from the newest version having it."""
    rows = session.execute(
        select(ChecklistItem.key, ChecklistItem.label, ChecklistItem.label_en)
        .join(ChecklistVersion, ChecklistVersion.id == ChecklistItem.version_id)
        .order_by(ChecklistVersion.valid_from)
    ).all()
    return {key: (label, label_en or label) for key, label, label_en in rows}


def township_names(session: Session) -> dict[int, tuple[str, str]]:
    return {
        tid: (name, name_en or name)
        for tid, name, name_en in session.execute(select(Township.id, Township.name, Township.name_en))
    }


def site_names(session: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Site.id, Site.name).where(Site.id.in_(ids))).all())
