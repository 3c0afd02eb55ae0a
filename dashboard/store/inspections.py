"""Inspections in the database: the form's lookups, writing an inspection with its results
(with the conflict check), the list, and the lookups of the paper-sheet import.

What saving means (validation, the rectification loop, plates, audit) is
``services.inspections``; this module writes the rows it is told to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from dashboard.domain.inspection import Issue, ItemEntry
from dashboard.storage.photos import DEFAULT_MAX_BYTES
from dashboard.store.models import (
    Alert,
    AppSetting,
    ChecklistItem,
    ChecklistVersion,
    Inspection,
    InspectionResult,
    Site,
    Township,
    utcnow,
)
from dashboard.store.overview import alert_at
from dashboard.store.rectifications import detach_results

PHOTO_MAX_KEY = "photos.max_mb"


class InspectionConflict(Exception):
    """Someone saved the inspection after the user loaded it (version moved on)."""

    def __init__(self, inspection_id: int, current_version: int | None, updated_at: dt.datetime | None):
        self.inspection_id, self.current_version, self.updated_at = inspection_id, current_version, updated_at
        super().__init__(f"inspection {inspection_id} was changed by someone else (now version {current_version})")


class InvalidInspection(ValueError):
    """The record breaks the rules; ``issues`` say where and why (the page translates them)."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("; ".join(f"{i.field}{'/' + i.key if i.key else ''}: {i.code}" for i in issues))


class InspectionNotFound(LookupError):
    pass


@dataclass(frozen=True)
class InspectionInput:
    """What a form (or a row of a paper sheet) says about one inspection."""

    site_id: int | None
    inspected_at: dt.datetime | None
    inspector_name: str
    entries: tuple[ItemEntry, ...]
    kind: str = "routine"
    note: str = ""
    working_during_stop: bool = False
    source: str = "form"
    # The browser's idempotency key for a new inspection (None: no retry protection, as imports).
    client_key: str | None = None


@dataclass(frozen=True)
class ChecklistView:
    id: int
    code: str
    name: str
    name_en: str
    valid_from: dt.date
    valid_to: dt.date | None
    # (key, position, label zh, label en)
    items: tuple[tuple[str, int, str, str], ...]
    source: str = ""  # the document it comes from

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(item[0] for item in self.items)


@dataclass(frozen=True)
class InspectionView:
    """A stored inspection as the edit form loads it."""

    id: int
    site_id: int
    township_id: int
    inspected_at: dt.datetime
    inspector_name: str
    kind: str
    note: str
    working_during_stop: bool
    alert_id: int | None
    status: str
    source: str
    version: int
    checklist_version_id: int
    updated_at: dt.datetime | None
    entries: dict[str, ItemEntry]
    client_key: str | None = None


# --- lookups -----------------------------------------------------------------------------------------


def site_options(session: Session, township_id: int | None = None, include: int | None = None) -> pd.DataFrame:
    """Sites to pick from: active ones (of one township if given) plus ``include`` (the edited one)."""
    query = (
        select(Site.id, Site.code, Site.name, Site.status, Township.id, Township.name, Township.name_en)
        .join(Township, Township.id == Site.township_id)
        .order_by(Township.position, Site.code)
    )
    rows = [
        r
        for r in session.execute(query).all()
        if (r[3] == "active" and (township_id is None or r[4] == township_id)) or r[0] == include
    ]
    return pd.DataFrame(rows, columns=["id", "code", "name", "status", "township_id", "township", "township_en"])


def site_township_id(session: Session, site_id: int) -> int | None:
    return session.scalar(select(Site.township_id).where(Site.id == site_id))


def checklist_for(session: Session, day: dt.date) -> ChecklistView | None:
    """The checklist version in force on ``day`` (the latest one starting on or before it)."""
    version = session.scalar(
        select(ChecklistVersion)
        .where(ChecklistVersion.valid_from <= day)
        .where((ChecklistVersion.valid_to.is_(None)) | (ChecklistVersion.valid_to >= day))
        .order_by(ChecklistVersion.valid_from.desc())
        .options(selectinload(ChecklistVersion.items))
        .limit(1)
    )
    return _checklist_view(version) if version is not None else None


def checklist_by_id(session: Session, version_id: int) -> ChecklistView | None:
    version = session.get(ChecklistVersion, version_id)
    return _checklist_view(version) if version is not None else None


def checklist_versions(session: Session) -> list[ChecklistView]:
    versions = session.scalars(
        select(ChecklistVersion).options(selectinload(ChecklistVersion.items)).order_by(ChecklistVersion.valid_from)
    ).all()
    return [_checklist_view(v) for v in versions]


def _checklist_view(version: ChecklistVersion) -> ChecklistView:
    return ChecklistView(
        id=version.id,
        code=version.code,
        name=version.name,
        name_en=version.name_en,
        valid_from=version.valid_from,
        valid_to=version.valid_to,
        items=tuple((it.key, it.position, it.label, it.label_en) for it in version.items),
        source=version.source or "",
    )


def alert_in_force(session: Session, at: dt.datetime) -> Alert | None:
    """The heavy-pollution alert in force at ``at`` (its stop orders apply to sites)."""
    return alert_at(session, at)


def photo_max_bytes(session: Session) -> int:
    """Largest photo accepted: the ``photos.max_mb`` app setting, else 8 MB."""
    row = session.get(AppSetting, PHOTO_MAX_KEY)
    try:
        return int(float(row.value) * 1024 * 1024) if row is not None else DEFAULT_MAX_BYTES
    except ValueError:
        return DEFAULT_MAX_BYTES


@dataclass(frozen=True)
class KeyedInspection:
    id: int
    version: int
    status: str
    inspector_id: int | None


def inspection_by_client_key(session: Session, client_key: str) -> KeyedInspection | None:
    """The inspection a form with this idempotency key already made, if any."""
    row = session.execute(
        select(Inspection.id, Inspection.version, Inspection.status, Inspection.inspector_id)
        .where(Inspection.client_key == client_key)
    ).first()
    return KeyedInspection(*row) if row is not None else None


def load_inspection(session: Session, inspection_id: int) -> InspectionView | None:
    insp = session.get(Inspection, inspection_id)
    if insp is None:
        return None
    entries = {
        r.item.key: ItemEntry(r.item.key, r.result, r.note or "", tuple(r.photos or ())) for r in insp.results
    }
    return InspectionView(
        id=insp.id,
        site_id=insp.site_id,
        township_id=insp.site.township_id,
        inspected_at=insp.inspected_at,
        inspector_name=insp.inspector_name,
        kind=insp.kind,
        note=insp.note or "",
        working_during_stop=insp.working_during_stop,
        alert_id=insp.alert_id,
        status=insp.status,
        source=insp.source,
        version=insp.version,
        checklist_version_id=insp.checklist_version_id,
        updated_at=insp.updated_at,
        entries=entries,
        client_key=insp.client_key,
    )


# --- writing -----------------------------------------------------------------------------------------


@dataclass
class Written:
    """What ``write_inspection`` did: the row, its status before, its site before, and the
    (site, item) pairs whose rectifications must be re-planned because results were removed."""

    inspection: Inspection
    was_submitted: bool
    old_site_id: int | None
    detached: set = field(default_factory=set)


def checklist_item_ids(session: Session, version_id: int) -> dict[str, int]:
    return dict(session.execute(
        select(ChecklistItem.key, ChecklistItem.id).where(ChecklistItem.version_id == version_id)
    ).all())


def write_inspection(
    session: Session,
    data: InspectionInput,
    *,
    checklist: ChecklistView,
    alert: Alert | None,
    submit: bool,
    user_id: int | None,
    inspection_id: int | None = None,
    expected_version: int | None = None,
) -> Written:
    """Create or update the inspection row and its results (already validated).

    Raises ``InspectionNotFound``, ``InspectionConflict`` (stored version differs from
    ``expected_version``, or a concurrent save) or ``InvalidInspection`` (a submitted one saved as
    a draft); nothing is written then.
    """
    # Queries first: a new row must not be autoflushed half-filled.
    item_ids = checklist_item_ids(session, checklist.id)
    if inspection_id is None:
        insp = Inspection(inspector_id=user_id, source=data.source, status="draft", client_key=data.client_key)
        session.add(insp)
        old_site = None
    else:
        insp = session.get(Inspection, inspection_id)
        if insp is None:
            raise InspectionNotFound(inspection_id)
        if insp.version != expected_version:
            raise InspectionConflict(insp.id, insp.version, insp.updated_at)
        if insp.status == "submitted" and not submit:
            raise InvalidInspection([Issue("status", "already_submitted")])
        old_site = insp.site_id
    was_submitted = insp.status == "submitted"

    insp.site_id = data.site_id
    insp.checklist_version_id = checklist.id
    insp.inspected_at = data.inspected_at
    insp.inspector_name = data.inspector_name.strip()
    insp.kind = data.kind
    insp.note = data.note.strip()
    # Working during a stop order only exists while an alert is in force.
    insp.working_during_stop = bool(data.working_during_stop and alert is not None)
    insp.alert_id = alert.id if alert is not None else None
    insp.status = "submitted" if submit else "draft"
    # Always touch the row, so that the version moves even when only results changed.
    insp.updated_at = utcnow()

    wanted = {item_ids[e.key]: e for e in data.entries}
    existing = {r.item_id: r for r in insp.results}
    stale = [r for item_id, r in existing.items() if item_id not in wanted]
    pairs = detach_results(session, [r.id for r in stale if r.id is not None])
    for r in stale:
        insp.results.remove(r)
    for item_id, entry in wanted.items():
        result = existing.get(item_id)
        if result is None:
            result = InspectionResult(item_id=item_id)
            insp.results.append(result)
        result.result = entry.result
        result.note = entry.note.strip()
        result.photos = list(dict.fromkeys(entry.photos))
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        current = session.get(Inspection, inspection_id) if inspection_id else None
        raise InspectionConflict(
            inspection_id or 0, current.version if current else None, current.updated_at if current else None
        ) from None
    return Written(insp, was_submitted, old_site, pairs)


# --- the list ----------------------------------------------------------------------------------------

LIST_COLUMNS = [
    "id", "inspected_at", "site_id", "site_code", "site_name", "township_id", "township", "township_en",
    "inspector_name", "kind", "status", "source", "working_during_stop", "fails", "passes", "nas",
]
RESULT_FILTERS = ("all", "fail", "pass", "stop", "draft")


def list_inspections(
    session: Session,
    *,
    township_id: int | None = None,
    site_id: int | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    result: str = "all",
    limit: int = 5000,
) -> pd.DataFrame:
    """Inspections newest first with their counts of failed, passed and not-applicable items.

    ``result``: all | fail (any failed item or work during a stop order) | pass (submitted,
    nothing failed) | stop (working during a stop order) | draft.
    """
    counts = (
        select(
            InspectionResult.inspection_id.label("iid"),
            func.sum(case((InspectionResult.result == "fail", 1), else_=0)).label("fails"),
            func.sum(case((InspectionResult.result == "pass", 1), else_=0)).label("passes"),
            func.sum(case((InspectionResult.result == "na", 1), else_=0)).label("nas"),
        )
        .group_by(InspectionResult.inspection_id)
        .subquery()
    )
    fails = func.coalesce(counts.c.fails, 0)
    query = (
        select(
            Inspection.id, Inspection.inspected_at, Site.id, Site.code, Site.name, Township.id, Township.name,
            Township.name_en, Inspection.inspector_name, Inspection.kind, Inspection.status, Inspection.source,
            Inspection.working_during_stop, fails, func.coalesce(counts.c.passes, 0),
            func.coalesce(counts.c.nas, 0),
        )
        .join(Site, Site.id == Inspection.site_id)
        .join(Township, Township.id == Site.township_id)
        .outerjoin(counts, counts.c.iid == Inspection.id)
        .order_by(Inspection.inspected_at.desc(), Inspection.id.desc())
        .limit(limit)
    )
    if township_id is not None:
        query = query.where(Site.township_id == township_id)
    if site_id is not None:
        query = query.where(Inspection.site_id == site_id)
    if start is not None:
        query = query.where(Inspection.inspected_at >= start)
    if end is not None:
        query = query.where(Inspection.inspected_at < end)
    if result == "fail":
        query = query.where((fails > 0) | Inspection.working_during_stop)
    elif result == "pass":
        query = query.where(fails == 0, Inspection.status == "submitted", Inspection.working_during_stop.is_(False))
    elif result == "stop":
        query = query.where(Inspection.working_during_stop)
    elif result == "draft":
        query = query.where(Inspection.status == "draft")
    return pd.DataFrame(session.execute(query).all(), columns=LIST_COLUMNS)


def townships(session: Session) -> pd.DataFrame:
    rows = session.execute(select(Township.id, Township.name, Township.name_en).order_by(Township.position)).all()
    return pd.DataFrame(rows, columns=["id", "name", "name_en"])


# --- bulk import of paper inspections ------------------------------------------------------------


def site_index(session: Session) -> dict[str, tuple[int, int]]:
    """Site code → (site id, township id), for reading paper sheets."""
    return {code: (sid, tid) for code, sid, tid in session.execute(select(Site.code, Site.id, Site.township_id))}


def existing_natural_keys(session: Session, site_ids: Iterable[int]) -> set[tuple[int, dt.datetime]]:
    """(site id, time) of the inspections stored for these sites: the import's natural key."""
    rows = session.execute(
        select(Inspection.site_id, Inspection.inspected_at).where(Inspection.site_id.in_(set(site_ids)))
    ).all()
    return {(sid, at) for sid, at in rows}
