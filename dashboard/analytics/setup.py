"""What a new district still has to set up before the pages can show it anything.

The home page lists these steps until each is done, with where to do it: a district that starts
from an empty database learns from the dashboard itself what comes next.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from dashboard.store.overview import record_counts


@dataclass(frozen=True)
class Step:
    key: str  # i18n: setup.step.<key>, setup.how.<key>
    done: bool
    href: str | None  # the page where it is done; None when it is a command


@dataclass(frozen=True)
class SetupStatus:
    steps: tuple[Step, ...]

    @property
    def complete(self) -> bool:
        return all(step.done for step in self.steps)


def setup_status(session: Session) -> SetupStatus:
    counts = record_counts(session)
    return SetupStatus((
        Step("townships", counts["townships"] > 0, "/admin?tab=district"),
        Step("checklist", counts["checklist_versions"] > 0, "/admin?tab=checklist"),
        Step("stations", counts["stations"] > 0, None),
        Step("readings", counts["readings"] > 0, None),
        Step("district_stations", counts["district_stations"] > 0, "/admin?tab=stations"),
        Step("sites", counts["sites"] > 0, "/sites"),
        Step("users", counts["users"] > 1, "/admin?tab=users"),
    ))


def has_records(session: Session, kind: str) -> bool:
    """Whether any record of ``kind`` (sites, inspections, meetings, action_items, ...) exists."""
    return record_counts(session)[kind] > 0
