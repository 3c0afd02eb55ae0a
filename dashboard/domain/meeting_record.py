"""What a dispatch meeting's record (调度会纪要) holds, and when it is complete enough to save.

``from_form`` reads the new-meeting form's values (as the browser sends them: text, ISO dates,
ids as strings) into a ``MeetingInput``; ``check`` judges it against the facts only the database
knows (which units, townships and sites exist). Both raise ``MeetingError`` with a code the page
translates and, where it helps, the position of the row concerned.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from dashboard.domain.errors import CodedError

# 批评, 约谈, 诫勉, 问责: the accountability ladder a meeting can decide.
MEASURES = ("criticism", "interview", "admonition", "accountability")
MAX_TEXT = 20_000  # minutes and agenda: a long record, not a file pasted by mistake


class MeetingError(CodedError):
    """A refused meeting record; ``code`` names the reason, ``details`` what it concerns."""


class MeetingConflict(MeetingError):
    def __init__(self, number: int):
        super().__init__("conflict", number=number)


class MeetingNumberTaken(MeetingError):
    """Another meeting has this number (code ``duplicate_number``)."""

    def __init__(self, number: int):
        super().__init__("duplicate_number", number=number)


@dataclass
class ProblemInput:
    description: str
    township_id: int | None = None
    site_id: int | None = None
    item_key: str | None = None


@dataclass
class AccountabilityInput:
    unit_id: int
    measure: str
    reason: str = ""


@dataclass
class ActionInput:
    task: str
    responsible_unit_id: int
    deadline: dt.date | None
    measures: str = ""
    lead_department_id: int | None = None


@dataclass
class MeetingInput:
    number: int | None
    held_at: dt.datetime | None
    chair_title: str
    location: str = ""
    attendees: list[str] = field(default_factory=list)
    agenda: str = ""
    summary: str = ""
    minutes_md: str = ""
    problems: list[ProblemInput] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    accountability: list[AccountabilityInput] = field(default_factory=list)
    actions: list[ActionInput] = field(default_factory=list)


# --------------------------------------------------------------------------- the form
def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MeetingError("bad_value")
    return value


def _int(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


def form_date(value: Any) -> dt.date | None:
    """A date picker's value (an ISO date, maybe with a time) as a date; None when blank or not one."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _time(day: dt.date | None, value: Any, tz: ZoneInfo) -> dt.datetime | None:
    if day is None:
        return None
    try:
        hh, mm = (int(x) for x in str(value or "").split(":")[:2])
        return dt.datetime.combine(day, dt.time(hh, mm), tz)
    except ValueError:
        return None


def _rows(value: Any) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise MeetingError("bad_value")
    return value


def from_form(values: dict[str, Any], tz: ZoneInfo) -> MeetingInput:
    """The meeting the form describes. Blank rows are dropped; a half-filled one is an error.

    ``values``: number, date, time, chair, location, attendees, agenda, summary, minutes, and the
    rows ``problems`` (desc, township, site, item), ``decisions`` (text), ``accs`` (unit, measure,
    reason) and ``actions`` (task, measures, unit, lead, deadline).
    """
    number = _int(values.get("number"))
    held_at = _time(form_date(values.get("date")), values.get("time"), tz)
    if number is None:
        raise MeetingError("bad_number")
    if held_at is None:
        raise MeetingError("bad_time")
    problems: list[ProblemInput] = []
    for p in _rows(values.get("problems")):
        desc = _text(p.get("desc"))
        if not desc.strip():
            if p.get("township") or p.get("site") or p.get("item"):
                raise MeetingError("problem_empty", position=len(problems) + 1)
            continue
        problems.append(ProblemInput(desc, _int(p.get("township")), _int(p.get("site")), p.get("item") or None))
    accountability: list[AccountabilityInput] = []
    for acc in _rows(values.get("accs")):
        if not acc.get("unit") and not _text(acc.get("reason")).strip():
            continue
        unit = _int(acc.get("unit"))
        if unit is None:
            raise MeetingError("acc_unit_missing", position=len(accountability) + 1)
        accountability.append(AccountabilityInput(unit, acc.get("measure") or "criticism", _text(acc.get("reason"))))
    actions: list[ActionInput] = []
    for a in _rows(values.get("actions")):
        task, measures = _text(a.get("task")), _text(a.get("measures"))
        if not task.strip() and not a.get("unit") and not measures.strip():
            continue
        pos = len(actions) + 1
        if not task.strip():
            raise MeetingError("action_task_empty", position=pos)
        unit = _int(a.get("unit"))
        if unit is None:
            raise MeetingError("action_unit_missing", position=pos)
        deadline = form_date(a.get("deadline"))
        if deadline is None:
            raise MeetingError("action_deadline_missing", position=pos)
        actions.append(ActionInput(task, unit, deadline, measures, _int(a.get("lead"))))
    attendees = values.get("attendees") or []
    if not isinstance(attendees, list):
        raise MeetingError("bad_value")
    return MeetingInput(
        number=number,
        held_at=held_at,
        chair_title=_text(values.get("chair")),
        location=_text(values.get("location")),
        attendees=[_text(a) for a in attendees],
        agenda=_text(values.get("agenda")),
        summary=_text(values.get("summary")),
        minutes_md=_text(values.get("minutes")),
        problems=problems,
        decisions=[d for d in (_text(r) for r in values.get("decisions") or []) if d.strip()],
        accountability=accountability,
        actions=actions,
    )


# --------------------------------------------------------------------------- the rules
def check(data: MeetingInput, *, unit_ids: set[int], township_ids: set[int], site_ids: set[int]) -> None:
    """Raise ``MeetingError`` for the first thing that keeps the record from being saved."""
    if data.number is None or data.number < 1:
        raise MeetingError("bad_number")
    if data.held_at is None or data.held_at.tzinfo is None:
        raise MeetingError("bad_time")
    if not (data.chair_title or "").strip():
        raise MeetingError("chair_missing")
    if any(len(text) > MAX_TEXT for text in (data.agenda, data.summary, data.minutes_md)):
        raise MeetingError("too_long")
    for pos, p in enumerate(data.problems, start=1):
        if not p.description.strip():
            raise MeetingError("problem_empty", position=pos)
        if p.township_id is not None and p.township_id not in township_ids:
            raise MeetingError("unknown_township", position=pos)
        if p.site_id is not None and p.site_id not in site_ids:
            raise MeetingError("unknown_site", position=pos)
    for pos, acc in enumerate(data.accountability, start=1):
        if acc.unit_id not in unit_ids:
            raise MeetingError("unknown_unit", section="accountability", position=pos)
        if acc.measure not in MEASURES:
            raise MeetingError("unknown_measure", position=pos)
    for pos, a in enumerate(data.actions, start=1):
        if not a.task.strip():
            raise MeetingError("action_task_empty", position=pos)
        if a.responsible_unit_id not in unit_ids:
            raise MeetingError("action_unit_missing", position=pos)
        if a.lead_department_id is not None and a.lead_department_id not in unit_ids:
            raise MeetingError("unknown_unit", section="actions", position=pos)
        if a.deadline is None:
            raise MeetingError("action_deadline_missing", position=pos)
