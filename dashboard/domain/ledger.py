"""Rules of the task ledger (任务台账): status transitions, overdue, carry-over, on-time closure.

Pure Python, no I/O. Statuses move forward ``open → in_progress → done → verified``; ``done``
may be reached from ``open`` directly (small tasks are finished the day they are assigned), but
``verified`` (销号) only from ``done`` and only by an editor. Any move back is a *reopen*: it
needs a reason, and reopening a verified item needs an editor too.

An item is *closed* once it is done or verified; it is *overdue* while it is not closed and its
deadline (a Beijing calendar date) is before today. It is *carried* to every meeting held after
the meeting that assigned it while it was still not closed at that meeting's start; the count of
such meetings is how many times it has been carried (结转次数). It was closed *on time* when the
Beijing date of ``done_at`` is on or before the deadline.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

STATUSES = ("open", "in_progress", "done", "verified")
OPEN_STATUSES = frozenset({"open", "in_progress"})
CLOSED_STATUSES = frozenset({"done", "verified"})
RANK = {status: i for i, status in enumerate(STATUSES)}

#: Labels staff use in their Excel ledgers (and the grid shows in Chinese).
STATUS_LABELS_ZH = {"open": "未开始", "in_progress": "整改中", "done": "已完成", "verified": "已销号"}


class TransitionError(ValueError):
    """A status change the ledger's rules do not allow; ``code`` names the rule (for i18n)."""

    def __init__(self, code: str, old: str, new: str):
        self.code, self.old, self.new = code, old, new
        super().__init__(f"{code}: {old} → {new}")


@dataclass(frozen=True)
class Transition:
    """An allowed change: whether it is a reopen (move back) and whether it needs an editor."""

    old: str
    new: str
    reopen: bool
    needs_editor: bool


def check_transition(old: str, new: str, *, is_editor: bool, reason: str = "") -> Transition:
    """The transition ``old → new`` if allowed for this user; raises ``TransitionError`` if not.

    Codes: ``unknown_status``, ``unchanged``, ``verify_needs_done``, ``verify_needs_editor``,
    ``reopen_needs_reason``, ``reopen_verified_needs_editor``.
    """
    if old not in RANK or new not in RANK:
        raise TransitionError("unknown_status", old, new)
    if old == new:
        raise TransitionError("unchanged", old, new)
    if new == "verified":
        if old != "done":
            raise TransitionError("verify_needs_done", old, new)
        if not is_editor:
            raise TransitionError("verify_needs_editor", old, new)
        return Transition(old, new, reopen=False, needs_editor=True)
    if RANK[new] < RANK[old]:
        if not reason.strip():
            raise TransitionError("reopen_needs_reason", old, new)
        if old == "verified" and not is_editor:
            raise TransitionError("reopen_verified_needs_editor", old, new)
        return Transition(old, new, reopen=True, needs_editor=old == "verified")
    return Transition(old, new, reopen=False, needs_editor=False)


def is_closed(status: str) -> bool:
    return status in CLOSED_STATUSES


def days_overdue(status: str, deadline: dt.date, today: dt.date) -> int:
    """Days past the deadline of an item that is not closed; 0 when closed or not yet due."""
    if is_closed(status) or deadline >= today:
        return 0
    return (today - deadline).days


def is_overdue(status: str, deadline: dt.date, today: dt.date) -> bool:
    return days_overdue(status, deadline, today) > 0


def closed_on_time(done_on: dt.date | None, deadline: dt.date) -> bool | None:
    """Whether an item was done by its deadline; None when the done date is unknown."""
    if done_on is None:
        return None
    return done_on <= deadline


def status_at(changes: Iterable[tuple[dt.datetime, str]], at: dt.datetime, initial: str = "open") -> str:
    """The status in force at ``at`` from ``(time, new status)`` changes (any order).

    A change made exactly at ``at`` counts as already made.
    """
    status, latest = initial, None
    for when, new in changes:
        if when <= at and (latest is None or when >= latest):
            status, latest = new, when
    return status


def carried_meetings(
    origin_held_at: dt.datetime,
    meetings_held_at: Iterable[dt.datetime],
    changes: Sequence[tuple[dt.datetime, str]],
    until: dt.datetime | None = None,
) -> list[dt.datetime]:
    """Start times of the meetings an item was carried to: held after its origin meeting (and
    not after ``until``) while the item was not closed."""
    return sorted(
        m
        for m in meetings_held_at
        if m > origin_held_at and (until is None or m <= until) and not is_closed(status_at(changes, m))
    )


def times_carried(
    origin_held_at: dt.datetime,
    meetings_held_at: Iterable[dt.datetime],
    changes: Sequence[tuple[dt.datetime, str]],
    until: dt.datetime | None = None,
) -> int:
    """结转次数: how many later meetings (up to ``until``) found the item still not closed.

    The same count as ``len(carried_meetings(...))``, by the pieces of time between status
    changes (each counted with two bisections) instead of the status at every meeting: the
    ledger counts this for every item against every meeting.
    """
    meetings = sorted(meetings_held_at)
    lo = bisect_right(meetings, origin_held_at)
    hi = len(meetings) if until is None else bisect_right(meetings, until)
    if lo >= hi:
        return 0
    count, status, start = 0, "open", lo
    # Stable sort: of changes made at the same time the later one listed wins, as in status_at.
    for when, new in sorted(changes, key=lambda change: change[0]):
        end = max(start, bisect_left(meetings, when, lo, hi))  # meetings before the change
        if not is_closed(status):
            count += end - start
        start, status = end, new
    if not is_closed(status):
        count += hi - start
    return count


@dataclass(frozen=True)
class UnitScore:
    """One responsible unit's record in the ledger (单位考核)."""

    items: int
    closed: int
    due: int  # items whose deadline has passed, or that are closed already
    on_time: int
    overdue: int
    carried: int  # sum of times carried over the unit's items
    accountability: int

    @property
    def on_time_rate(self) -> float | None:
        """Closed by the deadline among the items that were due (None when none was due)."""
        return self.on_time / self.due if self.due else None


def unit_score(
    items: Iterable[tuple[str, dt.date, dt.date | None, int]], today: dt.date, accountability: int = 0
) -> UnitScore:
    """Score of a unit from its items as ``(status, deadline, done date or None, times carried)``.

    An item counts as due when its deadline is before today or it is closed; it counts as on
    time when closed with a known done date on or before the deadline. Imported items closed
    without a done date count as due but never as on time (the record cannot show it).
    """
    n = closed = due = on_time = overdue = carried = 0
    for status, deadline, done_on, carried_n in items:
        n += 1
        carried += carried_n
        if is_closed(status):
            closed += 1
            due += 1
            on_time += bool(closed_on_time(done_on, deadline))
        elif deadline < today:
            due += 1
            overdue += 1
    return UnitScore(n, closed, due, on_time, overdue, carried, accountability)


EVIDENCE_KINDS = ("link", "file", "inspection", "rectification")
# Evidence is shown as a link: only web addresses, or paths inside the dashboard; never
# javascript:, file: or a protocol-relative //other.host that would leave the site unnoticed.
_LINK = re.compile(r"(https?://[^\s/?#]+[^\s]*|/(?!/)[^\s]*)", re.IGNORECASE)
MAX_EVIDENCE_LENGTH = 500


class EvidenceError(ValueError):
    """``bad_evidence_kind``, ``evidence_empty``, ``evidence_too_long`` or ``evidence_bad_link``."""

    def __init__(self, code: str):
        self.code = code
        super().__init__(code)


def check_evidence(kind: str, ref: str, label: str = "") -> dict[str, str]:
    """The evidence entry to store (kind, ref, label), or ``EvidenceError``."""
    ref, label = (ref or "").strip(), (label or "").strip()
    if kind not in EVIDENCE_KINDS:
        raise EvidenceError("bad_evidence_kind")
    if not ref:
        raise EvidenceError("evidence_empty")
    if len(ref) > MAX_EVIDENCE_LENGTH or len(label) > MAX_EVIDENCE_LENGTH:
        raise EvidenceError("evidence_too_long")
    if kind == "link" and not _LINK.fullmatch(ref):
        raise EvidenceError("evidence_bad_link")
    return {"kind": kind, "ref": ref, "label": label}
