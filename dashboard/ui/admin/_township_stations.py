"""The stations tab's section 乡镇（街道）代表站点: which stations speak for each township's air,
as computed from the sites' coordinates or set by an admin (``services.township_stations``).

A row of the table is selected to load the township's stations into the form below it; the form
keeps the fingerprint of the stored rows it loaded, so a save over someone else's change is
refused by the service, not lost.
"""

from __future__ import annotations

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, dcc, html

from dashboard.analytics import township_air as analytics
from dashboard.auth import current_language
from dashboard.domain.errors import CodedError
from dashboard.domain.township_stations import MAX_DISTANCE_KM, MAX_STATIONS
from dashboard.i18n import t
from dashboard.i18n.formats import format_datetime
from dashboard.services import township_stations as service
from dashboard.ui.components.datagrid import WRAPPED, data_grid, locale_text
from dashboard.ui.data import acting_user, app_settings, read_session
from dashboard.ui.inputs import BadInput, int_or_none, rows

NO_UPDATE = dash.no_update
COLUMN = {"display": "flex", "flexDirection": "column", "gap": "10px"}


def _station_list(codes, infos, lang: str) -> str:
    names = [c if c not in infos else f"{infos[c].name}（{c}）" if lang == "zh" else f"{infos[c].name} ({c})"
             for c in codes]
    return ("、" if lang == "zh" else ", ").join(names)


def _km(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} km"


def _note(row: analytics.TownshipStations, infos, lang: str) -> str:
    if not row.stations and row.reason:
        return t(f"township_stations.reason.{row.reason}", lang, km=int(MAX_DISTANCE_KM))
    if row.source == "admin" and tuple(sorted(row.computed)) != tuple(sorted(row.stations)):
        if row.computed:
            return t("township_stations.computed_differs", lang, stations=_station_list(row.computed, infos, lang))
        return t(f"township_stations.reason.{row.reason}", lang, km=int(MAX_DISTANCE_KM)) if row.reason else ""
    return ""


def grid_rows(lang: str) -> list[dict]:
    with read_session() as session:
        table, infos = analytics.assignment_table(session)
    tz = app_settings().tz
    out = []
    for row in table:
        name = row.name if lang == "zh" or not row.name_en else row.name_en
        set_text = ""
        if row.set_at is not None:
            who = row.set_by or t("township_stations.command_line", lang)
            set_text = f"{who} · {format_datetime(row.set_at, lang, tz)}"
        out.append({
            "id": str(row.township_id), "token": row.token,
            "township": name + ("" if row.active else t("township_stations.retired", lang)),
            "stations": _station_list(row.stations, infos, lang) or "—",
            "codes": list(row.stations),
            "distance": "、".join(_km(row.distances.get(c)) for c in row.stations) if lang == "zh"
            else ", ".join(_km(row.distances.get(c)) for c in row.stations),
            "source": t(f"township_stations.source.{row.source}", lang), "source_key": row.source,
            "set": set_text,
            "sites": t("township_stations.sites", lang, active=row.active_sites, located=row.located_sites),
            "note": _note(row, infos, lang),
        })
    return out


def section(lang: str, no_stations: bool) -> dmc.Paper:
    columns = [
        {"field": "township", "headerName": t("township_stations.col.township", lang), "width": 170, "pinned": "left"},
        {"field": "stations", "headerName": t("township_stations.col.stations", lang), "flex": 2, "minWidth": 200,
         **WRAPPED},
        {"field": "distance", "headerName": t("township_stations.col.distance", lang), "width": 120},
        {"field": "source", "headerName": t("township_stations.col.source", lang), "width": 130,
         "cellStyle": {"styleConditions": [{"condition": "params.data.source_key === 'admin'",
                                            "style": {"color": "#1c7ed6", "fontWeight": 600}}]}},
        {"field": "sites", "headerName": t("township_stations.col.sites", lang), "width": 150},
        {"field": "note", "headerName": t("township_stations.col.note", lang), "flex": 2, "minWidth": 200, **WRAPPED},
        {"field": "set", "headerName": t("township_stations.col.set", lang), "width": 200},
    ]
    empty = [dmc.Alert(t("township_stations.no_stations", lang), color="yellow", id="adm-ts-no-stations")] \
        if no_stations else []
    form = dmc.Paper([
        dmc.Text(t("township_stations.form_idle", lang), id="adm-ts-form-title", fw=600),
        dmc.MultiSelect(id="adm-ts-stations", label=t("township_stations.choose", lang), data=[], value=[],
                        searchable=True, clearable=True, maxValues=MAX_STATIONS, disabled=True,
                        nothingFoundMessage="—"),
        dmc.Group([
            dmc.Button(t("township_stations.save", lang), id="adm-ts-save", disabled=True),
            dmc.Button(t("township_stations.reset", lang), id="adm-ts-reset", variant="default", disabled=True),
        ], gap="sm"),
        html.Div(id="adm-ts-message"),
        dcc.Store(id="adm-ts-selected"),
    ], withBorder=True, p="md", radius="md", bg="var(--mantine-color-gray-0)", style=COLUMN)
    return dmc.Paper([
        dmc.Title(t("township_stations.title", lang), order=4),
        dmc.Text(t("township_stations.explain", lang, km=int(MAX_DISTANCE_KM)), size="sm", c="dimmed"),
        *empty,
        dmc.Group([dmc.Button(t("township_stations.recompute", lang), id="adm-ts-recompute", variant="light")]),
        html.Div(id="adm-ts-recompute-message"),
        data_grid("adm-ts-grid", columns, grid_rows(lang), lang, height="420px", page_size=None,
                  row_id="params.data.id",
                  rowSelection={"mode": "singleRow", "checkboxes": False, "enableClickSelection": True},
                  localeText=locale_text(lang) | {"noRowsToShow": t("township_stations.grid_empty", lang)}),
        form,
    ], withBorder=True, p="md", radius="md", style=COLUMN)


# --------------------------------------------------------------------------- loading the form
def _form(township_id: int | None, lang: str):
    """(title, options, value, store, save disabled, reset disabled) for one township, fresh from
    the database (the selected row's data is as old as the selection)."""
    idle = (t("township_stations.form_idle", lang), [], [], None, True, True, True)
    if township_id is None:
        return idle
    with read_session() as session:
        table, _infos = analytics.assignment_table(session)
        row = next((r for r in table if r.township_id == township_id), None)
        if row is None:
            return idle
        options = analytics.station_options(session, township_id, keep=row.stations)
    name = row.name if lang == "zh" or not row.name_en else row.name_en
    data = [{"value": code, "label": (f"{label}（{code}）" if lang == "zh" else f"{label} ({code})")
             + (f" · {_km(km)}" if km is not None else "")} for code, label, km in options]
    return (t("township_stations.form_title", lang, name=name), data, list(row.stations),
            {"id": township_id, "token": row.token, "name": name}, False, False, False)


def _selected(value) -> tuple[int, str, str]:
    if not isinstance(value, dict):
        raise BadInput("township")
    township_id = int_or_none(value.get("id"))
    token, name = value.get("token"), value.get("name")
    if township_id is None or not isinstance(token, str) or not isinstance(name, str):
        raise BadInput("township")
    return township_id, token, name


def _codes(value) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadInput("stations")
    return value


def _conflict_text(exc: service.AssignmentConflict, name: str, lang: str) -> str:
    details = exc.details
    at = details.get("at")
    with read_session() as session:
        _table, infos = analytics.assignment_table(session)
    return t("township_stations.conflict", lang, name=name,
             by=details.get("by") or t("township_stations.conflict_someone", lang),
             time=format_datetime(at, lang, app_settings().tz) if at is not None else "—",
             stations=_station_list(details.get("current") or [], infos, lang) or "—")


# --------------------------------------------------------------------------- callbacks
def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output("adm-ts-form-title", "children"),
        Output("adm-ts-stations", "data"),
        Output("adm-ts-stations", "value"),
        Output("adm-ts-selected", "data"),
        Output("adm-ts-stations", "disabled"),
        Output("adm-ts-save", "disabled"),
        Output("adm-ts-reset", "disabled"),
        Input("adm-ts-grid", "selectedRows"),
        prevent_initial_call=True,
    )
    def _load(selected):
        selected = rows(selected)
        return _form(int_or_none(selected[0].get("id")) if selected else None, current_language())

    @app.callback(
        Output("adm-ts-message", "children"),
        Output("adm-ts-grid", "rowData"),
        Output("adm-ts-selected", "data", allow_duplicate=True),
        Output("adm-ts-stations", "value", allow_duplicate=True),
        Input("adm-ts-save", "n_clicks"),
        Input("adm-ts-reset", "n_clicks"),
        State("adm-ts-selected", "data"),
        State("adm-ts-stations", "value"),
        prevent_initial_call=True,
    )
    def _save_or_reset(_save, _reset, selected, codes):
        lang = current_language()
        trigger = dash.ctx.triggered_id
        if trigger not in ("adm-ts-save", "adm-ts-reset") or not (_save if trigger == "adm-ts-save" else _reset):
            raise dash.exceptions.PreventUpdate
        township_id, token, name = _selected(selected)
        try:
            if trigger == "adm-ts-save":
                stored = service.set_township_stations(app_settings(), acting_user(), township_id, _codes(codes),
                                                       seen=token)
            else:
                stored = service.reset_township_stations(app_settings(), acting_user(), township_id, seen=token)
        except service.InvalidDistrict as exc:
            text = " ".join(t(i.key, lang, **i.params) for i in exc.issues)
            return dmc.Alert(text, color="red", id="adm-ts-error"), NO_UPDATE, NO_UPDATE, NO_UPDATE
        except service.NotFound:
            return (dmc.Alert(t("township_stations.gone", lang), color="red", id="adm-ts-error"), grid_rows(lang),
                    None, [])
        except service.AssignmentConflict as exc:
            # The form now shows what is stored, with its fingerprint: a second save is deliberate.
            _title, _data, value, store, *_ = _form(township_id, lang)
            return (dmc.Alert(_conflict_text(exc, name, lang), color="orange", id="adm-ts-conflict"),
                    grid_rows(lang), store, value)
        except CodedError as exc:
            if exc.code != "version_missing":
                raise
            return (dmc.Alert(t("township_stations.version_missing", lang), color="red", id="adm-ts-error"),
                    NO_UPDATE, NO_UPDATE, NO_UPDATE)
        _title, _data, value, store, *_ = _form(township_id, lang)
        with read_session() as session:
            _table, infos = analytics.assignment_table(session)
        listed = _station_list(stored, infos, lang)
        if trigger == "adm-ts-save":
            text = t("township_stations.saved", lang, name=name, stations=listed)
        else:
            text = t("township_stations.reset_done", lang, name=name, stations=listed) if stored \
                else t("township_stations.reset_none", lang, name=name)
        return (dmc.Alert(text, color="teal", id="adm-ts-saved", withCloseButton=True), grid_rows(lang), store,
                value)

    @app.callback(
        Output("adm-ts-recompute-message", "children"),
        Output("adm-ts-grid", "rowData", allow_duplicate=True),
        Input("adm-ts-recompute", "n_clicks"),
        prevent_initial_call=True,
    )
    def _recompute(n_clicks):
        lang = current_language()
        if not n_clicks:
            raise dash.exceptions.PreventUpdate
        result = service.recompute_township_stations(app_settings(), acting_user())
        text = t("township_stations.recomputed", lang, changed=len(result["changed"]), kept=len(result["kept"]),
                 unchanged=len(result["unchanged"]))
        return dmc.Alert(text, color="teal", id="adm-ts-recomputed", withCloseButton=True), grid_rows(lang)
