"""Recent inspections (AG Grid with filters), a link to record a new one, and the bulk import of
paper inspections from the Excel template (editors).

An inspector's list opens on their township; anyone may widen the filters (reading is not
restricted, writing is). The import lands the whole file or nothing and lists every problem
with its row, column and reason.
"""

from __future__ import annotations

import datetime as dt

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, dcc, html, no_update

from dashboard import analytics
from dashboard.analytics import inspections as store
from dashboard.analytics.periods import opening_window
from dashboard.auth import current_language
from dashboard.i18n import t
from dashboard.ingest.inspections_excel import template_workbook
from dashboard.services import inspections as service
from dashboard.ui.components.datagrid import paged_grid, refresh_on_change, serve_rows
from dashboard.ui.components.empty import when_empty
from dashboard.ui.data import acting_user, app_settings, read_session
from dashboard.ui.inputs import BadInput, int_or_none, upload_bytes

DEFAULT_DAYS = 30
SHOWN_PROBLEMS = 50


def title(**_kwargs) -> str:
    lang = current_language()
    return f"{t('inspections.list.title', lang)} · {t('app.title', lang)}"


def _md(text: str) -> str:
    """Text safe inside a markdown link label."""
    return "".join("\\" + c if c in "[]()*_`\\<>#" else c for c in str(text))


def _columns(lang: str) -> list[dict]:
    def h(key: str) -> str:
        return t(f"inspections.list.col.{key}", lang)

    return [
        {"field": "time", "headerName": h("time"), "cellRenderer": "markdown", "width": 150, "sort": "desc"},
        {"field": "site", "headerName": h("site"), "cellRenderer": "markdown", "flex": 2, "minWidth": 240,
         "tooltipField": "site_name"},
        {"field": "township", "headerName": h("township"), "width": 140, "tooltipField": "township"},
        {"field": "inspector", "headerName": h("inspector"), "width": 115},
        {"field": "kind", "headerName": h("kind"), "width": 135},
        {"field": "status", "headerName": h("status"), "width": 105},
        {"field": "fails", "headerName": h("fails"), "width": 115, "type": "numericColumn",
         "cellClassRules": {"overdue-cell": "params.value > 0"}},
        {"field": "stop", "headerName": h("stop"), "width": 120,
         "cellClassRules": {"overdue-cell": "params.data && params.data.stop_flag"}},
        {"field": "source", "headerName": h("source"), "width": 90},
    ]


# Link columns sort and filter by their plain text.
SORT_FIELDS = {"time": "time_sort", "site": "site_label"}


def _rows(frame, lang: str, tz) -> list[dict]:
    rows = []
    for r in frame.itertuples():
        local = r.inspected_at.astimezone(tz)
        township = r.township_en or r.township if lang == "en" else r.township
        rows.append({
            "id": str(int(r.id)),  # AG Grid keys rows by strings (getRowId)
            "time": f"[{local:%Y-%m-%d %H:%M}](/inspections/{r.id})",
            "time_sort": local.isoformat(),
            "site": f"[{_md(r.site_code)} {_md(r.site_name)}](/sites/{r.site_id})",
            "site_name": r.site_name,
            "site_label": f"{r.site_code} {r.site_name}",
            "township": township,
            "inspector": r.inspector_name,
            "kind": t(f"inspections.kind.{r.kind}", lang),
            "status": t(f"inspections.status.{r.status}", lang),
            "fails": int(r.fails),
            "stop": t("inspections.list.stop_yes", lang) if r.working_during_stop else "",
            "stop_flag": bool(r.working_during_stop),
            "source": t(f"inspections.source.{r.source}", lang),
        })
    return rows


@when_empty("inspections", "empty.inspections", [("empty.inspections.new", "/inspections/new")],
            "empty.inspections.command", link_role="inspector")
def layout(**_query) -> html.Div:
    lang = current_language()
    settings = app_settings()
    with read_session() as session:
        today = analytics.today(session, settings.tz)
        towns = store.townships(session)
        sites = store.site_options(session)
        newest = store.newest_inspection_day(session, settings.tz)
    user = acting_user()
    own = user.township_id if user.role == "inspector" else None
    can_record = user.at_least("inspector")
    is_editor = user.at_least("editor")
    start, end = opening_window(today, newest, DEFAULT_DAYS + 1, through_today=True)
    town_label = "name_en" if lang == "en" else "name"
    filters = dmc.Paper(
        dmc.Group(
            [
                dmc.Select(
                    id="insp-f-township", label=t("inspections.list.township", lang), clearable=True,
                    data=[{"value": str(r.id), "label": getattr(r, town_label) or r.name} for r in towns.itertuples()],
                    value=str(own) if own else None, placeholder=t("inspections.list.all", lang), w=180,
                ),
                dmc.Select(
                    id="insp-f-site", label=t("inspections.list.site", lang), clearable=True, searchable=True,
                    data=[{"value": str(r.id), "label": f"{r.code} {r.name}"} for r in sites.itertuples()],
                    placeholder=t("inspections.list.all", lang), w=300, limit=50,
                    nothingFoundMessage=t("inspections.form.site_none", lang),
                ),
                dmc.DatePickerInput(
                    id="insp-f-period", label=t("inspections.list.period", lang), type="range",
                    value=[start.isoformat(), end.isoformat()], maxDate=today.isoformat(),
                    valueFormat="YYYY年M月D日" if lang == "zh" else "D MMM YYYY", w=280, allowSingleDateInRange=True,
                ),
                dmc.Stack(
                    [
                        dmc.Text(t("inspections.list.result", lang), size="sm", fw=500),
                        dmc.SegmentedControl(
                            id="insp-f-result", value="all",
                            data=[{"value": k, "label": t(f"inspections.list.result_{k}", lang)}
                                  for k in store.RESULT_FILTERS],
                        ),
                    ],
                    gap=2,
                ),
            ],
            align="flex-end", gap="md",
        ),
        withBorder=True, p="md",
    )
    grid = paged_grid("insp-grid", _columns(lang), lang, height="560px", row_id="params.data.id",
                      class_name="insp-grid")
    import_panel = None
    if is_editor:
        import_panel = dmc.Paper(
            [
                dmc.Title(t("inspections.import.title", lang), order=4),
                dmc.Text(t("inspections.import.help", lang), size="sm", c="dimmed"),
                dmc.Group(
                    [
                        dmc.Button(t("inspections.import.template", lang), id="insp-template-btn",
                                   variant="light"),
                        dcc.Upload(
                            dmc.Button(t("inspections.import.upload", lang), variant="outline"),
                            id="insp-import-upload", accept=".xlsx", multiple=False,
                        ),
                    ],
                    gap="md",
                ),
                dcc.Loading(html.Div(id="insp-import-result"), type="dot"),
                dcc.Download(id="insp-template-dl"),
            ],
            withBorder=True, p="md", id="insp-import-panel",
            style={"display": "flex", "flexDirection": "column", "gap": "8px"},
        )
    return html.Div(
        [
            dmc.Group(
                [
                    dmc.Title(t("inspections.list.title", lang), order=2),
                    dmc.Anchor(dmc.Button(t("inspections.list.new", lang), id="insp-new-btn", size="md"),
                               href="/inspections/new") if can_record else None,
                ],
                justify="space-between",
            ),
            filters,
            dmc.Text("", id="insp-count", size="sm", c="dimmed"),
            grid,
            import_panel,
            dcc.Store(id="insp-import-done", data=0),
        ],
        className="page page-inspections",
        style={"display": "flex", "flexDirection": "column", "gap": "14px"},
    )


def _period_bounds(period, tz) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The picked days as [first 00:00, day after last 00:00) in ``tz``; blank ends are open."""
    if period is not None and not isinstance(period, list):
        raise BadInput("period")
    days = []
    for value in (period or [])[:2]:
        try:
            days.append(dt.date.fromisoformat(str(value)[:10]) if value else None)
        except ValueError:
            raise BadInput("period") from None
    days += [None] * (2 - len(days))
    start = dt.datetime.combine(days[0], dt.time(), tz) if days[0] else None
    end = dt.datetime.combine(days[1] + dt.timedelta(days=1), dt.time(), tz) if days[1] else None
    return start, end


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output("insp-f-site", "data"),
        Input("insp-f-township", "value"),
        prevent_initial_call=True,
    )
    def _sites_of_township(township):
        with read_session() as session:
            sites = store.site_options(session)
        if township:
            sites = sites[sites["township_id"] == int_or_none(township)]
        return [{"value": str(r.id), "label": f"{r.code} {r.name}"} for r in sites.itertuples()]

    @app.callback(
        Output("insp-grid", "getRowsResponse"),
        Output("insp-count", "children"),
        Input("insp-grid", "getRowsRequest"),
        State("insp-f-township", "value"),
        State("insp-f-site", "value"),
        State("insp-f-period", "value"),
        State("insp-f-result", "value"),
    )
    def _load(request, township, site, period, result):
        if not request:
            raise dash.exceptions.PreventUpdate
        lang = current_language()
        tz = app_settings().tz
        start, end = _period_bounds(period, tz)
        if result not in (None, *store.RESULT_FILTERS):
            raise BadInput("result")
        with read_session() as session:
            frame = store.list_inspections(
                session, township_id=int_or_none(township), site_id=int_or_none(site),
                start=start, end=end, result=result or "all",
            )
        block = serve_rows(_rows(frame, lang, tz), request, sort_fields=SORT_FIELDS, filter_fields=SORT_FIELDS)
        return block, t("inspections.list.count", lang, count=len(frame))

    refresh_on_change(app, "insp-grid", [Input("insp-f-township", "value"), Input("insp-f-site", "value"),
                                         Input("insp-f-period", "value"), Input("insp-f-result", "value"),
                                         Input("insp-import-done", "data")])

    @app.callback(
        Output("insp-template-dl", "data"),
        Input("insp-template-btn", "n_clicks"),
        prevent_initial_call=True,
    )
    def _template(n_clicks):
        if not n_clicks:
            return no_update
        settings = app_settings()
        with read_session() as session:
            now = analytics.now(session, settings.tz)
            checklist = store.checklist_for(session, now.date())
            sites = store.site_options(session)
        example = now.astimezone(settings.tz).replace(hour=9, minute=30)
        content = template_workbook(checklist, [(r.code, r.name, r.township) for r in sites.itertuples()],
                                    example, acting_user().name or "张伟")
        return dcc.send_bytes(content, "巡查记录导入模板.xlsx")

    @app.callback(
        Output("insp-import-result", "children"),
        Output("insp-import-done", "data"),
        Input("insp-import-upload", "contents"),
        State("insp-import-upload", "filename"),
        State("insp-import-done", "data"),
        prevent_initial_call=True,
    )
    def _import(contents, filename, done):
        lang = current_language()
        if not contents:
            return no_update, no_update
        name = filename or "upload.xlsx"
        try:
            _read, counts = service.import_inspections(app_settings(), acting_user(), upload_bytes(contents), name,
                                                       lang)
        except service.InspectionsRefused as refused:
            problems = refused.read.problems
            table = dmc.Table(
                [
                    html.Thead(html.Tr([html.Th(t(f"inspections.import.col.{c}", lang))
                                        for c in ("row", "column", "reason")])),
                    html.Tbody([html.Tr([html.Td(p.row or "—"), html.Td(p.column or "—"), html.Td(p.reason)])
                                for p in problems[:SHOWN_PROBLEMS]]),
                ],
                striped=True, withTableBorder=True, id="insp-import-problems",
            )
            more = (dmc.Text(t("inspections.import.more", lang, count=len(problems) - SHOWN_PROBLEMS), size="sm")
                    if len(problems) > SHOWN_PROBLEMS else None)
            return dmc.Alert(
                [html.Div(table, className="insp-problems"), more],
                title=t("inspections.import.refused", lang, file=name, count=len(problems)),
                color="red", id="insp-import-alert",
            ), no_update
        message = t("inspections.import.done", lang, file=name, added=counts.added, skipped=counts.skipped,
                    opened=counts.opened, closed=counts.closed)
        return dmc.Alert(message, color="teal", id="insp-import-alert"), (done or 0) + 1


dash.register_page(__name__, path="/inspections", name="inspections", title=title, layout=layout)
