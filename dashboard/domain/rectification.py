"""限期整改: the rectification loop as pure rules (no SQL, no Dash, no I/O).

A failed checklist item opens a rectification for its site with a deadline and a responsible
unit. It closes only when a LATER submitted inspection of the same site passes that item; the
closing result is the evidence. While it is open, further failures of the item are repeat
failures: they open nothing new but raise the escalation level.

Escalation ladder (一次警告，两次约谈，三次问责), configurable through ``RectificationRules``:

    strikes = min(repeat failures, repeat_cap)          # same item, same site
            + one strike per late threshold exceeded    # default: > 0 days late, > 7 days late
    level   = min(max_level, strikes)                   # 0 none, 1 警告, 2 约谈, 3 问责

Repeat failures are the other failures of the same item at the same site from
``repeat_window_days`` before the opening up to the closing (or up to now while it is open).
Days late count from the deadline to the closing day (or to today while open). With the defaults
this is the rule the demo district was generated with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

# Level names by level (index); the UI translates them with "rectifications.level.<name>".
LEVELS = ("none", "warning", "interview", "accountability")
RESULTS = ("pass", "fail", "na")


#: The range of each number of ``RectificationRules`` (days, strikes, levels). A deadline of 0
#: days would make a failure overdue on the day it is found; the ladder has levels 1..3.
RECTIFICATION_BOUNDS: dict[str, tuple[int, int]] = {
    "deadline_days": (1, 90),
    "repeat_window_days": (0, 365),
    "repeat_cap": (0, len(LEVELS) - 1),
    "max_level": (1, len(LEVELS) - 1),
}
#: Days late that each cost a strike, and how many such thresholds there may be: each one is a
#: step, and a further one could never lift the level past the top of the ladder.
THRESHOLD_BOUNDS = (0, 365)
MAX_THRESHOLDS = len(LEVELS) - 1


@dataclass(frozen=True)
class RectificationRules:
    """The configurable part of the loop; the defaults are the district's usual practice.

    deadline_days       days after the inspection day to rectify (限期, default 3)
    repeat_window_days  how far back earlier failures of the same item still count as repeats
    repeat_cap          at most this many strikes come from repeat failures
    late_thresholds     one strike for each threshold the days late exceed (default > 0, > 7)
    max_level           the top of the ladder (3 = 问责)
    """

    deadline_days: int = 3
    repeat_window_days: int = 60
    repeat_cap: int = 2
    late_thresholds: tuple[int, ...] = (0, 7)
    max_level: int = 3

    def __post_init__(self) -> None:
        if self.deadline_days < 0 or self.repeat_window_days < 0 or self.repeat_cap < 0:
            raise ValueError("deadline_days, repeat_window_days and repeat_cap must not be negative")
        if not 0 <= self.max_level <= len(LEVELS) - 1:
            raise ValueError(f"max_level must be between 0 and {len(LEVELS) - 1}")
        object.__setattr__(self, "late_thresholds", tuple(sorted(int(x) for x in self.late_thresholds)))

    @classmethod
    def from_overrides(cls, overrides: object) -> RectificationRules:
        """Defaults with the valid entries of ``overrides`` applied: unknown keys, wrong types and
        values outside the bounds are ignored, so a bad stored value never breaks a page."""
        if not isinstance(overrides, dict):
            return cls()
        changes: dict[str, Any] = {}
        for name, (low, high) in RECTIFICATION_BOUNDS.items():
            if _whole_in(overrides.get(name), low, high):
                changes[name] = int(overrides[name])
        thresholds = overrides.get("late_thresholds")
        if isinstance(thresholds, list) and all(_whole_in(x, *THRESHOLD_BOUNDS) for x in thresholds):
            days = {int(x) for x in thresholds}
            if len(days) == len(thresholds) <= MAX_THRESHOLDS:
                changes["late_thresholds"] = tuple(days)
        return cls(**changes)

    def as_dict(self) -> dict[str, Any]:
        """The rules as JSON-ready values (thresholds as a list)."""
        return {"deadline_days": self.deadline_days, "repeat_window_days": self.repeat_window_days,
                "repeat_cap": self.repeat_cap, "late_thresholds": list(self.late_thresholds),
                "max_level": self.max_level}


def _whole_in(value: object, low: int, high: int) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high
            and value == int(value))


def deadline_for(inspected_on: dt.date, rules: RectificationRules) -> dt.date:
    """The deadline of a rectification opened by an inspection on that (local) day."""
    return inspected_on + dt.timedelta(days=rules.deadline_days)


def days_late(deadline: dt.date, as_of: dt.date) -> int:
    """Whole days past the deadline on ``as_of`` (0 on or before the deadline)."""
    return max(0, (as_of - deadline).days)


def escalation_level(days_past_deadline: int, repeat_failures: int, rules: RectificationRules) -> int:
    """The ladder step (0..max_level) for this lateness and number of repeat failures."""
    strikes = min(max(repeat_failures, 0), rules.repeat_cap)
    strikes += sum(1 for threshold in rules.late_thresholds if days_past_deadline > threshold)
    return min(rules.max_level, strikes)


def responsible_unit(township: str, contractor: str) -> str:
    """"<township>／<contractor>": the township answers for its sites, the contractor does the work."""
    township, contractor = township.strip(), contractor.strip()
    return f"{township}／{contractor}" if township and contractor else township or contractor


def can_close(opened_at: dt.datetime, closing_at: dt.datetime) -> bool:
    """Only a strictly later inspection can show that a failure was put right."""
    return closing_at > opened_at


@dataclass(frozen=True)
class Observation:
    """One submitted result of one checklist item at one site."""

    result_id: int
    at: dt.datetime
    outcome: str  # pass | fail | na


@dataclass
class PlannedRectification:
    """What the history says a rectification should be."""

    opened_by: int
    opened_at: dt.datetime
    closed_by: int | None = None
    closed_at: dt.datetime | None = None
    # result ids of failures of the item noted while this one was open
    repeats: list[int] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.closed_by is None


def plan(history: Iterable[Observation], keep_openers: Collection[int] = ()) -> list[PlannedRectification]:
    """The rectifications one site's history of one item calls for, in time order.

    Walks the observations by time (ties by result id): a failure opens a rectification unless
    one is already open (then it is a repeat failure of that one); a pass closes every open one
    opened strictly before it. ``keep_openers`` are failures that already opened a rectification
    in the database (e.g. the demo opened one per failure): they keep theirs even while another
    is open, so re-planning never deletes a recorded rectification whose failure still stands.
    The result depends only on the history, so applying an inspection twice changes nothing.
    """
    keep = set(keep_openers)
    planned: list[PlannedRectification] = []
    open_now: list[PlannedRectification] = []
    for obs in sorted(history, key=lambda o: (o.at, o.result_id)):
        if obs.outcome == "fail":
            if open_now and obs.result_id not in keep:
                open_now[0].repeats.append(obs.result_id)
            else:
                rect = PlannedRectification(opened_by=obs.result_id, opened_at=obs.at)
                planned.append(rect)
                open_now.append(rect)
        elif obs.outcome == "pass":
            still_open = []
            for rect in open_now:
                if can_close(rect.opened_at, obs.at):
                    rect.closed_by, rect.closed_at = obs.result_id, obs.at
                else:
                    still_open.append(rect)
            open_now = still_open
    return planned


def repeat_failures(
    opener: int,
    opened_at: dt.datetime,
    until: dt.datetime,
    failures: Iterable[tuple[int, dt.datetime]],
    rules: RectificationRules,
) -> int:
    """Failures (result id, time) of the same item and site other than the opener, counted from
    ``repeat_window_days`` before the opening up to ``until`` (the closing, or now)."""
    since = opened_at - dt.timedelta(days=rules.repeat_window_days)
    return sum(1 for rid, at in failures if rid != opener and since <= at <= until)


def level_as_of(
    opener: int,
    opened_at: dt.datetime,
    deadline: dt.date,
    closed_at: dt.datetime | None,
    failures: Iterable[tuple[int, dt.datetime]],
    today: dt.date,
    tz: tzinfo,
    rules: RectificationRules,
) -> int:
    """A rectification's escalation level on ``today`` (a closed one keeps its level at closing):
    one strike per late threshold passed and per repeat failure (capped)."""
    until = closed_at or dt.datetime.combine(today, dt.time(23, 59, 59), tz)
    end_day = closed_at.astimezone(tz).date() if closed_at else today
    repeats = repeat_failures(opener, opened_at, until, failures, rules)
    return escalation_level(days_late(deadline, end_day), repeats, rules)
