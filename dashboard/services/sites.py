"""The site registry: creating and editing a site (with the conflict check), and Excel imports.

Editors and admins only. An edit must carry the version the form loaded: a missing one is
refused rather than saved blindly over someone else's change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from dashboard.domain.errors import CodedError
from dashboard.domain.sites import SiteIssue, validate_site
from dashboard.i18n import t
from dashboard.ingest.sites_excel import SitesFile, read_sites
from dashboard.services.access import Actor, require
from dashboard.settings import Settings
from dashboard.store import sites as store
from dashboard.store.db import session_scope
from dashboard.store.models import utcnow
from dashboard.store.sites import DuplicateCode, SiteConflict, SiteNotFound
from dashboard.store.users import audit

__all__ = ["DuplicateCode", "InvalidSite", "SavedSite", "SiteConflict", "SiteNotFound", "SitesRefused",
           "import_sites", "refresh_plate", "save_site"]


class InvalidSite(CodedError):
    """The values break the site rules; ``issues`` say which field and why."""

    def __init__(self, issues: list[SiteIssue]):
        super().__init__("invalid_site", fields=[i.field for i in issues])
        self.issues = issues


class SitesRefused(CodedError):
    """An import file with problems: nothing was saved; ``checked.problems`` list them."""

    def __init__(self, checked: SitesFile):
        super().__init__("sites_refused", problems=len(checked.problems))
        self.checked = checked


@dataclass(frozen=True)
class SavedSite:
    id: int
    name: str
    version: int
    created: bool


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _edit_target(target: Any) -> tuple[int, int, dict | None, dict | None]:
    """(site id, version, loaded, started_from) of an edit, checked: these come from the browser."""
    if not isinstance(target, dict) or not isinstance(target.get("id"), int):
        raise CodedError("bad_target")
    version = target.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise CodedError("version_missing")
    loaded, started = target.get("loaded"), target.get("started_from")
    if not isinstance(loaded, (dict, type(None))) or not isinstance(started, (dict, type(None))):
        raise CodedError("bad_target")
    return target["id"], version, loaded, started


def save_site(settings: Settings, actor: Actor, values: dict[str, Any], target: dict | None = None) -> SavedSite:
    """Create a site (``target`` None) or save an edit of ``target`` = {id, version, loaded, started_from}.

    Raises ``InvalidSite``, ``SiteConflict`` (with ``changed_by``: who saved in between, and when),
    ``DuplicateCode``, ``SiteNotFound`` or ``Forbidden``; nothing is written then.
    """
    require(actor, "editor")
    edit = _edit_target(target) if target is not None else None
    with session_scope(settings.database_url) as session:
        site_id = edit[0] if edit else None
        taken = {code for code, sid in store.site_codes(session).items() if sid != site_id}
        townships = store.townships(session)
        # A retired township keeps the sites it has, and takes no new one.
        stored = store.get_site(session, site_id) if site_id is not None else None
        retired = set(townships.loc[~townships["active"], "id"]) - {stored.township_id if stored else None}
        clean, issues = validate_site(values, taken_codes=taken, township_ids=set(townships["id"]),
                                      retired_township_ids=retired)
        if issues or clean is None:
            raise InvalidSite(issues)
        if edit is None:
            site = store.create_site(session, clean)
            audit(session, actor.user_id, "create", "site", site.id,
                  {"code": site.code, "after": {k: _jsonable(v) for k, v in clean.as_dict().items()}})
            return SavedSite(site.id, site.name, site.version, created=True)
        site_id, version, loaded, started = edit
        try:
            site, changes = store.update_site(session, site_id, clean, expected_version=version,
                                              loaded=loaded, started_from=started)
        except SiteConflict as conflict:
            conflict.changed_by = store.last_change(session, site_id)
            raise
        if changes:
            audit(session, actor.user_id, "update", "site", site.id,
                  {"code": site.code, "before": {k: _jsonable(a) for k, (a, _) in changes.items()},
                   "after": {k: _jsonable(b) for k, (_, b) in changes.items()}})
        return SavedSite(site.id, site.name, site.version, created=False)


def refresh_plate(session: Session, site_id: int, today: dt.date, tz: ZoneInfo,
                  at: dt.datetime | None = None) -> str:
    """Re-rate the site's plate from its record on ``today`` (in the caller's transaction); when it
    changes, record the change (reason in Chinese, as plate notices read). Returns the plate.

    Only active sites are re-rated: a suspended (停工整改) or completed site keeps the plate it
    had when it stopped. ``at``: time of the change (default now, or the end of a pinned past day).
    """
    site = store.get_site(session, site_id)
    if site is None:
        raise SiteNotFound(site_id)
    if site.status != "active":
        return site.plate
    decision = store.plate_decision(session, site_id, today, tz)
    if decision.plate != site.plate:
        if at is None:
            at = min(utcnow(), dt.datetime.combine(today, dt.time(23, 59, 59), tz).astimezone(dt.UTC))
        reason = "；".join(t(key, "zh", **params) for key, params in decision.reasons)
        store.record_plate(session, site, decision.plate, at, reason)
    return site.plate


def import_sites(settings: Settings, actor: Actor, source: bytes | Path, file_name: str,
                 lang: str = "zh") -> tuple[SitesFile, dict[str, list[str]]]:
    """Check a sites workbook and upsert its sites by code, all or nothing; editors only.

    Returns the checked file and the codes ``added``, ``updated`` and ``unchanged``; raises
    ``SitesRefused`` (nothing saved) when any row has a problem.
    """
    require(actor, "editor")
    with session_scope(settings.database_url) as session:
        checked = read_sites(source, store.township_ids_by_name(session), file=file_name, lang=lang,
                             retired=store.retired_township_sites(session))
        if not checked.ok:
            raise SitesRefused(checked)
        result = store.upsert_sites(session, checked.sites)
        if result["added"] or result["updated"]:
            audit(session, actor.user_id, "import", "site", None,
                  {"file": file_name, "added": result["added"], "updated": result["updated"]})
    return checked, result
