"""Compliance: the rate's definition, weekly trend against meetings and alerts, township
ranking with the change since a dispatch meeting, chronic offenders, most-failed items,
inspection coverage and plate counts.

Read-only. The layout draws every section; each control's callback redraws only the sections
that depend on it, with the same section builders.
"""

from __future__ import annotations

import datetime as dt

import dash
import dash_mantine_components as dmc
import pandas as pd
from dash import Input, Output, dcc, html

from dashboard.analytics import compliance as analytics
from dashboard.auth import current_language
from dashboard.domain import compliance as rules
from dashboard.figures import compliance as figs
from dashboard.figures.theme import PLATE_COLOURS, graph_config, text_colour_on
from dashboard.i18n import t
from dashboard.i18n.formats import format_date
from dashboard.ui import inputs
from dashboard.ui.components.datagrid import data_grid, site_cells, site_columns
from dashboard.ui.components.empty import when_empty
from dashboard.ui.data import app_settings, read_session

COVERAGE_CHOICES = (7, 14, 30)
DEFAULT_CHRONIC_MIN = 5  # ≥ 5 failed inspections in 28 days: the repeat offenders, not every slip


def _load(period) -> analytics.ComplianceData:
    start, end = inputs.period(period) or (None, None)
    with read_session() as session:
        return analytics.load(session, app_settings().tz, start, end, raw=False)


def _names(data: analytics.ComplianceData, lang: str) -> dict[int, str]:
    column = "name" if lang == "zh" else "name_en"
    return {analytics.DISTRICT: t("compliance.district", lang)} | dict(
        zip(data.townships["id"], data.townships[column], strict=True))


def _set(**props) -> dict:
    """Only the props that have a value: a null colour makes Mantine throw in the browser."""
    return {k: v for k, v in props.items() if v is not None}


def _pct(value, digits: int = 1) -> str:
    return "—" if value is None or pd.isna(value) else f"{value * 100:.{digits}f}%"


# --------------------------------------------------------------------------- sections
def _kpi(label: str, value: str, note: str, element_id: str, colour: str | None = None, background=None):
    style = {"backgroundColor": background, "color": text_colour_on(background)} if background else {}
    return dmc.Paper([
        dmc.Text(label, size="sm", **_set(c=None if background else "dimmed")),
        dmc.Text(value, fw=700, size="xl", id=element_id, **_set(c=colour)),
        dmc.Text(note, size="xs", **_set(c=None if background else "dimmed")),
    ], withBorder=True, p="sm", radius="md", style=style)


def kpis(data: analytics.ComplianceData, lang: str) -> html.Div:
    totals = data.totals()
    applicable, failed = totals["applicable"], totals["failed"]
    plates = analytics.plate_counts(data)
    period = t("compliance.period_text", lang, start=format_date(data.start, lang), end=format_date(data.end, lang))
    tiles = [
        _kpi(t("compliance.kpi.rate", lang), _pct(data.rate),
             t("compliance.kpi.rate_note", lang, applicable=applicable), "compliance-kpi-rate"),
        _kpi(t("compliance.kpi.inspections", lang), str(totals["inspections"]), period, "compliance-kpi-inspections"),
        _kpi(t("compliance.kpi.failed", lang), str(failed),
             t("compliance.kpi.stop", lang, n=totals["working_during_stop"]),
             "compliance-kpi-failed", "red" if failed else None),
    ] + [
        _kpi(t(f"plate.{p}", lang), str(plates[p]), t("compliance.kpi.plate_note", lang), f"compliance-kpi-{p}",
             background=PLATE_COLOURS[p])
        for p in ("red", "yellow", "green")
    ]
    return html.Div(tiles, style={"display": "grid", "gap": "12px",
                                  "gridTemplateColumns": "repeat(auto-fit, minmax(min(160px, 100%), 1fr))"})


def trend(data: analytics.ComplianceData, township_ids: list[int], lang: str):
    frame = analytics.weekly_trend(data, township_ids)
    figure = figs.trend(frame, _names(data, lang), lang, data.meetings, data.alerts, data.start, data.end,
                        app_settings().tz)
    return dcc.Graph(id="compliance-trend", figure=figure, config=graph_config(lang))


def items(data: analytics.ComplianceData, lang: str):
    figure = figs.failed_items(analytics.most_failed_items(data), lang)
    return dcc.Graph(id="compliance-items", figure=figure, config=graph_config(lang) | {"displayModeBar": False})


def _arrow(change, lang: str):
    if change is None or pd.isna(change):
        return html.Span("—", style={"color": "#868e96"})
    change = int(change)
    if change > 0:
        return html.Span(f"▲ {change}", title=t("compliance.rank.up", lang, n=change),
                         style={"color": "#0ca678", "fontWeight": 600})
    if change < 0:
        return html.Span(f"▼ {-change}", title=t("compliance.rank.down", lang, n=-change),
                         style={"color": "#e03131", "fontWeight": 600})
    return html.Span("＝", title=t("compliance.rank.same", lang), style={"color": "#868e96"})


def ranking(data: analytics.ComplianceData, meeting_number: int | None, lang: str):
    with read_session() as session:
        frame, meeting = analytics.township_ranking(session, app_settings().tz, data, meeting_number)
    if meeting is None:
        return dmc.Text(t("compliance.rank.no_meeting", lang), c="dimmed")
    name = "township" if lang == "zh" else "township_en"
    head = [t(f"compliance.rank.col.{c}", lang) for c in
            ("rank_now", "township", "rate_now", "rank_then", "rate_then", "rank_change", "rate_change")]
    body = []
    for r in frame.itertuples():
        delta = r.rate_change
        delta_text = "—" if pd.isna(delta) else f"{delta * 100:+.1f}"
        body.append(dmc.TableTr([
            dmc.TableTd("—" if pd.isna(r.rank_now) else str(int(r.rank_now))),
            dmc.TableTd(getattr(r, name)),
            dmc.TableTd(_pct(r.rate_now)),
            dmc.TableTd("—" if pd.isna(r.rank_then) else str(int(r.rank_then)), c="dimmed"),
            dmc.TableTd(_pct(r.rate_then), c="dimmed"),
            dmc.TableTd(_arrow(r.rank_change, lang)),
            dmc.TableTd(delta_text, **_set(c=None if pd.isna(delta) or abs(delta) < 5e-4
                                           else ("teal" if delta > 0 else "red"))),
        ]))
    then_day = meeting["date"] - dt.timedelta(days=1)
    note = t("compliance.rank.note", lang, days=rules.RANKING_WINDOW_DAYS, n=int(meeting["number"]),
             meeting=format_date(meeting["date"], lang), then=format_date(then_day, lang),
             now=format_date(data.end, lang))
    return html.Div([
        dmc.Text(note, size="xs", c="dimmed", mb="xs"),
        dmc.Table([dmc.TableThead(dmc.TableTr([dmc.TableTh(h) for h in head])), dmc.TableTbody(body)],
                  striped=True, highlightOnHover=True, verticalSpacing="xs", id="compliance-ranking-table"),
    ])


def chronic(data: analytics.ComplianceData, min_failed: int, days: int, lang: str):
    with read_session() as session:
        frame = analytics.chronic_offenders(session, app_settings().tz, data, min_failed, days)
    rows = [site_cells(r, lang) | {
        "failed_inspections": int(r.failed_inspections), "inspections": int(r.inspections),
        "failed_items": int(r.failed_items), "last_failure": r.last_failure.isoformat(),
    } for r in frame.itertuples()]
    extra = [{"field": f, "headerName": t(f"compliance.chronic.col.{f}", lang), "width": 130,
              "filter": "agNumberColumnFilter" if f != "last_failure" else True}
             for f in ("failed_inspections", "inspections", "failed_items", "last_failure")]
    return html.Div([
        dmc.Text(t("compliance.chronic.count", lang, n=len(rows), min=min_failed, days=days,
                   end=format_date(data.end, lang)),
                 size="sm", id="compliance-chronic-count", mb="xs"),
        data_grid("compliance-chronic", site_columns(lang, extra), rows, lang, height="340px", page_size=None)
        if rows else None,
    ])


def coverage(data: analytics.ComplianceData, days: int, lang: str):
    with read_session() as session:
        frame = analytics.coverage(session, data, app_settings().tz, days)
    rows = [site_cells(r, lang) | {
        "last_inspected": r.last_inspected.isoformat() if r.last_inspected else t("compliance.coverage.never", lang),
        "days_since": r.days_since,
    } for r in frame.itertuples()]
    extra = [
        {"field": "last_inspected", "headerName": t("compliance.coverage.col.last", lang), "width": 140},
        {"field": "days_since", "headerName": t("compliance.coverage.col.days", lang), "width": 120,
         "filter": "agNumberColumnFilter"},
    ]
    active = int((data.sites["status"] == "active").sum())
    return html.Div([
        dmc.Text(t("compliance.coverage.count", lang, n=len(rows), active=active, days=days),
                 size="sm", id="compliance-coverage-count", mb="xs"),
        data_grid("compliance-coverage", site_columns(lang, extra), rows, lang, height="300px", page_size=None)
        if rows else None,
    ])


# --------------------------------------------------------------------------- layout
def _meeting_options(data: analytics.ComplianceData, lang: str) -> list[dict]:
    first = data.first_inspection or data.start
    held = data.meetings[(data.meetings["date"] < data.today) & (data.meetings["date"] > first)]
    return [{"value": str(int(r.number)),
             "label": t("compliance.meeting_option", lang, n=int(r.number), date=format_date(r.date, lang))}
            for r in held.iloc[::-1].itertuples()]


def _card(title: str, children, content_id: str, controls=None):
    """A titled section whose body (``content_id``) is what its callback redraws."""
    head = dmc.Group([dmc.Title(title, order=4), controls], justify="space-between", align="flex-end") \
        if controls is not None else dmc.Title(title, order=4)
    return dmc.Paper([head, html.Div(children, id=content_id, style={"marginTop": "8px"})], withBorder=True,
                     p="md", radius="md")


@when_empty("inspections", "empty.compliance", [("empty.inspections.new", "/inspections/new")], link_role="inspector")
def layout(**_query) -> html.Div:
    lang = current_language()
    with read_session() as session:
        return analytics.cached_view(session, app_settings().tz, ("layout", lang), lambda: _layout(lang))


def _layout(lang: str) -> html.Div:
    data = _load(None)
    township_options = [{"value": str(r.id), "label": r.name if lang == "zh" else r.name_en}
                        for r in data.townships.itertuples()]
    meetings = _meeting_options(data, lang)
    meeting = int(meetings[0]["value"]) if meetings else None
    period = dmc.DatePickerInput(
        id="compliance-period", label=t("compliance.control.period", lang), type="range",
        value=[data.start.isoformat(), data.end.isoformat()], maxDate=data.today.isoformat(),
        valueFormat="YYYY年M月D日" if lang == "zh" else "D MMM YYYY", allowSingleDateInRange=True, w=300,
    )
    controls = dmc.Paper(dmc.Group([
        period,
        dmc.MultiSelect(id="compliance-townships", label=t("compliance.control.townships", lang),
                        data=township_options, value=[], searchable=True, clearable=True, maxValues=6, w=380,
                        placeholder=t("compliance.control.townships_hint", lang)),
    ], align="flex-end", gap="md"), withBorder=True, p="md", radius="md")

    return html.Div(
        [
            dmc.Group([
                dmc.Title(t("compliance.title", lang), order=2),
                dmc.Text(t("compliance.as_of", lang, date=format_date(data.today, lang)), c="dimmed"),
            ], justify="space-between", align="baseline"),
            dmc.Alert(t("compliance.definition", lang), title=t("compliance.definition_title", lang), color="blue",
                      id="compliance-definition"),
            controls,
            html.Div(kpis(data, lang), id="compliance-kpis"),
            dmc.Paper(html.Div(trend(data, [], lang), id="compliance-trend-box"), withBorder=True, p="xs",
                      radius="md"),
            _card(t("compliance.rank.title", lang), ranking(data, meeting, lang), "compliance-ranking",
                  dmc.Select(id="compliance-meeting", label=t("compliance.control.meeting", lang), data=meetings,
                             value=str(meeting) if meeting else None, allowDeselect=False, w=300)),
            dmc.Paper(html.Div(items(data, lang), id="compliance-items-box"), withBorder=True, p="xs", radius="md"),
            _card(t("compliance.chronic.title", lang),
                  chronic(data, DEFAULT_CHRONIC_MIN, rules.CHRONIC_DAYS, lang), "compliance-chronic-box",
                  dmc.Group([
                      dmc.NumberInput(id="compliance-chronic-min", label=t("compliance.control.chronic_min", lang),
                                      value=DEFAULT_CHRONIC_MIN, min=1, max=50, w=150),
                      dmc.NumberInput(id="compliance-chronic-days", label=t("compliance.control.chronic_days", lang),
                                      value=rules.CHRONIC_DAYS, min=1, max=365, w=150),
                  ], gap="sm")),
            _card(t("compliance.coverage.title", lang), coverage(data, rules.COVERAGE_DAYS, lang),
                  "compliance-coverage-box",
                  dmc.SegmentedControl(id="compliance-coverage-days", value=str(rules.COVERAGE_DAYS),
                                       data=[{"value": str(n), "label": t("compliance.coverage.days_option", lang, n=n)}
                                             for n in COVERAGE_CHOICES])),
        ],
        className="page page-compliance",
        style={"display": "flex", "flexDirection": "column", "gap": "16px"},
    )


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output("compliance-kpis", "children"),
        Output("compliance-trend-box", "children"),
        Output("compliance-items-box", "children"),
        Input("compliance-period", "value"),
        Input("compliance-townships", "value"),
        prevent_initial_call=True,
    )
    def _main(period, townships):
        if inputs.period(period) is None:
            raise dash.exceptions.PreventUpdate  # the user is still picking the end date
        lang = current_language()
        data = _load(period)
        return kpis(data, lang), trend(data, inputs.ids(townships), lang), items(data, lang)

    @app.callback(
        Output("compliance-ranking", "children"),
        Input("compliance-period", "value"),
        Input("compliance-meeting", "value"),
        prevent_initial_call=True,
    )
    def _ranking(period, meeting):
        if inputs.period(period) is None:
            raise dash.exceptions.PreventUpdate
        lang = current_language()
        data = _load(period)
        return ranking(data, inputs.int_or_none(meeting), lang)

    @app.callback(
        Output("compliance-chronic-box", "children"),
        Input("compliance-period", "value"),
        Input("compliance-chronic-min", "value"),
        Input("compliance-chronic-days", "value"),
        prevent_initial_call=True,
    )
    def _chronic(period, min_failed, days):
        if inputs.period(period) is None or not isinstance(min_failed, (int, float)) \
                or not isinstance(days, (int, float)) or min_failed < 1 or days < 1:
            raise dash.exceptions.PreventUpdate
        lang = current_language()
        data = _load(period)
        return chronic(data, int(min_failed), int(days), lang)

    @app.callback(
        Output("compliance-coverage-box", "children"),
        Input("compliance-period", "value"),
        Input("compliance-coverage-days", "value"),
        prevent_initial_call=True,
    )
    def _coverage(period, days):
        if inputs.period(period) is None or not isinstance(days, (int, float)) or days < 1:
            raise dash.exceptions.PreventUpdate
        lang = current_language()
        data = _load(period)
        return coverage(data, int(days), lang)


dash.register_page(__name__, path="/compliance", name="compliance", title="合规分析", layout=layout)
