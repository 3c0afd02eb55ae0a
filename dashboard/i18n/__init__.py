"""Every user-facing string, in Chinese (default) and English, from one catalog per language.

``t("home.title", "en")`` looks a key up; ``{name}`` placeholders are filled from keyword
arguments. A missing key raises in tests (both catalogs must have the same keys) and falls back to
Chinese, then to the key itself, at run time so a page never crashes over a label.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
_DIR = Path(__file__).resolve().parent


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, str]:
    with open(_DIR / f"{lang}.json", encoding="utf-8") as fh:
        return json.load(fh)


def normalise(lang: str | None) -> str:
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, lang: str | None = DEFAULT_LANGUAGE, **params: object) -> str:
    lang = normalise(lang)
    text = catalog(lang).get(key) or catalog(DEFAULT_LANGUAGE).get(key) or key
    return text.format(**params) if params else text
