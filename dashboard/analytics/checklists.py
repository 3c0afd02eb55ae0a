"""What the admin page's checklist tab reads: the versions, which is in force, how much each is used."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from dashboard.store import checklists as store
from dashboard.store import clock
from dashboard.store.inspections import ChecklistView, checklist_for


@dataclass(frozen=True)
class ChecklistOverview:
    versions: list[ChecklistView]  # oldest first
    in_force_id: int | None  # the version of today's inspections
    uses: dict[int, int]  # inspections recorded per version id
    today: dt.date
    earliest: dt.date  # the first day a new version could start


def checklist_overview(session: Session, tz: ZoneInfo) -> ChecklistOverview:
    """Every checklist version with its use, the one in force today and the earliest new start."""
    today = clock.today(session, tz)
    current = checklist_for(session, today)
    return ChecklistOverview(store.checklist_versions(session), current.id if current else None,
                             store.inspections_by_version(session), today, store.earliest_new_start(session, tz))
