"""Dispatch meetings: every meeting with its chair, counts and the air quality it reviewed."""

from __future__ import annotations

import dash
import dash_mantine_components as dmc
from dash import dcc, html

from dashboard.analytics import meetings as analytics
from dashboard.auth import current_language
from dashboard.i18n import t
from dashboard.i18n.formats import format_datetime
from dashboard.ui.components.empty import when_empty
from dashboard.ui.components.meeting_parts import category_chips, chair_label, fmt_number, meeting_name, simple_table
from dashboard.ui.data import acting_user, app_settings, read_session


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


@when_empty("meetings", "empty.meetings", [("empty.meetings.new", "/meetings/new")], link_role="editor")
def layout(**_query):
    lang = current_language()
    settings = app_settings()
    tz = settings.tz
    with read_session() as session:
        meetings = analytics.all_meetings(session)
        counts = analytics.meeting_counts(session).set_index("number")
        air = analytics.air_summaries(session, settings.database_url, meetings, tz)
        rows = []
        for m in sorted(meetings, key=lambda m: m.number, reverse=True):
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
    can_create = acting_user().at_least("editor")
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
            simple_table(head, rows, "meetings-table") if rows else dmc.Text(t("meetings.none", lang), c="dimmed"),
        ],
        className="page page-meetings",
        style={"display": "flex", "flexDirection": "column", "gap": "14px"},
    )


dash.register_page(__name__, path="/meetings", name="meetings", title="调度会", layout=layout)
