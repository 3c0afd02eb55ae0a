"""Dispatch meetings: every meeting with its chair, counts and the air quality it reviewed."""

from __future__ import annotations

from typing import Any

import dash
import dash_mantine_components as dmc
from dash import Input, Output, dcc, html

from dashboard.analytics import meetings as analytics
from dashboard.auth import current_language
from dashboard.i18n import t
from dashboard.i18n.formats import format_datetime
from dashboard.ui.components.empty import when_empty
from dashboard.ui.components.meeting_parts import category_chips, chair_label, fmt_number, meeting_name, simple_table
from dashboard.ui.data import acting_user, app_settings, read_session
from dashboard.ui.inputs import BadInput


def _air_cell(summary: dict, lang: str):
    if not summary or not summary.get("n_valid"):
        return dmc.Text(t("meetings.air.no_data_short", lang), size="xs", c="dimmed")
    text = t(
        "meetings.list.air_summary",
        lang,
        pm25=fmt_number(summary.get("pm25")),
        good=summary["n_good"],
        days=summary["n_valid"],
    )
    return html.Div([dmc.Text(text, size="xs"), category_chips(summary.get("categories", {}), lang)])


# Meetings a page of the list shows: about five months of weekly meetings.
PAGE_SIZE = 20


def _table(page: int, lang: str) -> tuple[Any, int]:
    """The rows of one page of the list (newest first), with their counts and air summaries;
    and how many meetings there are."""
    settings = app_settings()
    tz = settings.tz
    with read_session() as session:
        shown, before, count = analytics.meetings_page(session, page, PAGE_SIZE)
        if not shown:
            return dmc.Text(t("meetings.none", lang), c="dimmed"), 0
        counts = analytics.meeting_counts(session, [m.id for m in shown]).set_index("number")
        # The meeting before the page's oldest comes along: a review period starts after the
        # previous meeting, which the summaries find among the meetings they are given.
        air = analytics.air_summaries(session, settings.database_url, shown + ([before] if before else []), tz)
    rows = []
    for m in shown:
        c = counts.loc[m.number] if m.number in counts.index else None
        rows.append(
            [
                dcc.Link(meeting_name(m.number, lang), href=f"/meetings/{m.number}", id=f"meeting-link-{m.number}"),
                format_datetime(m.held_at, lang, tz),
                chair_label(m.chair_title, lang).capitalize() if lang == "en" else m.chair_title,
                *(
                    str(int(c[k])) if c is not None else "0"
                    for k in ("problems", "decisions", "accountability", "actions")
                ),
                _air_cell(air.get(m.number, {}), lang),
            ]
        )
    head = [
        t("meetings.list.meeting", lang),
        t("meetings.list.held_at", lang),
        t("meetings.list.chair", lang),
        t("meetings.list.problems", lang),
        t("meetings.list.decisions", lang),
        t("meetings.list.accountability", lang),
        t("meetings.list.actions", lang),
        t("meetings.list.air", lang),
    ]
    return simple_table(head, rows, "meetings-table", min_width=720), count


def _pages(count: int) -> int:
    return max(1, -(-count // PAGE_SIZE))


@when_empty("meetings", "empty.meetings", [("empty.meetings.new", "/meetings/new")], link_role="editor")
def layout(page: str | None = None, **_query):
    lang = current_language()
    first = int(page) if str(page or "").isdigit() else 1
    table, count = _table(first, lang)
    can_create = acting_user().at_least("editor")
    return html.Div(
        [
            dmc.Group(
                [
                    dmc.Title(t("meetings.list.title", lang), order=2),
                    dmc.Group([
                        dcc.Link(dmc.Button(t("meetings.briefing", lang), variant="light",
                                            id="meetings-briefing-button"), href="/briefing"),
                        dcc.Link(dmc.Button(t("meetings.new", lang), id="meetings-new-button"), href="/meetings/new")
                        if can_create
                        else None,
                    ], gap="sm"),
                ],
                justify="space-between",
            ),
            dmc.Text(t("meetings.list.explain", lang), size="sm", c="dimmed"),
            html.Div(table, id="meetings-rows"),
            dmc.Pagination(id="meetings-pages", total=_pages(count), value=min(max(first, 1), _pages(count)),
                           withEdges=True, size="sm") if count > PAGE_SIZE else None,
        ],
        className="page page-meetings",
        style={"display": "flex", "flexDirection": "column", "gap": "14px"},
    )


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(Output("meetings-rows", "children"), Input("meetings-pages", "value"), prevent_initial_call=True)
    def _page(page):
        if not isinstance(page, int) or isinstance(page, bool):
            raise BadInput("page")
        return _table(page, current_language())[0]


dash.register_page(__name__, path="/meetings", name="meetings", title="调度会", layout=layout)
