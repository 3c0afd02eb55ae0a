"""The ``records`` data version: a counter in ``data_versions`` bumped by every transaction that
writes the district's records (townships, units, sites, checklists, inspections and their
results, rectifications, meetings and their parts, the ledger, app settings), in that
transaction. Caches of figures computed from them key on it (with ``air_daily.AIR`` for the air
data), so every worker sees the same truth.

Kept by listeners on every Session, as the air rows are (``store.air_daily``): an ORM write of a
watched table is noted at its flush, a bulk statement on one when it runs, and the counter is
bumped once before the commit. Users, sessions, the audit log, readings (the air version) and
the site dust monitors (hundreds of frames a second) are not watched.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from dashboard.store.air_daily import bump, version

RECORDS = "records"
WATCHED = frozenset({
    "townships", "units", "sites", "plate_changes", "checklist_versions", "checklist_items", "inspections",
    "inspection_results", "rectifications", "meetings", "meeting_problems", "meeting_decisions",
    "accountability_records", "action_items", "action_item_changes", "app_settings", "township_stations",
})
_NOTED = "records_written"


def records_version(session: Session) -> int:
    """The counter of the district's records (0 before any write)."""
    return version(session, RECORDS)


@event.listens_for(Session, "after_flush")
def _note_flushed(session: Session, _context) -> None:
    if session.info.get(_NOTED):
        return
    # At after_flush the attributes still hold their history: an object set to the values it
    # had (an import that finds nothing to change) wrote nothing and bumps nothing.
    changed = [*session.new, *session.deleted, *(o for o in session.dirty if session.is_modified(o))]
    if any(getattr(obj, "__tablename__", None) in WATCHED for obj in changed):
        session.info[_NOTED] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in WATCHED:
            state.session.info[_NOTED] = True


@event.listens_for(Session, "before_commit")
def _bump_noted(session: Session) -> None:
    session.flush()
    if session.info.pop(_NOTED, False):
        bump(session, RECORDS)


@event.listens_for(Session, "after_rollback")
def _forget_noted(session: Session) -> None:
    session.info.pop(_NOTED, None)
