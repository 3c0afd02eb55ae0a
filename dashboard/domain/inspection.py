"""What makes an inspection record acceptable, and who may write one (pure rules).

A draft needs only a site and a time (it is work in progress); a submitted inspection also needs
an inspector, a valid result for every checklist item and a note for every failed item, and it
may not lie in the future. An inspector bound to a township writes only for its sites (one without a
township works district-wide); editors and admins write everywhere.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from dashboard.domain import roles
from dashboard.domain.rectification import RESULTS

KINDS = ("routine", "recheck", "alert_check")
# An item the inspector has not answered yet: every item starts so, so that nothing is recorded
# as passed without someone having looked at it.
UNANSWERED = ""
# The form's idempotency key: a UUID made in the browser (letters, digits and dashes).
CLIENT_KEY = re.compile(r"^[A-Za-z0-9-]{16,64}$")


@dataclass(frozen=True)
class ItemEntry:
    """One checklist item as the inspector filled it in."""

    key: str
    result: str
    note: str = ""
    photos: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Issue:
    """One reason a save is refused: ``field`` is site | time | inspector | kind | item."""

    field: str
    code: str
    key: str | None = None


def validate(
    *,
    site_id: int | None,
    inspected_at: dt.datetime | None,
    now: dt.datetime,
    inspector: str,
    kind: str,
    entries: Iterable[ItemEntry],
    expected_keys: Iterable[str],
    submit: bool,
) -> list[Issue]:
    """Every reason this record cannot be saved (as a draft, or submitted); empty when it can."""
    issues: list[Issue] = []
    if site_id is None:
        issues.append(Issue("site", "site_required"))
    if inspected_at is None:
        issues.append(Issue("time", "time_required"))
    elif inspected_at > now:
        issues.append(Issue("time", "time_future"))
    if kind not in KINDS:
        issues.append(Issue("kind", "kind_invalid"))
    entries = list(entries)
    for entry in entries:
        if entry.result not in RESULTS and entry.result != UNANSWERED:
            issues.append(Issue("item", "result_invalid", entry.key))
    if not submit:
        return issues
    if not inspector.strip():
        issues.append(Issue("inspector", "inspector_required"))
    given = {e.key for e in entries if e.result in RESULTS}
    for key in required_keys(kind, entries, expected_keys):
        if key not in given:
            issues.append(Issue("item", "result_missing", key))
    for entry in entries:
        if entry.result == "fail" and not entry.note.strip():
            issues.append(Issue("item", "note_required", entry.key))
    return issues


def required_keys(kind: str, entries: Iterable[ItemEntry], checklist_keys: Iterable[str]) -> tuple[str, ...]:
    """The items a submitted inspection must answer: the whole checklist, except that a
    re-inspection (复查) may cover only the items it follows up (those on its form)."""
    checklist_keys = tuple(checklist_keys)
    if kind == "recheck":
        covered = {e.key for e in entries}
        if covered:
            return tuple(k for k in checklist_keys if k in covered)
    return checklist_keys


def answered(entries: Iterable[ItemEntry]) -> tuple[ItemEntry, ...]:
    """The entries to store: a draft keeps only what was answered (the rest stays open)."""
    return tuple(e for e in entries if e.result != UNANSWERED)


def may_write(role: str, user_township_id: int | None, site_township_id: int | None) -> bool:
    """Inspectors record for their own township's sites only; editors and admins anywhere."""
    return roles.at_least(role, "inspector") and roles.in_scope(role, user_township_id, site_township_id)
