"""The site registry in the database: queries, create / edit with a conflict check, Excel
upserts, the plate rules' settings and ``refresh_plate``.

Editing uses the ``version`` column (SQLAlchemy's version_id_col). A form remembers the version
and the values it loaded; saving when the stored version has moved on raises ``SiteConflict``
(with the stored values, so the user can be told what changed) — unless the other change touched
none of the form's fields (e.g. only the plate, refreshed after an inspection), which is no
conflict for the person editing the address. A save writes only the fields the user changed.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from dashboard.domain.compliance import (
    PlateDecision,
    PlateRules,
    derive_plate,
    plate_facts,
)
from dashboard.domain.sites import FIELDS, CleanSite
from dashboard.store.models import (
    AppSetting,
    AuditEntry,
    Inspection,
    InspectionResult,
    PlateChange,
    Rectification,
    Site,
    Township,
    User,
)

PLATE_RULES_KEY = "plate_rules"
# Coordinates closer than this (degrees, ~1 cm) are the same position.
_COORD_EPSILON = 1e-7

SITE_COLUMNS = ["id", "code", "name", "address", "township_id", "township", "township_en", "township_position",
                "builder_unit", "contractor_unit", "site_type", "area_m2", "longitude", "latitude",
                "coord_system", "status", "plate", "started_on", "version"]


class SiteConflict(Exception):
    """Someone else saved the site since the form loaded it; ``current`` holds their values."""

    def __init__(self, site_id: int, current: dict[str, Any], version: int):
        self.site_id = site_id
        self.current = current
        self.version = version
        # (name, time) of the last recorded change, filled in by the service for the message.
        self.changed_by: tuple[str, dt.datetime] | None = None
        super().__init__(f"site {site_id} was changed by someone else (now version {version})")


class SiteNotFound(LookupError):
    pass


class DuplicateCode(Exception):
    """Another site already uses this code (detected by the database's unique constraint)."""


# --------------------------------------------------------------------------- queries
def townships(session: Session) -> pd.DataFrame:
    """Every township, retired ones included: id, name, name_en, active, in display order."""
    rows = session.execute(
        select(Township.id, Township.name, Township.name_en, Township.active).order_by(Township.position, Township.id)
    ).all()
    # Typed even when empty: an empty frame's object column would not merge with integer ids.
    frame = pd.DataFrame(rows, columns=["id", "name", "name_en", "active"]).astype({"id": "int64"})
    frame["active"] = frame["active"].astype(bool)
    return frame


def township_ids_by_name(session: Session) -> dict[str, int]:
    return {name: tid for tid, name in session.execute(select(Township.id, Township.name))}


def retired_township_sites(session: Session) -> dict[int, set[str]]:
    """Each retired township → the codes of the sites it holds (which may stay there)."""
    out: dict[int, set[str]] = {tid: set() for tid in session.scalars(select(Township.id).where(~Township.active))}
    for tid, code in session.execute(select(Site.township_id, Site.code).where(Site.township_id.in_(list(out)))):
        out[tid].add(code)
    return out


def site_codes(session: Session) -> dict[str, int]:
    """Every site code → its id."""
    return {code: sid for sid, code in session.execute(select(Site.id, Site.code))}


def next_code(session: Session, prefix: str = "GD-") -> str:
    """The next free code of the form GD-0001 (the demo's and most registries' pattern)."""
    numbers = []
    for (code,) in session.execute(select(Site.code).where(Site.code.like(f"{prefix}%"))):
        tail = code[len(prefix):]
        if tail.isdigit():
            numbers.append(int(tail))
    return f"{prefix}{(max(numbers) if numbers else 0) + 1:04d}"


def sites_frame(session: Session) -> pd.DataFrame:
    """Every site with its township's names (``SITE_COLUMNS``), by township then code."""
    rows = session.execute(
        select(Site.id, Site.code, Site.name, Site.address, Site.township_id, Township.name, Township.name_en,
               Township.position, Site.builder_unit, Site.contractor_unit, Site.site_type, Site.area_m2,
               Site.longitude, Site.latitude, Site.coord_system, Site.status, Site.plate, Site.started_on,
               Site.version)
        .join(Township, Township.id == Site.township_id)
        .order_by(Township.position, Site.code)
    ).all()
    return pd.DataFrame(rows, columns=SITE_COLUMNS).astype({"id": "int64", "township_id": "int64"})


def get_site(session: Session, site_id: int) -> Site | None:
    return session.get(Site, site_id)


def site_values(site: Site) -> dict[str, Any]:
    """The editable fields of a stored site (coordinates in WGS-84), as ``CleanSite.as_dict``."""
    return {name: getattr(site, name) for name in FIELDS}


def _same(a: Any, b: Any, name: str) -> bool:
    if name in ("longitude", "latitude", "area_m2") and a is not None and b is not None:
        return abs(float(a) - float(b)) < (_COORD_EPSILON if name != "area_m2" else 1e-9)
    return a == b


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Fields whose values differ: name → (old, new)."""
    return {name: (old.get(name), new.get(name)) for name in FIELDS if not _same(old.get(name), new.get(name), name)}


def normalise_loaded(loaded: dict[str, Any] | None) -> dict[str, Any] | None:
    """A snapshot that went through the browser (JSON): dates back to ``date``."""
    if loaded is None:
        return None
    out = dict(loaded)
    started = out.get("started_on")
    if isinstance(started, str) and started:
        out["started_on"] = dt.date.fromisoformat(started[:10])
    return out


def last_change(session: Session, site_id: int) -> tuple[str, dt.datetime] | None:
    """Who last created, edited or imported the site, and when (from the audit log)."""
    row = session.execute(
        select(func.coalesce(User.display_name, User.username), AuditEntry.at)
        .outerjoin(User, User.id == AuditEntry.user_id)
        .where(AuditEntry.entity == "site", AuditEntry.entity_id == str(site_id))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(1)
    ).first()
    return (row[0] or "", row[1]) if row else None


# --------------------------------------------------------------------------- writes
def create_site(session: Session, clean: CleanSite) -> Site:
    """Add a site (green plate until its record says otherwise)."""
    site = Site(**clean.as_dict(), plate="green")
    session.add(site)
    try:
        session.flush()
    except IntegrityError as exc:
        raise DuplicateCode(clean.code) from exc
    return site


def update_site(
    session: Session,
    site_id: int,
    clean: CleanSite,
    *,
    expected_version: int,
    loaded: dict[str, Any] | None = None,
    started_from: dict[str, Any] | None = None,
) -> tuple[Site, dict[str, tuple[Any, Any]]]:
    """Save an edit made on the version ``expected_version``, whose values were ``loaded``;
    returns the site and the fields written (name → (old, new)).

    Only the fields the user changed from ``started_from`` (the values the form was filled
    with; default ``loaded``) are written: a deliberate save after a conflict keeps the other
    person's changes to fields this user did not touch. Without either snapshot every
    differing field is written. Raises ``SiteConflict`` when someone else changed a form field
    since ``expected_version``, ``SiteNotFound`` when the site is gone and ``DuplicateCode``
    when the new code is taken.
    """
    site = session.get(Site, site_id)
    if site is None:
        raise SiteNotFound(site_id)
    current = site_values(site)
    snapshot = normalise_loaded(loaded)
    if site.version != expected_version and (snapshot is None or changed_fields(snapshot, current)):
        raise SiteConflict(site_id, current, site.version)
    base = normalise_loaded(started_from) or snapshot
    wanted = clean.as_dict()
    edited = changed_fields(base, wanted) if base is not None else changed_fields(current, wanted)
    changes = {name: (current[name], wanted[name]) for name in edited
               if not _same(current[name], wanted[name], name)}
    if not changes:
        return site, {}
    for name, (_old, new) in changes.items():
        setattr(site, name, new)
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        fresh = session.get(Site, site_id)
        raise SiteConflict(site_id, site_values(fresh), fresh.version) from None
    except IntegrityError as exc:
        raise DuplicateCode(clean.code) from exc
    return site, changes


def upsert_sites(session: Session, cleans: list[CleanSite]) -> dict[str, list[str]]:
    """Insert or update sites by code in the caller's transaction; returns the codes
    ``added``, ``updated`` and ``unchanged``. An unchanged row writes nothing (idempotent)."""
    by_code = {site.code: site for site in session.scalars(select(Site).where(Site.code.in_([c.code for c in cleans])))}
    out: dict[str, list[str]] = {"added": [], "updated": [], "unchanged": []}
    for clean in cleans:
        site = by_code.get(clean.code)
        if site is None:
            site = Site(**clean.as_dict(), plate="green")
            session.add(site)
            by_code[clean.code] = site
            out["added"].append(clean.code)
            continue
        changes = changed_fields(site_values(site), clean.as_dict())
        if not changes:
            out["unchanged"].append(clean.code)
            continue
        for name, (_old, new) in changes.items():
            setattr(site, name, new)
        out["updated"].append(clean.code)
    session.flush()
    return out


# --------------------------------------------------------------------------- plates
def plate_rules(session: Session) -> PlateRules:
    """The plate rules: defaults, overridden by the valid entries of the JSON object in
    app_settings ``plate_rules`` (unreadable JSON falls back to the defaults)."""
    row = session.get(AppSetting, PLATE_RULES_KEY)
    if row is None:
        return PlateRules()
    try:
        overrides = json.loads(row.value)
    except (TypeError, ValueError):
        return PlateRules()
    return PlateRules.from_overrides(overrides)


def active_site_plates(session: Session) -> dict[int, str]:
    """Every active site's id → its plate now (the sites a rule change re-rates)."""
    return dict(session.execute(select(Site.id, Site.plate).where(Site.status == "active").order_by(Site.id)).all())


def set_plate_rules(session: Session, rules: PlateRules) -> None:
    row = session.get(AppSetting, PLATE_RULES_KEY)
    value = json.dumps(rules.as_dict())
    if row is None:
        session.add(AppSetting(key=PLATE_RULES_KEY, value=value))
    else:
        row.value = value


def _local_date(value: dt.datetime, tz: ZoneInfo) -> dt.date:
    return value.astimezone(tz).date()


def plate_decision(session: Session, site_id: int, today: dt.date, tz: ZoneInfo,
                   rules: PlateRules | None = None) -> PlateDecision:
    """What the plate rules say about the site's record on ``today`` (submitted inspections only)."""
    rules = rules or plate_rules(session)
    # One day of slack on each side of the window: the local-date filter below is exact.
    start = dt.datetime.combine(today - dt.timedelta(days=rules.window_days), dt.time(), tz)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tz)
    submitted = (Inspection.site_id == site_id, Inspection.status == "submitted",
                 Inspection.inspected_at >= start, Inspection.inspected_at < end)
    failed_at = session.scalars(
        select(Inspection.inspected_at).join(InspectionResult, InspectionResult.inspection_id == Inspection.id)
        .where(*submitted, InspectionResult.result == "fail")
    ).all()
    wds_at = session.scalars(select(Inspection.inspected_at).where(*submitted, Inspection.working_during_stop)).all()
    rects = session.execute(
        select(Rectification.opened_at, Rectification.deadline, Rectification.closed_at)
        .where(Rectification.site_id == site_id)
    ).all()
    facts = plate_facts(
        [_local_date(t, tz) for t in failed_at],
        [_local_date(t, tz) for t in wds_at],
        [(_local_date(o, tz), d, _local_date(c, tz) if c is not None else None) for o, d, c in rects],
        today,
        rules,
    )
    return derive_plate(facts, rules)


def record_plate(session: Session, site: Site, plate: str, at: dt.datetime, reason: str) -> None:
    """Give the site a new plate, with one ``PlateChange`` row saying when and why."""
    site.plate = plate
    session.add(PlateChange(site_id=site.id, plate=plate, changed_at=at, reason=reason[:256]))
    session.flush()


# --------------------------------------------------------------------------- detail
def plate_history(session: Session, site_id: int) -> pd.DataFrame:
    """The site's plate changes, oldest first: plate, changed_at, reason."""
    rows = session.execute(
        select(PlateChange.plate, PlateChange.changed_at, PlateChange.reason)
        .where(PlateChange.site_id == site_id).order_by(PlateChange.changed_at, PlateChange.id)
    ).all()
    return pd.DataFrame(rows, columns=["plate", "changed_at", "reason"])


def rectifications(session: Session, site_id: int) -> pd.DataFrame:
    """The site's rectifications: id, item_key, opened_at, deadline, status, closed_at,
    escalation_level, responsible_unit; newest first."""
    rows = session.execute(
        select(Rectification.id, Rectification.item_key, Rectification.opened_at, Rectification.deadline,
               Rectification.status, Rectification.closed_at, Rectification.escalation_level,
               Rectification.responsible_unit)
        .where(Rectification.site_id == site_id).order_by(Rectification.opened_at.desc(), Rectification.id.desc())
    ).all()
    return pd.DataFrame(rows, columns=["id", "item_key", "opened_at", "deadline", "status", "closed_at",
                                       "escalation_level", "responsible_unit"])


def open_rectification_counts(session: Session) -> dict[int, int]:
    """Open rectifications per site id."""
    rows = session.execute(
        select(Rectification.site_id, func.count()).where(Rectification.status == "open")
        .group_by(Rectification.site_id)
    ).all()
    return {sid: n for sid, n in rows}
