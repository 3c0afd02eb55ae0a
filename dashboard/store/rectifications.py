"""Rectifications (限期整改) in the database: applying submitted inspections, escalation, queries.

``apply_inspection`` re-plans, for every (site, item) the inspection touches, the rectifications
that the site's submitted history of that item calls for (``domain.rectification.plan``) and
brings the rows in line: new failures open rectifications, passes close earlier ones, an edited
inspection's old effects are undone. The plan depends only on the history, so applying the same
inspection again (re-submitting an edit) changes nothing and never duplicates a rectification.

Escalation levels depend on the day (lateness grows); ``recompute_escalations`` brings the open
ones up to date and the pages call it when they are read. The rules come from
``RectificationRules`` defaults, overridden by the JSON object in the ``rectification.rules``
app setting (e.g. ``{"deadline_days": 5, "late_thresholds": [0, 14]}``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from dashboard.domain import rectification as rules_mod
from dashboard.domain.rectification import Observation, RectificationRules
from dashboard.store import clock
from dashboard.store.models import (
    AppSetting,
    ChecklistItem,
    Inspection,
    InspectionResult,
    Rectification,
    Site,
    Township,
)

RULES_KEY = "rectification.rules"
DEFAULT_TZ = ZoneInfo("Asia/Shanghai")

Pair = tuple[int, str]  # (site id, item key)


def load_rules(session: Session) -> RectificationRules:
    """The rules in force: defaults, overridden by the ``rectification.rules`` app setting."""
    row = session.get(AppSetting, RULES_KEY)
    if row is None:
        return RectificationRules()
    values = json.loads(row.value)
    if "late_thresholds" in values:
        values["late_thresholds"] = tuple(values["late_thresholds"])
    return RectificationRules(**values)


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


def _end_of(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), tz)


def _history(session: Session, site_id: int, item_key: str) -> list[tuple[Observation, list[str]]]:
    """Submitted pass/fail results of one item at one site, with their photos."""
    rows = session.execute(
        select(InspectionResult.id, Inspection.inspected_at, InspectionResult.result, InspectionResult.photos)
        .join(Inspection, Inspection.id == InspectionResult.inspection_id)
        .join(ChecklistItem, ChecklistItem.id == InspectionResult.item_id)
        .where(
            Inspection.site_id == site_id,
            Inspection.status == "submitted",
            ChecklistItem.key == item_key,
            InspectionResult.result.in_(("pass", "fail")),
        )
    ).all()
    return [(Observation(rid, at, result), list(photos or [])) for rid, at, result, photos in rows]


def _responsible(session: Session, site_id: int) -> str:
    row = session.execute(
        select(Township.name, Site.contractor_unit).join(Site, Site.township_id == Township.id).where(Site.id == site_id)
    ).one()
    return rules_mod.responsible_unit(row[0], row[1] or "")


def _reconcile(
    session: Session, site_id: int, item_key: str, rules: RectificationRules, tz: ZoneInfo, today: dt.date
) -> tuple[list[rules_mod.PlannedRectification], dict[int, Rectification], list[int]]:
    """Bring one (site, item)'s rectifications in line with its history.

    Returns the plan, the rows by opener result id, and the ids of rows deleted because the
    failure that opened them is gone (edited to pass / not applicable, or moved to another site).
    """
    history = _history(session, site_id, item_key)
    photos = {obs.result_id: p for obs, p in history}
    fails = {obs.result_id for obs, _ in history if obs.outcome == "fail"}
    existing = list(
        session.scalars(
            select(Rectification).where(Rectification.site_id == site_id, Rectification.item_key == item_key)
        )
    )
    by_opener = {r.opened_by_id: r for r in existing}
    planned = rules_mod.plan((obs for obs, _ in history), keep_openers=fails & by_opener.keys())
    rows: dict[int, Rectification] = {}
    for p in planned:
        rect = by_opener.get(p.opened_by)
        if rect is None:
            rect = Rectification(
                site_id=site_id,
                item_key=item_key,
                opened_by_id=p.opened_by,
                opened_at=p.opened_at,
                deadline=rules_mod.deadline_for(p.opened_at.astimezone(tz).date(), rules),
                responsible_unit=_responsible(session, site_id),
                escalation_level=0,
                evidence=[],
                status="open",
            )
            session.add(rect)
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
            session.delete(rect)
    session.flush()
    failures = [(obs.result_id, obs.at) for obs, _ in history if obs.outcome == "fail"]
    for rect in rows.values():
        _escalate(rect, failures, today, tz, rules)
    return planned, rows, removed


def _escalate(
    rect: Rectification,
    failures: Iterable[tuple[int, dt.datetime]],
    today: dt.date,
    tz: ZoneInfo,
    rules: RectificationRules,
) -> bool:
    """Set the level as of ``today`` (or as of the closing for a closed one); True if it changed."""
    until = rect.closed_at or _end_of(today, tz)
    end_day = rect.closed_at.astimezone(tz).date() if rect.closed_at else today
    repeats = rules_mod.repeat_failures(rect.opened_by_id, rect.opened_at, until, failures, rules)
    level = rules_mod.escalation_level(rules_mod.days_late(rect.deadline, end_day), repeats, rules)
    if rect.escalation_level != level:
        rect.escalation_level = level
        return True
    return False


def detach_results(session: Session, result_ids: Iterable[int]) -> set[Pair]:
    """Before results are deleted: drop what they opened, unlink what they closed.

    Returns the (site, item) pairs to re-plan afterwards (``apply_inspection(extra_pairs=...)``).
    """
    ids = list(result_ids)
    if not ids:
        return set()
    linked = session.scalars(
        select(Rectification).where(or_(Rectification.opened_by_id.in_(ids), Rectification.closed_by_id.in_(ids)))
    ).all()
    pairs = {(r.site_id, r.item_key) for r in linked}
    for rect in linked:
        if rect.opened_by_id in ids:
            session.delete(rect)
        else:
            rect.status, rect.closed_by_id, rect.closed_at, rect.evidence = "open", None, None, []
    session.flush()
    return pairs


def apply_inspection(
    session: Session,
    inspection_id: int,
    today: dt.date,
    tz: ZoneInfo = DEFAULT_TZ,
    rules: RectificationRules | None = None,
    extra_pairs: Iterable[Pair] = (),
) -> ApplyOutcome:
    """Open, close, undo and escalate rectifications after an inspection was saved.

    Call it after every save of a submitted inspection (and after an edit); idempotent.
    """
    rules = rules or load_rules(session)
    inspection = session.get(Inspection, inspection_id)
    if inspection is None:
        raise LookupError(f"inspection {inspection_id} not found")
    session.flush()
    results = {r.id: r for r in inspection.results}
    keys = {r.id: r.item.key for r in results.values()}
    linked = session.scalars(
        select(Rectification).where(
            or_(Rectification.opened_by_id.in_(results), Rectification.closed_by_id.in_(results))
        )
    ).all()
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


def recompute_escalations(
    session: Session, today: dt.date, tz: ZoneInfo = DEFAULT_TZ, rules: RectificationRules | None = None
) -> int:
    """Bring every open rectification's level up to ``today``; returns how many changed."""
    rules = rules or load_rules(session)
    open_rects = list(session.scalars(select(Rectification).where(Rectification.status == "open")))
    if not open_rects:
        return 0
    wanted = {(r.site_id, r.item_key) for r in open_rects}
    rows = session.execute(
        select(InspectionResult.id, Inspection.inspected_at, Inspection.site_id, ChecklistItem.key)
        .join(Inspection, Inspection.id == InspectionResult.inspection_id)
        .join(ChecklistItem, ChecklistItem.id == InspectionResult.item_id)
        .where(
            Inspection.status == "submitted",
            InspectionResult.result == "fail",
            Inspection.site_id.in_({site for site, _ in wanted}),
        )
    ).all()
    failures: dict[Pair, list[tuple[int, dt.datetime]]] = defaultdict(list)
    for rid, at, site_id, key in rows:
        failures[(site_id, key)].append((rid, at))
    changed = sum(_escalate(r, failures[(r.site_id, r.item_key)], today, tz, rules) for r in open_rects)
    session.flush()
    return changed


# --- queries ---------------------------------------------------------------------------------------

FRAME_COLUMNS = [
    "id", "site_id", "site_code", "site_name", "township_id", "township", "township_en", "item_key",
    "item_label", "item_label_en", "opened_at", "deadline", "days_overdue", "escalation_level",
    "responsible_unit", "status", "opened_inspection_id", "closed_inspection_id", "closed_at", "evidence",
]


def rectifications_frame(
    session: Session,
    today: dt.date,
    *,
    tz: ZoneInfo = DEFAULT_TZ,
    township_id: int | None = None,
    site_id: int | None = None,
    status: str | None = None,
    ids: Iterable[int] | None = None,
) -> pd.DataFrame:
    """Rectifications with site, township, item labels, the opening and closing inspections.

    ``days_overdue`` is the lateness today for open ones and at the closing for closed ones.
    """
    opener, closer = aliased(InspectionResult), aliased(InspectionResult)
    query = (
        select(
            Rectification.id, Site.id, Site.code, Site.name, Township.id, Township.name, Township.name_en,
            Rectification.item_key, ChecklistItem.label, ChecklistItem.label_en, Rectification.opened_at,
            Rectification.deadline, Rectification.escalation_level, Rectification.responsible_unit,
            Rectification.status, opener.inspection_id, closer.inspection_id, Rectification.closed_at,
            Rectification.evidence,
        )
        .join(Site, Site.id == Rectification.site_id)
        .join(Township, Township.id == Site.township_id)
        .join(opener, opener.id == Rectification.opened_by_id)
        .join(ChecklistItem, ChecklistItem.id == opener.item_id)
        .outerjoin(closer, closer.id == Rectification.closed_by_id)
        .order_by(Rectification.opened_at.desc(), Rectification.id.desc())
    )
    if township_id is not None:
        query = query.where(Site.township_id == township_id)
    if site_id is not None:
        query = query.where(Rectification.site_id == site_id)
    if status is not None:
        query = query.where(Rectification.status == status)
    if ids is not None:
        query = query.where(Rectification.id.in_(list(ids)))
    records = []
    for row in session.execute(query).all():
        (rid, sid, code, name, tid, township, township_en, key, label, label_en, opened_at, deadline,
         level, unit, st, opened_insp, closed_insp, closed_at, evidence) = row
        end_day = closed_at.astimezone(tz).date() if closed_at else today
        records.append((rid, sid, code, name, tid, township, township_en, key, label, label_en, opened_at,
                        deadline, rules_mod.days_late(deadline, end_day), level, unit, st, opened_insp,
                        closed_insp, closed_at, list(evidence or [])))
    return pd.DataFrame.from_records(records, columns=FRAME_COLUMNS)


def open_for_site(session: Session, site_id: int, today: dt.date, tz: ZoneInfo = DEFAULT_TZ) -> pd.DataFrame:
    """The site's open rectifications (for the inspection form's reminder and the site page)."""
    return rectifications_frame(session, today, tz=tz, site_id=site_id, status="open")


def escalated(
    session: Session,
    since: dt.datetime,
    *,
    today: dt.date | None = None,
    tz: ZoneInfo = DEFAULT_TZ,
    min_level: int = 1,
) -> pd.DataFrame:
    """Escalated rectifications for the next dispatch meeting's agenda (e.g. since the last one).

    Those at ``min_level`` or above that are still open, or were closed after ``since``
    (so the meeting sees what was put right, and by whom, as well as what is still late);
    highest level first, then the most overdue. Open levels are brought up to ``today`` first
    (written in the caller's transaction), so the agenda never shows yesterday's ladder.
    """
    today = today or clock.today(session, tz)
    recompute_escalations(session, today, tz)
    frame = rectifications_frame(session, today, tz=tz)
    keep = (frame["escalation_level"] >= min_level) & (
        (frame["status"] == "open") | (frame["closed_at"] >= since)
    )
    return (
        frame[keep]
        .sort_values(["escalation_level", "days_overdue", "id"], ascending=[False, False, True])
        .reset_index(drop=True)
    )


def effects_of_inspection(
    session: Session, inspection_id: int, today: dt.date, tz: ZoneInfo = DEFAULT_TZ
) -> pd.DataFrame:
    """What an inspection did to its site's rectifications: the rectifications frame plus
    ``effect``: opened (by one of its failures), closed (by one of its passes) or repeat (it
    failed an item whose rectification, opened earlier, was still open then)."""
    inspection = session.get(Inspection, inspection_id)
    if inspection is None:
        return pd.DataFrame(columns=[*FRAME_COLUMNS, "effect"])
    frame = rectifications_frame(session, today, tz=tz, site_id=inspection.site_id)
    failed = {r.item.key for r in inspection.results if r.result == "fail"}
    at = inspection.inspected_at
    opened = frame["opened_inspection_id"] == inspection_id
    closed = frame["closed_inspection_id"] == inspection_id
    still_open_then = frame["closed_at"].isna() | (frame["closed_at"] > at)
    repeat = (~opened & frame["item_key"].isin(failed) & (frame["opened_at"] < at) & still_open_then
              & ~frame["item_key"].isin(frame.loc[opened, "item_key"]))
    out = frame[opened | closed | repeat].copy()
    out["effect"] = "repeat"
    out.loc[opened[out.index], "effect"] = "opened"
    out.loc[closed[out.index], "effect"] = "closed"
    return out.reset_index(drop=True)
