"""Every user-facing string, in Chinese (default) and English.

Each language is a folder of JSON catalogs, one per area of the app (``core.json``,
``air.json``, ...), merged into one table; a key may appear in only one file. ``t("home.title",
"en")`` looks a key up and fills ``{name}`` placeholders from keyword arguments. A test checks
that both languages have the same keys; at run time a missing key falls back to Chinese, then to
the key itself, so a page never crashes over a label.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
_DIR = Path(__file__).resolve().parent


def catalog_files(lang: str) -> list[Path]:
    return sorted((_DIR / lang).glob("*.json"))


@cache
def catalog(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in catalog_files(lang):
        entries = json.loads(path.read_text(encoding="utf-8"))
        clash = merged.keys() & entries.keys()
        if clash:
            raise ValueError(f"{path}: keys already defined in another catalog: {sorted(clash)}")
        merged.update(entries)
    return merged


def normalise(lang: str | None) -> str:
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, lang: str | None = DEFAULT_LANGUAGE, **params: object) -> str:
    lang = normalise(lang)
    text = catalog(lang).get(key) or catalog(DEFAULT_LANGUAGE).get(key) or key
    return text.format(**params) if params else text
