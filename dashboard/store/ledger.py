"""Queries and writes of the task ledger (action items, their history and evidence).

Every change of an action item writes one ``ActionItemChange`` row per changed field (who, when,
old, new). A concurrent save caught by SQLAlchemy's ``version_id_col`` raises ``LedgerConflict``
carrying the stored state; who may write and the version check are ``services.ledger``.

Times of changes come from the caller's ``now`` (the dashboard clock): in the pinned demo the
ledger's history then stays consistent with "today" and with the meetings' times.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import pandas as pd
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from dashboard.domain import ledger as rules
from dashboard.domain.errors import CodedError
from dashboard.store.models import ActionItem, ActionItemChange, Meeting, Unit, User


class LedgerError(CodedError):
    """A refused ledger write; ``code`` names the reason (the page translates it)."""


class LedgerConflict(LedgerError):
    """Someone else saved the item since the user loaded it; ``current`` is the stored state."""

    def __init__(self, item_id: int, current: dict[str, Any] | None):
        super().__init__("conflict", item_id=item_id)
        self.item_id, self.current = item_id, current


def state(item: ActionItem) -> dict[str, Any]:
    """What a conflict message tells about the stored item."""
    return {
        "id": item.id,
        "status": item.status,
        "version": item.version,
        "deadline": item.deadline,
        "updated_at": item.updated_at,
    }


def unit_township(session: Session, item: ActionItem) -> int | None:
    """The township of the item's responsible unit (None for district departments)."""
    unit = session.get(Unit, item.responsible_unit_id)
    return unit.township_id if unit is not None else None


def _flush(session: Session, item: ActionItem) -> None:
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        fresh = session.get(ActionItem, item.id)
        raise LedgerConflict(item.id, state(fresh) if fresh is not None else None) from None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def record_change(
    session: Session, item: ActionItem, actor_id: int | None, at: dt.datetime, field: str, old: Any, new: Any
) -> None:
    session.add(
        ActionItemChange(
            action_item=item, at=at, user_id=actor_id, field=field, old_value=_text(old), new_value=_text(new)
        )
    )


def apply_status(
    session: Session, item: ActionItem, move: rules.Transition, *, actor_id: int | None, now: dt.datetime,
    reason: str = "",
) -> None:
    """Write a status move checked by ``domain.ledger.check_transition``, with its history rows.

    ``done`` stamps ``done_at``; ``verified`` stamps ``verified_at``/``verified_by``; a reopen
    clears what no longer holds and records the reason as a ``reason`` change row.
    """
    new_status = move.new
    changes: list[tuple[str, Any, Any]] = [("status", item.status, new_status)]
    if new_status == "done" or (new_status == "verified" and item.done_at is None):
        changes.append(("done_at", item.done_at, now))
        item.done_at = now
    if new_status == "verified":
        changes += [("verified_at", item.verified_at, now), ("verified_by_id", item.verified_by_id, actor_id)]
        item.verified_at, item.verified_by_id = now, actor_id
    if move.reopen:
        if rules.RANK[new_status] < rules.RANK["done"] and item.done_at is not None:
            changes.append(("done_at", item.done_at, None))
            item.done_at = None
        if item.verified_at is not None:
            changes += [("verified_at", item.verified_at, None), ("verified_by_id", item.verified_by_id, None)]
            item.verified_at = item.verified_by_id = None
        changes.append(("reason", None, reason.strip()))
    item.status = new_status
    for field, old, new in changes:
        record_change(session, item, actor_id, now, field, old, new)
    _flush(session, item)


def append_evidence(session: Session, item: ActionItem, entry: dict[str, str], *, actor_id: int | None,
                    now: dt.datetime) -> None:
    """Attach evidence (checked by ``domain.ledger.check_evidence``) with its history row."""
    item.evidence = [*(item.evidence or []), entry]
    record_change(session, item, actor_id, now, "evidence", None, f"{entry['kind']}: {entry['ref']}")
    _flush(session, item)


def create_item(
    session: Session,
    *,
    meeting: Meeting,
    seq: int,
    task: str,
    measures: str,
    responsible_unit_id: int,
    lead_department_id: int | None,
    deadline: dt.date,
    actor_id: int | None,
    now: dt.datetime,
    status: str = "open",
) -> ActionItem:
    """A new ledger line of ``meeting``; its creation is the first row of its history."""
    item = ActionItem(
        meeting=meeting,
        seq=seq,
        task=task,
        measures=measures,
        responsible_unit_id=responsible_unit_id,
        lead_department_id=lead_department_id,
        deadline=deadline,
        status=status,
        evidence=[],
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    record_change(session, item, actor_id, now, "status", None, status)
    return item


def update_fields(
    session: Session, item: ActionItem, values: dict[str, Any], *, actor_id: int | None, now: dt.datetime
) -> list[str]:
    """Set plain fields (task, measures, units, deadline, status) with one history row per change;
    returns the names of the fields that changed. Used by the Excel import, which is trusted
    like an editor (the file is the ledger staff kept so far)."""
    changed = []
    for field, new in values.items():
        old = getattr(item, field)
        if old == new:
            continue
        setattr(item, field, new)
        record_change(session, item, actor_id, now, field, old, new)
        changed.append(field)
    if changed:
        item.updated_at = now
    return changed


# --------------------------------------------------------------------------- reading
LEDGER_COLUMNS = [
    "id",
    "meeting_id",
    "meeting_number",
    "meeting_held_at",
    "seq",
    "task",
    "measures",
    "responsible_unit_id",
    "responsible_unit",
    "responsible_unit_en",
    "responsible_kind",
    "responsible_township_id",
    "lead_department_id",
    "lead_department",
    "lead_department_en",
    "deadline",
    "status",
    "done_at",
    "verified_at",
    "evidence",
    "version",
]


def items_frame(session: Session, meeting_ids: list[int] | None = None,
                statuses: Iterable[str] | None = None, relevant_at: Meeting | None = None) -> pd.DataFrame:
    """Every action item (or those of ``meeting_ids``, in ``statuses``) with its meeting and
    units' names. ``relevant_at``: only the items that can be on that meeting's ledger (see
    ``_relevant_at``)."""
    lead = aliased(Unit)
    query = (
        select(
            ActionItem.id,
            ActionItem.meeting_id,
            Meeting.number,
            Meeting.held_at,
            ActionItem.seq,
            ActionItem.task,
            ActionItem.measures,
            ActionItem.responsible_unit_id,
            Unit.name,
            Unit.name_en,
            Unit.kind,
            Unit.township_id,
            ActionItem.lead_department_id,
            lead.name,
            lead.name_en,
            ActionItem.deadline,
            ActionItem.status,
            ActionItem.done_at,
            ActionItem.verified_at,
            ActionItem.evidence,
            ActionItem.version,
        )
        .join(Meeting, Meeting.id == ActionItem.meeting_id)
        .join(Unit, Unit.id == ActionItem.responsible_unit_id)
        .outerjoin(lead, lead.id == ActionItem.lead_department_id)
        .order_by(Meeting.number, ActionItem.seq)
    )
    if meeting_ids is not None:
        query = query.where(ActionItem.meeting_id.in_(meeting_ids))
    if statuses is not None:
        query = query.where(ActionItem.status.in_(list(statuses)))
    if relevant_at is not None:
        query = query.where(_relevant_at(relevant_at))
    frame = pd.DataFrame(session.execute(query).all(), columns=LEDGER_COLUMNS)
    return frame.astype({"lead_department": object, "lead_department_en": object})


def _relevant_at(meeting: Meeting):
    """Items that may be on ``meeting``'s ledger: its own, and those of meetings held before it
    that are not closed now, or were closed without a date or on or after its start, or whose
    status changed at or after its start. What it leaves out is closed now by a status change
    before the meeting (every status move writes its change row with ``done_at``), so it was
    closed at the meeting: the closed items of older meetings, which grow with history."""
    changed_since = (
        select(ActionItemChange.id)
        .where(ActionItemChange.action_item_id == ActionItem.id, ActionItemChange.field == "status",
               ActionItemChange.at >= meeting.held_at)
        .exists()
    )
    return or_(
        ActionItem.meeting_id == meeting.id,
        and_(
            Meeting.held_at < meeting.held_at,
            or_(ActionItem.status.not_in(sorted(rules.CLOSED_STATUSES)), ActionItem.done_at.is_(None),
                ActionItem.done_at >= meeting.held_at, changed_since),
        ),
    )


def status_changes(session: Session, item_ids: list[int] | None = None) -> dict[int, list[tuple[dt.datetime, str]]]:
    """Each item's status changes as ``(time, new status)``, oldest first."""
    query = (
        select(ActionItemChange.action_item_id, ActionItemChange.at, ActionItemChange.new_value)
        .where(ActionItemChange.field == "status")
        .order_by(ActionItemChange.at, ActionItemChange.id)
    )
    if item_ids is not None:
        query = query.where(ActionItemChange.action_item_id.in_(item_ids))
    out: dict[int, list[tuple[dt.datetime, str]]] = defaultdict(list)
    for item_id, at, new in session.execute(query):
        if new:
            out[item_id].append((at, new))
    return out


def history(session: Session, item_id: int) -> list[dict[str, Any]]:
    """An item's changes, newest first, with the user's display name (None: system or import)."""
    rows = session.execute(
        select(
            ActionItemChange.at,
            ActionItemChange.field,
            ActionItemChange.old_value,
            ActionItemChange.new_value,
            User.display_name,
            User.username,
        )
        .outerjoin(User, User.id == ActionItemChange.user_id)
        .where(ActionItemChange.action_item_id == item_id)
        .order_by(ActionItemChange.at.desc(), ActionItemChange.id.desc())
    ).all()
    return [
        {"at": at, "field": field, "old": old, "new": new, "user": name or username}
        for at, field, old, new, name, username in rows
    ]


def get_item(session: Session, item_id: int) -> ActionItem | None:
    return session.get(ActionItem, item_id)


def item_for(session: Session, meeting_id: int, seq: int) -> ActionItem | None:
    return session.scalar(select(ActionItem).where(ActionItem.meeting_id == meeting_id, ActionItem.seq == seq))


def units(session: Session) -> list[Unit]:
    """Responsible units: townships first (district order), then departments, then companies."""
    order = {"township": 0, "department": 1, "company": 2}
    found = session.scalars(select(Unit).order_by(Unit.id)).all()
    return sorted(found, key=lambda u: (order.get(u.kind, 3), u.id))


def unit_ids_by_name(session: Session) -> dict[str, int]:
    return {name: uid for uid, name in session.execute(select(Unit.id, Unit.name))}


def meeting_ids_by_number(session: Session) -> dict[int, int]:
    """Meeting number → id: what an imported file's 会议 column resolves against."""
    return dict(session.execute(select(Meeting.number, Meeting.id)).all())


def import_rows(session: Session, rows: list, *, actor_id: int | None, now: dt.datetime) -> dict[str, int]:
    """Save resolved Excel rows (``ingest.ledger_excel.ResolvedRow``), keyed by (meeting, 序号):
    new keys are added, existing items get the file's values with one history row per changed
    field, identical ones are left alone (so a second import changes nothing).

    A blank 状态 leaves a stored item's status alone (new items start open). A status set by
    the file keeps the stored dates when it stays closed; an item the file
    reopens loses its done / verified stamps. An item the file closes gets no done date (the
    file does not say when), so it never counts as closed on time.
    """
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    meetings = {m.id: m for m in session.scalars(select(Meeting).where(Meeting.id.in_({r.meeting_id for r in rows})))}
    for r in rows:
        line = r.row
        values = {
            "task": line.task,
            "measures": line.measures,
            "responsible_unit_id": r.responsible_unit_id,
            "lead_department_id": r.lead_department_id,
            "deadline": line.deadline,
        }
        item = item_for(session, r.meeting_id, line.seq)
        if item is None:
            create_item(
                session,
                meeting=meetings[r.meeting_id],
                seq=line.seq,
                task=line.task,
                measures=line.measures,
                responsible_unit_id=r.responsible_unit_id,
                lead_department_id=r.lead_department_id,
                deadline=line.deadline,
                actor_id=actor_id,
                now=now,
                status=line.status or "open",
            )
            counts["added"] += 1
            continue
        if line.status is not None:
            values["status"] = line.status
            if not rules.is_closed(line.status):
                values |= {"done_at": None, "verified_at": None, "verified_by_id": None}
            elif line.status == "done":
                values |= {"verified_at": None, "verified_by_id": None}
        changed = update_fields(session, item, values, actor_id=actor_id, now=now)
        counts["updated" if changed else "unchanged"] += 1
    session.flush()
    return counts


def overdue_items(session: Session, today: dt.date, limit: int) -> pd.DataFrame:
    """The ``limit`` open items longest past their deadline (indexed on status and deadline, so
    the cost does not grow with the closed history): id, number, seq, task, unit, unit_en, deadline."""
    rows = session.execute(
        select(ActionItem.id, Meeting.number, ActionItem.seq, ActionItem.task, Unit.name, Unit.name_en,
               ActionItem.deadline)
        .join(Meeting, Meeting.id == ActionItem.meeting_id)
        .join(Unit, Unit.id == ActionItem.responsible_unit_id)
        .where(ActionItem.status.in_(("open", "in_progress")), ActionItem.deadline < today)
        .order_by(ActionItem.deadline, Meeting.number, ActionItem.seq)
        .limit(limit)
    ).all()
    return pd.DataFrame(rows, columns=["id", "number", "seq", "task", "unit", "unit_en", "deadline"])
