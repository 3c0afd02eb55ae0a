"""What the district is made of: its name, its townships (乡镇办 and 管委会), its responsible
units and the stations that form its air-quality figure. Pure rules; the caller supplies what only
the database knows (names and codes already taken, stations that exist).

Township codes. A code names a township in files and links, never on screen, and is never
derived from the Chinese name (no pinyin table is shipped, and two names can share a
transliteration). An admin may type one (letters, digits, ``-`` and ``_``, up to 32 characters,
starting with a letter or digit); otherwise ``next_township_code`` gives ``t001``, ``t002``, … one
more than the highest such code ever used. Retired townships keep their codes, so a code is
never reused for another township.

Problems come back as ``Issue``s: the field, an i18n key and its parameters.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

TOWNSHIP_KINDS = ("street", "town", "township", "zone")
UNIT_KINDS = ("township", "department", "company")
#: A unit of kind "township" belongs to its township and follows it (created and renamed with it).
ADDABLE_UNIT_KINDS = ("department", "company")
DISTRICT_NAME_KEY = "district.name"

# Column widths of townships, units and app_settings' values people read in one line.
NAME_MAX = 64
NAME_EN_MAX = 96
UNIT_NAME_MAX = 96
UNIT_NAME_EN_MAX = 128
CODE_MAX = 32
DISTRICT_NAME_MAX = 64
#: A district has tens of townships; a position beyond this is a typo.
POSITION_MAX = 9_999

CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
_GENERATED_CODE = re.compile(r"t(\d+)")
# Names are shown everywhere and written to files: no line breaks, tabs or terminal escapes.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Issue:
    """One problem with one field: ``key`` is an i18n key, ``params`` fill its placeholders."""

    field: str
    key: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class CleanTownship:
    code: str
    name: str
    name_en: str
    kind: str


@dataclass(frozen=True)
class CleanUnit:
    name: str
    name_en: str
    kind: str


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _name_issues(field: str, value: str, limit: int, required: bool) -> list[Issue]:
    if not value:
        return [Issue(field, "district.error.required")] if required else []
    if len(value) > limit:
        return [Issue(field, "district.error.too_long", {"limit": limit})]
    if _CONTROL.search(value):
        return [Issue(field, "district.error.control_characters")]
    return []


def next_township_code(taken: set[str]) -> str:
    """``t`` and three digits (more once past 999): one more than the highest such code in ``taken``."""
    numbers = [int(m.group(1)) for code in taken if (m := _GENERATED_CODE.fullmatch(code))]
    return f"t{max(numbers, default=0) + 1:03d}"


def check_district_name(value: Any) -> tuple[str | None, list[Issue]]:
    """The district's name (blank clears it), or the issues."""
    if value is not None and not isinstance(value, str):
        return None, [Issue("name", "district.error.not_text")]
    name = _text(value)
    issues = _name_issues("name", name, DISTRICT_NAME_MAX, required=False)
    return (None, issues) if issues else (name, [])


def check_township(values: dict[str, Any], *, taken_names: set[str], taken_codes: set[str],
                   code_required: bool = False) -> tuple[CleanTownship | None, list[Issue]]:
    """A township's code, names and kind; ``taken_*`` are those of the *other* townships.

    A blank code is generated (``next_township_code``) unless ``code_required``.
    """
    if not all(isinstance(values.get(k), (str, type(None))) for k in ("code", "name", "name_en", "kind")):
        return None, [Issue("name", "district.error.not_text")]
    code, name, name_en, kind = (_text(values.get(k)) for k in ("code", "name", "name_en", "kind"))
    issues = _name_issues("name", name, NAME_MAX, required=True)
    if not issues and name in taken_names:
        issues.append(Issue("name", "district.error.name_taken", {"name": name}))
    issues += _name_issues("name_en", name_en, NAME_EN_MAX, required=False)
    if kind not in TOWNSHIP_KINDS:
        issues.append(Issue("kind", "district.error.unknown_kind", {"value": kind[:40]}))
    if not code:
        if code_required:
            issues.append(Issue("code", "district.error.required"))
        code = next_township_code(taken_codes)
    elif not CODE_PATTERN.fullmatch(code):
        issues.append(Issue("code", "district.error.bad_code", {"limit": CODE_MAX}))
    elif code in taken_codes:
        issues.append(Issue("code", "district.error.code_taken", {"code": code}))
    if issues:
        return None, issues
    return CleanTownship(code, name, name_en, kind), []


def check_unit(values: dict[str, Any], *, taken_names: set[str],
               kinds: tuple[str, ...] = ADDABLE_UNIT_KINDS) -> tuple[CleanUnit | None, list[Issue]]:
    """A responsible unit's names and kind; ``taken_names`` are the *other* units' names."""
    if not all(isinstance(values.get(k), (str, type(None))) for k in ("name", "name_en", "kind")):
        return None, [Issue("name", "district.error.not_text")]
    name, name_en, kind = (_text(values.get(k)) for k in ("name", "name_en", "kind"))
    issues = _name_issues("name", name, UNIT_NAME_MAX, required=True)
    if not issues and name in taken_names:
        issues.append(Issue("name", "district.error.name_taken", {"name": name}))
    issues += _name_issues("name_en", name_en, UNIT_NAME_EN_MAX, required=False)
    if kind not in kinds:
        issues.append(Issue("kind", "district.error.unknown_kind", {"value": kind[:40]}))
    if issues:
        return None, issues
    return CleanUnit(name, name_en, kind), []


def moved(order: list[int], item: int, position: int) -> list[int]:
    """``order`` with ``item`` moved to 1-based ``position`` (clamped to the list)."""
    rest = [i for i in order if i != item]
    at = min(max(position, 1), len(rest) + 1) - 1
    return [*rest[:at], item, *rest[at:]]


def check_station_group(district: list[str], background: list[str], known: set[str]) -> list[Issue]:
    """The district's station group and its background (对照) stations, as codes.

    Every code must be a known station; a background station is excluded from averages, so it
    cannot also be in the group.
    """
    issues = []
    unknown = sorted((set(district) | set(background)) - known)
    if unknown:
        issues.append(Issue("stations", "district.error.unknown_stations",
                            {"codes": ", ".join(unknown[:10]), "n": len(unknown)}))
    both = sorted(set(district) & set(background))
    if both:
        issues.append(Issue("stations", "district.error.background_in_group", {"codes": ", ".join(both[:10])}))
    return issues
