"""Admin tab 检查表: the "8个100%" checklist versions (the one in force today highlighted, each
with its items), loading the standard versions into a new database, and a new version taking
effect from a day: its items copied from an existing version, then relabelled, added, removed
and reordered.

Saving goes through ``services.checklists`` (admins only, audited); when a new version may
start is ``domain.checklist``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash
import dash_mantine_components as dmc
from dash import ALL, Input, Output, State, dcc, html

from dashboard.analytics.checklists import ChecklistOverview, checklist_overview
from dashboard.analytics.inspections import ChecklistView, checklist_by_id
from dashboard.auth import current_language
from dashboard.domain.checklist import InvalidChecklist, ItemDraft
from dashboard.i18n import t
from dashboard.i18n.formats import format_date
from dashboard.services import checklists as service
from dashboard.ui.data import acting_user, app_settings, read_session
from dashboard.ui.inputs import BadInput

ORDER = 40
KEY = "checklist"

HIDDEN = {"display": "none"}
SHOWN: dict[str, str] = {}
MOVES = ("up", "down", "remove")
STATE_COLOURS = {"in_force": "teal", "scheduled": "blue", "ended": "gray"}


def label(lang: str) -> str:
    return t("admin.checklist.tab", lang)


def _overview() -> ChecklistOverview:
    with read_session() as session:
        return checklist_overview(session, app_settings().tz)


def _name(version: ChecklistView, lang: str) -> str:
    return (version.name_en or version.name) if lang == "en" else version.name


def _state(version: ChecklistView, overview: ChecklistOverview) -> str:
    if version.id == overview.in_force_id:
        return "in_force"
    return "scheduled" if version.valid_from > overview.today else "ended"


def _period(version: ChecklistView, lang: str) -> str:
    if version.valid_to is None:
        return t("admin.checklist.from", lang, start=format_date(version.valid_from, lang))
    return t("admin.checklist.period", lang, start=format_date(version.valid_from, lang),
             end=format_date(version.valid_to, lang))


def _version_item(version: ChecklistView, overview: ChecklistOverview, lang: str) -> dmc.AccordionItem:
    state = _state(version, overview)
    items = [html.Li([
        html.Span(label_zh if lang == "zh" else (label_en or label_zh)),
        html.Span(f" · {label_en}" if lang == "zh" and label_en else "", className="admin-checklist-en"),
        dmc.Code(key, ml="xs"),
    ]) for key, _pos, label_zh, label_en in version.items]
    uses = overview.uses.get(version.id, 0)
    return dmc.AccordionItem([
        dmc.AccordionControl(dmc.Group([
            dmc.Text(_name(version, lang), fw=600),
            dmc.Badge(t(f"admin.checklist.state.{state}", lang), color=STATE_COLOURS[state],
                      variant="filled" if state == "in_force" else "light"),
            dmc.Text(_period(version, lang), size="sm", c="dimmed"),
        ], gap="sm", wrap="wrap")),
        dmc.AccordionPanel([
            dmc.Text(t("admin.checklist.meta", lang, code=version.code, n=len(version.items), uses=uses),
                     size="sm", c="dimmed"),
            dmc.Text(version.source, size="sm", c="dimmed") if version.source else None,
            html.Ol(items, className="admin-checklist-items"),
        ]),
    ], value=str(version.id), className=f"admin-checklist-version admin-checklist-{state}",
        id=f"admin-checklist-version-{version.id}")


def _version_list(overview: ChecklistOverview, lang: str) -> list:
    if not overview.versions:
        return []
    opened = [str(overview.in_force_id)] if overview.in_force_id else []
    return [dmc.Accordion([_version_item(v, overview, lang) for v in reversed(overview.versions)],
                          multiple=True, value=opened, variant="separated", id="admin-checklist-accordion")]


def _base_options(overview: ChecklistOverview, lang: str) -> list[dict]:
    return [{"value": str(v.id), "label": f"{_name(v, lang)} · {_period(v, lang)}"}
            for v in reversed(overview.versions)]


def _default_base(overview: ChecklistOverview) -> str | None:
    # A new version follows the newest one (it closes it), so that is the one to copy; it is
    # the version in force unless another is already scheduled.
    return str(overview.versions[-1].id) if overview.versions else None


def _row(index: int, key: str, label_zh: str, label_en: str, new: bool, last: bool, lang: str) -> html.Div:
    def part(kind: str, value: str, **extra) -> dmc.TextInput:
        return dmc.TextInput(id={"type": f"admin-checklist-{kind}", "index": index}, value=value,
                             label=t(f"admin.checklist.col.{kind}", lang), size="sm",
                             className=f"admin-checklist-{kind}", **extra)

    def move(kind: str, symbol: str, disabled: bool) -> dmc.ActionIcon:
        return dmc.ActionIcon(symbol, id={"type": f"admin-checklist-{kind}", "index": index}, variant="default",
                              size="lg", disabled=disabled, **{"aria-label": t(f"admin.checklist.{kind}", lang)})

    return html.Div([
        dmc.Text(str(index + 1), fw=600, className="admin-checklist-pos"),
        part("key", key, readOnly=not new, variant="default" if new else "filled",
             placeholder="dust_net" if new else None),
        part("label", label_zh),
        part("label-en", label_en),
        dmc.Group([move("up", "↑", index == 0), move("down", "↓", last), move("remove", "✕", False)],
                  gap=4, className="admin-checklist-moves"),
    ], className="admin-checklist-row")


def _rows(items: list[dict[str, Any]], lang: str) -> list:
    if not items:
        return [dmc.Text(t("admin.checklist.no_items", lang), size="sm", c="dimmed", id="admin-checklist-no-items")]
    return [_row(i, it["key"], it["label"], it["label_en"], it["new"], i == len(items) - 1, lang)
            for i, it in enumerate(items)]


def _items_of(version_id: int | None) -> list[dict[str, Any]]:
    if version_id is None:
        return []
    with read_session() as session:
        version = checklist_by_id(session, version_id)
    if version is None:
        return []
    return [{"key": key, "label": zh, "label_en": en, "new": False} for key, _pos, zh, en in version.items]


def panel(lang: str) -> html.Div:
    overview = _overview()
    has_versions = bool(overview.versions)
    base = _default_base(overview)
    empty = dmc.Alert([
        dmc.Text(t("admin.checklist.empty", lang), size="sm"),
        dmc.Button(t("admin.checklist.load", lang), id="admin-checklist-load", mt="sm"),
    ], title=t("admin.checklist.empty_title", lang), color="yellow", id="admin-checklist-empty",
        style=HIDDEN if has_versions else SHOWN)
    form = dmc.Paper([
        dmc.Title(t("admin.checklist.new_title", lang), order=4),
        dmc.Text(t("admin.checklist.new_explain", lang), size="sm", c="dimmed", mb="sm"),
        dmc.SimpleGrid([
            dmc.Select(id="admin-checklist-base", label=t("admin.checklist.base", lang),
                       data=_base_options(overview, lang), value=base, allowDeselect=False),
            dmc.DatePickerInput(id="admin-checklist-from", label=t("admin.checklist.valid_from", lang),
                                value=overview.earliest.isoformat(), minDate=overview.earliest.isoformat(),
                                valueFormat="YYYY年M月D日" if lang == "zh" else "D MMM YYYY",
                                description=t("admin.checklist.valid_from_help", lang,
                                              date=format_date(overview.earliest, lang)),
                                popoverProps={"withinPortal": True}),
            dmc.TextInput(id="admin-checklist-name", label=t("admin.checklist.name", lang), required=True,
                          placeholder=t("admin.checklist.name_placeholder", lang)),
            dmc.TextInput(id="admin-checklist-name-en", label=t("admin.checklist.name_en", lang)),
            dmc.TextInput(id="admin-checklist-source", label=t("admin.checklist.source", lang),
                          placeholder=t("admin.checklist.source_placeholder", lang)),
        ], cols={"base": 1, "sm": 2}, spacing="md", verticalSpacing="sm"),
        dmc.Text(t("admin.checklist.items_title", lang), fw=600, mt="md", mb=4),
        dmc.Text(t("admin.checklist.items_help", lang), size="xs", c="dimmed", mb="xs"),
        html.Div(_rows(_items_of(int(base) if base else None), lang), id="admin-checklist-rows"),
        dmc.Group([
            dmc.Button(t("admin.checklist.add", lang), id="admin-checklist-add", variant="default"),
            dmc.Button(t("admin.checklist.save", lang), id="admin-checklist-save"),
        ], mt="md"),
        html.Div(id="admin-checklist-message", style={"marginTop": "8px"}),
    ], withBorder=True, p="md", radius="md", id="admin-checklist-form", style=SHOWN if has_versions else HIDDEN)
    return html.Div([
        dmc.Text(t("admin.checklist.explain", lang), size="sm", c="dimmed"),
        empty,
        html.Div(id="admin-checklist-load-message"),
        html.Div(_version_list(overview, lang), id="admin-checklist-list"),
        form,
        dcc.Store(id="admin-checklist-refresh", data=0),
    ], style={"display": "flex", "flexDirection": "column", "gap": "12px"})


def _typed_rows(ids: Any, keys: Any, labels: Any, labels_en: Any, read_only: Any) -> list[dict[str, Any]]:
    """The rows as the form holds them (in page order), checked: they come from the browser.
    A kept item's key is read-only; a new item's is typed."""
    columns = [ids, keys, labels, labels_en, read_only]
    if not all(isinstance(c, list) for c in columns) or len({len(c) for c in columns}) != 1:
        raise BadInput("checklist rows")
    rows = []
    for key, label_zh, label_en, kept in zip(keys, labels, labels_en, read_only, strict=True):
        if not all(isinstance(v, (str, type(None))) for v in (key, label_zh, label_en)):
            raise BadInput("checklist rows")
        rows.append({"key": key or "", "label": label_zh or "", "label_en": label_en or "", "new": not kept})
    return rows


def _base_id(value: Any) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _day(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _refusal(exc: InvalidChecklist, lang: str) -> dmc.Alert:
    details = dict(exc.details)
    if "earliest" in details:
        details["earliest"] = format_date(dt.date.fromisoformat(details["earliest"]), lang)
    return dmc.Alert(t(f"admin.checklist.error.{exc.code}", lang, **details), color="red",
                     id="admin-checklist-error")


def _row_states() -> list[State]:
    return [State({"type": "admin-checklist-key", "index": ALL}, "id"),
            State({"type": "admin-checklist-key", "index": ALL}, "value"),
            State({"type": "admin-checklist-label", "index": ALL}, "value"),
            State({"type": "admin-checklist-label-en", "index": ALL}, "value"),
            State({"type": "admin-checklist-key", "index": ALL}, "readOnly")]


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output("admin-checklist-load-message", "children"),
        Output("admin-checklist-refresh", "data"),
        Input("admin-checklist-load", "n_clicks"),
        State("admin-checklist-refresh", "data"),
        prevent_initial_call=True,
    )
    def _load_standard(n_clicks, refresh):
        lang = current_language()
        if not n_clicks:
            raise dash.exceptions.PreventUpdate
        added = service.load_standard_checklists(app_settings(), acting_user())
        text = t("admin.checklist.loaded", lang, n=len(added)) if added else t("admin.checklist.not_loaded", lang)
        return (dmc.Alert(text, color="teal" if added else "gray", id="admin-checklist-loaded"),
                (refresh if isinstance(refresh, int) else 0) + 1)

    @app.callback(
        Output("admin-checklist-list", "children"),
        Output("admin-checklist-empty", "style"),
        Output("admin-checklist-form", "style"),
        Output("admin-checklist-base", "data"),
        Output("admin-checklist-base", "value"),
        Output("admin-checklist-from", "minDate"),
        Output("admin-checklist-from", "value"),
        Output("admin-checklist-from", "description"),
        Input("admin-checklist-refresh", "data"),
        prevent_initial_call=True,
    )
    def _render(_refresh):
        lang = current_language()
        overview = _overview()
        has_versions = bool(overview.versions)
        earliest = overview.earliest.isoformat()
        return (_version_list(overview, lang), HIDDEN if has_versions else SHOWN, SHOWN if has_versions else HIDDEN,
                _base_options(overview, lang), _default_base(overview), earliest, earliest,
                t("admin.checklist.valid_from_help", lang, date=format_date(overview.earliest, lang)))

    @app.callback(
        Output("admin-checklist-rows", "children"),
        Input("admin-checklist-base", "value"),
        Input("admin-checklist-add", "n_clicks"),
        Input({"type": "admin-checklist-up", "index": ALL}, "n_clicks"),
        Input({"type": "admin-checklist-down", "index": ALL}, "n_clicks"),
        Input({"type": "admin-checklist-remove", "index": ALL}, "n_clicks"),
        *_row_states(),
        prevent_initial_call=True,
    )
    def _edit_rows(base, _add, _up, _down, _remove, ids, keys, labels, labels_en, read_only):
        lang = current_language()
        trigger = dash.ctx.triggered_id
        if trigger == "admin-checklist-base":
            return _rows(_items_of(_base_id(base)), lang)
        if not dash.ctx.triggered or not dash.ctx.triggered[0].get("value"):
            raise dash.exceptions.PreventUpdate  # a button just drawn, not clicked
        rows = _typed_rows(ids, keys, labels, labels_en, read_only)
        if trigger == "admin-checklist-add":
            rows.append({"key": "", "label": "", "label_en": "", "new": True})
            return _rows(rows, lang)
        if not isinstance(trigger, dict) or trigger.get("type") not in {f"admin-checklist-{m}" for m in MOVES}:
            raise dash.exceptions.PreventUpdate
        index = trigger.get("index")
        if not isinstance(index, int) or not 0 <= index < len(rows):
            raise BadInput("checklist row")
        move = trigger["type"].removeprefix("admin-checklist-")
        if move == "remove":
            rows.pop(index)
        else:
            other = index - 1 if move == "up" else index + 1
            if not 0 <= other < len(rows):
                raise dash.exceptions.PreventUpdate
            rows[index], rows[other] = rows[other], rows[index]
        return _rows(rows, lang)

    @app.callback(
        Output("admin-checklist-message", "children"),
        Output("admin-checklist-refresh", "data", allow_duplicate=True),
        Output("admin-checklist-name", "value"),
        Output("admin-checklist-name-en", "value"),
        Output("admin-checklist-source", "value"),
        Input("admin-checklist-save", "n_clicks"),
        State("admin-checklist-from", "value"),
        State("admin-checklist-name", "value"),
        State("admin-checklist-name-en", "value"),
        State("admin-checklist-source", "value"),
        State("admin-checklist-refresh", "data"),
        *_row_states(),
        prevent_initial_call=True,
    )
    def _save(n_clicks, valid_from, name, name_en, source, refresh, ids, keys, labels, labels_en, read_only):
        lang = current_language()
        if not n_clicks:
            raise dash.exceptions.PreventUpdate
        rows = _typed_rows(ids, keys, labels, labels_en, read_only)
        items = [ItemDraft(r["key"], r["label"], r["label_en"]) for r in rows]
        try:
            saved = service.create_checklist_version(app_settings(), acting_user(), valid_from=_day(valid_from),
                                                     name=name, name_en=name_en, items=items, source=source)
        except InvalidChecklist as exc:
            return _refusal(exc, lang), dash.no_update, dash.no_update, dash.no_update, dash.no_update
        text = t("admin.checklist.saved", lang, start=format_date(saved.valid_from, lang))
        if saved.closed_valid_to is not None:
            text += t("admin.checklist.saved_closing", lang, end=format_date(saved.closed_valid_to, lang))
        return (dmc.Alert(text, color="teal", id="admin-checklist-saved"),
                (refresh if isinstance(refresh, int) else 0) + 1, "", "", "")
