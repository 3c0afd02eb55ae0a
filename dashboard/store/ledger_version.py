"""The ``ledger`` data version: bumped in the transaction of every write of the ledger, the
meetings, the accountability records or the responsible units, whichever path makes it (ORM
objects noted at each flush, bulk statements on those tables), so that the scorecard's cache,
keyed on it, is never served stale by any worker."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from dashboard.store.air_daily import bump
from dashboard.store.models import AccountabilityRecord, ActionItem, ActionItemChange, Meeting, Unit

LEDGER = "ledger"
_MODELS = (ActionItem, ActionItemChange, Meeting, AccountabilityRecord, Unit)
_TABLES = {m.__tablename__ for m in _MODELS}
_TOUCHED = "ledger_version_touched"


@event.listens_for(Session, "after_flush")
def _note_flushed(session: Session, _context) -> None:
    # An object set to the values it had is not a change (an idempotent import writes nothing).
    changed = [o for o in session.dirty if isinstance(o, _MODELS) and session.is_modified(o, include_collections=False)]
    if changed or any(isinstance(obj, _MODELS) for obj in (*session.new, *session.deleted)):
        session.info[_TOUCHED] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk(state) -> None:
    if (state.is_insert or state.is_update or state.is_delete) \
            and getattr(getattr(state.statement, "table", None), "name", None) in _TABLES:
        state.session.info[_TOUCHED] = True


@event.listens_for(Session, "before_commit")
def _bump_touched(session: Session) -> None:
    session.flush()
    if session.info.pop(_TOUCHED, False):
        bump(session, LEDGER)


@event.listens_for(Session, "after_rollback")
def _forget_touched(session: Session) -> None:
    session.info.pop(_TOUCHED, None)
