"""Admin tab 监测站点: which imported stations form the district's figure (区站组) and which are
background stations (对照点, left out of every mean), ticked on a list or clicked on a map and
saved at once through ``services.district.set_station_group``; below them, which stations speak
for each township (``_township_stations``).

The grid holds the page's state: ticking a box edits its row (AG Grid changes the row object in
place and sends the edit as ``cellValueChanged``); the summary, the preview of the district
figure and the map follow the rows, and saving sends the ticked codes. Station details and
readings are always read from the database.
"""

from __future__ import annotations

import dash
import dash_mantine_components as dmc
import pandas as pd
from dash import Input, Output, State, dcc, html

from dashboard.analytics import district as analytics
from dashboard.auth import current_language
from dashboard.domain.aqi import CATEGORIES
from dashboard.figures.district import station_choice_map
from dashboard.figures.theme import graph_config
from dashboard.i18n import t
from dashboard.i18n.formats import format_datetime
from dashboard.services import district as service
from dashboard.ui.admin import _township_stations as township_stations
from dashboard.ui.components.datagrid import data_grid, locale_text
from dashboard.ui.data import acting_user, app_settings, read_session
from dashboard.ui.inputs import BadInput, rows

ORDER = 30
KEY = "stations"
NO_UPDATE = dash.no_update
COLUMN = {"display": "flex", "flexDirection": "column", "gap": "10px"}
#: Stations a summary lists by name; the rest are counted.
SHOWN = 30
BACKGROUND_SHOWN = 10


def label(lang: str) -> str:
    return t("admin.stations.tab", lang)


# --------------------------------------------------------------------------- rows
def _stations() -> pd.DataFrame:
    with read_session() as session:
        frame = analytics.stations(session)
    return frame.assign(has_data=frame["latest"].notna())


def _grid_rows(frame: pd.DataFrame, lang: str) -> list[dict]:
    """The grid's rows: the group first, then the stations with readings, by city and code."""
    tz = app_settings().tz
    ordered = frame.assign(rank=[0 if d else (1 if h else 2) for d, h in zip(frame["in_district"], frame["has_data"])])
    ordered = ordered.sort_values(["rank", "city", "code"], kind="stable")
    return [{
        "code": r.code, "name": r.name, "city": r.city,
        "longitude": None if pd.isna(r.longitude) else round(float(r.longitude), 4),
        "latitude": None if pd.isna(r.latitude) else round(float(r.latitude), 4),
        "in_district": bool(r.in_district), "is_background": bool(r.is_background),
        "readings": t("admin.stations.yes" if r.has_data else "admin.stations.no", lang),
        "latest": r.latest.tz_convert(tz).strftime("%Y-%m-%d %H:%M") if r.has_data else "",
    } for r in ordered.itertuples()]


def _chosen(data: list[dict]) -> tuple[list[str], list[str]]:
    """(group codes, background codes) ticked in the grid's rows."""
    group, background = [], []
    for row in data:
        code = row.get("code")
        if not isinstance(code, str):
            raise BadInput("station row")
        if row.get("in_district") is True:
            group.append(code)
        if row.get("is_background") is True:
            background.append(code)
    return group, background


# --------------------------------------------------------------------------- summary and map
def _names(frame: pd.DataFrame, codes: list[str], lang: str, shown: int = SHOWN) -> str:
    names = dict(zip(frame["code"], frame["name"]))
    listed = [f"{names.get(c, c)}（{c}）" if lang == "zh" else f"{names.get(c, c)} ({c})" for c in codes[:shown]]
    return ("、" if lang == "zh" else ", ").join(listed) + ("…" if len(codes) > shown else "")


def _summary(frame: pd.DataFrame, group: list[str], background: list[str], lang: str) -> list:
    """What the district figure will be with these choices, and what to look at before saving."""
    tz = app_settings().tz
    known = set(frame["code"])
    members = [c for c in group if c in known and c not in background]
    parts: list = []
    if members:
        parts.append(dmc.Text(t("admin.stations.group_is", lang, n=len(members), names=_names(frame, members, lang)),
                              id="adm-s-group"))
        with read_session() as session:
            figure = analytics.group_figure(session, members)
        if figure is not None:
            level = CATEGORIES[figure.category - 1][lang]
            parts.append(dmc.Text(t("admin.stations.figure", lang, time=format_datetime(figure.time, lang, tz),
                                    aqi=figure.aqi, level=level, primary=figure.primary_pollutants or "—",
                                    n=figure.reporting, standard=figure.standard),
                                  id="adm-s-figure", fw=600))
    else:
        parts.append(dmc.Alert(t("admin.stations.no_group", lang), color="yellow", id="adm-s-no-group"))
    if background:
        # A national list flags hundreds: name those of the group's cities, count the rest.
        cities = set(frame.loc[frame["code"].isin(members), "city"])
        nearby = set(frame.loc[frame["city"].isin(cities), "code"])
        named = [c for c in background if c in nearby] or background
        parts.append(dmc.Text(t("admin.stations.background_is", lang, n=len(background),
                                names=_names(frame, named, lang, BACKGROUND_SHOWN)), size="sm", c="dimmed"))
    silent = frame[frame["code"].isin(members) & ~frame["has_data"]]["code"].tolist()
    if silent:
        parts.append(dmc.Alert(t("admin.stations.without_readings", lang, names=_names(frame, silent, lang)),
                               color="orange", id="adm-s-warning"))
    both = sorted(set(group) & set(background))
    if both:
        parts.append(dmc.Alert(t("district.error.background_in_group", lang, codes=", ".join(both)), color="red",
                               id="adm-s-both"))
    saved_group = sorted(frame.loc[frame["in_district"], "code"])
    saved_background = sorted(frame.loc[frame["is_background"], "code"])
    if (sorted(group), sorted(background)) != (saved_group, saved_background):
        parts.append(dmc.Text(t("admin.stations.unsaved", lang), size="sm", c="orange", fw=600,
                              id="adm-s-unsaved"))
    return parts


def _map(frame: pd.DataFrame, group: list[str], background: list[str], lang: str):
    settings = app_settings()
    chosen = frame.assign(in_district=frame["code"].isin(group), is_background=frame["code"].isin(background))
    return station_choice_map(chosen, lang, settings.map_tile_url, settings.map_tile_attribution)


# --------------------------------------------------------------------------- layout
def panel(lang: str) -> html.Div:
    frame = _stations()
    data = _grid_rows(frame, lang)
    group, background = _chosen(data)
    box = 86 if lang == "zh" else 110
    columns = [
        # Narrow enough that a phone still shows the name beside the two pinned boxes.
        {"field": "in_district", "headerName": t("admin.stations.col.group", lang), "width": box, "minWidth": 70,
         "cellDataType": "boolean", "editable": True, "pinned": "left", "filter": False},
        {"field": "is_background", "headerName": t("admin.stations.col.background", lang), "width": box,
         "minWidth": 70, "cellDataType": "boolean", "editable": True, "pinned": "left", "filter": False},
        {"field": "name", "headerName": t("admin.stations.col.name", lang), "flex": 1, "minWidth": 130},
        {"field": "code", "headerName": t("admin.stations.col.code", lang), "width": 100},
        {"field": "city", "headerName": t("admin.stations.col.city", lang), "width": 110},
        {"field": "longitude", "headerName": t("admin.stations.col.longitude", lang), "width": 110},
        {"field": "latitude", "headerName": t("admin.stations.col.latitude", lang), "width": 110},
        {"field": "readings", "headerName": t("admin.stations.col.readings", lang), "width": 100},
        {"field": "latest", "headerName": t("admin.stations.col.latest", lang), "width": 160},
    ]
    commands = [dmc.Code(t(f"admin.stations.cmd_{what}", lang), block=True,
                         style={"whiteSpace": "pre-wrap", "wordBreak": "break-all"})
                for what in ("stations", "readings")]
    empty = [dmc.Alert([dmc.Text(t("admin.stations.empty", lang), size="sm", mb="xs"), *commands], color="yellow",
                       id="adm-s-empty", title=t("admin.stations.empty_title", lang))] if frame.empty else []
    return html.Div([
        dmc.Text(t("admin.stations.explain", lang), size="sm", c="dimmed"),
        *empty,
        dmc.Paper([
            dmc.Group([
                dmc.TextInput(id="adm-s-search", placeholder=t("admin.stations.search", lang), w=300,
                              **{"aria-label": t("admin.stations.search", lang)}),
                dmc.Text(t("admin.stations.count", lang, n=len(frame)), size="sm", c="dimmed"),
            ], justify="space-between"),
            data_grid("adm-s-grid", columns, data, lang, height="420px", page_size=None,
                      row_id="params.data.code",
                      localeText=locale_text(lang) | {"noRowsToShow": t("admin.stations.grid_empty", lang)}),
        ], withBorder=True, p="md", radius="md", style=COLUMN),
        dmc.SimpleGrid([
            dmc.Paper([
                dmc.Title(t("admin.stations.summary_title", lang), order=4),
                html.Div(_summary(frame, group, background, lang), id="adm-s-summary", style=COLUMN),
                dmc.Group([
                    dmc.Button(t("admin.stations.save", lang), id="adm-s-save"),
                    dmc.Button(t("admin.stations.reset", lang), id="adm-s-reset", variant="default"),
                ], gap="sm"),
                html.Div(id="adm-s-message"),
            ], withBorder=True, p="md", radius="md", style=COLUMN),
            dmc.Paper([
                dmc.Title(t("admin.stations.map_title", lang), order=4),
                dmc.Text(t("admin.stations.map_note", lang), size="sm", c="dimmed"),
                dcc.Graph(id="adm-s-map", figure=_map(frame, group, background, lang),
                          config=graph_config(lang) | {"displayModeBar": False}),
            ], withBorder=True, p="md", radius="md", style=COLUMN),
        ], cols={"base": 1, "lg": 2}, spacing="md"),
        township_stations.section(lang, no_stations=frame.empty),
    ], style={"display": "flex", "flexDirection": "column", "gap": "12px"})


# --------------------------------------------------------------------------- callbacks
def register_callbacks(app: dash.Dash) -> None:
    township_stations.register_callbacks(app)

    @app.callback(Output("adm-s-grid", "dashGridOptions"), Input("adm-s-search", "value"),
                  prevent_initial_call=True)
    def _search(text):
        if text is not None and not isinstance(text, str):
            raise BadInput("search")
        patch = dash.Patch()
        patch["quickFilterText"] = text or ""
        return patch

    # A ticked box changes its row in place, so to Dash the rows look unchanged: the edit event
    # is what fires. New rows (a map click, a save) fire through rowData itself.
    @app.callback(
        Output("adm-s-summary", "children"),
        Output("adm-s-map", "figure"),
        Input("adm-s-grid", "cellValueChanged"),
        Input("adm-s-grid", "rowData"),
        prevent_initial_call=True,
    )
    def _follow(_edited, data):
        lang = current_language()
        group, background = _chosen(rows(data))
        frame = _stations()
        return _summary(frame, group, background, lang), _map(frame, group, background, lang)

    @app.callback(
        Output("adm-s-grid", "rowTransaction"),
        Input("adm-s-map", "clickData"),
        State("adm-s-grid", "rowData"),
        prevent_initial_call=True,
    )
    def _click(click, data):
        points = click.get("points") if isinstance(click, dict) else None
        code = points[0].get("customdata") if isinstance(points, list) and points and isinstance(points[0], dict) \
            else None
        row = next((r for r in rows(data) if r.get("code") == code), None) if isinstance(code, str) else None
        if row is None:
            raise dash.exceptions.PreventUpdate
        # A click puts a station in the group or takes it out; a background station stays out.
        if row.get("is_background") is True:
            raise dash.exceptions.PreventUpdate
        return {"update": [row | {"in_district": row.get("in_district") is not True}]}

    @app.callback(
        Output("adm-s-message", "children"),
        Output("adm-s-grid", "rowData"),
        Input("adm-s-save", "n_clicks"),
        State("adm-s-grid", "rowData"),
        prevent_initial_call=True,
    )
    def _save(n_clicks, data):
        lang = current_language()
        if not n_clicks:
            raise dash.exceptions.PreventUpdate
        group, background = _chosen(rows(data))
        try:
            changes = service.set_station_group(app_settings(), acting_user(), district=group, background=background)
        except service.InvalidDistrict as exc:
            text = " ".join(t(i.key, lang, **i.params) for i in exc.issues)
            return dmc.Alert(text, color="red", id="adm-s-error"), NO_UPDATE
        text = t("admin.stations.saved", lang, n=len(group), added=len(changes["added"]),
                 removed=len(changes["removed"]),
                 background=len(changes["background_added"]) + len(changes["background_removed"]))
        return (dmc.Alert(text, color="teal", id="adm-s-saved", withCloseButton=True),
                _grid_rows(_stations(), lang))

    @app.callback(
        Output("adm-s-grid", "rowData", allow_duplicate=True),
        Output("adm-s-message", "children", allow_duplicate=True),
        Input("adm-s-reset", "n_clicks"),
        prevent_initial_call=True,
    )
    def _reset(n_clicks):
        if not n_clicks:
            raise dash.exceptions.PreventUpdate
        return _grid_rows(_stations(), current_language()), None
