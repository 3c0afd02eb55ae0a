"""Setting up the district: its name, townships, responsible units and the station group that
forms its air-quality figure. Admins only; every change is one transaction and one audit entry.

Townships are never deleted, only retired (``active`` false): their sites, inspections and
meeting records keep pointing at them, while forms for new records stop offering them. Each
township has its own responsible unit of kind "township", created with it and renamed with it,
so the ledger and the scorecard can name it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy.orm import Session

from dashboard.domain.district import (
    DISTRICT_NAME_KEY,
    POSITION_MAX,
    CleanTownship,
    CleanUnit,
    Issue,
    check_district_name,
    check_station_group,
    check_township,
    check_unit,
    moved,
    next_township_code,
)
from dashboard.domain.errors import CodedError
from dashboard.i18n import t
from dashboard.ingest.report import Problem, clip
from dashboard.ingest.townships_excel import HEADER_OF, TownshipRow, TownshipsFile, read_townships
from dashboard.services.access import Actor, require
from dashboard.settings import Settings
from dashboard.store import district as store
from dashboard.store.db import session_scope
from dashboard.store.models import Township
from dashboard.store.users import audit

__all__ = ["InvalidDistrict", "NotFound", "TownshipsRefused", "add_unit", "import_townships", "move_township",
           "rename_unit", "save_township", "set_district_name", "set_station_group", "set_township_active"]


class InvalidDistrict(CodedError):
    """The values break the rules; ``issues`` say which field and why (i18n keys)."""

    def __init__(self, issues: list[Issue]):
        super().__init__("invalid", fields=[i.field for i in issues])
        self.issues = issues


class NotFound(CodedError):
    """The township or unit no longer exists (a stale page)."""


class TownshipsRefused(CodedError):
    """An import file with problems: nothing was saved; ``checked.problems`` list them."""

    def __init__(self, checked: TownshipsFile):
        super().__init__("townships_refused", problems=len(checked.problems))
        self.checked = checked


def _state(township: Township) -> dict[str, Any]:
    return {"code": township.code, "name": township.name, "name_en": township.name_en, "kind": township.kind,
            "position": township.position, "active": township.active}


# --------------------------------------------------------------------------- the district's name
def set_district_name(settings: Settings, actor: Actor, name: Any) -> str:
    """Save the district's name (e.g. 二七区; blank clears it); admins only. Returns it."""
    require(actor, "admin")
    clean, issues = check_district_name(name)
    if issues or clean is None:
        raise InvalidDistrict(issues)
    with session_scope(settings.database_url) as session:
        before = store.get_setting(session, DISTRICT_NAME_KEY)
        if (before or "") != clean:
            store.set_setting(session, DISTRICT_NAME_KEY, clean)
            audit(session, actor.user_id, "update", "app_settings", DISTRICT_NAME_KEY,
                  {"before": before, "after": clean})
    return clean


# --------------------------------------------------------------------------- townships
def _sync_unit(session: Session, township: Township) -> None:
    """Give the township its own unit, named as it is; refuses a name another unit holds."""
    unit = store.township_unit(session, township.id)
    holder = store.unit_names(session).get(township.name)
    if holder is not None and (unit is None or holder != unit.id):
        raise InvalidDistrict([Issue("name", "district.error.unit_name_taken", {"name": township.name})])
    if unit is None:
        store.add_unit(session, CleanUnit(township.name, township.name_en, "township"), township.id)
    else:
        unit.name, unit.name_en = township.name, township.name_en
        session.flush()


def _township(session: Session, township_id: Any) -> Township:
    township = store.get_township(session, township_id) if isinstance(township_id, int) else None
    if township is None:
        raise NotFound("not_found")
    return township


def _move(session: Session, township: Township, position: Any) -> None:
    if isinstance(position, bool) or not isinstance(position, int) or not 1 <= position <= POSITION_MAX:
        raise InvalidDistrict([Issue("position", "district.error.bad_position", {"limit": POSITION_MAX})])
    store.set_positions(session, moved(store.township_order(session), township.id, position))


def save_township(settings: Settings, actor: Actor, *, township_id: int | None, name: Any, kind: Any,
                  name_en: Any = "", code: Any = "", position: Any = None) -> int:
    """Add a township (``township_id`` None) or rename it (Chinese and English) and change its
    kind, and put it at ``position`` (1 = first; None: new ones go last, others stay); admins
    only. Returns its id.

    A new township gets its own responsible unit; a renamed one's unit is renamed with it. A
    blank ``code`` is generated (``domain.district.next_township_code``); a stored township's
    code never changes, since files and links know it by it.
    """
    require(actor, "admin")
    with session_scope(settings.database_url) as session:
        township = _township(session, township_id) if township_id is not None else None
        codes, names = store.township_keys(session)
        own = township.id if township is not None else None
        clean, issues = check_township(
            {"code": township.code if township is not None else code, "name": name, "name_en": name_en,
             "kind": kind},
            taken_names={n for n, tid in names.items() if tid != own},
            taken_codes={c for c, tid in codes.items() if tid != own})
        if issues or clean is None:
            raise InvalidDistrict(issues)
        before = _state(township) if township is not None else None
        if township is None:
            township = store.add_township(session, clean, position=store.next_position(session))
        else:
            township.name, township.name_en, township.kind = clean.name, clean.name_en, clean.kind
            session.flush()
        if position is not None:
            _move(session, township, position)
        if before is None or (before["name"], before["name_en"]) != (township.name, township.name_en):
            _sync_unit(session, township)
        if _state(township) != before:
            audit(session, actor.user_id, "create" if before is None else "update", "township", township.id,
                  {"before": before, "after": _state(township)})
        return township.id


def move_township(settings: Settings, actor: Actor, township_id: int, position: Any) -> None:
    """Put a township at ``position`` (1 = first; past the end is last) and number the others
    1, 2, … around it; admins only. Moving up or down is its position ± 1."""
    require(actor, "admin")
    with session_scope(settings.database_url) as session:
        township = _township(session, township_id)
        before = township.position
        _move(session, township, position)
        if township.position != before:
            audit(session, actor.user_id, "move", "township", township.id,
                  {"before": {"position": before}, "after": {"position": township.position}})


def set_township_active(settings: Settings, actor: Actor, township_id: int, active: bool) -> None:
    """Retire a township (``active`` False) or bring it back; admins only. Its sites, users and
    history stay; a retired township is no longer offered for new records."""
    require(actor, "admin")
    if not isinstance(active, bool):
        raise InvalidDistrict([Issue("active", "district.error.bad_state")])
    with session_scope(settings.database_url) as session:
        township = _township(session, township_id)
        if township.active != active:
            township.active = active
            session.flush()
            audit(session, actor.user_id, "retire" if not active else "restore", "township", township.id,
                  {"before": {"active": not active}, "after": {"active": active}})


# --------------------------------------------------------------------------- import
Plan = list[tuple[TownshipRow, Township | None, CleanTownship]]
# Not a possible name (names refuse control characters): where a renamed township and its unit
# wait while the others take their new names, so that two townships can swap names.
_ASIDE = "\x01aside-{kind}-{id}"


def _plan(session: Session, checked: TownshipsFile, lang: str) -> tuple[Plan, list[Problem]]:
    """Match every row to a stored township (by code, else by name) or a new one, and check the
    district as it would be afterwards: one row per township, names unique."""
    codes, names = store.township_keys(session)
    stored = {tw.id: tw for tw in store.all_townships(session)}
    taken_codes = set(codes)
    problems: list[Problem] = []

    def problem(row: TownshipRow, field: str, key: str, **params: Any) -> None:
        problems.append(Problem(checked.file, row.row, HEADER_OF[field], t(key, lang, **params)))

    plan: Plan = []
    claimed: dict[int, int] = {}
    for row in checked.rows:
        target_id = codes.get(row.code) if row.code else names.get(row.name)
        target = stored.get(target_id) if target_id is not None else None
        if target is not None and target.id in claimed:
            problem(row, "code" if row.code else "name", "district.import.same_township", first=claimed[target.id])
            continue
        if target is None:
            code = row.code or next_township_code(taken_codes)
            taken_codes.add(code)
        else:
            claimed[target.id] = row.row
            code = target.code
        name_en = row.name_en if row.name_en is not None else (target.name_en if target is not None else "")
        plan.append((row, target, CleanTownship(code, row.name, name_en, row.kind)))
    # Names after the import: the townships the file leaves alone keep theirs.
    holders = {tw.name: tw.id for tid, tw in stored.items() if tid not in claimed}
    for row, _target, clean in plan:
        if clean.name in holders:
            problem(row, "name", "district.import.name_taken", name=clip(clean.name))
    return plan, problems


def _apply(session: Session, plan: Plan, checked: TownshipsFile, lang: str) -> list[tuple[TownshipRow, Township]]:
    """Write the planned rows and their units; problems with units are added to ``checked``."""
    for _row, target, clean in plan:
        if target is not None and target.name != clean.name:
            target.name = _ASIDE.format(kind="township", id=target.id)
            unit = store.township_unit(session, target.id)
            if unit is not None:
                unit.name = _ASIDE.format(kind="unit", id=unit.id)
    session.flush()
    applied = []
    for row, target, clean in plan:
        if target is None:
            target = store.add_township(session, clean, position=store.LAST_POSITION + row.row,
                                        active=row.active if row.active is not None else True)
        else:
            target.name, target.name_en, target.kind = clean.name, clean.name_en, clean.kind
            if row.active is not None:
                target.active = row.active
        applied.append((row, target))
    session.flush()
    for row, township in applied:
        try:
            _sync_unit(session, township)
        except InvalidDistrict as refused:
            issue = refused.issues[0]
            checked.problems.append(Problem(checked.file, row.row, HEADER_OF["name"],
                                            t(issue.key, lang, **issue.params)))
    return applied


def import_townships(settings: Settings, actor: Actor, source: bytes | Path | BinaryIO, file_name: str,
                     lang: str = "zh") -> dict[str, list[str]]:
    """Check a township workbook and apply it, all or nothing; admins only.

    Rows update the township with their code (or, without one, their name) or add one; no
    township is removed. Returns the names ``added``, ``updated`` (positions moved by the file
    included) and ``unchanged``; raises ``TownshipsRefused`` (nothing saved) when any row has a
    problem. Importing the same file again changes nothing.
    """
    require(actor, "admin")
    checked = read_townships(source, file=file_name, lang=lang)
    if not checked.ok:
        raise TownshipsRefused(checked)
    with session_scope(settings.database_url) as session:
        plan, checked.problems = _plan(session, checked, lang)
        if checked.problems:
            raise TownshipsRefused(checked)
        before = {tw.id: _state(tw) for tw in store.all_townships(session)}
        applied = _apply(session, plan, checked, lang)
        if checked.problems:
            raise TownshipsRefused(checked)  # leaving session_scope undoes what _apply wrote
        # Rows with a 顺序 take that place (before a township that merely sits there); the
        # others keep theirs, new ones after everything; then 1, 2, … again.
        asked = {tw.id: row.position for row, tw in applied if row.position is not None}
        order = sorted(store.all_townships(session),
                       key=lambda tw: (asked.get(tw.id, tw.position), tw.id not in asked, tw.position, tw.id))
        store.set_positions(session, [tw.id for tw in order])
        in_file = {tw.id for _row, tw in applied}
        result: dict[str, list[str]] = {"added": [], "updated": [], "unchanged": []}
        changes = []
        for township in order:
            old, new = before.get(township.id), _state(township)
            if old == new:
                if township.id in in_file:
                    result["unchanged"].append(township.name)
                continue
            result["added" if old is None else "updated"].append(township.name)
            changes.append({"id": township.id, "before": old, "after": new})
        if changes:
            audit(session, actor.user_id, "import", "township", None, {"file": file_name, "changes": changes})
    return result


# --------------------------------------------------------------------------- units
def add_unit(settings: Settings, actor: Actor, *, name: Any, kind: Any, name_en: Any = "") -> int:
    """Add a district department or a company as a responsible unit; admins only. (A township's
    own unit comes with the township.) Returns its id."""
    require(actor, "admin")
    with session_scope(settings.database_url) as session:
        clean, issues = check_unit({"name": name, "name_en": name_en, "kind": kind},
                                   taken_names=set(store.unit_names(session)))
        if issues or clean is None:
            raise InvalidDistrict(issues)
        unit = store.add_unit(session, clean)
        audit(session, actor.user_id, "create", "unit", unit.id,
              {"before": None, "after": {"name": unit.name, "name_en": unit.name_en, "kind": unit.kind}})
        return unit.id


def rename_unit(settings: Settings, actor: Actor, unit_id: int, *, name: Any, name_en: Any = "") -> None:
    """Rename a department or company (Chinese and English); admins only. A township's unit is
    renamed by renaming the township."""
    require(actor, "admin")
    with session_scope(settings.database_url) as session:
        unit = store.get_unit(session, unit_id) if isinstance(unit_id, int) else None
        if unit is None:
            raise NotFound("not_found")
        if unit.kind == "township":
            raise InvalidDistrict([Issue("name", "district.error.township_unit")])
        clean, issues = check_unit({"name": name, "name_en": name_en, "kind": unit.kind},
                                   taken_names={n for n, uid in store.unit_names(session).items() if uid != unit.id})
        if issues or clean is None:
            raise InvalidDistrict(issues)
        before = {"name": unit.name, "name_en": unit.name_en}
        unit.name, unit.name_en = clean.name, clean.name_en
        if before != {"name": unit.name, "name_en": unit.name_en}:
            session.flush()
            audit(session, actor.user_id, "update", "unit", unit.id,
                  {"before": before, "after": {"name": unit.name, "name_en": unit.name_en}})


# --------------------------------------------------------------------------- stations
def set_station_group(settings: Settings, actor: Actor, *, district: Any, background: Any) -> dict[str, list[str]]:
    """Make ``district`` (station codes) the district's station group and ``background`` its
    background (对照) stations, both at once; admins only. The district figure is the mean of
    the group, background stations excluded. Returns what changed: codes ``added`` to and
    ``removed`` from the group, ``background_added`` and ``background_removed``."""
    require(actor, "admin")
    if not all(isinstance(v, list) and all(isinstance(c, str) for c in v) for v in (district, background)):
        raise InvalidDistrict([Issue("stations", "district.error.not_text")])
    with session_scope(settings.database_url) as session:
        issues = check_station_group(district, background, store.station_codes(session))
        if issues:
            raise InvalidDistrict(issues)
        old_district, old_background = store.flagged_stations(session)
        store.set_station_flags(session, set(district), set(background))
        changes = {
            "added": sorted(set(district) - set(old_district)),
            "removed": sorted(set(old_district) - set(district)),
            "background_added": sorted(set(background) - set(old_background)),
            "background_removed": sorted(set(old_background) - set(background)),
        }
        if any(changes.values()):
            audit(session, actor.user_id, "update", "station_group", None,
                  {"before": {"district": old_district, "background": old_background},
                   "after": {"district": sorted(set(district)), "background": sorted(set(background))}})
    return changes
