"""Unit scorecard (单位考核): per responsible unit, on-time closure rate, overdue items, times
carried and accountability received — the units furthest behind first."""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import Input, Output, html

from dashboard.analytics import scorecard as analytics
from dashboard.analytics import today as dashboard_today
from dashboard.auth import current_language
from dashboard.domain.meeting_record import MEASURES
from dashboard.i18n import t
from dashboard.i18n.formats import format_date
from dashboard.ui.components.datagrid import WRAPPED, locale_text
from dashboard.ui.components.empty import when_empty
from dashboard.ui.components.meeting_parts import unit_name
from dashboard.ui.data import app_settings, read_session

KINDS = ("all", "township", "department", "company")


def _rows(kind: str, lang: str) -> tuple[list[dict], str]:
    tz = app_settings().tz
    with read_session() as session:
        today = dashboard_today(session, tz)
        frame = analytics.scorecard(session, today, tz)
    if not frame.empty and kind != "all":
        frame = frame[frame["kind"] == kind]
    rows = []
    for r in frame.itertuples():
        measures = [
            t("scorecard.measure_count", lang, measure=t(f"meetings.measure.{m}", lang), n=getattr(r, f"acc_{m}"))
            for m in MEASURES
            if getattr(r, f"acc_{m}")
        ]
        rows.append(
            {
                "unit": unit_name(r.unit, r.unit_en, lang),
                "kind": t(f"scorecard.unit_kind.{r.kind}", lang),
                "items": r.items,
                "closed": r.closed,
                "due": r.due,
                "on_time": r.on_time,
                "on_time_rate": None
                if r.on_time_rate is None or r.on_time_rate != r.on_time_rate
                else round(r.on_time_rate * 100, 1),
                "overdue": r.overdue,
                "carried": r.carried,
                "accountability": r.accountability,
                "measures": ("、" if lang == "zh" else ", ").join(measures),
            }
        )
    return rows, format_date(today, lang)


def _columns(lang: str) -> list[dict]:
    num = {"type": "numericColumn", "width": 112}
    return [
        {
            "field": "unit",
            "headerName": t("scorecard.col.unit", lang),
            "flex": 1.3,
            "minWidth": 200,
            "pinned": "left",
            "filter": "agTextColumnFilter",
            **WRAPPED,
        },
        {"field": "kind", "headerName": t("scorecard.col.kind", lang), "width": 112},
        {"field": "items", "headerName": t("scorecard.col.items", lang), **num},
        {"field": "closed", "headerName": t("scorecard.col.closed", lang), **num},
        {
            "field": "on_time_rate",
            "headerName": t("scorecard.col.on_time_rate", lang),
            **num,
            "width": 140,
            "valueFormatter": {"function": "params.value == null ? '—' : params.value.toFixed(1) + '%'"},
            "cellClassRules": {
                "score-bad": "params.value != null && params.value < 80",
                "score-good": "params.value != null && params.value >= 95",
            },
        },
        {
            "field": "overdue",
            "headerName": t("scorecard.col.overdue", lang),
            **num,
            "cellClassRules": {"score-bad": "params.value > 0"},
        },
        {"field": "carried", "headerName": t("scorecard.col.carried", lang), **num, "width": 124},
        {"field": "accountability", "headerName": t("scorecard.col.accountability", lang), **num, "width": 124},
        {"field": "measures", "headerName": t("scorecard.col.measures", lang), "flex": 1.5, "minWidth": 200, **WRAPPED},
    ]


@when_empty("action_items", "empty.scorecard", [("empty.meetings.new", "/meetings/new")], link_role="editor")
def layout(**_query):
    lang = current_language()
    rows, today = _rows("all", lang)
    return html.Div(
        [
            dmc.Title(t("scorecard.title", lang), order=2),
            dmc.Text(t("scorecard.explain", lang, date=today), size="sm", c="dimmed"),
            dmc.SegmentedControl(
                id="scorecard-kind",
                value="all",
                data=[{"value": k, "label": t(f"scorecard.kind.{k}", lang)} for k in KINDS],
            ),
            dag.AgGrid(
                id="scorecard-grid",
                rowData=rows,
                columnDefs=_columns(lang),
                defaultColDef={"resizable": True, "sortable": True, "wrapHeaderText": True, "autoHeaderHeight": True},
                dashGridOptions={"localeText": locale_text(lang), "animateRows": False, "domLayout": "autoHeight"},
                style={"width": "100%"},
                className="ag-theme-quartz",
            ),
        ],
        className="page page-scorecard",
        style={"display": "flex", "flexDirection": "column", "gap": "12px"},
    )


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(Output("scorecard-grid", "rowData"), Input("scorecard-kind", "value"), prevent_initial_call=True)
    def _kind(kind):
        return _rows(kind if kind in KINDS else "all", current_language())[0]


dash.register_page(__name__, path="/scorecard", name="scorecard", title="单位考核", layout=layout)
