"""The dust-control checklist ("8个100%") as versioned data: what a new version must be.

A version applies to inspections from its ``valid_from`` day until its ``valid_to`` day; an
inspection keeps the version of its day. A new version therefore starts no earlier than:

- today (the past is what it was),
- the day after the last recorded inspection, drafts included (editing an inspection looks its
  version up by its day again: an inspection on or after the new start would silently change
  version, and lose the results of removed items),
- the day after the newest version starts (versions follow one another; the newest is closed
  the day before the new one starts, so no day is left without a checklist).

Items have stable keys (``hoarding``, ``cover``...: DOMAIN.md §2): rectifications, compliance
by item and the reports follow an item across versions by its key, so a new item needs a new
key and a kept item keeps its own. Only the Chinese label is required (pages fall back to it
when the English one is blank).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dashboard.domain.errors import CodedError

KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,31}")  # a lowercase identifier that fits the key column
MAX_ITEMS = 30
LABEL_MAX = 128
NAME_MAX = 64
NAME_EN_MAX = 96
SOURCE_MAX = 256


class InvalidChecklist(CodedError):
    """``no_items``, ``too_many_items`` (``high``), ``bad_key`` / ``duplicate_key`` (``item_key``,
    ``position``), ``empty_label`` / ``label_too_long`` (``position``, 1-based), ``bad_name``,
    ``bad_source``, ``bad_date`` or ``too_early`` (``earliest``, ISO date)."""


@dataclass(frozen=True)
class ItemDraft:
    key: str
    label: str
    label_en: str = ""


@dataclass(frozen=True)
class VersionDraft:
    """A checked new version: its names, first day, source and items in order."""

    name: str
    name_en: str
    valid_from: dt.date
    source: str
    items: tuple[ItemDraft, ...]


def earliest_start(today: dt.date, last_inspection_day: dt.date | None, newest_start: dt.date | None) -> dt.date:
    """The first day a new version may take effect (see the module's docstring)."""
    days = [today]
    days += [d + dt.timedelta(days=1) for d in (last_inspection_day, newest_start) if d is not None]
    return max(days)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def check_items(items: Iterable[ItemDraft]) -> tuple[ItemDraft, ...]:
    """The items trimmed, in order, or ``InvalidChecklist`` for the first problem."""
    clean: list[ItemDraft] = []
    seen: set[str] = set()
    for position, item in enumerate(items, start=1):
        key, label, label_en = _text(item.key), _text(item.label), _text(item.label_en)
        if not KEY_PATTERN.fullmatch(key):
            raise InvalidChecklist("bad_key", item_key=key[:40], position=position)
        if key in seen:
            raise InvalidChecklist("duplicate_key", item_key=key, position=position)
        if not label:
            raise InvalidChecklist("empty_label", position=position)
        if len(label) > LABEL_MAX or len(label_en) > LABEL_MAX:
            raise InvalidChecklist("label_too_long", position=position, high=LABEL_MAX)
        seen.add(key)
        clean.append(ItemDraft(key, label, label_en))
    if not clean:
        raise InvalidChecklist("no_items")
    if len(clean) > MAX_ITEMS:
        raise InvalidChecklist("too_many_items", high=MAX_ITEMS)
    return tuple(clean)


def check_version(*, name: Any, name_en: Any, valid_from: Any, source: Any, items: Iterable[ItemDraft],
                  earliest: dt.date) -> VersionDraft:
    """A new version as typed, checked against the rules above; ``InvalidChecklist`` otherwise."""
    if not isinstance(valid_from, dt.date) or isinstance(valid_from, dt.datetime):
        raise InvalidChecklist("bad_date")
    if valid_from < earliest:
        raise InvalidChecklist("too_early", earliest=earliest.isoformat())
    name_text, name_en_text, source_text = _text(name), _text(name_en), _text(source)
    if not name_text or len(name_text) > NAME_MAX or len(name_en_text) > NAME_EN_MAX:
        raise InvalidChecklist("bad_name", high=NAME_MAX)
    if len(source_text) > SOURCE_MAX:
        raise InvalidChecklist("bad_source", high=SOURCE_MAX)
    return VersionDraft(name_text, name_en_text, valid_from, source_text, check_items(items))


def version_code(valid_from: dt.date, taken: Iterable[str]) -> str:
    """A code for a version made on the admin page: ``v`` and its first day (unique)."""
    taken = set(taken)
    base = code = f"v{valid_from.isoformat()}"
    n = 2
    while code in taken:
        code, n = f"{base}-{n}", n + 1
    return code


@dataclass(frozen=True)
class StandardVersion:
    code: str
    name: str
    name_en: str
    valid_from: dt.date
    valid_to: dt.date | None
    source: str
    items: tuple[ItemDraft, ...]


def standard_versions(data: Mapping[str, Any]) -> list[StandardVersion]:
    """The versions of a checklists file (``data/checklists.json``: item labels by key, then
    versions listing their keys in order), oldest first."""
    labels = data["items"]
    out = []
    for v in data["versions"]:
        items = tuple(ItemDraft(key, labels[key]["zh"], labels[key].get("en", "")) for key in v["items"])
        out.append(StandardVersion(
            code=v["code"], name=v["name"], name_en=v.get("name_en", ""),
            valid_from=dt.date.fromisoformat(v["valid_from"]),
            valid_to=dt.date.fromisoformat(v["valid_to"]) if v.get("valid_to") else None,
            source=v.get("source", ""), items=check_items(items),
        ))
    return sorted(out, key=lambda v: v.valid_from)
