"""Open 待核查 tasks from site dust monitors, as the home page, the wall and the site page show them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from dashboard.domain.dust_tasks import HOUR, DustRule
from dashboard.store import dust_tasks as store


@dataclass(frozen=True)
class OpenTask:
    id: int
    site_id: int
    site_code: str
    site_name: str
    township_id: int
    township: str
    township_en: str
    kind: str
    opened_at: dt.datetime
    first_hour: dt.datetime  # the episode's first breaching hour (start); offline: the last frame
    last_hour: dt.datetime
    peak: float  # µg/m³; offline: minutes of silence when last checked
    detail: dict[str, Any]  # the rule as it was when the task opened, the station compared with
    mn: str

    @property
    def hours(self) -> int:
        """Breaching hours in the episode so far."""
        return int((self.last_hour - self.first_hour) / HOUR) + 1


def rules_in_force(session: Session) -> tuple[DustRule, ...]:
    """The dust rules as evaluated now (defaults for what is unset or unreadable)."""
    return store.load_rules(session)


def open_tasks(session: Session, township_id: int | None, limit: int | None = None) -> list[OpenTask]:
    """The open tasks of one township (None: every township), the longest waiting first."""
    return [OpenTask(**_fields(row)) for row in store.open_task_rows(session, township_id, limit=limit)]


def open_task_count(session: Session, township_id: int | None) -> int:
    return store.open_task_count(session, township_id)


def open_tasks_of_site(session: Session, site_id: int) -> list[OpenTask]:
    return [OpenTask(**_fields(row)) for row in store.open_task_rows(session, site_id=site_id)]


def wall_tasks(session: Session, limit: int) -> tuple[int, list[OpenTask]]:
    """The district's count of open tasks and the ``limit`` longest waiting."""
    return store.open_task_count(session), [OpenTask(**_fields(r)) for r in store.open_task_rows(session, limit=limit)]


def _fields(row: dict[str, Any]) -> dict[str, Any]:
    fields = {name: row[name] for name in ("id", "site_id", "site_code", "site_name", "township_id", "township",
                                           "kind", "opened_at", "first_hour", "last_hour", "mn")}
    return fields | {"township_en": row["township_en"] or "", "peak": float(row["peak_value"]),
                     "detail": dict(row["detail"] or {})}
