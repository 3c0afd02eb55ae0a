"""The Mantine theme: one place for fonts and colours of the shell."""

from __future__ import annotations

from dashboard.figures.theme import FONT_FAMILY


def mantine_theme() -> dict:
    return {
        "fontFamily": FONT_FAMILY,
        "headings": {"fontFamily": FONT_FAMILY},
        "primaryColor": "teal",
        "defaultRadius": "md",
    }
