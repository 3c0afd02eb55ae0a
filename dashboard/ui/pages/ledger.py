"""The task ledger (任务台账): every action item, filterable by unit, status and meeting; overdue
rows highlighted; status changed in the grid (with the version the user saw, so a concurrent
change is refused and explained), verify-close by an editor, history and evidence in a drawer,
and the Excel export staff already use.

Who may write: inspectors the items of their own township's unit, editors and admins all;
``services.ledger`` checks that and the rules (``domain.ledger``). A move back (reopen) asks for
a reason first.
"""

from __future__ import annotations

import datetime as dt
import io

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, dcc, html

from dashboard.analytics import meetings as analytics
from dashboard.analytics import today as dashboard_today
from dashboard.auth import current_language
from dashboard.domain import ledger as rules
from dashboard.i18n import t
from dashboard.i18n.formats import format_datetime
from dashboard.services import ledger as service
from dashboard.services.access import Forbidden
from dashboard.ui.components.datagrid import WRAPPED, paged_grid, refresh_on_change, serve_rows
from dashboard.ui.components.empty import when_empty
from dashboard.ui.components.meeting_parts import meeting_name, meeting_short, status_label, unit_name
from dashboard.ui.data import acting_user, app_settings, read_session
from dashboard.ui.inputs import BadInput, choice, int_or_none
from dashboard.ui.inputs import rows as selected_rows


def _rows(frame, lang: str) -> list[dict]:
    rows = []
    for r in frame.itertuples():
        rows.append(
            {
                # A string id: AG Grid keys rows by strings (getRowId).
                "id": str(r.id),
                "version": int(r.version),
                "meeting_number": int(r.meeting_number),
                "meeting": meeting_short(int(r.meeting_number), lang),
                "seq": int(r.seq),
                "task": r.task,
                "measures": r.measures or "",
                "unit": unit_name(r.responsible_unit, r.responsible_unit_en, lang),
                "lead": unit_name(r.lead_department, r.lead_department_en, lang)
                if isinstance(r.lead_department, str)
                else "",
                "deadline": r.deadline.isoformat(),
                "status": r.status,
                "status_label": status_label(r.status, lang),
                "days_overdue": int(r.days_overdue),
                "carried": int(r.carried),
                "evidence": len(r.evidence or []),
            }
        )
    return rows


def _ledger(session, lang: str, unit=None, status=None, meeting=None, overdue_only=False) -> list[dict]:
    tz = app_settings().tz
    frame = analytics.filter_ledger(
        analytics.ledger_now(session, dashboard_today(session, tz), tz), unit, status, meeting, overdue_only
    )
    if frame.empty:
        return []
    frame = frame.sort_values(["days_overdue", "meeting_number", "seq"], ascending=[False, False, True])
    return _rows(frame, lang)


def _row(session, item_id: int, lang: str) -> dict | None:
    item = analytics.ledger_item(session, item_id)
    if item is None:
        return None
    tz = app_settings().tz
    frame = analytics.ledger_table(session, dashboard_today(session, tz), tz, [item.meeting_id])
    rows = _rows(frame[frame["id"] == item_id], lang)
    return rows[0] if rows else None


def _columns(lang: str, editable: bool) -> list[dict]:
    labels = [status_label(s, lang) for s in rules.STATUSES]
    # What a meeting asks first (task, unit, deadline, status, lateness) comes first; the long
    # measures column is further right, reached by scrolling.
    return [
        {
            "field": "meeting",
            "headerName": t("ledger.col.meeting", lang),
            "width": 118,
            "pinned": "left",
            "filter": "agTextColumnFilter",
        },
        {"field": "seq", "headerName": t("ledger.col.seq", lang), "width": 66},
        {
            "field": "task",
            "headerName": t("ledger.col.task", lang),
            "flex": 2,
            "minWidth": 240,
            "filter": "agTextColumnFilter",
            **WRAPPED,
        },
        {
            "field": "unit",
            "headerName": t("ledger.col.unit", lang),
            "width": 150,
            "filter": "agTextColumnFilter",
            **WRAPPED,
        },
        {"field": "deadline", "headerName": t("ledger.col.deadline", lang), "width": 110},
        {
            "field": "status_label",
            "headerName": t("ledger.col.status", lang),
            "width": 112,
            "editable": editable,
            "cellEditor": "agSelectCellEditor",
            "cellEditorParams": {"values": labels},
            "cellClass": "ledger-status-cell",
        },
        {
            "field": "days_overdue",
            "headerName": t("ledger.col.overdue", lang),
            "width": 96,
            "type": "numericColumn",
            "cellClassRules": {"ledger-overdue-days": "params.value > 0"},
        },
        {"field": "carried", "headerName": t("ledger.col.carried", lang), "width": 96, "type": "numericColumn"},
        {"field": "evidence", "headerName": t("ledger.col.evidence", lang), "width": 96, "type": "numericColumn"},
        {
            "field": "lead",
            "headerName": t("ledger.col.lead", lang),
            "width": 150,
            "filter": "agTextColumnFilter",
            **WRAPPED,
        },
        {
            "field": "measures",
            "headerName": t("ledger.col.measures", lang),
            "flex": 2,
            "minWidth": 260,
            "filter": "agTextColumnFilter",
            **WRAPPED,
        },
    ]


@when_empty("action_items", "empty.ledger", [("empty.meetings.new", "/meetings/new")], "empty.ledger.command",
            link_role="editor")
def layout(**_query):
    lang = current_language()
    actor = acting_user()
    can_write, is_editor = actor.at_least("inspector"), actor.at_least("editor")
    with read_session() as session:
        units = analytics.units(session)
        meetings = analytics.meeting_dates(session)
    unit_options = [{"value": str(u.id), "label": unit_name(u.name, u.name_en, lang)} for u in units]
    status_options = [{"value": "not_closed", "label": t("ledger.filter.not_closed", lang)}] + [
        {"value": s, "label": status_label(s, lang)} for s in rules.STATUSES
    ]
    meeting_options = [{"value": str(number), "label": meeting_name(number, lang)} for number, _at in meetings]
    return html.Div(
        [
            dcc.Store(id="ledger-pending"),
            dcc.Store(id="ledger-updated"),
            dcc.Store(id="ledger-updated-shown"),
            dcc.Download(id="ledger-download"),
            dmc.Group(
                [
                    dmc.Title(t("ledger.title", lang), order=2),
                    dmc.Button(t("ledger.export", lang), id="ledger-export", variant="light"),
                ],
                justify="space-between",
            ),
            dmc.Text("", size="sm", c="dimmed", id="ledger-count"),
            dmc.Group(
                [
                    dmc.Select(
                        id="ledger-filter-unit",
                        data=unit_options,
                        placeholder=t("ledger.filter.unit", lang),
                        searchable=True,
                        clearable=True,
                        w=200,
                    ),
                    dmc.Select(
                        id="ledger-filter-status",
                        data=status_options,
                        placeholder=t("ledger.filter.status", lang),
                        clearable=True,
                        w=170,
                    ),
                    dmc.Select(
                        id="ledger-filter-meeting",
                        data=meeting_options,
                        placeholder=t("ledger.filter.meeting", lang),
                        searchable=True,
                        clearable=True,
                        w=170,
                    ),
                    dmc.Checkbox(id="ledger-filter-overdue", label=t("ledger.filter.overdue", lang)),
                ],
                gap="sm",
            ),
            dmc.Group(
                [
                    dmc.Button(
                        t("ledger.verify", lang),
                        id="ledger-verify",
                        color="green",
                        disabled=not is_editor,
                        variant="filled",
                    ),
                    dmc.Button(t("ledger.history", lang), id="ledger-history", variant="light"),
                    dmc.Text(
                        t("ledger.select_hint", lang) if can_write else t("ledger.read_only", lang),
                        size="xs",
                        c="dimmed",
                    ),
                ],
                gap="sm",
            ),
            html.Div(id="ledger-message"),
            paged_grid(
                "ledger-grid",
                _columns(lang, can_write),
                lang,
                height="62vh",
                no_rows=t("ledger.grid.noRowsToShow", lang),
                class_name="ag-theme-quartz",
                row_id="params.data.id",
                filter_all=False,
                row_class_rules={
                    "ledger-row-overdue": "params.data && params.data.days_overdue > 0",
                    "ledger-row-verified": "params.data && params.data.status == 'verified'",
                },
                rowSelection={"mode": "singleRow", "checkboxes": False, "enableClickSelection": True},
                stopEditingWhenCellsLoseFocus=True,
                singleClickEdit=False,
            ),
            dmc.Modal(
                id="ledger-reopen",
                title=t("ledger.reopen.title", lang),
                children=[
                    dmc.Text(id="ledger-reopen-text", size="sm"),
                    dmc.Textarea(
                        id="ledger-reopen-reason", label=t("ledger.reopen.reason", lang), autosize=True, minRows=2
                    ),
                    dmc.Group(
                        [
                            dmc.Button(t("ledger.reopen.confirm", lang), id="ledger-reopen-confirm", color="orange"),
                            dmc.Button(t("ledger.reopen.cancel", lang), id="ledger-reopen-cancel", variant="subtle"),
                        ],
                        justify="flex-end",
                        mt="sm",
                    ),
                ],
            ),
            dmc.Drawer(
                id="ledger-drawer",
                title=t("ledger.history", lang),
                position="right",
                size="lg",
                children=[
                    html.Div(id="ledger-drawer-body"),
                    dmc.Divider(my="sm"),
                    dmc.Text(t("ledger.evidence.add", lang), fw=600, size="sm"),
                    dmc.Group(
                        [
                            dmc.Select(
                                id="ledger-evidence-kind",
                                value="link",
                                allowDeselect=False,
                                w=130,
                                data=[
                                    {"value": k, "label": t(f"ledger.evidence.kind.{k}", lang)}
                                    for k in rules.EVIDENCE_KINDS
                                ],
                            ),
                            dmc.TextInput(
                                id="ledger-evidence-ref", placeholder=t("ledger.evidence.ref", lang), style={"flex": 1}
                            ),
                        ],
                        gap="xs",
                    ),
                    dmc.TextInput(id="ledger-evidence-label", placeholder=t("ledger.evidence.label", lang), mt="xs"),
                    dmc.Button(
                        t("ledger.evidence.save", lang),
                        id="ledger-evidence-save",
                        size="xs",
                        mt="xs",
                        disabled=not can_write,
                    ),
                    html.Div(id="ledger-evidence-message"),
                ],
            ),
        ],
        className="page page-ledger",
        style={"display": "flex", "flexDirection": "column", "gap": "12px"},
    )


# --------------------------------------------------------------------------- helpers of the callbacks
def _error_text(exc: service.LedgerError | Forbidden, lang: str, attempted: str | None = None) -> str:
    if isinstance(exc, service.LedgerConflict):
        current = exc.current or {}
        return t(
            "ledger.error.conflict",
            lang,
            attempted=attempted or "—",
            current=status_label(current.get("status", "open"), lang),
        )
    return t(f"ledger.error.{exc.code}", lang)


def _history_body(session, item_id: int, lang: str):
    tz = app_settings().tz
    item = analytics.ledger_item(session, item_id)
    if item is None:
        return dmc.Text(t("ledger.error.not_found", lang))
    entries = []
    for h in analytics.ledger_history(session, item_id):
        old, new = h["old"], h["new"]
        if h["field"] == "status":
            old = status_label(old, lang) if old else "—"
            new = status_label(new, lang) if new else "—"
        elif h["field"] in ("done_at", "verified_at"):
            old = format_datetime(dt.datetime.fromisoformat(old), lang, tz) if old else "—"
            new = format_datetime(dt.datetime.fromisoformat(new), lang, tz) if new else "—"
        entries.append(
            dmc.TimelineItem(
                title=t(f"ledger.field.{h['field']}", lang) if h["field"] in FIELDS else h["field"],
                children=[
                    dmc.Text(
                        f"{old or '—'} → {new or '—'}" if h["field"] not in ("reason", "evidence") else (new or ""),
                        size="sm",
                    ),
                    dmc.Text(
                        f"{format_datetime(h['at'], lang, tz)} · {h['user'] or t('ledger.system', lang)}",
                        size="xs",
                        c="dimmed",
                    ),
                ],
            )
        )
    evidence = []
    for e in item.evidence or []:
        label = e.get("label") or e.get("ref")
        kind = (
            t(f"ledger.evidence.kind.{e.get('kind')}", lang) if e.get("kind") in rules.EVIDENCE_KINDS else e.get("kind")
        )
        if e.get("kind") == "link":
            evidence.append(
                html.Li([f"{kind}: ", html.A(label, href=e["ref"], target="_blank", rel="noopener noreferrer")])
            )
        elif e.get("kind") == "inspection" and str(e.get("ref", "")).isdigit():
            evidence.append(html.Li([f"{kind}: ", dcc.Link(label, href=f"/inspections/{e['ref']}")]))
        else:
            evidence.append(html.Li(f"{kind}: {label}"))
    return html.Div(
        [
            dmc.Text(f"{meeting_name(item.meeting.number, lang)} · {t('ledger.col.seq', lang)} {item.seq}", fw=700),
            dmc.Text(item.task, size="sm"),
            dmc.Text(t("ledger.evidence.title", lang), fw=600, size="sm", mt="sm"),
            html.Ul(evidence, id="ledger-evidence-list")
            if evidence
            else dmc.Text(t("ledger.evidence.none", lang), size="sm", c="dimmed"),
            dmc.Text(t("ledger.history_title", lang), fw=600, size="sm", mt="sm"),
            dmc.Timeline(entries, active=0, bulletSize=12, lineWidth=2, id="ledger-history-list"),
        ],
        **{"data-item": str(item_id)},
    )


# The meeting column shows "第N次"; it sorts by the meeting's number.
SORT_FIELDS = {"meeting": "meeting_number"}

FIELDS = {
    "status",
    "done_at",
    "verified_at",
    "verified_by_id",
    "reason",
    "evidence",
    "task",
    "measures",
    "responsible_unit_id",
    "lead_department_id",
    "deadline",
}


def _filters(unit, status, meeting, overdue_only) -> tuple[int | None, str | None, int | None, bool]:
    """The filter controls' values, checked (they come from the browser)."""
    return (int_or_none(unit), choice(status, ("not_closed", *rules.STATUSES)), int_or_none(meeting),
            bool(overdue_only))


def _change_event(event) -> dict | None:
    """dash-ag-grid sends a list of changes (one per edited cell); the grid edits one at a time."""
    if isinstance(event, list):
        event = event[-1] if event else None
    if event is not None and (not isinstance(event, dict) or not isinstance(event.get("data") or {}, dict)):
        raise BadInput("cell change")
    return event


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output("ledger-grid", "getRowsResponse"),
        Output("ledger-count", "children"),
        Input("ledger-grid", "getRowsRequest"),
        State("ledger-filter-unit", "value"),
        State("ledger-filter-status", "value"),
        State("ledger-filter-meeting", "value"),
        State("ledger-filter-overdue", "checked"),
    )
    def _rows_of(request, unit, status, meeting, overdue_only):
        if not request:
            raise dash.exceptions.PreventUpdate
        lang = current_language()
        with read_session() as session:
            rows = _ledger(session, lang, *_filters(unit, status, meeting, overdue_only))
        block = serve_rows(rows, request, sort_fields=SORT_FIELDS)
        return block, t("ledger.explain", lang, n=len(rows), overdue=sum(1 for r in rows if r["days_overdue"] > 0))

    refresh_on_change(app, "ledger-grid", [Input("ledger-filter-unit", "value"), Input("ledger-filter-status", "value"),
                                           Input("ledger-filter-meeting", "value"),
                                           Input("ledger-filter-overdue", "checked")])

    # An edited row is put back in the grid from what is stored (the infinite row model takes no
    # transactions: the loaded row node is given its new data).
    app.clientside_callback(
        """function(rows) {
            const api = window.dash_ag_grid && window.dash_ag_grid.getApi('ledger-grid');
            (rows || []).forEach(function(row) {
                const node = api && api.getRowNode(String(row.id));
                if (node) { node.setData(row); }
            });
            return window.dash_clientside.no_update;
        }""",
        Output("ledger-updated-shown", "data"),
        Input("ledger-updated", "data"),
        prevent_initial_call=True,
    )

    def _apply(item_id: int, new_status: str, version: int | None, reason: str):
        """Save a status change; returns (row to show, message component)."""
        lang = current_language()
        try:
            service.set_status(app_settings(), acting_user(), item_id, new_status, expected_version=version,
                               reason=reason)
        except (service.LedgerError, Forbidden) as exc:
            # The grid shows the edit already: put back what is stored, and say why.
            with read_session() as session:
                row = _row(session, item_id, lang)
            return row, dmc.Alert(_error_text(exc, lang, status_label(new_status, lang)), color="red",
                                  id="ledger-alert")
        with read_session() as session:
            row = _row(session, item_id, lang)
        return row, dmc.Alert(
            t("ledger.saved", lang, meeting=row["meeting"], seq=row["seq"], status=row["status_label"]),
            color="teal",
            id="ledger-alert",
        )

    @app.callback(
        Output("ledger-updated", "data"),
        Output("ledger-message", "children"),
        Output("ledger-reopen", "opened"),
        Output("ledger-pending", "data"),
        Output("ledger-reopen-text", "children"),
        Input("ledger-grid", "cellValueChanged"),
        prevent_initial_call=True,
    )
    def _cell_changed(event):
        lang = current_language()
        event = _change_event(event)
        if not event or event.get("colId") != "status_label":
            raise dash.exceptions.PreventUpdate
        by_label = {status_label(s, lang): s for s in rules.STATUSES}
        data = event.get("data") or {}
        new_status = by_label.get(event.get("value"))
        old_status = data.get("status")
        if new_status is None or new_status == old_status:
            raise dash.exceptions.PreventUpdate
        item_id, version = int_or_none(data.get("id")), data.get("version")
        if rules.RANK[new_status] < rules.RANK[old_status]:
            # A reopen needs a reason: show the old value until it is confirmed.
            reverted = {**data, "status_label": status_label(old_status, lang)}
            text = t(
                "ledger.reopen.text",
                lang,
                meeting=data.get("meeting"),
                seq=data.get("seq"),
                old=status_label(old_status, lang),
                new=status_label(new_status, lang),
            )
            return (
                [reverted],
                dash.no_update,
                True,
                {"id": item_id, "version": version, "status": new_status},
                text,
            )
        row, message = _apply(item_id, new_status, version, "")
        return ([row] if row else dash.no_update), message, False, None, dash.no_update

    @app.callback(
        Output("ledger-updated", "data", allow_duplicate=True),
        Output("ledger-message", "children", allow_duplicate=True),
        Output("ledger-reopen", "opened", allow_duplicate=True),
        Input("ledger-reopen-confirm", "n_clicks"),
        Input("ledger-reopen-cancel", "n_clicks"),
        State("ledger-pending", "data"),
        State("ledger-reopen-reason", "value"),
        prevent_initial_call=True,
    )
    def _reopen(confirm, cancel, pending, reason):
        if not isinstance(pending, (dict, type(None))) or not isinstance(reason, (str, type(None))):
            raise BadInput("reopen")
        if dash.ctx.triggered_id == "ledger-reopen-cancel" or not pending:
            return dash.no_update, dash.no_update, False
        lang = current_language()
        if not (reason or "").strip():
            return (
                dash.no_update,
                dmc.Alert(t("ledger.error.reopen_needs_reason", lang), color="red", id="ledger-alert"),
                True,
            )
        row, message = _apply(int_or_none(pending.get("id")), pending.get("status"), pending.get("version"), reason)
        return ([row] if row else dash.no_update), message, False

    @app.callback(
        Output("ledger-updated", "data", allow_duplicate=True),
        Output("ledger-message", "children", allow_duplicate=True),
        Input("ledger-verify", "n_clicks"),
        State("ledger-grid", "selectedRows"),
        prevent_initial_call=True,
    )
    def _verify(n_clicks, selected):
        lang = current_language()
        if not n_clicks:
            raise dash.exceptions.PreventUpdate
        selected = selected_rows(selected)
        if not selected:
            return dash.no_update, dmc.Alert(t("ledger.select_first", lang), color="yellow", id="ledger-alert")
        data = selected[0]
        row, message = _apply(int_or_none(data.get("id")), "verified", data.get("version"), "")
        return ([row] if row else dash.no_update), message

    @app.callback(
        Output("ledger-drawer", "opened"),
        Output("ledger-drawer-body", "children"),
        Output("ledger-message", "children", allow_duplicate=True),
        Input("ledger-history", "n_clicks"),
        State("ledger-grid", "selectedRows"),
        prevent_initial_call=True,
    )
    def _history(n_clicks, selected):
        lang = current_language()
        if not n_clicks:
            raise dash.exceptions.PreventUpdate
        selected = selected_rows(selected)
        if not selected:
            return False, dash.no_update, dmc.Alert(t("ledger.select_first", lang), color="yellow", id="ledger-alert")
        with read_session() as session:
            body = _history_body(session, int_or_none(selected[0].get("id")), lang)
        return True, body, dash.no_update

    @app.callback(
        Output("ledger-drawer-body", "children", allow_duplicate=True),
        Output("ledger-evidence-message", "children"),
        Output("ledger-updated", "data", allow_duplicate=True),
        Output("ledger-evidence-ref", "value"),
        Input("ledger-evidence-save", "n_clicks"),
        State("ledger-grid", "selectedRows"),
        State("ledger-evidence-kind", "value"),
        State("ledger-evidence-ref", "value"),
        State("ledger-evidence-label", "value"),
        prevent_initial_call=True,
    )
    def _add_evidence(n_clicks, selected, kind, ref, label):
        lang = current_language()
        selected = selected_rows(selected)
        if not n_clicks or not selected:
            raise dash.exceptions.PreventUpdate
        item_id = int_or_none(selected[0].get("id"))
        try:
            service.add_evidence(app_settings(), acting_user(), item_id, kind=kind, ref=ref or "", label=label or "")
        except (service.LedgerError, Forbidden) as exc:
            return dash.no_update, dmc.Alert(_error_text(exc, lang), color="red"), dash.no_update, dash.no_update
        with read_session() as session:
            body = _history_body(session, item_id, lang)
            row = _row(session, item_id, lang)
        return body, dmc.Alert(t("ledger.evidence.saved", lang), color="teal"), [row], ""

    @app.callback(
        Output("ledger-download", "data"),
        Input("ledger-export", "n_clicks"),
        State("ledger-filter-unit", "value"),
        State("ledger-filter-status", "value"),
        State("ledger-filter-meeting", "value"),
        State("ledger-filter-overdue", "checked"),
        prevent_initial_call=True,
    )
    def _export(n_clicks, unit, status, meeting, overdue_only):
        from dashboard.ingest.ledger_excel import export_rows, write_ledger

        if not n_clicks:
            raise dash.exceptions.PreventUpdate
        tz = app_settings().tz
        with read_session() as session:
            today = dashboard_today(session, tz)
            frame = analytics.ledger_table(session, today, tz)
        frame = analytics.filter_ledger(frame, *_filters(unit, status, meeting, overdue_only))
        rows = export_rows(frame) if not frame.empty else []
        buffer = io.BytesIO()
        write_ledger(rows, buffer)
        return dcc.send_bytes(buffer.getvalue(), f"任务台账_{today.isoformat()}.xlsx")


dash.register_page(__name__, path="/ledger", name="ledger", title="任务台账", layout=layout)
