"""Sites: the registry grid (search, filters, sort, export), the new / edit form with the
conflict check, the Excel template and the Excel upload.

Thin: rows come from ``analytics.sites``, writes go through ``services.sites`` (which checks the
role and the rules). A failed or conflicting save never touches the form's inputs, so what the
user typed stays on screen.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import dash
import dash_mantine_components as dmc
import pandas as pd
from dash import ALL, Input, Output, State, dcc, html

from dashboard.analytics import district
from dashboard.analytics import sites as analytics
from dashboard.analytics.sites import COMPLIANCE_BANDS, NO_RATE_BAND, filter_sites, site_table
from dashboard.auth import current_language
from dashboard.domain.coords import SYSTEMS, from_wgs84
from dashboard.domain.inspection import may_write
from dashboard.domain.nearby import by_distance, position_from
from dashboard.domain.sites import PLATES, SITE_TYPES, STATUSES
from dashboard.figures.theme import PLATE_COLOURS, text_colour_on
from dashboard.i18n import t
from dashboard.i18n.formats import format_date, format_datetime, format_distance
from dashboard.ingest.export import csv_bytes, xlsx_bytes
from dashboard.ingest.sites_excel import template_bytes
from dashboard.services import sites as service
from dashboard.ui.components import near
from dashboard.ui.components.datagrid import (
    WRAPPED,
    data_grid,
    paged_grid,
    phone_probe,
    plate_cell_style,
    refresh_on_change,
    register_phone_probe,
    serve_rows,
)
from dashboard.ui.components.empty import when_empty
from dashboard.ui.data import acting_user, app_settings, read_session
from dashboard.ui.inputs import choice, ids, strings, upload_bytes

# Form inputs in order: (field, component kind). Coordinates are lon / lat in coord_system.
FORM = [
    ("code", "text"), ("name", "text"), ("address", "text"), ("township_id", "select"),
    ("builder_unit", "text"), ("contractor_unit", "text"), ("site_type", "select"), ("area_m2", "number"),
    ("coord_system", "segment"), ("longitude", "number"), ("latitude", "number"), ("status", "select"),
    ("started_on", "date"),
]
FIELDS = [name for name, _ in FORM]
REQUIRED = {"code", "name", "township_id", "site_type", "area_m2", "status"}
# Grid columns exported (in order) and the row keys they show.
EXPORT_COLUMNS = ["code", "name", "township", "status", "plate", "rate", "inspections", "failed_inspections",
                  "last_inspected", "open_rectifications", "site_type", "area_m2", "builder_unit", "contractor_unit",
                  "started_on", "address"]


def _input_id(name: str) -> dict:
    return {"type": "site-form", "field": name}


def _is_editor() -> bool:
    return acting_user().at_least("editor")


# --------------------------------------------------------------------------- rows
def _none(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    return value


def inspect_href(site_id: int) -> str:
    return f"/inspections/new?site={site_id}"


def grid_rows(frame: pd.DataFrame, lang: str) -> list[dict]:
    """Grid rows: display labels in ``lang``, rate in percent, dates ISO (sortable as text)."""
    actor = acting_user()
    near_first = "distance_m" in frame.columns
    rows = []
    for r in frame.itertuples():
        can_inspect = r.status == "active" and may_write(actor.role or "viewer", actor.township_id, int(r.township_id))
        rate = _none(r.rate)
        last = _none(r.last_inspected)
        started = _none(r.started_on)
        rows.append({
            "id": int(r.id), "code": r.code, "name": r.name,
            "township": r.township if lang == "zh" else r.township_en,
            "status": t(f"sites.status.{r.status}", lang), "status_key": r.status,
            "plate": t(f"plate.{r.plate}", lang), "plate_key": r.plate,
            "rate": None if rate is None else round(rate * 100, 1),
            "inspections": int(r.inspections), "failed_inspections": int(r.failed_inspections),
            "last_inspected": last.isoformat() if last is not None else None,
            "open_rectifications": int(r.open_rectifications),
            "site_type": t(f"sites.type.{r.site_type}", lang), "area_m2": _none(r.area_m2),
            "builder_unit": r.builder_unit, "contractor_unit": r.contractor_unit,
            "started_on": started.isoformat() if started is not None else None, "address": r.address,
            "inspect": t("sites.col.inspect", lang), "inspect_href": inspect_href(int(r.id)) if can_inspect else None,
        })
        if near_first:
            distance = _none(r.distance_m)
            rows[-1] |= {"distance_m": distance, "distance_text": format_distance(distance, lang)}
    return rows


def site_cards(rows: list[dict], lang: str, limit: int = 60) -> list:
    """The sites as stacked cards for a phone: name, township, plate, rate and 巡查此工地."""
    cards = []
    for row in rows[:limit]:
        rate = "—" if row["rate"] is None else f"{row['rate']:.1f}%"
        colour = PLATE_COLOURS.get(row["plate_key"], "#adb5bd")
        cards.append(html.Div(
            [
                html.Div([
                    dcc.Link(row["name"], href=f"/sites/{row['id']}", className="site-card-name"),
                    html.Span(row["plate"], className="site-card-plate",
                              style={"background": colour, "color": text_colour_on(colour)}),
                ], className="site-card-head"),
                html.Div([html.Span(row["code"]), html.Span(row["township"]), html.Span(row["status"]),
                          html.Span(t("sites.card.rate", lang, rate=rate)),
                          html.Span(t("sites.card.open", lang, n=row["open_rectifications"]))
                          if row["open_rectifications"] else None,
                          html.Span(row["distance_text"], className="site-card-distance")
                          if row.get("distance_text") else None],
                         className="site-card-meta"),
                dmc.Anchor(dmc.Button(t("sites.inspect_here", lang), size="sm"), href=row["inspect_href"],
                           className="site-card-inspect") if row["inspect_href"] else None,
            ],
            className="site-card",
        ))
    if len(rows) > limit:
        cards.append(dmc.Text(t("sites.cards_more", lang, shown=limit, count=len(rows)), size="sm", c="dimmed"))
    return cards


def _column_defs(lang: str, near_first: bool = False) -> list[dict]:
    """The grid's columns; ``near_first``: the list is ordered by distance, which is then shown."""
    rate_style = {"styleConditions": [
        {"condition": "params.value != null && params.value < 80", "style": {"color": "#c92a2a", "fontWeight": 600}},
    ]}
    percent = {"function": "params.value == null ? '—' : params.value.toFixed(1) + '%'"}
    number = {"function": "params.value == null ? '' : Math.round(params.value).toLocaleString()"}

    def col(field: str, **extra) -> dict:
        return {"field": field, "headerName": t(f"sites.col.{field}", lang), **extra}

    inspect = [col("inspect", width=80, cellRenderer="InspectLink", sortable=False, filter=False)] \
        if acting_user().at_least("inspector") else []
    distance = {"field": "distance_m", "headerName": t("near.col.distance", lang), "width": 100,
                "filter": "agNumberColumnFilter", "hide": not near_first,
                "valueFormatter": {"function": "params.data ? (params.data.distance_text || '') : ''"}}
    return [
        *inspect,
        col("code", width=110, pinned="left"),
        col("name", minWidth=220, flex=2, cellRenderer="SiteLink", pinned="left"),
        distance,
        col("township", width=150),
        col("status", width=90),
        col("plate", width=120, cellStyle=plate_cell_style()),
        col("rate", width=120, filter="agNumberColumnFilter", valueFormatter=percent, cellStyle=rate_style,
            headerTooltip=t("sites.col.rate_tip", lang)),
        col("inspections", width=120, filter="agNumberColumnFilter"),
        col("failed_inspections", width=120, filter="agNumberColumnFilter"),
        col("last_inspected", width=120),
        col("open_rectifications", width=110, filter="agNumberColumnFilter"),
        col("site_type", width=110),
        col("area_m2", width=120, filter="agNumberColumnFilter", valueFormatter=number),
        col("builder_unit", minWidth=160, flex=1),
        col("contractor_unit", minWidth=180, flex=1),
        col("started_on", width=120),
        col("address", minWidth=220, flex=1),
    ]


# --------------------------------------------------------------------------- form
def _township_options(lang: str, townships: pd.DataFrame) -> list[dict]:
    """Townships as choices; a retired one (only ever a filter's, or an edited site's own) says so."""
    return [{"value": str(r.id), "label": (r.name if lang == "zh" else r.name_en)
             + ("" if r.active else t("sites.retired_suffix", lang))} for r in townships.itertuples()]


def _options(lang: str, townships: pd.DataFrame) -> dict[str, list[dict]]:
    """The form's choices: ``townships`` are those a site may be put in (``analytics.township_choices``)."""
    return {
        "township_id": _township_options(lang, townships),
        "site_type": [{"value": k, "label": t(f"sites.type.{k}", lang)} for k in SITE_TYPES],
        "status": [{"value": k, "label": t(f"sites.status.{k}", lang)} for k in STATUSES],
        "coord_system": [{"value": k, "label": t(f"sites.coord.{k}", lang)} for k in SYSTEMS],
    }


def _form_input(name: str, kind: str, lang: str, options: dict, value: Any = None):
    common = {"id": _input_id(name), "label": t(f"sites.field.{name}", lang), "withAsterisk": name in REQUIRED}
    if kind == "text":
        return dmc.TextInput(value=value or "", **common)
    if kind == "select":
        return dmc.Select(data=options[name], value=value, searchable=True, allowDeselect=False,
                          nothingFoundMessage=t("sites.form.nothing", lang), comboboxProps={"withinPortal": True},
                          **common)
    if kind == "number":
        extra = {"decimalScale": 6, "step": 0.0001} if name in ("longitude", "latitude") else {"min": 0, "step": 100}
        return dmc.NumberInput(value=value if value is not None else "", hideControls=True, **extra, **common)
    if kind == "segment":
        return html.Div([
            dmc.Text(t("sites.field.coord_system", lang), size="sm", fw=500),
            dmc.SegmentedControl(id=_input_id(name), data=options[name], value=value or "WGS84", fullWidth=True),
            dmc.Text(t("sites.form.coord_hint", lang), size="xs", c="dimmed"),
        ])
    if kind == "date":
        return dmc.DatePickerInput(value=value, clearable=True, valueFormat="YYYY-MM-DD",
                                   popoverProps={"withinPortal": True}, **common)
    raise ValueError(kind)


def form_values(site_values: dict[str, Any] | None, default_code: str = "") -> dict[str, Any]:
    """The form's input values for a stored site (coordinates in the system it was entered in),
    or the defaults of a new one."""
    if site_values is None:
        return {"code": default_code, "name": "", "address": "", "township_id": None, "builder_unit": "",
                "contractor_unit": "", "site_type": None, "area_m2": None, "coord_system": "WGS84",
                "longitude": None, "latitude": None, "status": "active", "started_on": None}
    values = dict(site_values)
    system = values.get("coord_system") or "WGS84"
    if values.get("longitude") is not None and values.get("latitude") is not None:
        lon, lat = from_wgs84(values["longitude"], values["latitude"], system)
        values["longitude"], values["latitude"] = round(lon, 6), round(lat, 6)
    values["coord_system"] = system
    values["township_id"] = str(values["township_id"]) if values.get("township_id") is not None else None
    started = values.get("started_on")
    values["started_on"] = started.isoformat() if isinstance(started, dt.date) else started
    return values


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in values.items()}


def _form(lang: str, options: dict, values: dict[str, Any]) -> list:
    inputs = {name: _form_input(name, kind, lang, options, values.get(name)) for name, kind in FORM}
    pair = {"style": {"display": "grid", "gridTemplateColumns": "1fr 1fr", "gap": "12px"}}
    return [
        dmc.Alert(id="site-form-message", children="", color="red", hide=True, mb="sm"),
        dmc.Stack([
            html.Div([inputs["code"], inputs["status"]], **pair),
            inputs["name"],
            inputs["address"],
            html.Div([inputs["township_id"], inputs["site_type"]], **pair),
            inputs["builder_unit"],
            inputs["contractor_unit"],
            html.Div([inputs["area_m2"], inputs["started_on"]], **pair),
            inputs["coord_system"],
            html.Div([inputs["longitude"], inputs["latitude"]], **pair),
            dmc.Group([
                dmc.Button(t("sites.form.save", lang), id="site-form-save"),
                dmc.Button(t("sites.form.cancel", lang), id="site-form-cancel", variant="default"),
            ], mt="sm"),
        ], gap="sm"),
    ]


# --------------------------------------------------------------------------- layout
def _band_options(lang: str) -> list[dict]:
    return [{"value": "all", "label": t("sites.filter.band.all", lang)}] + [
        {"value": key, "label": t(f"sites.filter.band.{key}", lang)} for key in (*COMPLIANCE_BANDS, NO_RATE_BAND)
    ]


@when_empty("sites", "empty.sites", command_key="empty.sites.command")
def layout(edit: str | None = None, **_query) -> html.Div:
    lang = current_language()
    settings = app_settings()
    editor = _is_editor()
    with read_session() as session:
        today = analytics.today(session, settings.tz)
        townships = analytics.townships(session)
        initial = None
        if editor and edit and str(edit).isdigit():
            found = analytics.site_for_edit(session, int(edit))
            if found is not None:
                stored, version = found
                loaded = _jsonable(stored)
                initial = {"id": int(edit), "version": version, "loaded": loaded, "started_from": loaded,
                           "values": form_values(stored)}
        choices = district.township_choices(session, keep=initial["loaded"]["township_id"] if initial else None)
    options = _options(lang, choices)
    values = initial["values"] if initial else form_values(None)
    target = {k: initial[k] for k in ("id", "version", "loaded", "started_from")} if initial else None

    # An inspector works in one township: the list opens on its sites (the filter can widen it).
    actor = acting_user()
    own = [str(actor.township_id)] if actor.role == "inspector" and actor.township_id is not None else []
    filters = dmc.Group([
        dmc.TextInput(id="sites-search", placeholder=t("sites.filter.search", lang), w=220,
                      label=t("sites.filter.search_label", lang)),
        dmc.MultiSelect(id="sites-filter-township", label=t("sites.filter.township", lang),
                        data=_township_options(lang, townships), value=own, clearable=True, searchable=True, w=260,
                        placeholder=t("sites.filter.any", lang), nothingFoundMessage=t("sites.form.nothing", lang)),
        dmc.MultiSelect(id="sites-filter-status", label=t("sites.filter.status", lang), data=options["status"],
                        value=[], clearable=True, w=200, placeholder=t("sites.filter.any", lang)),
        dmc.MultiSelect(id="sites-filter-plate", label=t("sites.filter.plate", lang),
                        data=[{"value": p, "label": t(f"plate.{p}", lang)} for p in PLATES], value=[],
                        clearable=True, w=200, placeholder=t("sites.filter.any", lang)),
        dmc.Select(id="sites-filter-band", label=t("sites.filter.band", lang), data=_band_options(lang),
                   value="all", allowDeselect=False, w=190),
    ], align="flex-end", gap="md")

    actions = [
        dmc.Button(t("sites.export.csv", lang), id="sites-export-csv", variant="default", size="sm"),
        dmc.Button(t("sites.export.xlsx", lang), id="sites-export-xlsx", variant="default", size="sm"),
        dmc.Button(t("sites.template.download", lang), id="sites-template", variant="default", size="sm"),
    ]
    if editor:
        actions = [
            dmc.Button(t("sites.new", lang), id="sites-new", size="sm"),
            dmc.Button(t("sites.edit_selected", lang), id="sites-edit", size="sm", variant="light"),
            dcc.Upload(dmc.Button(t("sites.upload", lang), variant="light", size="sm"), id="sites-upload",
                       accept=".xlsx", multiple=False),
            *actions,
        ]

    return html.Div(
        [
            dmc.Group([
                dmc.Title(t("sites.title", lang), order=2),
                dmc.Text(t("sites.as_of", lang, date=format_date(today, lang)), c="dimmed", id="sites-as-of"),
            ], justify="space-between", align="baseline"),
            dmc.Paper([filters], withBorder=True, p="md", radius="md"),
            dmc.Group([
                dmc.Group([dmc.Text("", id="sites-count", size="sm", fw=500), near.controls("sites", lang)],
                          gap="sm"),
                dmc.Group(actions, gap="xs", visibleFrom="sm"),
            ], justify="space-between"),
            html.Div(id="sites-message"),
            dmc.Box(paged_grid("sites-grid", _column_defs(lang), lang, height="600px",
                               rowSelection={"mode": "singleRow", "checkboxes": False, "enableClickSelection": True}),
                    visibleFrom="sm"),
            dmc.Box(id="sites-cards", hiddenFrom="sm", className="site-cards"),
            phone_probe("sites"),
            dmc.Text(t("sites.rate_note", lang), size="xs", c="dimmed"),
            html.Div(id="sites-upload-result"),
            dcc.Download(id="sites-download"),
            dcc.Store(id="sites-refresh", data=0),
            dcc.Store(id="site-form-target", data=target),
            dmc.Drawer(
                _form(lang, options, values) if editor else [],
                id="site-form-drawer", opened=bool(initial), position="right", size="lg", padding="lg",
                title=dmc.Title(t("sites.form.edit_title" if initial else "sites.form.new_title", lang), order=3,
                                id="site-form-title"),
            ),
        ],
        className="page page-sites",
        style={"display": "flex", "flexDirection": "column", "gap": "12px"},
    )


# --------------------------------------------------------------------------- messages
def _display(name: str, value: Any, lang: str, township_names: dict[int, str]) -> str:
    if value is None or value == "":
        return "—"
    if name == "township_id":
        return township_names.get(int(value), str(value))
    if name == "site_type":
        return t(f"sites.type.{value}", lang)
    if name == "status":
        return t(f"sites.status.{value}", lang)
    if name == "coord_system":
        return t(f"sites.coord.{value}", lang)
    if name in ("longitude", "latitude"):
        return f"{float(value):.6f}"
    if name == "area_m2":
        return f"{float(value):,.0f}"
    if isinstance(value, dt.date):
        return format_date(value, lang)
    return str(value)


def _conflict_message(conflict: service.SiteConflict, loaded: dict[str, Any] | None, lang: str,
                      township_names: dict[int, str], tz):
    changes = analytics.fields_changed(loaded, conflict.current)
    who = conflict.changed_by
    lines = [
        dmc.ListItem(t("sites.conflict.change", lang, field=t(f"sites.field.{name}", lang),
                       old=_display(name, old, lang, township_names), new=_display(name, new, lang, township_names)))
        for name, (old, new) in changes.items()
    ]
    head = (t("sites.conflict.by", lang, user=who[0], time=format_datetime(who[1], lang, tz))
            if who else t("sites.conflict.someone", lang))
    return [
        dmc.Text(head),
        dmc.List(lines, size="sm", my="xs") if lines else None,
        dmc.Text(t("sites.conflict.kept", lang), size="sm"),
    ]


def _problem_table(problems, lang: str):
    rows = [{"row": p.row, "column": p.column or "", "reason": p.reason} for p in problems]
    columns = [
        {"field": "row", "headerName": t("sites.upload.col.row", lang), "width": 90},
        {"field": "column", "headerName": t("sites.upload.col.column", lang), "width": 160},
        {"field": "reason", "headerName": t("sites.upload.col.reason", lang), "flex": 1, **WRAPPED},
    ]
    return data_grid("sites-upload-errors", columns, rows, lang, height="320px", page_size=None)


def _export_frame(rows: list[dict], lang: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows or [], columns=EXPORT_COLUMNS)
    frame = frame.reindex(columns=EXPORT_COLUMNS)
    headers = {c: t(f"sites.col.{c}", lang) for c in EXPORT_COLUMNS}
    headers["rate"] += "(%)"  # the grid shows the percent sign; the file keeps numbers
    return frame.rename(columns=headers)


# --------------------------------------------------------------------------- callbacks
# What the search box looks in.
SEARCHED = ("code", "name", "township", "builder_unit", "contractor_unit", "address")


def _selected(townships, statuses, plates, band, search, position) -> tuple[list[dict], int]:
    """The grid rows the page's filters select (nearest first when a position is given), then
    those the search words all match; and how many the filters alone select."""
    lang = current_language()
    with read_session() as session:
        frame, _today = site_table(session, app_settings().tz)
    band = choice(band, ("all", *COMPLIANCE_BANDS, NO_RATE_BAND), "all")
    frame = filter_sites(frame, ids(townships), strings(statuses, STATUSES), strings(plates, PLATES),
                         None if band == "all" else band)
    here = position_from(position)
    if here is not None:
        frame = by_distance(frame, here)
    rows = grid_rows(frame, lang)
    words = search.lower().split() if isinstance(search, str) else []
    if words:
        rows_matching = [r for r in rows if all(w in " ".join(str(r.get(f) or "") for f in SEARCHED).lower()
                                                for w in words)]
        return rows_matching, len(rows)
    return rows, len(rows)


def register_callbacks(app: dash.Dash) -> None:
    near.register(app, "sites")

    filters = [("sites-filter-township", "value"), ("sites-filter-status", "value"), ("sites-filter-plate", "value"),
               ("sites-filter-band", "value"), ("sites-search", "value"), ("sites-near-position", "data")]

    @app.callback(
        Output("sites-grid", "getRowsResponse"),
        Output("sites-count", "children"),
        Input("sites-grid", "getRowsRequest"),
        *[State(*f) for f in filters],
    )
    def _rows_of(request, townships, statuses, plates, band, search, position):
        if not request:
            raise dash.exceptions.PreventUpdate
        rows, total = _selected(townships, statuses, plates, band, search, position)
        block = serve_rows(rows, request)
        return block, t("sites.count", current_language(), shown=block["rowCount"], total=total)

    refresh_on_change(app, "sites-grid", [*[Input(*f) for f in filters], Input("sites-refresh", "data")])

    @app.callback(Output("sites-grid", "columnDefs"), Input("sites-near-position", "data"),
                  prevent_initial_call=True)
    def _columns(position):
        # Columns only when the ordering changes: rebuilding them drops widths the user dragged.
        return _column_defs(current_language(), position_from(position) is not None)

    register_phone_probe(app, "sites")

    @app.callback(Output("sites-cards", "children"), *[Input(*f) for f in filters], Input("sites-refresh", "data"),
                  Input("sites-phone", "data"))
    def _cards(townships, statuses, plates, band, search, position, _refresh, phone):
        # A phone shows cards, not the grid: the first ones of the same selection.
        if phone is not True:
            return []
        rows, _total = _selected(townships, statuses, plates, band, search, position)
        return site_cards(rows, current_language())

    @app.callback(
        Output("sites-download", "data"),
        Input("sites-export-csv", "n_clicks"),
        Input("sites-export-xlsx", "n_clicks"),
        Input("sites-template", "n_clicks"),
        *[State(*f) for f in filters],
        State("sites-grid", "filterModel"),
        prevent_initial_call=True,
    )
    def _download(_csv, _xlsx, _template, townships, statuses, plates, band, search, position, column_filters):
        lang = current_language()
        trigger = dash.ctx.triggered_id
        stamp = dt.datetime.now(app_settings().tz).strftime("%Y%m%d")
        if trigger == "sites-template":
            return dcc.send_bytes(template_bytes(), f"{t('sites.template.file', lang)}.xlsx")
        # Every row the filters select, not only the block the grid holds.
        rows, _total = _selected(townships, statuses, plates, band, search, position)
        rows = serve_rows(rows, {"filterModel": column_filters, "endRow": len(rows)}, limit=None)["rowData"]
        frame = _export_frame(rows, lang)
        name = f"{t('sites.export.file', lang)}-{stamp}"
        if trigger == "sites-export-csv":
            return dcc.send_bytes(csv_bytes(frame), f"{name}.csv")
        return dcc.send_bytes(xlsx_bytes(frame, t("sites.export.sheet", lang)), f"{name}.xlsx")

    values_out = [Output(_input_id(name), "value") for name in FIELDS]
    errors_out = [Output(_input_id(name), "error") for name, kind in FORM if kind != "segment"]
    error_fields = [name for name, kind in FORM if kind != "segment"]

    @app.callback(
        Output("site-form-drawer", "opened"),
        Output("site-form-title", "children"),
        Output("site-form-target", "data"),
        Output("site-form-message", "hide"),
        Output(_input_id("township_id"), "data"),
        *values_out,
        *errors_out,
        Output("sites-message", "children"),
        Input("sites-new", "n_clicks"),
        Input("sites-edit", "n_clicks"),
        State("sites-grid", "selectedRows"),
        prevent_initial_call=True,
    )
    def _open_form(_new, _edit, selected):
        lang = current_language()
        no_errors = [""] * len(errors_out)
        if dash.ctx.triggered_id == "sites-edit":
            if not selected:
                keep = [dash.no_update] * (4 + len(values_out) + len(errors_out))
                return (False, *keep, dmc.Alert(t("sites.select_first", lang), color="yellow"))
            with read_session() as session:
                found = analytics.site_for_edit(session, int(selected[0]["id"]))
                if found is None:
                    raise dash.exceptions.PreventUpdate
                choices = district.township_choices(session, keep=found[0]["township_id"])
            loaded, version = found
            target = {"id": int(selected[0]["id"]), "version": version, "loaded": _jsonable(loaded),
                      "started_from": _jsonable(loaded)}
            values = form_values(loaded)
            title = t("sites.form.edit_title", lang)
        else:
            with read_session() as session:
                values = form_values(None, analytics.next_code(session))
                choices = district.township_choices(session)
            target = None
            title = t("sites.form.new_title", lang)
        return (True, title, target, True, _township_options(lang, choices), *[values.get(name) for name in FIELDS],
                *no_errors, None)

    @app.callback(Output("site-form-drawer", "opened", allow_duplicate=True),
                  Input("site-form-cancel", "n_clicks"), prevent_initial_call=True)
    def _cancel(_n):
        return False

    @app.callback(
        *[Output(_input_id(name), "error", allow_duplicate=True) for name in error_fields],
        Output("site-form-message", "children"),
        Output("site-form-message", "hide", allow_duplicate=True),
        Output("site-form-message", "color"),
        Output("site-form-target", "data", allow_duplicate=True),
        Output("site-form-drawer", "opened", allow_duplicate=True),
        Output("sites-refresh", "data"),
        Output("sites-message", "children", allow_duplicate=True),
        Input("site-form-save", "n_clicks"),
        State({"type": "site-form", "field": ALL}, "value"),
        State({"type": "site-form", "field": ALL}, "id"),
        State("site-form-target", "data"),
        State("sites-refresh", "data"),
        prevent_initial_call=True,
    )
    def _save(n_clicks, values, ids, target, refresh):
        lang = current_language()
        if not n_clicks:
            raise dash.exceptions.PreventUpdate
        keep = dash.no_update
        no_errors = [""] * len(error_fields)

        def fail(message, errors=None, color="red", new_target=keep):
            return (*(errors or no_errors), message, False, color, new_target, keep, keep, keep)

        entered = {i["field"]: v for i, v in zip(ids, values, strict=True)}
        settings = app_settings()
        with read_session() as session:
            townships = analytics.townships(session)
        township_names = dict(zip(townships["id"], townships["name" if lang == "zh" else "name_en"], strict=True))
        try:
            saved_name = service.save_site(settings, acting_user(), entered, target).name
        except service.InvalidSite as invalid:
            by_field: dict[str, str] = {}
            for issue in invalid.issues:
                by_field.setdefault(issue.field, t(issue.key, lang, **issue.params))
            return fail(t("sites.form.fix_errors", lang), [by_field.get(name, "") for name in error_fields])
        except service.SiteConflict as conflict:
            message = _conflict_message(conflict, target.get("loaded"), lang, township_names, settings.tz)
            # The user has now seen this version: saving again writes their edits over it.
            new_target = target | {"version": conflict.version, "loaded": _jsonable(conflict.current)}
            return fail(message, color="orange", new_target=new_target)
        except service.DuplicateCode:
            code = entered.get("code")
            errors = [t("sites.error.code_taken", lang, code=code) if n == "code" else "" for n in error_fields]
            return fail(t("sites.form.fix_errors", lang), errors)
        except service.SiteNotFound:
            return fail(t("sites.form.gone", lang))
        done = dmc.Alert(t("sites.form.saved", lang, name=saved_name), color="teal", withCloseButton=True,
                         id="sites-saved")
        return (*no_errors, "", True, "red", None, False, (refresh or 0) + 1, done)

    @app.callback(
        Output("sites-upload-result", "children"),
        Output("sites-refresh", "data", allow_duplicate=True),
        Input("sites-upload", "contents"),
        State("sites-upload", "filename"),
        State("sites-refresh", "data"),
        prevent_initial_call=True,
    )
    def _upload(contents, filename, refresh):
        lang = current_language()
        if not contents:
            raise dash.exceptions.PreventUpdate
        raw = upload_bytes(contents)
        try:
            _checked, result = service.import_sites(app_settings(), acting_user(), raw,
                                                    filename or "upload.xlsx", lang)
        except service.SitesRefused as refused:
            return html.Div([
                dmc.Alert(t("sites.upload.refused", lang, file=filename, n=len(refused.checked.problems)),
                          color="red", title=t("sites.upload.refused_title", lang), id="sites-upload-refused"),
                _problem_table(refused.checked.problems, lang),
            ], style={"display": "flex", "flexDirection": "column", "gap": "8px"}), dash.no_update
        text = t("sites.upload.done", lang, file=filename, added=len(result["added"]),
                 updated=len(result["updated"]), unchanged=len(result["unchanged"]))
        return dmc.Alert(text, color="teal", id="sites-upload-done", withCloseButton=True), (refresh or 0) + 1


dash.register_page(__name__, path="/sites", name="sites", title="工地管理", layout=layout)
