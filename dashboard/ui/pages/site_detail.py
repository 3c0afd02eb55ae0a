"""One site: facts, its dust monitor (``ui.components.site_dust``, refreshing itself), position
among its township's sites, open rectifications, the
item-by-inspection heat map, inspection history, plate history and the alerts it lived through.

Read-only; editors get a link to the edit form on the sites page (``/sites?edit=<id>``).
"""

from __future__ import annotations

import dash
import dash_mantine_components as dmc
import pandas as pd
from dash import Input, Output, State, dcc, html

from dashboard.analytics.dust_tasks import open_tasks_of_site
from dashboard.analytics.sites import HEAT_WEEKS, RATE_DAYS, item_labels, site_detail, site_heat, site_inspections
from dashboard.auth import current_language
from dashboard.domain.coords import from_wgs84
from dashboard.domain.inspection import may_write
from dashboard.figures.compliance import ALERT_COLOURS
from dashboard.figures.sites import results_heatmap, site_map
from dashboard.figures.theme import PLATE_COLOURS, graph_config, text_colour_on
from dashboard.i18n import t
from dashboard.i18n.formats import format_date, format_datetime
from dashboard.ui.components import site_dust
from dashboard.ui.components.datagrid import WRAPPED, paged_grid, serve_rows
from dashboard.ui.components.dust_tasks import task_line
from dashboard.ui.data import acting_user, app_settings, read_session
from dashboard.ui.inputs import BadInput, int_or_none

ESCALATION_COLOURS = {0: "gray", 1: "yellow", 2: "orange", 3: "red"}


def _plate_badge(plate: str, lang: str, element_id: str | None = None, size: str = "lg"):
    colour = PLATE_COLOURS[plate]
    props = {"id": element_id} if element_id else {}
    # A badge in a narrow table cell must not shrink into "红…".
    return dmc.Badge(t(f"plate.{plate}", lang), color=colour, size=size, radius="sm",
                     styles={"root": {"color": text_colour_on(colour), "flexShrink": 0, "overflow": "visible"},
                             "label": {"overflow": "visible"}}, **props)


def _fact(label: str, value, element_id: str | None = None):
    props = {"id": element_id} if element_id else {}
    return html.Div([dmc.Text(label, size="xs", c="dimmed"), dmc.Text(value if value not in (None, "") else "—",
                                                                      size="sm", fw=500, **props)])


def _section(title: str, children, element_id: str | None = None):
    props = {"id": element_id} if element_id else {}
    return dmc.Paper([dmc.Title(title, order=4, mb="xs"), *children], withBorder=True, p="md", radius="md", **props)


def _table(head: list[str], rows: list[list], element_id: str, empty: str, widths: list | None = None):
    """A table on a wide screen; on a phone each row becomes a card of "label: value" lines
    (class ``stack-table``), since six columns at 360 px leave one character per line."""
    if not rows:
        return dmc.Text(empty, c="dimmed", size="sm", id=element_id)
    widths = widths or [None] * len(head)
    return dmc.Table(
        [dmc.TableThead(dmc.TableTr([dmc.TableTh(h, **({"w": w} if w else {}))
                                     for h, w in zip(head, widths, strict=True)])),
         dmc.TableTbody([dmc.TableTr([dmc.TableTd(c, **{"data-label": h}) for c, h in zip(row, head, strict=True)])
                         for row in rows])],
        striped=True, highlightOnHover=True, withTableBorder=False, id=element_id, verticalSpacing="xs",
        className="stack-table",
    )


def _coordinates(site: dict, lang: str) -> str:
    lon, lat = site.get("longitude"), site.get("latitude")
    if lon is None or lat is None:
        return t("sites.detail.no_position_short", lang)
    text = f"{lon:.6f}, {lat:.6f} (WGS-84)"
    system = site.get("coord_system") or "WGS84"
    if system != "WGS84":
        elon, elat = from_wgs84(lon, lat, system)
        text += t("sites.detail.entered_as", lang, system=t(f"sites.coord.{system}", lang), lon=f"{elon:.6f}",
                  lat=f"{elat:.6f}")
    return text


def _not_found(lang: str, site_id) -> html.Div:
    return html.Div([
        dmc.Title(t("sites.detail.not_found_title", lang), order=2),
        dmc.Alert(t("sites.detail.not_found", lang, id=site_id), color="red", id="site-not-found"),
        dcc.Link(t("sites.detail.back", lang), href="/sites"),
    ], className="page page-site-detail", style={"display": "flex", "flexDirection": "column", "gap": "12px"})


def layout(site_id: str | None = None, **_query) -> html.Div:
    lang = current_language()
    settings = app_settings()
    if site_id is None or not str(site_id).isdigit():
        return _not_found(lang, site_id)
    with read_session() as session:
        data = site_detail(session, int(site_id), settings.tz)
        dust_due = open_tasks_of_site(session, int(site_id)) if data is not None else []
    if data is None:
        return _not_found(lang, site_id)
    tz = settings.tz
    site = data.site
    township = site["township"] if lang == "zh" else site["township_en"]
    labels = data.labels.set_index("key")["label" if lang == "zh" else "label_en"].to_dict()
    rate_text = "—" if pd.isna(data.rate) else f"{data.rate * 100:.1f}%"

    actor = acting_user()
    can_inspect = site["status"] == "active" and may_write(actor.role or "viewer", actor.township_id,
                                                           site.get("township_id"))
    header = dmc.Group([
        dmc.Group([
            dmc.Title(site["name"], order=2, id="site-title"),
            _plate_badge(site["plate"], lang, "site-plate"),
            dmc.Badge(t(f"sites.status.{site['status']}", lang), variant="outline", size="lg", radius="sm"),
            dmc.Badge(t("dust_tasks.site_badge", lang, n=len(dust_due)), color="red", size="lg", radius="sm",
                      id="site-dust-badge") if dust_due else None,
        ], gap="sm"),
        dmc.Group([
            dmc.Anchor(dmc.Button(t("sites.inspect_here", lang), size="md"), href=f"/inspections/new?site={site['id']}",
                       id="site-inspect") if can_inspect else None,
            dcc.Link(t("sites.detail.back", lang), href="/sites"),
            dmc.Anchor(t("sites.detail.edit", lang), href=f"/sites?edit={site['id']}", id="site-edit-link")
            if acting_user().at_least("editor") else None,
        ], gap="md"),
    ], justify="space-between", align="center")

    facts = dmc.Paper(dmc.SimpleGrid([
        _fact(t("sites.field.code", lang), site["code"], "site-code"),
        _fact(t("sites.field.township_id", lang), township, "site-township"),
        _fact(t("sites.field.site_type", lang), t(f"sites.type.{site['site_type']}", lang)),
        _fact(t("sites.field.area_m2", lang), f"{site['area_m2']:,.0f}" if site.get("area_m2") else None),
        _fact(t("sites.field.started_on", lang),
              format_date(site["started_on"], lang) if site.get("started_on") else None),
        _fact(t("sites.detail.rate", lang, days=RATE_DAYS), rate_text, "site-rate"),
        _fact(t("sites.field.builder_unit", lang), site["builder_unit"]),
        _fact(t("sites.field.contractor_unit", lang), site["contractor_unit"]),
        _fact(t("sites.field.address", lang), site["address"]),
        _fact(t("sites.detail.coordinates", lang), _coordinates(site, lang)),
        _fact(t("sites.detail.inspections", lang), str(len(data.inspections))),
        _fact(t("sites.detail.open_count", lang), str(len(data.rectifications)), "site-open-count"),
    ], cols={"base": 2, "md": 4}, spacing="md", verticalSpacing="sm"), withBorder=True, p="md", radius="md")

    rect_rows = [[
        labels.get(r.item_key, r.item_key),
        format_datetime(r.opened_at, lang, tz),
        format_date(r.deadline, lang),
        dmc.Text(t("sites.detail.days", lang, n=r.days_overdue), size="sm", c="red", fw=600) if r.days_overdue
        else dmc.Text(t("sites.detail.not_overdue", lang), size="sm", c="dimmed"),
        dmc.Badge(t(f"sites.escalation.{int(r.escalation_level)}", lang), size="md",
                  color=ESCALATION_COLOURS.get(int(r.escalation_level), "gray"), variant="light",
                  styles={"root": {"flexShrink": 0, "overflow": "visible"}, "label": {"overflow": "visible"}}),
        r.responsible_unit,
    ] for r in data.rectifications.itertuples()]
    rectifications = _section(t("sites.detail.rect_title", lang), [
        _table([t(f"sites.detail.rect.{c}", lang) for c in ("item", "opened", "deadline", "overdue", "level", "unit")],
               rect_rows, "site-rectifications", t("sites.detail.rect_none", lang)),
    ], "site-rect-section")

    # The heat map covers the last weeks (a column per inspection); the span is the user's to widen.
    heat_inspections = data.inspections[data.inspections["inspection_id"].isin(set(data.results["inspection_id"]))]
    heat = dmc.Paper([
        dmc.Group([
            dmc.Text(t("sites.detail.heat_span", lang), size="sm"),
            dmc.SegmentedControl(id="site-heat-weeks", value=str(HEAT_WEEKS[1]), size="xs",
                                 data=[{"value": str(w), "label": t("sites.detail.heat_weeks", lang, n=w)}
                                       for w in HEAT_WEEKS]),
        ], gap="xs", justify="flex-end"),
        dcc.Graph(id="site-heatmap", figure=results_heatmap(data.results, heat_inspections, data.labels, lang, tz),
                  config=graph_config(lang) | {"displayModeBar": False}),
    ], withBorder=True, p="xs", radius="md")

    position = _section(t("sites.detail.position", lang), [dcc.Graph(
        id="site-map", figure=site_map(data.neighbours, site["id"], township, lang, settings.map_tile_url,
                                       settings.map_tile_attribution),
        config=graph_config(lang) | {"displayModeBar": False})])

    plate_rows = [[
        format_datetime(r.changed_at, lang, tz), _plate_badge(r.plate, lang, size="md"), r.reason,
    ] for r in data.plates.iloc[::-1].itertuples()]
    plates = _section(t("sites.detail.plates_title", lang), [
        _table([t("sites.detail.plates.when", lang), t("sites.detail.plates.plate", lang),
                t("sites.detail.plates.reason", lang)], plate_rows, "site-plates", t("sites.detail.plates_none", lang),
               widths=[150, 120, None]),
    ])

    history_cols = [
        {"field": "when", "headerName": t("sites.detail.hist.when", lang), "width": 150, "sort": "desc"},
        {"field": "kind", "headerName": t("sites.detail.hist.kind", lang), "width": 130},
        {"field": "inspector", "headerName": t("sites.detail.hist.inspector", lang), "width": 100},
        {"field": "result", "headerName": t("sites.detail.hist.result", lang), "width": 220,
         "cellStyle": {"styleConditions": [{"condition": "params.data && params.data.failed > 0",
                                            "style": {"color": "#c92a2a"}}]}},
        {"field": "stop", "headerName": t("sites.detail.hist.stop", lang), "width": 130,
         "cellStyle": {"styleConditions": [{"condition": "params.value", "style": {"color": "#c92a2a",
                                                                                    "fontWeight": 700}}]}},
        {"field": "note", "headerName": t("sites.detail.hist.note", lang), "flex": 1, "minWidth": 240, **WRAPPED},
    ]
    history = _section(t("sites.detail.history_title", lang), [
        paged_grid("site-history", history_cols, lang, height="360px"),
    ])

    alert_rows = []
    for r in data.alerts.itertuples():
        end = format_datetime(r.ends_at, lang, tz) if pd.notna(r.ends_at) else t("sites.detail.alert_ongoing", lang)
        colour = ALERT_COLOURS.get(r.level, "#adb5bd")
        checked = (t("sites.detail.alert_checked", lang, n=r.checks) if r.checks
                   else dmc.Text(t("sites.detail.alert_unchecked", lang), c="dimmed", size="sm"))
        violated = (dmc.Badge(t("sites.detail.alert_violation", lang, n=r.violations), color="red")
                    if r.violations else (t("sites.detail.alert_ok", lang) if r.checks else "—"))
        alert_rows.append([
            dmc.Badge(t(f"alert.level.{r.level}", lang), color=colour,
                      styles={"root": {"color": text_colour_on(colour)}}),
            f"{format_datetime(r.starts_at, lang, tz)} – {end}", checked, violated,
        ])
    alerts = _section(t("sites.detail.alerts_title", lang), [
        _table([t(f"sites.detail.alerts.{c}", lang) for c in ("level", "period", "checked", "violation")],
               alert_rows, "site-alerts", t("sites.detail.alerts_none", lang)),
    ])

    two = {"display": "grid", "gap": "16px", "gridTemplateColumns": "repeat(auto-fit, minmax(min(520px, 100%), 1fr))"}
    return html.Div(
        [
            header,
            dcc.Store(id="site-ref", data=int(site["id"])),
            html.Div([dmc.Text(task_line(task, lang, tz), size="sm", c="red") for task in dust_due],
                     id="site-dust-tasks") if dust_due else None,
            dmc.Text(t("sites.as_of", lang, date=format_date(data.today, lang)), c="dimmed", size="sm"),
            facts,
            site_dust.section(site["id"], lang),
            rectifications,
            heat,
            html.Div([position, plates], style=two),
            history,
            alerts,
        ],
        className="page page-site-detail",
        style={"display": "flex", "flexDirection": "column", "gap": "16px"},
    )


def _history_rows(frame: pd.DataFrame, lang: str, tz) -> list[dict]:
    return [{
        # Sortable as text and readable in both languages.
        "when": r.inspected_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        "kind": t(f"sites.kind.{r.kind}", lang),
        "inspector": r.inspector_name,
        "result": t("sites.detail.result_counts", lang, passed=r.n_pass, failed=r.n_fail, na=r.n_na),
        "failed": int(r.n_fail),
        "stop": t("sites.detail.stop_yes", lang) if r.working_during_stop else "",
        "note": r.note,
    } for r in frame.itertuples()]


def _site_id(ref) -> int:
    site_id = int_or_none(ref)
    if site_id is None:
        raise BadInput("site")
    return site_id


def register_callbacks(app: dash.Dash) -> None:
    site_dust.register_callbacks(app)

    @app.callback(Output("site-history", "getRowsResponse"), Input("site-history", "getRowsRequest"),
                  State("site-ref", "data"))
    def _history(request, ref):
        if not request:
            raise dash.exceptions.PreventUpdate
        tz = app_settings().tz
        with read_session() as session:
            frame = site_inspections(session, _site_id(ref), tz)
        return serve_rows(_history_rows(frame, current_language(), tz), request)

    @app.callback(Output("site-heatmap", "figure"), Input("site-heat-weeks", "value"), State("site-ref", "data"),
                  prevent_initial_call=True)
    def _heat(weeks, ref):
        if str(weeks) not in {str(w) for w in HEAT_WEEKS}:
            raise BadInput("weeks")
        lang, tz = current_language(), app_settings().tz
        with read_session() as session:
            results, inspections = site_heat(session, _site_id(ref), tz, int(weeks))
            labels = item_labels(session)
        return results_heatmap(results, inspections, labels, lang, tz)


dash.register_page(__name__, path_template="/sites/<site_id>", name="site_detail", title="工地详情", layout=layout)
