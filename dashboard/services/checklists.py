"""The checklist versions: loading the standard ones, and making a new one take effect from a day.

Admins only (the command line acts as ``Actor.system()``). When a new version may start, and
why, is ``domain.checklist``; old inspections keep the version of their day.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dashboard.domain.checklist import ItemDraft, check_version, standard_versions, version_code
from dashboard.paths import DATA_DIR
from dashboard.services.access import Actor, require
from dashboard.settings import Settings
from dashboard.store import checklists as store
from dashboard.store.db import session_scope
from dashboard.store.users import audit

STANDARD_FILE = DATA_DIR / "checklists.json"


@dataclass(frozen=True)
class NewVersion:
    """What ``create_checklist_version`` saved: the new version, and the code and new last day
    of the version it closed (None when it is the first)."""

    id: int
    code: str
    valid_from: dt.date
    closed_code: str | None
    closed_valid_to: dt.date | None


def load_standard_checklists(settings: Settings, actor: Actor, path: Path = STANDARD_FILE) -> list[str]:
    """Load the shipped versions (6个/7个/8个100%) into a database that has no checklist version;
    returns the codes added. Idempotent: a database with any version gets nothing, so running it
    again (or after an admin made versions of their own) adds nothing and overlaps nothing."""
    require(actor, "admin")
    versions = standard_versions(json.loads(path.read_text(encoding="utf-8")))
    with session_scope(settings.database_url) as session:
        if store.count_versions(session):
            return []
        for v in versions:
            store.add_version(session, code=v.code, name=v.name, name_en=v.name_en, valid_from=v.valid_from,
                              valid_to=v.valid_to, source=v.source, items=v.items)
        added = [v.code for v in versions]
        audit(session, actor.user_id, "load_standard", "checklist_version", None,
              {"before": None, "after": {"codes": added, "file": path.name}})
    return added


def create_checklist_version(settings: Settings, actor: Actor, *, valid_from: object, name: object, name_en: object,
                   items: Iterable[ItemDraft], source: object = "") -> NewVersion:
    """Make a new checklist version take effect from ``valid_from``; admins only.

    The newest version so far ends the day before (``valid_to``); inspections from that day on
    use the new one. Raises ``InvalidChecklist`` (a start too early, a bad or repeated key, an
    empty label, no items...) or ``Forbidden``; nothing is written then.
    """
    require(actor, "admin")
    with session_scope(settings.database_url) as session:
        draft = check_version(name=name, name_en=name_en, valid_from=valid_from, source=source, items=items,
                              earliest=store.earliest_new_start(session, settings.tz))
        previous = store.newest_version(session)
        closed: dict[str, str | None] | None = None
        closed_on = draft.valid_from - dt.timedelta(days=1)
        if previous is not None:
            closed = {"code": previous.code, "valid_to": previous.valid_to.isoformat() if previous.valid_to else None}
            store.set_valid_to(session, previous, closed_on)
        code = version_code(draft.valid_from, store.codes(session))
        version = store.add_version(session, code=code, name=draft.name, name_en=draft.name_en,
                                    valid_from=draft.valid_from, valid_to=None, source=draft.source,
                                    items=draft.items)
        audit(session, actor.user_id, "create", "checklist_version", version.id, {
            "before": {"previous": closed},
            "after": {"code": code, "name": draft.name, "name_en": draft.name_en,
                      "valid_from": draft.valid_from.isoformat(), "source": draft.source,
                      "items": [[i.key, i.label, i.label_en] for i in draft.items],
                      "previous_valid_to": closed_on.isoformat() if previous is not None else None},
        })
        if previous is None:
            return NewVersion(version.id, code, draft.valid_from, None, None)
        return NewVersion(version.id, code, draft.valid_from, previous.code, closed_on)
