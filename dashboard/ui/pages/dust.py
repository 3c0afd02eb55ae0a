"""工地扬尘 (/dust): the sites with a dust monitor, for the district or one township — ranked by
PM10 above their nearest national station over a window, on a map in the colour of their latest
PM10, and each monitor's health (offline, stuck, abnormal flags).

Every role sees it; it reads only. It refreshes itself every ``REFRESH_SECONDS`` while open.
"""

from __future__ import annotations

import dash
import dash_mantine_components as dmc
import pandas as pd
from dash import Input, Output, dcc, html

from dashboard.analytics import dust_views as views
from dashboard.analytics.dust_views import DEFAULT_WINDOW, WINDOWS
from dashboard.auth import current_language
from dashboard.domain.site_dust_rules import ABNORMAL_SHARE
from dashboard.figures.site_dust import dust_map
from dashboard.figures.theme import graph_config
from dashboard.i18n import t
from dashboard.i18n.formats import format_datetime
from dashboard.ui.components.datagrid import data_grid
from dashboard.ui.data import app_settings, read_session
from dashboard.ui.inputs import choice, int_or_none

REFRESH_SECONDS = 60
STATUS_STYLE = {"offline": {"color": "#c92a2a", "fontWeight": 700}, "stuck": {"color": "#d9480f", "fontWeight": 700},
                "abnormal": {"color": "#e67700", "fontWeight": 700}}


def title(**_kwargs) -> str:
    lang = current_language()
    return f"{t('dust.title', lang)} · {t('app.title', lang)}"


def _ranking_columns(lang: str) -> list[dict]:
    num = {"type": "numericColumn", "width": 110}
    return [
        {"field": "rank", "headerName": t("dust.col.rank", lang), "width": 80, "type": "numericColumn"},
        {"field": "name", "headerName": t("dust.col.site", lang), "cellRenderer": "SiteLink", "flex": 2,
         "minWidth": 200},
        {"field": "code", "headerName": t("dust.col.code", lang), "width": 110},
        {"field": "township", "headerName": t("dust.col.township", lang), "width": 130},
        {"field": "excess", "headerName": t("dust.col.excess", lang), **num, "sort": "desc",
         "cellStyle": {"styleConditions": [{"condition": "params.value > 0", "style": {"color": "#c92a2a",
                                                                                      "fontWeight": 700}}]}},
        {"field": "hours", "headerName": t("dust.col.hours", lang), **num},
        {"field": "site_mean", "headerName": t("dust.col.site_mean", lang), **num},
        {"field": "station_mean", "headerName": t("dust.col.station_mean", lang), **num},
        {"field": "station", "headerName": t("dust.col.station", lang), "width": 150},
        {"field": "km", "headerName": t("dust.col.km", lang), **num},
    ]


def _health_columns(lang: str) -> list[dict]:
    return [
        {"field": "mn", "headerName": t("dust.col.mn", lang), "width": 230},
        {"field": "name", "headerName": t("dust.col.site", lang), "cellRenderer": "SiteLink", "flex": 2,
         "minWidth": 180},
        {"field": "township", "headerName": t("dust.col.township", lang), "width": 130},
        {"field": "status", "headerName": t("dust.col.status", lang), "width": 120,
         "cellStyle": {"styleConditions": [{"condition": f"params.data.status_key == '{k}'", "style": v}
                                           for k, v in STATUS_STYLE.items()]}},
        {"field": "last_seen", "headerName": t("dust.col.last_seen", lang), "width": 150},
        {"field": "latest", "headerName": t("dust.col.latest", lang), "width": 110, "type": "numericColumn"},
        {"field": "latest_time", "headerName": t("dust.col.latest_time", lang), "width": 150},
        {"field": "stuck", "headerName": t("dust.col.stuck", lang), "width": 110, "type": "numericColumn"},
        {"field": "abnormal", "headerName": t("dust.col.abnormal", lang), "width": 130, "type": "numericColumn"},
    ]


def layout(**_query) -> html.Div:
    lang = current_language()
    with read_session() as session:
        townships = views.townships(session, lang)
    windows = [{"value": key, "label": t(f"dust.window.{key}", lang)} for key in WINDOWS]
    options = [{"value": "all", "label": t("dust.township.all", lang)}] + \
        [{"value": str(i), "label": name} for i, name in townships]
    config = graph_config(lang) | {"displayModeBar": False}
    controls = dmc.Group([
        dmc.Select(id="dust-township", label=t("dust.township", lang), data=options, value="all",
                   allowDeselect=False, searchable=True, w=220),
        html.Div([dmc.Text(t("dust.window", lang), size="sm", fw=500),
                  dmc.SegmentedControl(id="dust-window", data=windows, value=DEFAULT_WINDOW, size="xs")]),
    ], align="flex-end", gap="md")
    paper = {"withBorder": True, "p": "md", "radius": "md"}
    return html.Div([
        dmc.Title(t("dust.title", lang), order=2),
        dmc.Text(t("dust.intro", lang), size="sm", c="dimmed"),
        controls,
        html.Div(id="dust-summary"),
        dmc.Paper(dcc.Graph(id="dust-map", config=config), **paper),
        dmc.Paper([dmc.Title(t("dust.ranking.title", lang), order=4),
                   dmc.Text(t("dust.ranking.note", lang), size="sm", c="dimmed", mb="xs"),
                   data_grid("dust-ranking", _ranking_columns(lang), [], lang, height="420px", page_size=50)],
                  **paper),
        dmc.Paper([dmc.Title(t("dust.health.title", lang), order=4),
                   dmc.Text(id="dust-health-note", size="sm", c="dimmed", mb="xs"),
                   data_grid("dust-health", _health_columns(lang), [], lang, height="360px", page_size=50)],
                  **paper),
        dcc.Interval(id="dust-interval", interval=REFRESH_SECONDS * 1000),
    ], className="page page-dust", style={"display": "flex", "flexDirection": "column", "gap": "12px"})


def _number(value, digits: int = 0):
    return None if value is None or pd.isna(value) else round(float(value), digits)


def _when(value, lang: str, tz) -> str:
    return "—" if value is None or pd.isna(value) else format_datetime(value, lang, tz)


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output("dust-summary", "children"),
        Output("dust-map", "figure"),
        Output("dust-ranking", "rowData"),
        Output("dust-health", "rowData"),
        Output("dust-health-note", "children"),
        Input("dust-township", "value"),
        Input("dust-window", "value"),
        Input("dust-interval", "n_intervals"),
    )
    def _refresh(township, window, _n):
        lang = current_language()
        window = choice(window, tuple(WINDOWS), DEFAULT_WINDOW) or DEFAULT_WINDOW
        township_id = None if township in (None, "all") else int_or_none(township)
        settings = app_settings()
        tz = settings.tz
        with read_session() as session:
            view = views.district_dust(session, tz, window, township_id, lang=lang)
        limits = view.limits
        note = t("dust.health.note", lang, minutes=limits.offline_minutes, count=limits.stuck_count,
                 share=f"{ABNORMAL_SHARE * 100:g}")
        if view.monitors == 0:
            summary = dmc.Alert(t("dust.none", lang), color="blue", variant="light", id="dust-empty")
        else:
            counts = view.health[view.health["active"]]["status"].value_counts()
            summary = dmc.Stack([
                dmc.Text(t("dust.summary", lang, monitors=int(view.health["active"].sum()),
                           **{s: int(counts.get(s, 0)) for s in ("online", "offline", "stuck", "abnormal", "never")}),
                         fw=600, id="dust-summary-text"),
                dmc.Text(t("dust.period", lang, start=format_datetime(view.start, lang, tz),
                           end=format_datetime(view.end, lang, tz)), size="xs", c="dimmed"),
            ], gap=2)
        ranking = [{
            "rank": None if pd.isna(r.rank) else int(r.rank), "site_id": int(r.site_id), "name": r.name,
            "code": r.code, "township": r.township, "excess": _number(r.excess, 1), "hours": int(r.hours),
            "site_mean": _number(r.site_mean), "station_mean": _number(r.station_mean),
            "station": f"{r.station_name} {r.station_code}".strip(), "km": _number(r.km, 1),
        } for r in view.ranking.itertuples()]
        health = [{
            "mn": r.mn, "site_id": int(r.site_id), "name": r.site_name, "township": r.township,
            "status": t(f"dust.status.{r.status}", lang), "status_key": r.status,
            "last_seen": _when(r.last_seen_at, lang, tz), "latest": _number(r.latest_pm10),
            "latest_time": _when(r.latest_time, lang, tz), "stuck": int(r.stuck_run),
            "abnormal": None if pd.isna(r.abnormal_share) else f"{r.abnormal_share * 100:.0f}%",
        } for r in view.health.itertuples()]
        return (summary, dust_map(view.places, lang, settings.map_tile_url, settings.map_tile_attribution),
                ranking, health, note)


dash.register_page(__name__, path="/dust", name="dust", title=title, layout=layout)
