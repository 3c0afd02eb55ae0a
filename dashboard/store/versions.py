"""Data versions kept by listeners: a counter in ``data_versions`` bumped once by every
transaction that writes one of its tables, in that transaction, whichever path makes the write
(ORM objects noted at each flush, bulk statements when they run). Caches of figures computed from
those tables key on the counter, so every worker sees the same truth.

- ``records``: the district's records (townships, units, sites, checklists, inspections and their
  results, rectifications, meetings and their parts, the ledger, app settings); what the meeting
  and briefing pages' caches key on (with ``air_daily.AIR`` for the air data).
- ``ledger``: the ledger, the meetings, the accountability records and the responsible units;
  what the scorecard and the ledger page key on.

Users, sessions, the audit log, readings (the air version) and the site dust monitors (hundreds
of frames a second) are not watched.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from dashboard.store.air_daily import bump, version

RECORDS = "records"
LEDGER = "ledger"
WATCHED = frozenset({
    "townships", "units", "sites", "plate_changes", "checklist_versions", "checklist_items", "inspections",
    "inspection_results", "rectifications", "meetings", "meeting_problems", "meeting_decisions",
    "accountability_records", "action_items", "action_item_changes", "app_settings", "township_stations",
})
LEDGER_TABLES = frozenset({"action_items", "action_item_changes", "meetings", "accountability_records", "units"})


def records_version(session: Session) -> int:
    """The counter of the district's records (0 before any write)."""
    return version(session, RECORDS)


def keep_version(name: str, tables: frozenset[str]) -> None:
    """Bump data version ``name`` once in each transaction that writes one of ``tables``."""
    noted = f"{name}_version_written"

    def note_flushed(session: Session, _context) -> None:
        if session.info.get(noted):
            return
        # At after_flush the attributes still hold their history: an object set to the values it
        # had (an import that finds nothing to change) wrote nothing and bumps nothing.
        changed = [*session.new, *session.deleted, *(o for o in session.dirty if session.is_modified(o))]
        if any(getattr(obj, "__tablename__", None) in tables for obj in changed):
            session.info[noted] = True

    def note_bulk(state) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            table = getattr(state.statement, "table", None)
            if getattr(table, "name", None) in tables:
                state.session.info[noted] = True

    def bump_noted(session: Session) -> None:
        session.flush()
        if session.info.pop(noted, False):
            bump(session, name)

    def forget_noted(session: Session) -> None:
        session.info.pop(noted, None)

    event.listen(Session, "after_flush", note_flushed)
    event.listen(Session, "do_orm_execute", note_bulk)
    event.listen(Session, "before_commit", bump_noted)
    event.listen(Session, "after_rollback", forget_noted)


keep_version(RECORDS, WATCHED)
keep_version(LEDGER, LEDGER_TABLES)

_WROTE = "wrote_uncommitted"


def wrote_uncommitted(session: Session) -> bool:
    """Whether this session's open transaction has written anything: what it reads is not yet
    what its data versions name (they are bumped at the commit, and a rollback reuses them)."""
    return bool(session.info.get(_WROTE))


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context) -> None:
    if session.new or session.deleted or any(session.is_modified(o) for o in session.dirty):
        session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_writes(session: Session) -> None:
    session.info.pop(_WROTE, None)
