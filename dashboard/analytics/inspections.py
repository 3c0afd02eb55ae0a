"""What the inspection pages read: the form's lookups and the list of inspections."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from dashboard.store.compliance import newest_inspection_date
from dashboard.store.inspections import (
    RESULT_FILTERS,
    ChecklistView,
    InspectionInput,
    InspectionView,
    alert_in_force,
    checklist_by_id,
    checklist_for,
    list_inspections,
    load_inspection,
    site_options,
    townships,
)

__all__ = [
    "RESULT_FILTERS", "ChecklistView", "InspectionInput", "InspectionView", "alert_in_force", "checklist_by_id",
    "checklist_for", "list_inspections", "load_inspection", "newest_inspection_day", "site_options", "townships",
]


def newest_inspection_day(session: Session, tz: ZoneInfo) -> dt.date | None:
    """The Beijing day of the newest submitted inspection, or None."""
    return newest_inspection_date(session, tz)
