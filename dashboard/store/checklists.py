"""Checklist versions in the database: listing them with their use, adding one, closing one.

What a new version must be is ``domain.checklist``; ``services.checklists`` decides when.
Versions are read for inspections by ``store.inspections.checklist_for`` (the one in force on a
day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.domain.checklist import ItemDraft, earliest_start
from dashboard.store import clock
from dashboard.store.inspections import ChecklistView, checklist_versions
from dashboard.store.models import ChecklistItem, ChecklistVersion, Inspection

__all__ = ["ChecklistView", "add_version", "checklist_versions", "codes", "count_versions", "earliest_new_start",
           "inspections_by_version", "last_inspection_day", "newest_version", "set_valid_to"]


def count_versions(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ChecklistVersion)) or 0


def codes(session: Session) -> set[str]:
    return set(session.scalars(select(ChecklistVersion.code)))


def newest_version(session: Session) -> ChecklistVersion | None:
    """The version starting last (the one a new version follows)."""
    return session.scalar(select(ChecklistVersion).order_by(ChecklistVersion.valid_from.desc(),
                                                            ChecklistVersion.id.desc()).limit(1))


def last_inspection_day(session: Session, tz: ZoneInfo) -> dt.date | None:
    """The local day of the latest inspection, drafts included; None without any."""
    at = session.scalar(select(func.max(Inspection.inspected_at)))
    return at.astimezone(tz).date() if at is not None else None


def earliest_new_start(session: Session, tz: ZoneInfo) -> dt.date:
    """The first day a new version could take effect now (``domain.checklist.earliest_start``)."""
    newest = newest_version(session)
    return earliest_start(clock.today(session, tz), last_inspection_day(session, tz),
                          newest.valid_from if newest is not None else None)


def inspections_by_version(session: Session) -> dict[int, int]:
    """Inspections (drafts included) recorded on each version id."""
    rows = session.execute(
        select(Inspection.checklist_version_id, func.count()).group_by(Inspection.checklist_version_id)
    ).all()
    return {vid: n for vid, n in rows}


def add_version(session: Session, *, code: str, name: str, name_en: str, valid_from: dt.date,
                valid_to: dt.date | None, source: str, items: Iterable[ItemDraft]) -> ChecklistVersion:
    """Insert a version and its items (positions 1, 2, ... in the given order)."""
    version = ChecklistVersion(code=code, name=name, name_en=name_en, valid_from=valid_from, valid_to=valid_to,
                               source=source)
    session.add(version)
    session.flush()
    for position, item in enumerate(items, start=1):
        session.add(ChecklistItem(version_id=version.id, key=item.key, position=position, label=item.label,
                                  label_en=item.label_en))
    session.flush()
    return version


def set_valid_to(session: Session, version: ChecklistVersion, valid_to: dt.date | None) -> None:
    version.valid_to = valid_to
    session.flush()
