"""The task ledger (任务台账): status changes, evidence, and the Excel import staff already keep.

Inspectors change the items of their own township's unit, editors and admins all items; only
editors verify-close or reopen a verified item (``domain.ledger``). A status change carries the
version the user saw: a stale or missing one is refused, never silently written over.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from dashboard.domain import ledger as rules
from dashboard.ingest.ledger_excel import ResolvedRow, check_ledger
from dashboard.services.access import Actor, require, require_township
from dashboard.settings import Settings
from dashboard.store import clock
from dashboard.store import ledger as store
from dashboard.store.db import session_scope
from dashboard.store.ledger import LedgerConflict, LedgerError
from dashboard.store.models import ActionItem
from dashboard.store.users import audit

__all__ = ["LedgerConflict", "LedgerError", "SavedItem", "add_evidence", "import_ledger", "set_status"]


@dataclass(frozen=True)
class SavedItem:
    id: int
    version: int
    status: str


def _item_for_write(session: Session, actor: Actor, item_id: object) -> ActionItem:
    require(actor, "inspector")
    if not isinstance(item_id, int) or isinstance(item_id, bool):
        raise LedgerError("not_found", item_id=str(item_id)[:20])
    item = store.get_item(session, item_id)
    if item is None:
        raise LedgerError("not_found", item_id=item_id)
    require_township(actor, store.unit_township(session, item))
    return item


def set_status(settings: Settings, actor: Actor, item_id: int, new_status: str, *, expected_version: object,
               reason: str = "") -> SavedItem:
    """Move an item to ``new_status`` if its stored version is ``expected_version``.

    Raises ``Forbidden``, ``LedgerConflict`` (someone saved in between) or ``LedgerError`` (a move
    the rules refuse, an unknown item, a missing version); nothing is written then.
    """
    with session_scope(settings.database_url) as session:
        item = _item_for_write(session, actor, item_id)
        if not isinstance(expected_version, int) or isinstance(expected_version, bool):
            raise LedgerError("version_missing")
        if item.version != expected_version:
            raise LedgerConflict(item.id, store.state(item))
        try:
            move = rules.check_transition(item.status, new_status, is_editor=actor.at_least("editor"),
                                          reason=reason or "")
        except rules.TransitionError as exc:
            raise LedgerError(exc.code, old=exc.old, new=exc.new) from None
        store.apply_status(session, item, move, actor_id=actor.user_id, now=clock.now(session, settings.tz),
                           reason=reason or "")
        audit(session, actor.user_id, "reopen" if move.reopen else "status", "action_item", item.id,
              {"before": {"status": move.old}, "after": {"status": move.new},
               **({"reason": reason.strip()} if move.reopen else {})})
        return SavedItem(item.id, item.version, item.status)


def add_evidence(settings: Settings, actor: Actor, item_id: int, *, kind: str, ref: str,
                 label: str = "") -> SavedItem:
    """Attach evidence to an item. Adding never overwrites anything, so it needs no version."""
    try:
        entry = rules.check_evidence(kind, ref, label)
    except rules.EvidenceError as exc:
        raise LedgerError(exc.code) from None
    with session_scope(settings.database_url) as session:
        item = _item_for_write(session, actor, item_id)
        store.append_evidence(session, item, entry, actor_id=actor.user_id, now=clock.now(session, settings.tz))
        audit(session, actor.user_id, "evidence", "action_item", item.id, {"after": entry})
        return SavedItem(item.id, item.version, item.status)


def import_ledger(settings: Settings, actor: Actor, path: Path) -> tuple[list[ResolvedRow], dict[str, int]]:
    """Import a ledger kept in Excel, keyed by (会议, 序号), all or nothing; editors only.

    Raises ``LedgerFileError`` (every problem with file, row, column and reason; nothing saved).
    Returns the rows read and the counts added / updated / unchanged (a second import changes nothing).
    """
    require(actor, "editor")
    with session_scope(settings.database_url) as session:
        resolved = check_ledger(path, store.meeting_ids_by_number(session), store.unit_ids_by_name(session))
        counts = store.import_rows(session, resolved, actor_id=actor.user_id, now=clock.now(session, settings.tz))
        audit(session, actor.user_id, "import", "action_items", None, {"file": path.name, **counts})
    return resolved, counts
