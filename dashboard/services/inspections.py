"""Recording inspections: the form's save (draft or submitted, new or edited), photo evidence
(the file and its EXIF facts), and the import of paper inspections.

Saving validates with ``domain.inspection``, writes the inspection and one result per item, and
for a submitted inspection runs the rectification loop and re-rates the plates of the sites it
touched, then audits, all in one transaction. Inspectors act on their own township's sites;
editors and admins anywhere. An edit carries the version the user loaded: if someone saved in
between, ``InspectionConflict`` is raised and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dashboard.domain.errors import CodedError
from dashboard.domain.inspection import CLIENT_KEY, Issue, answered, validate
from dashboard.i18n import t
from dashboard.ingest.inspections_excel import ReadResult, read_inspections
from dashboard.ingest.report import Problem
from dashboard.services import dust_tasks, rectifications, sites
from dashboard.services.access import Actor, require, require_township
from dashboard.services.rectifications import ApplyOutcome
from dashboard.settings import Settings
from dashboard.storage.photos import check_photo, write_photo
from dashboard.store import clock
from dashboard.store import inspections as store
from dashboard.store import photos as photo_store
from dashboard.store.db import read_scope, session_scope
from dashboard.store.inspections import InspectionConflict, InspectionInput, InspectionNotFound, InvalidInspection
from dashboard.store.users import audit

__all__ = ["ImportCounts", "InspectionConflict", "InspectionInput", "InspectionNotFound", "InspectionsRefused",
           "InvalidInspection", "SaveResult", "import_inspections", "save_inspection", "save_photo"]


@dataclass
class SaveResult:
    inspection_id: int
    version: int
    status: str
    # save_draft | submit (first submission) | update (edit of a submitted inspection)
    action: str = "save_draft"
    outcome: ApplyOutcome = field(default_factory=ApplyOutcome)
    plate: str | None = None
    # A resend of a submit that had already landed: nothing was written this time.
    replayed: bool = False


def _check_scope(session: Session, actor: Actor, data: InspectionInput, inspection_id: int | None) -> None:
    require(actor, "inspector")
    towns = [store.site_township_id(session, data.site_id)] if data.site_id is not None else []
    if inspection_id is not None:
        stored = store.load_inspection(session, inspection_id)
        if stored is None:
            raise InspectionNotFound(inspection_id)
        towns.append(stored.township_id)
    for town in towns:
        require_township(actor, town)


def record(session: Session, actor: Actor, data: InspectionInput, *, submit: bool, tz: ZoneInfo,
           inspection_id: int | None = None, expected_version: int | None = None) -> SaveResult:
    """Save one inspection in the caller's transaction (the form's save and each imported row).

    Raises ``Forbidden``, ``InvalidInspection``, ``InspectionConflict`` or ``InspectionNotFound``;
    the caller's transaction must then be rolled back (``session_scope`` does).
    """
    _check_scope(session, actor, data, inspection_id)
    if inspection_id is not None and (not isinstance(expected_version, int) or isinstance(expected_version, bool)):
        raise CodedError("version_missing")
    today = clock.today(session, tz)
    now = clock.now(session, tz)
    checklist = store.checklist_for(session, data.inspected_at.astimezone(tz).date()) if data.inspected_at else None
    issues = validate(
        site_id=data.site_id, inspected_at=data.inspected_at, now=now, inspector=data.inspector_name,
        kind=data.kind, entries=data.entries, expected_keys=checklist.keys if checklist else (), submit=submit,
    )
    if data.inspected_at is not None and checklist is None:
        issues.append(Issue("time", "no_checklist"))
    if checklist is not None:
        issues += [Issue("item", "item_unknown", e.key) for e in data.entries if e.key not in checklist.keys]
    if issues:
        raise InvalidInspection(issues)
    data = replace(data, entries=answered(data.entries))
    assert checklist is not None and data.inspected_at is not None  # validate() reported them otherwise

    written = store.write_inspection(
        session, data, checklist=checklist, alert=store.alert_in_force(session, data.inspected_at), submit=submit,
        user_id=actor.user_id, inspection_id=inspection_id, expected_version=expected_version,
    )
    insp = written.inspection
    action = "submit" if submit and not written.was_submitted else "update" if written.was_submitted else "save_draft"
    saved = SaveResult(insp.id, insp.version, insp.status, action)
    if submit:
        saved.outcome = rectifications.apply_inspection(session, insp, today, tz, extra_pairs=written.detached)
        for site_id in dict.fromkeys(s for s in (insp.site_id, written.old_site_id) if s is not None):
            plate = sites.refresh_plate(session, site_id, today, tz)
            if site_id == insp.site_id:
                saved.plate = plate
        dust_tasks.close_for_inspection(session, actor, insp)
    fails = sum(1 for e in data.entries if e.result == "fail")
    audit(session, actor.user_id, action, "inspection", insp.id,
          {"site_id": insp.site_id, "fails": fails, "version": insp.version, **saved.outcome.as_detail()})
    return saved


def save_inspection(settings: Settings, actor: Actor, data: InspectionInput, *, submit: bool,
                    inspection_id: int | None = None, expected_version: int | None = None) -> SaveResult:
    """Create or update an inspection (draft or submitted) in one transaction; see ``record``.

    A new inspection may carry the form's idempotency key (``data.client_key``), and then a resend
    never makes a second inspection: while the one the key made is a draft, the resend updates it
    (a draft save whose answer was lost, followed by 提交); once submitted, a resend changes nothing
    and returns it (``replayed``).
    """
    key = data.client_key if inspection_id is None else None
    if key is not None and not CLIENT_KEY.fullmatch(key):
        raise CodedError("client_key_invalid")
    data = replace(data, client_key=key)
    for attempt in range(2):
        if key is not None:
            with read_scope(settings.database_url) as session:
                made = store.inspection_by_client_key(session, key)
            if made is not None:
                if made.inspector_id != actor.user_id:
                    raise CodedError("client_key_invalid")
                if made.status == "submitted":
                    require(actor, "inspector")
                    return SaveResult(made.id, made.version, made.status, "submit", replayed=True)
                inspection_id, expected_version = made.id, made.version
        try:
            with session_scope(settings.database_url) as session:
                return record(session, actor, data, submit=submit, tz=settings.tz, inspection_id=inspection_id,
                              expected_version=expected_version)
        except IntegrityError:
            # Two sends of one key at the same moment: the other one made it; look again.
            if key is None or attempt:
                raise
    raise AssertionError("unreachable")


def save_photo(settings: Settings, actor: Actor, data: bytes) -> str:
    """Keep an evidence photo and what its EXIF says (once, by content hash) and return its hash;
    inspectors and up. The first upload of a photo is audited; the same photo again writes nothing.

    Raises ``PhotoRejected`` (not an image, too large, does not decode, ...) with the limit in force.
    """
    require(actor, "inspector")
    with read_scope(settings.database_url) as session:
        max_bytes = store.photo_max_bytes(session)
    # Checked (and decoded) before the transaction, so no write lock waits on Pillow.
    facts = check_photo(data, max_bytes)
    with session_scope(settings.database_url) as session:
        if photo_store.add_meta(session, facts, actor.user_id):
            audit(session, actor.user_id, "upload", "photo", facts.digest,
                  {"bytes": facts.bytes, "width": facts.width, "height": facts.height,
                   "taken_at": facts.taken_at.isoformat() if facts.taken_at else None,
                   "gps": facts.latitude is not None})
            session.flush()
        # The file last: if writing it fails, the row goes too; a file left by a failed commit
        # is harmless, since its name is its content.
        write_photo(data, settings.upload_dir, facts.digest)
    return facts.digest


# --- the import of paper inspections -----------------------------------------------------------


@dataclass
class ImportCounts:
    added: int = 0
    skipped: int = 0
    opened: int = 0
    closed: int = 0
    inspection_ids: list[int] = field(default_factory=list)


class InspectionsRefused(CodedError):
    """A file with problems: nothing was saved; ``read.problems`` say where and why."""

    def __init__(self, read: ReadResult):
        super().__init__("inspections_refused", problems=len(read.problems))
        self.read = read


def _import_rows(session: Session, actor: Actor, rows: Iterable[tuple[int, InspectionInput]], tz: ZoneInfo,
                 file_name: str, lang: str, read: ReadResult) -> ImportCounts:
    """Save the rows as submitted inspections, oldest first, through the same loop as the form.

    An inspection already stored for the same site at the same minute is skipped, so importing
    the same file twice adds nothing.
    """
    ordered = sorted(rows, key=lambda r: (r[1].inspected_at, r[1].site_id))
    counts = ImportCounts()
    # The reader resolved every row's site and time (rows without them are problems).
    seen: set[tuple[int | None, dt.datetime | None]] = set(
        store.existing_natural_keys(session, {r.site_id for _, r in ordered if r.site_id is not None}))
    for row_number, row in ordered:
        if (row.site_id, row.inspected_at) in seen:
            counts.skipped += 1
            continue
        try:
            saved = record(session, actor, row, submit=True, tz=tz)
        except InvalidInspection as exc:
            read.problems += [Problem(file_name, row_number, None, t(f"inspections.issue.{issue.code}", lang))
                              for issue in exc.issues]
            raise InspectionsRefused(read) from None
        seen.add((row.site_id, row.inspected_at))
        counts.added += 1
        counts.opened += len(saved.outcome.opened)
        counts.closed += len(saved.outcome.closed)
        counts.inspection_ids.append(saved.inspection_id)
    return counts


def import_inspections(settings: Settings, actor: Actor, source: bytes | Path, file_name: str,
                       lang: str = "zh") -> tuple[ReadResult, ImportCounts]:
    """Read, check and save a file of paper inspections, all or nothing; editors only.

    Raises ``InspectionsRefused`` (nothing saved) when the file or any row has a problem.
    """
    require(actor, "editor")
    data = source.read_bytes() if isinstance(source, Path) else source
    tz = settings.tz
    with session_scope(settings.database_url) as session:
        read = read_inspections(
            data, file_name, sites=store.site_index(session), checklists=store.checklist_versions(session),
            now=clock.now(session, tz), tz=tz, lang=lang,
        )
        if not read.ok:
            raise InspectionsRefused(read)
        counts = _import_rows(session, actor, zip(read.row_numbers, read.rows, strict=True), tz, file_name, lang,
                              read)
        audit(session, actor.user_id, "import", "inspections", None,
              {"file": file_name, "added": counts.added, "skipped": counts.skipped})
    return read, counts
