"""Pieces shared by the meeting, ledger and scorecard pages: labels, AQI chips, small tables."""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash_mantine_components as dmc
from dash import html

from dashboard.domain.aqi import CATEGORIES
from dashboard.figures.theme import AQI_COLOURS, text_colour_on
from dashboard.i18n import t
from dashboard.i18n.formats import (  # noqa: F401  (shared with the pages that import them from here)
    fmt_number,
    fmt_share,
    format_date,
    meeting_name,
    meeting_short,
    status_label,
    unit_name,
)

STATUS_COLOURS = {"open": "gray", "in_progress": "blue", "done": "teal", "verified": "green"}
MEASURE_COLOURS = {"criticism": "yellow", "interview": "orange", "admonition": "red", "accountability": "grape"}


def status_badge(status: str, lang: str) -> dmc.Badge:
    return dmc.Badge(status_label(status, lang), color=STATUS_COLOURS.get(status, "gray"), variant="light")


def measure_badge(measure: str, lang: str) -> dmc.Badge:
    return dmc.Badge(
        t(f"meetings.measure.{measure}", lang), color=MEASURE_COLOURS.get(measure, "gray"), variant="filled"
    )


# Chair titles are stored as the record wrote them (Chinese); known ones are shown translated.
CHAIR_KEYS = {
    "区长": "meetings.chair.head",
    "常务副区长": "meetings.chair.executive_deputy",
    "副区长": "meetings.chair.deputy",
}


def chair_label(title: str, lang: str) -> str:
    key = CHAIR_KEYS.get((title or "").strip())
    return t(key, lang) if key else title


def category_label(level: int, lang: str) -> str:
    return CATEGORIES[level - 1][lang]


def category_chips(categories: dict[str, int], lang: str) -> html.Div:
    """Days per AQI category as coloured chips (优 3 · 良 4 …)."""
    chips = []
    for level in sorted(int(k) for k in categories):
        colour = AQI_COLOURS[level]
        chips.append(
            html.Span(
                t(
                    "meetings.air.days_in_category",
                    lang,
                    category=category_label(level, lang),
                    days=categories[str(level)],
                ),
                className="aqi-chip",
                style={"backgroundColor": colour, "color": text_colour_on(colour)},
            )
        )
    return html.Div(chips, className="aqi-chips")


def fmt_change(value: float | None, unit: str = "%", better_when_lower: bool = True) -> html.Span:
    """A signed change, green when it is an improvement and red when it is not."""
    if value is None:
        return html.Span("—")
    good = value < 0 if better_when_lower else value > 0
    colour = "change-good" if good else "change-bad" if value != 0 else "change-flat"
    return html.Span(f"{value:+.1f}{unit}", className=colour)


def fmt_iso_date(value: str | dt.date | None, lang: str) -> str:
    if not value:
        return "—"
    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return format_date(day, lang)


def simple_table(head: list[Any], rows: list[list[Any]], table_id: str | None = None, min_width: int | None = None,
                 **props) -> Any:
    """A striped Mantine table from header cells and row cells; with ``min_width`` (px) a narrower
    screen scrolls it sideways instead of squeezing its columns a character wide (a phone)."""
    extra = {"id": table_id} if table_id else {}
    table = dmc.Table(
        [
            html.Thead(html.Tr([html.Th(h) for h in head])),
            html.Tbody([html.Tr([html.Td(c) for c in row]) for row in rows]),
        ],
        striped=True,
        highlightOnHover=True,
        withTableBorder=True,
        verticalSpacing="xs",
        fz="sm",
        **extra,
        **props,
    )
    return dmc.TableScrollContainer(table, minWidth=min_width, type="native") if min_width else table


def section(title: str, children, section_id: str | None = None, right=None) -> dmc.Paper:
    # "is not None": a Dash component's truth is its number of children, so a childless control
    # (an input) would be dropped by a plain "if right".
    header = (
        dmc.Group([dmc.Title(title, order=4), right], justify="space-between")
        if right is not None
        else dmc.Title(title, order=4)
    )
    extra = {"id": section_id} if section_id else {}
    return dmc.Paper(
        [header, html.Div(children, className="section-body")], withBorder=True, p="md", radius="md", **extra
    )
