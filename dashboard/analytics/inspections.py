"""What the inspection pages read: the form's lookups and the list of inspections."""

from __future__ import annotations

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

__all__ = ["RESULT_FILTERS", "ChecklistView", "InspectionInput", "InspectionView", "alert_in_force",
           "checklist_by_id", "checklist_for", "list_inspections", "load_inspection", "site_options", "townships"]
