"""Rectifications (限期整改) in the database: the rows, the history they are planned from, and
the queries of the pages. The loop itself (planning, escalation) is ``services.rectifications``.

The rules come from ``RectificationRules`` defaults, overridden by the JSON object in the
``rectification.rules`` app setting (e.g. ``{"deadline_days": 5, "late_thresholds": [0, 14]}``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.orm import Session, aliased

from dashboard.domain import rectification as rules_mod
from dashboard.domain.rectification import Observation, RectificationRules
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

Pair = tuple[int, str]  # (site id, item key)


def load_rules(session: Session) -> RectificationRules:
    """The rules in force: defaults, overridden by the valid entries of the ``rectification.rules``
    app setting (unreadable JSON or a bad value falls back to the default: a page never breaks)."""
    row = session.get(AppSetting, RULES_KEY)
    if row is None:
        return RectificationRules()
    try:
        overrides = json.loads(row.value)
    except (TypeError, ValueError):
        return RectificationRules()
    return RectificationRules.from_overrides(overrides)


def set_rules(session: Session, rules: RectificationRules) -> None:
    """Store the rules (checked by ``domain.rules.check_rectification_rules``)."""
    row = session.get(AppSetting, RULES_KEY)
    value = json.dumps(rules.as_dict())
    if row is None:
        session.add(AppSetting(key=RULES_KEY, value=value))
    else:
        row.value = value


def item_history(session: Session, site_id: int, item_key: str) -> list[tuple[Observation, list[str]]]:
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


def responsible_unit(session: Session, site_id: int) -> str:
    """Who must put a site's failure right (its township, with the contractor when known)."""
    row = session.execute(
        select(Township.name, Site.contractor_unit)
        .join(Site, Site.township_id == Township.id).where(Site.id == site_id)
    ).one()
    return rules_mod.responsible_unit(row[0], row[1] or "")


def of_item(session: Session, site_id: int, item_key: str) -> list[Rectification]:
    """The rectifications of one item at one site."""
    return list(session.scalars(
        select(Rectification).where(Rectification.site_id == site_id, Rectification.item_key == item_key)
    ))


def linked_to_results(session: Session, result_ids: Iterable[int]) -> list[Rectification]:
    """Rectifications opened or closed by these inspection results."""
    ids = list(result_ids)
    return list(session.scalars(
        select(Rectification).where(or_(Rectification.opened_by_id.in_(ids), Rectification.closed_by_id.in_(ids)))
    ))


def add(session: Session, rect: Rectification) -> Rectification:
    session.add(rect)
    return rect


def delete(session: Session, rect: Rectification) -> None:
    session.delete(rect)


def open_rectifications(session: Session) -> list[Rectification]:
    return list(session.scalars(select(Rectification).where(Rectification.status == "open")))


def failures_at(session: Session, pairs: Iterable[Pair],
                since: dt.datetime | None = None) -> dict[Pair, list[tuple[int, dt.datetime]]]:
    """Submitted failures (result id, time) of these (site, item) pairs (inspected at or after
    ``since``), by pair."""
    wanted = set(pairs)
    if not wanted:
        return {}
    query = (
        select(InspectionResult.id, Inspection.inspected_at, Inspection.site_id, ChecklistItem.key)
        .join(Inspection, Inspection.id == InspectionResult.inspection_id)
        .join(ChecklistItem, ChecklistItem.id == InspectionResult.item_id)
        .where(
            Inspection.status == "submitted",
            InspectionResult.result == "fail",
            # The sites lead the index on (site, time); the pairs keep only the items asked for.
            Inspection.site_id.in_({site for site, _ in wanted}),
            tuple_(Inspection.site_id, ChecklistItem.key).in_(sorted(wanted)),
        )
    )
    if since is not None:
        query = query.where(Inspection.inspected_at >= since)
    failures: dict[Pair, list[tuple[int, dt.datetime]]] = defaultdict(list)
    for rid, at, site_id, key in session.execute(query):
        failures[(site_id, key)].append((rid, at))
    return failures


def detach_results(session: Session, result_ids: Iterable[int]) -> set[Pair]:
    """Before results are deleted: drop what they opened, unlink what they closed.

    Returns the (site, item) pairs to re-plan afterwards.
    """
    ids = list(result_ids)
    if not ids:
        return set()
    linked = linked_to_results(session, ids)
    pairs = {(r.site_id, r.item_key) for r in linked}
    for rect in linked:
        if rect.opened_by_id in ids:
            session.delete(rect)
        else:
            rect.status, rect.closed_by_id, rect.closed_at, rect.evidence = "open", None, None, []
    session.flush()
    return pairs


# --- queries ---------------------------------------------------------------------------------------

FRAME_COLUMNS = [
    "id", "site_id", "site_code", "site_name", "township_id", "township", "township_en", "item_key",
    "item_label", "item_label_en", "opened_at", "deadline", "days_overdue", "escalation_level",
    "responsible_unit", "status", "opened_inspection_id", "closed_inspection_id", "closed_at", "evidence",
    "opened_by_result",
]


def rectifications_frame(
    session: Session,
    today: dt.date,
    *,
    tz: ZoneInfo,
    township_id: int | None = None,
    site_id: int | None = None,
    status: str | None = None,
    ids: Iterable[int] | None = None,
    open_or_closed_since: dt.datetime | None = None,
) -> pd.DataFrame:
    """Rectifications with site, township, item labels, the opening and closing inspections;
    ``open_or_closed_since``: only the open ones and those closed at or after that instant.

    ``days_overdue`` is the lateness today for open ones and at the closing for closed ones.
    """
    opener, closer = aliased(InspectionResult), aliased(InspectionResult)
    query = (
        select(
            Rectification.id, Site.id, Site.code, Site.name, Township.id, Township.name, Township.name_en,
            Rectification.item_key, ChecklistItem.label, ChecklistItem.label_en, Rectification.opened_at,
            Rectification.deadline, Rectification.escalation_level, Rectification.responsible_unit,
            Rectification.status, opener.inspection_id, closer.inspection_id, Rectification.closed_at,
            Rectification.evidence, Rectification.opened_by_id,
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
    if open_or_closed_since is not None:
        query = query.where(or_(Rectification.status == "open", Rectification.closed_at >= open_or_closed_since))
    records = []
    for row in session.execute(query).all():
        (rid, sid, code, name, tid, township, township_en, key, label, label_en, opened_at, deadline,
         level, unit, st, opened_insp, closed_insp, closed_at, evidence, opener_id) = row
        end_day = closed_at.astimezone(tz).date() if closed_at else today
        records.append((rid, sid, code, name, tid, township, township_en, key, label, label_en, opened_at,
                        deadline, rules_mod.days_late(deadline, end_day), level, unit, st, opened_insp,
                        closed_insp, closed_at, list(evidence or []), opener_id))
    return pd.DataFrame.from_records(records, columns=FRAME_COLUMNS)


def closed_since(session: Session, since: dt.datetime, township_id: int | None = None) -> int:
    """How many rectifications were closed at or after ``since``."""
    query = select(func.count()).select_from(Rectification).where(Rectification.closed_at >= since)
    if township_id is not None:
        query = query.join(Site, Site.id == Rectification.site_id).where(Site.township_id == township_id)
    return session.scalar(query) or 0


def effects_of_inspection(
    session: Session, inspection_id: int, today: dt.date, tz: ZoneInfo
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
