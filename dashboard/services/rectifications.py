"""The rectification loop (限期整改): what a submitted inspection opens and closes, and the
escalation ladder brought up to date.

``apply_inspection`` re-plans, for every (site, item) an inspection touches, the rectifications
that the site's submitted history of that item calls for (``domain.rectification.plan``) and
brings the rows in line: new failures open rectifications, passes close earlier ones, an edited
inspection's old effects are undone. The plan depends only on the history, so applying the same
inspection again changes nothing and never duplicates a rectification.

Levels depend on the day (lateness grows). They are written by the writes that change them and
by ``escalate`` (``python -m dashboard rectifications escalate``, for a daily timer); pages never
write: they compute the level of the day when they show it (``analytics.rectifications``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from dashboard.domain import rectification as rules_mod
from dashboard.domain.rectification import RectificationRules
from dashboard.services.access import Actor, require
from dashboard.settings import Settings
from dashboard.store import clock
from dashboard.store import rectifications as store
from dashboard.store.db import session_scope
from dashboard.store.models import Rectification
from dashboard.store.users import audit

Pair = store.Pair


@dataclass
class ApplyOutcome:
    """What applying one inspection changed (rectification ids; item keys for repeats)."""

    opened: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    repeats: list[str] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)

    def as_detail(self) -> dict[str, list]:
        return {k: v for k, v in self.__dict__.items() if v}


def _set_level(rect: Rectification, failures: Iterable[tuple[int, dt.datetime]], today: dt.date, tz: ZoneInfo,
               rules: RectificationRules) -> bool:
    level = rules_mod.level_as_of(rect.opened_by_id, rect.opened_at, rect.deadline, rect.closed_at, failures,
                                  today, tz, rules)
    if rect.escalation_level == level:
        return False
    rect.escalation_level = level
    return True


def _reconcile(session: Session, site_id: int, item_key: str, rules: RectificationRules, tz: ZoneInfo,
               today: dt.date) -> tuple[list[rules_mod.PlannedRectification], dict[int, Rectification], list[int]]:
    """Bring one (site, item)'s rectifications in line with its history.

    Returns the plan, the rows by opener result id, and the ids of rows deleted because the
    failure that opened them is gone (edited to pass / not applicable, or moved to another site).
    """
    history = store.item_history(session, site_id, item_key)
    photos = {obs.result_id: p for obs, p in history}
    fails = {obs.result_id for obs, _ in history if obs.outcome == "fail"}
    existing = store.of_item(session, site_id, item_key)
    by_opener = {r.opened_by_id: r for r in existing}
    planned = rules_mod.plan((obs for obs, _ in history), keep_openers=fails & by_opener.keys())
    rows: dict[int, Rectification] = {}
    for p in planned:
        rect = by_opener.get(p.opened_by)
        if rect is None:
            rect = store.add(session, Rectification(
                site_id=site_id, item_key=item_key, opened_by_id=p.opened_by, opened_at=p.opened_at,
                deadline=rules_mod.deadline_for(p.opened_at.astimezone(tz).date(), rules),
                responsible_unit=store.responsible_unit(session, site_id), escalation_level=0, evidence=[],
                status="open",
            ))
        elif rect.opened_at != p.opened_at:  # the opening inspection's time was edited
            rect.opened_at = p.opened_at
            rect.deadline = rules_mod.deadline_for(p.opened_at.astimezone(tz).date(), rules)
        status = "open" if p.is_open else "closed"
        if (rect.status, rect.closed_by_id, rect.closed_at) != (status, p.closed_by, p.closed_at):
            rect.status, rect.closed_by_id, rect.closed_at = status, p.closed_by, p.closed_at
            # The closing result is the evidence: its photos show the item put right.
            rect.evidence = list(photos.get(p.closed_by, [])) if p.closed_by else []
        rows[p.opened_by] = rect
    removed = []
    for rect in existing:
        if rect.opened_by_id not in rows:
            removed.append(rect.id)
            store.delete(session, rect)
    session.flush()
    failures = [(obs.result_id, obs.at) for obs, _ in history if obs.outcome == "fail"]
    for rect in rows.values():
        _set_level(rect, failures, today, tz, rules)
    return planned, rows, removed


def apply_inspection(session: Session, inspection, today: dt.date, tz: ZoneInfo,
                     extra_pairs: Iterable[Pair] = ()) -> ApplyOutcome:
    """Open, close, undo and escalate rectifications after a submitted inspection was written
    (in the caller's transaction); idempotent. ``extra_pairs``: (site, item) pairs to re-plan too."""
    rules = store.load_rules(session)
    session.flush()
    results = {r.id: r for r in inspection.results}
    keys = {r.id: r.item.key for r in results.values()}
    linked = store.linked_to_results(session, results)
    before = {r.id: (r.opened_by_id, r.status, r.closed_by_id) for r in linked}
    pairs = {(inspection.site_id, key) for key in keys.values()}
    pairs |= {(r.site_id, r.item_key) for r in linked} | set(extra_pairs)

    outcome = ApplyOutcome()
    for site_id, key in sorted(pairs):
        planned, rows, removed = _reconcile(session, site_id, key, rules, tz, today)
        outcome.removed += removed
        for p in planned:
            rect = rows[p.opened_by]
            if p.opened_by in results and rect.id not in before:
                outcome.opened.append(rect.id)
            if p.closed_by in results and before.get(rect.id, (None, None, None))[2] != p.closed_by:
                outcome.closed.append(rect.id)
            if rect.id in before and before[rect.id][1] == "closed" and p.is_open:
                outcome.reopened.append(rect.id)
            outcome.repeats += [keys[rid] for rid in p.repeats if rid in results]
    return outcome


def escalate_open(session: Session, today: dt.date, tz: ZoneInfo) -> list[tuple[int, int, int]]:
    """Bring every open rectification's level up to ``today`` (in the caller's transaction);
    returns (id, old level, new level) of those that changed."""
    rules = store.load_rules(session)
    open_rects = store.open_rectifications(session)
    if not open_rects:
        return []
    failures = store.failures_at(session, {(r.site_id, r.item_key) for r in open_rects})
    changed = []
    for rect in open_rects:
        old = rect.escalation_level
        if _set_level(rect, failures.get((rect.site_id, rect.item_key), []), today, tz, rules):
            changed.append((rect.id, old, rect.escalation_level))
    session.flush()
    return changed


def escalate(settings: Settings, actor: Actor, today: dt.date | None = None) -> list[tuple[int, int, int]]:
    """Store today's escalation level of every open rectification; editors (and the daily timer).

    Idempotent: a second run on the same day changes nothing. Returns (id, old, new) per change.
    """
    require(actor, "editor")
    with session_scope(settings.database_url) as session:
        day = today or clock.today(session, settings.tz)
        changed = escalate_open(session, day, settings.tz)
        if changed:
            audit(session, actor.user_id, "escalate", "rectification", None,
                  {"day": day.isoformat(), "changed": [list(c) for c in changed]})
    return changed
