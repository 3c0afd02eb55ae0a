"""Admin tab 辖区: the district's name, its townships (add, rename, kind, order, retire, Excel in
and out) and its responsible units (add, rename). Writes go through ``services.district``."""

from __future__ import annotations

import datetime as dt

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, dcc, html

from dashboard.analytics import district as analytics
from dashboard.auth import current_language
from dashboard.domain.district import ADDABLE_UNIT_KINDS, POSITION_MAX, TOWNSHIP_KINDS, UNIT_KINDS
from dashboard.i18n import t
from dashboard.ingest.townships_excel import export_rows, write_townships
from dashboard.services import district as service
from dashboard.ui.components.datagrid import WRAPPED, data_grid, locale_text
from dashboard.ui.data import acting_user, app_settings, read_session
from dashboard.ui.inputs import BadInput, int_or_none, rows, upload_bytes

ORDER = 20
KEY = "district"
NO_UPDATE = dash.no_update
COLUMN = {"display": "flex", "flexDirection": "column", "gap": "10px"}


def label(lang: str) -> str:
    return t("admin.district.tab", lang)


# --------------------------------------------------------------------------- rows
def _township_rows(lang: str) -> list[dict]:
    with read_session() as session:
        frame = analytics.townships(session)
    return [{
        "id": str(r.id), "position": int(r.position), "code": r.code, "name": r.name, "name_en": r.name_en,
        "kind": r.kind, "kind_label": t(f"district.kind.{r.kind}", lang) if r.kind in TOWNSHIP_KINDS else r.kind,
        "active": bool(r.active), "state": t(f"district.state.{'active' if r.active else 'retired'}", lang),
        "sites": t("admin.district.sites_count", lang, active=int(r.active_sites), all=int(r.sites)),
        "active_sites": int(r.active_sites),
        "users": int(r.users),
    } for r in frame.itertuples()]


def _unit_rows(lang: str) -> list[dict]:
    with read_session() as session:
        frame = analytics.units(session)
    return [{
        "id": str(r.id), "name": r.name, "name_en": r.name_en, "kind": r.kind,
        "kind_label": t(f"district.unit_kind.{r.kind}", lang) if r.kind in UNIT_KINDS else r.kind,
        "state": t(f"district.state.{'active' if r.township_active else 'retired'}", lang),
        "items": int(r.items),
    } for r in frame.itertuples()]


def _grid(grid_id: str, columns: list[dict], data: list[dict], lang: str, empty: str, height: str):
    return data_grid(grid_id, columns, data, lang, height=height, page_size=None, row_id="params.data.id",
                     rowSelection={"mode": "singleRow", "checkboxes": False, "enableClickSelection": True},
                     localeText=locale_text(lang) | {"noRowsToShow": empty})


# --------------------------------------------------------------------------- layout
def _name_section(lang: str) -> dmc.Paper:
    with read_session() as session:
        current = analytics.district_name(session)
    return dmc.Paper([
        dmc.Title(t("admin.district.name_title", lang), order=4),
        dmc.Text(t("admin.district.name_explain", lang), size="sm", c="dimmed"),
        dmc.Group([
            dmc.TextInput(id="adm-d-name", value=current, placeholder=t("admin.district.name_placeholder", lang),
                          w=280, **{"aria-label": t("admin.district.name_title", lang)}),
            dmc.Button(t("admin.district.save", lang), id="adm-d-name-save"),
        ], gap="sm", align="flex-end"),
        html.Div(id="adm-d-name-message"),
    ], withBorder=True, p="md", radius="md", style=COLUMN)


def _township_section(lang: str) -> dmc.Paper:
    columns = [
        {"field": "position", "headerName": t("admin.district.col.position", lang), "width": 100, "sort": "asc",
         "filter": False},
        {"field": "name", "headerName": t("admin.district.col.name", lang), "flex": 1, "minWidth": 150},
        {"field": "name_en", "headerName": t("admin.district.col.name_en", lang), "flex": 1, "minWidth": 170},
        {"field": "kind_label", "headerName": t("admin.district.col.kind", lang), "width": 140,
         "tooltipField": "kind_label"},
        {"field": "state", "headerName": t("admin.district.col.state", lang), "width": 100,
         "cellStyle": {"styleConditions": [{"condition": "params.data.active === false",
                                            "style": {"color": "#c92a2a", "fontWeight": 600}}]}},
        {"field": "sites", "headerName": t("admin.district.col.sites", lang), "width": 120},
        {"field": "users", "headerName": t("admin.district.col.users", lang), "width": 90},
        # Codes are for files and links: last, so a phone shows the names first.
        {"field": "code", "headerName": t("admin.district.col.code", lang), "width": 140},
    ]
    kinds = [{"value": k, "label": t(f"district.kind.{k}", lang)} for k in TOWNSHIP_KINDS]
    form = dmc.Paper([
        dmc.Title(t("admin.district.township_new", lang), order=5, id="adm-d-town-form-title"),
        dmc.SimpleGrid([
            dmc.TextInput(id="adm-d-town-name", label=t("admin.district.col.name", lang), withAsterisk=True),
            dmc.TextInput(id="adm-d-town-name-en", label=t("admin.district.col.name_en", lang)),
            dmc.Select(id="adm-d-town-kind", label=t("admin.district.col.kind", lang), data=kinds, value="street",
                       allowDeselect=False, withAsterisk=True),
            dmc.TextInput(id="adm-d-town-code", label=t("admin.district.col.code", lang),
                          description=t("admin.district.code_hint", lang)),
            dmc.NumberInput(id="adm-d-town-position", label=t("admin.district.col.position", lang), min=1,
                            max=POSITION_MAX, allowDecimal=False, allowNegative=False,
                            description=t("admin.district.position_hint", lang)),
        ], cols={"base": 1, "sm": 2, "lg": 3}, spacing="sm"),
        dmc.Group([
            dmc.Button(t("admin.district.save", lang), id="adm-d-town-save"),
            dmc.Button(t("admin.district.new", lang), id="adm-d-town-new", variant="default"),
        ], mt="sm", gap="sm"),
        html.Div(id="adm-d-town-message", style={"marginTop": "8px"}),
    ], withBorder=True, p="md", radius="md", bg="var(--mantine-color-gray-0)")
    actions = dmc.Group([
        dmc.Button(t("admin.district.up", lang), id="adm-d-town-up", variant="light", size="sm", disabled=True),
        dmc.Button(t("admin.district.down", lang), id="adm-d-town-down", variant="light", size="sm", disabled=True),
        dmc.Button(t("admin.district.retire", lang), id="adm-d-town-retire", variant="light", color="red",
                   size="sm", disabled=True),
        dmc.Button(t("admin.district.export", lang), id="adm-d-town-export", variant="default", size="sm"),
        dcc.Upload(dmc.Button(t("admin.district.import", lang), variant="default", size="sm"),
                   id="adm-d-town-upload", accept=".xlsx", multiple=False),
    ], gap="xs")
    return dmc.Paper([
        dmc.Title(t("admin.district.townships_title", lang), order=4),
        dmc.Text(t("admin.district.townships_explain", lang), size="sm", c="dimmed"),
        actions,
        html.Div(id="adm-d-town-action-message"),
        _grid("adm-d-townships-grid", columns, _township_rows(lang), lang,
              t("admin.district.townships_empty", lang), "380px"),
        html.Div(id="adm-d-town-import-result"),
        form,
        dcc.Store(id="adm-d-town-id"),
        dcc.Download(id="adm-d-town-download"),
    ], withBorder=True, p="md", radius="md", style=COLUMN)


def _unit_section(lang: str) -> dmc.Paper:
    columns = [
        {"field": "name", "headerName": t("admin.district.col.name", lang), "flex": 1, "minWidth": 170, **WRAPPED},
        {"field": "name_en", "headerName": t("admin.district.col.name_en", lang), "flex": 1, "minWidth": 170,
         **WRAPPED},
        {"field": "kind_label", "headerName": t("admin.district.col.unit_kind", lang), "width": 110},
        {"field": "state", "headerName": t("admin.district.col.state", lang), "width": 100},
        {"field": "items", "headerName": t("admin.district.col.items", lang), "width": 110},
    ]
    # A township's own unit comes with the township: shown, never chosen.
    kinds = [{"value": k, "label": t(f"district.unit_kind.{k}", lang), "disabled": k not in ADDABLE_UNIT_KINDS}
             for k in UNIT_KINDS]
    form = dmc.Paper([
        dmc.Title(t("admin.district.unit_new", lang), order=5, id="adm-d-unit-form-title"),
        dmc.SimpleGrid([
            dmc.TextInput(id="adm-d-unit-name", label=t("admin.district.col.name", lang), withAsterisk=True),
            dmc.TextInput(id="adm-d-unit-name-en", label=t("admin.district.col.name_en", lang)),
            dmc.Select(id="adm-d-unit-kind", label=t("admin.district.col.unit_kind", lang), data=kinds,
                       value="department", allowDeselect=False, withAsterisk=True),
        ], cols={"base": 1, "sm": 3}, spacing="sm"),
        dmc.Text("", id="adm-d-unit-hint", size="sm", c="dimmed", mt="xs"),
        dmc.Group([
            dmc.Button(t("admin.district.save", lang), id="adm-d-unit-save"),
            dmc.Button(t("admin.district.new", lang), id="adm-d-unit-new", variant="default"),
        ], mt="sm", gap="sm"),
        html.Div(id="adm-d-unit-message", style={"marginTop": "8px"}),
    ], withBorder=True, p="md", radius="md", bg="var(--mantine-color-gray-0)")
    return dmc.Paper([
        dmc.Title(t("admin.district.units_title", lang), order=4),
        dmc.Text(t("admin.district.units_explain", lang), size="sm", c="dimmed"),
        _grid("adm-d-units-grid", columns, _unit_rows(lang), lang, t("admin.district.units_empty", lang), "360px"),
        form,
        dcc.Store(id="adm-d-unit-id"),
    ], withBorder=True, p="md", radius="md", style=COLUMN)


def panel(lang: str) -> html.Div:
    return html.Div([_name_section(lang), _township_section(lang), _unit_section(lang)],
                    style={"display": "flex", "flexDirection": "column", "gap": "16px"})


# --------------------------------------------------------------------------- messages
def _saved(text: str, element_id: str) -> dmc.Alert:
    return dmc.Alert(text, color="teal", id=element_id, withCloseButton=True)


def _refused(exc: service.InvalidDistrict | service.NotFound, lang: str, element_id: str) -> dmc.Alert:
    if isinstance(exc, service.NotFound):
        text = t("admin.district.gone", lang)
    else:
        text = " ".join(t(i.key, lang, **i.params) for i in exc.issues)
    return dmc.Alert(text, color="red", id=element_id)


def _problem_table(problems, lang: str):
    data = [{"row": p.row, "column": p.column or "", "reason": p.reason} for p in problems]
    columns = [
        {"field": "row", "headerName": t("admin.district.problem.row", lang), "width": 80},
        {"field": "column", "headerName": t("admin.district.problem.column", lang), "width": 120},
        {"field": "reason", "headerName": t("admin.district.problem.reason", lang), "flex": 1, **WRAPPED},
    ]
    return data_grid("adm-d-town-import-errors", columns, data, lang, height="260px", page_size=None)


def _text(value) -> str:
    if value is not None and not isinstance(value, str):
        raise BadInput("text")
    return value or ""


# --------------------------------------------------------------------------- callbacks
def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output("adm-d-name-message", "children"),
        Input("adm-d-name-save", "n_clicks"),
        State("adm-d-name", "value"),
        prevent_initial_call=True,
    )
    def _save_name(n_clicks, name):
        lang = current_language()
        if not n_clicks:
            raise dash.exceptions.PreventUpdate
        try:
            saved = service.set_district_name(app_settings(), acting_user(), _text(name))
        except service.InvalidDistrict as exc:
            return _refused(exc, lang, "adm-d-name-error")
        return _saved(t("admin.district.name_saved", lang, name=saved) if saved
                      else t("admin.district.name_cleared", lang), "adm-d-name-saved")

    # ---- townships
    @app.callback(
        Output("adm-d-town-id", "data"),
        Output("adm-d-town-form-title", "children"),
        Output("adm-d-town-name", "value"),
        Output("adm-d-town-name-en", "value"),
        Output("adm-d-town-kind", "value"),
        Output("adm-d-town-code", "value"),
        Output("adm-d-town-code", "disabled"),
        Output("adm-d-town-position", "value"),
        Output("adm-d-town-retire", "children"),
        Output("adm-d-town-retire", "disabled"),
        Output("adm-d-town-up", "disabled"),
        Output("adm-d-town-down", "disabled"),
        Input("adm-d-townships-grid", "selectedRows"),
        Input("adm-d-town-new", "n_clicks"),
        prevent_initial_call=True,
    )
    def _load_township(selected, _new):
        lang = current_language()
        selected = rows(selected)
        if dash.ctx.triggered_id == "adm-d-town-new" or not selected:
            return (None, t("admin.district.township_new", lang), "", "", "street", "", False, "",
                    t("admin.district.retire", lang), True, True, True)
        row = selected[0]
        active = row.get("active") is not False
        return (int_or_none(row.get("id")), t("admin.district.township_edit", lang, name=row.get("name", "")),
                row.get("name"), row.get("name_en"), row.get("kind"), row.get("code"), True, row.get("position"),
                t("admin.district.retire" if active else "admin.district.restore", lang), False, False, False)

    @app.callback(
        Output("adm-d-town-message", "children"),
        Output("adm-d-townships-grid", "rowData"),
        Output("adm-d-units-grid", "rowData"),
        Output("adm-d-town-id", "data", allow_duplicate=True),
        Output("adm-d-town-position", "value", allow_duplicate=True),
        Input("adm-d-town-save", "n_clicks"),
        State("adm-d-town-id", "data"),
        State("adm-d-town-name", "value"),
        State("adm-d-town-name-en", "value"),
        State("adm-d-town-kind", "value"),
        State("adm-d-town-code", "value"),
        State("adm-d-town-position", "value"),
        prevent_initial_call=True,
    )
    def _save_township(n_clicks, township_id, name, name_en, kind, code, position):
        lang = current_language()
        if not n_clicks:
            raise dash.exceptions.PreventUpdate
        try:
            saved = service.save_township(
                app_settings(), acting_user(), township_id=int_or_none(township_id), name=_text(name),
                name_en=_text(name_en), kind=_text(kind), code=_text(code), position=int_or_none(position))
        except (service.InvalidDistrict, service.NotFound) as exc:
            return _refused(exc, lang, "adm-d-town-error"), NO_UPDATE, NO_UPDATE, NO_UPDATE, NO_UPDATE
        townships = _township_rows(lang)
        place = next((r["position"] for r in townships if r["id"] == str(saved)), None)
        return (_saved(t("admin.district.township_saved", lang, name=(name or "").strip()), "adm-d-town-saved"),
                townships, _unit_rows(lang), saved, place)

    @app.callback(
        Output("adm-d-town-action-message", "children"),
        Output("adm-d-townships-grid", "rowData", allow_duplicate=True),
        Output("adm-d-units-grid", "rowData", allow_duplicate=True),
        Output("adm-d-town-position", "value", allow_duplicate=True),
        Output("adm-d-town-retire", "children", allow_duplicate=True),
        Input("adm-d-town-up", "n_clicks"),
        Input("adm-d-town-down", "n_clicks"),
        Input("adm-d-town-retire", "n_clicks"),
        State("adm-d-townships-grid", "selectedRows"),
        State("adm-d-town-retire", "children"),
        prevent_initial_call=True,
    )
    def _move_or_retire(_up, _down, _retire, selected, button):
        lang = current_language()
        trigger = dash.ctx.triggered_id
        selected = rows(selected)
        if trigger is None or not selected:
            raise dash.exceptions.PreventUpdate
        row = selected[0]
        township_id = int_or_none(row.get("id"))
        # The selected row keeps the data it was selected with: the place comes from the store.
        stored = next((r for r in _township_rows(lang) if r["id"] == str(township_id)), None)
        if stored is None:
            return _refused(service.NotFound("not_found"), lang, "adm-d-town-action-error"), NO_UPDATE, \
                NO_UPDATE, NO_UPDATE, NO_UPDATE
        # What the button said when clicked decides, so a double click does not undo itself.
        active = button != t("admin.district.restore", lang)
        try:
            if trigger == "adm-d-town-retire":
                service.set_township_active(app_settings(), acting_user(), township_id, not active)
                sites = stored["active_sites"]
                message = (t("admin.district.retired_with_sites", lang, name=stored["name"], n=sites)
                           if active and sites else
                           t("admin.district.retired" if active else "admin.district.restored", lang,
                             name=stored["name"]))
            else:
                service.move_township(app_settings(), acting_user(), township_id,
                                      max(1, stored["position"] + (-1 if trigger == "adm-d-town-up" else 1)))
                message = None
        except (service.InvalidDistrict, service.NotFound) as exc:
            return _refused(exc, lang, "adm-d-town-action-error"), NO_UPDATE, NO_UPDATE, NO_UPDATE, NO_UPDATE
        townships = _township_rows(lang)
        now = next((r for r in townships if r["id"] == str(township_id)), None)
        button = t("admin.district.retire" if now is None or now["active"] else "admin.district.restore", lang)
        return (_saved(message, "adm-d-town-action-done") if message else None, townships, _unit_rows(lang),
                now["position"] if now else NO_UPDATE, button)

    @app.callback(
        Output("adm-d-town-download", "data"),
        Input("adm-d-town-export", "n_clicks"),
        prevent_initial_call=True,
    )
    def _export(n_clicks):
        if not n_clicks:
            raise dash.exceptions.PreventUpdate
        with read_session() as session:
            frame = analytics.townships(session)
        content = write_townships(export_rows(frame.to_dict("records")))
        stamp = dt.datetime.now(app_settings().tz).strftime("%Y%m%d")
        return dcc.send_bytes(content, f"{t('admin.district.export_file', current_language())}-{stamp}.xlsx")

    @app.callback(
        Output("adm-d-town-import-result", "children"),
        Output("adm-d-townships-grid", "rowData", allow_duplicate=True),
        Output("adm-d-units-grid", "rowData", allow_duplicate=True),
        Input("adm-d-town-upload", "contents"),
        State("adm-d-town-upload", "filename"),
        prevent_initial_call=True,
    )
    def _import(contents, filename):
        lang = current_language()
        if not contents:
            raise dash.exceptions.PreventUpdate
        name = filename if isinstance(filename, str) and filename else "upload.xlsx"
        try:
            result = service.import_townships(app_settings(), acting_user(), upload_bytes(contents), name, lang)
        except service.TownshipsRefused as refused:
            problems = refused.checked.problems
            return html.Div([
                dmc.Alert(t("admin.district.import_refused", lang, file=name, n=len(problems)), color="red",
                          title=t("admin.district.import_refused_title", lang), id="adm-d-town-import-refused"),
                _problem_table(problems, lang),
            ], style=COLUMN), NO_UPDATE, NO_UPDATE
        text = t("admin.district.import_done", lang, file=name, added=len(result["added"]),
                 updated=len(result["updated"]), unchanged=len(result["unchanged"]))
        return _saved(text, "adm-d-town-import-done"), _township_rows(lang), _unit_rows(lang)

    # ---- units
    @app.callback(
        Output("adm-d-unit-id", "data"),
        Output("adm-d-unit-form-title", "children"),
        Output("adm-d-unit-name", "value"),
        Output("adm-d-unit-name-en", "value"),
        Output("adm-d-unit-kind", "value"),
        Output("adm-d-unit-kind", "disabled"),
        Output("adm-d-unit-save", "disabled"),
        Output("adm-d-unit-hint", "children"),
        Input("adm-d-units-grid", "selectedRows"),
        Input("adm-d-unit-new", "n_clicks"),
        prevent_initial_call=True,
    )
    def _load_unit(selected, _new):
        lang = current_language()
        selected = rows(selected)
        if dash.ctx.triggered_id == "adm-d-unit-new" or not selected:
            return None, t("admin.district.unit_new", lang), "", "", "department", False, False, ""
        row = selected[0]
        own = row.get("kind") == "township"
        return (int_or_none(row.get("id")), t("admin.district.unit_edit", lang, name=row.get("name", "")),
                row.get("name"), row.get("name_en"), row.get("kind"), True, own,
                t("admin.district.township_unit_hint", lang) if own else "")

    @app.callback(
        Output("adm-d-unit-message", "children"),
        Output("adm-d-units-grid", "rowData", allow_duplicate=True),
        Output("adm-d-unit-id", "data", allow_duplicate=True),
        Input("adm-d-unit-save", "n_clicks"),
        State("adm-d-unit-id", "data"),
        State("adm-d-unit-name", "value"),
        State("adm-d-unit-name-en", "value"),
        State("adm-d-unit-kind", "value"),
        prevent_initial_call=True,
    )
    def _save_unit(n_clicks, unit_id, name, name_en, kind):
        lang = current_language()
        if not n_clicks:
            raise dash.exceptions.PreventUpdate
        unit_id = int_or_none(unit_id)
        try:
            if unit_id is None:
                unit_id = service.add_unit(app_settings(), acting_user(), name=_text(name), name_en=_text(name_en),
                                           kind=_text(kind))
            else:
                service.rename_unit(app_settings(), acting_user(), unit_id, name=_text(name), name_en=_text(name_en))
        except (service.InvalidDistrict, service.NotFound) as exc:
            return _refused(exc, lang, "adm-d-unit-error"), NO_UPDATE, NO_UPDATE
        return (_saved(t("admin.district.unit_saved", lang, name=(name or "").strip()), "adm-d-unit-saved"),
                _unit_rows(lang), unit_id)
