"""Alerts and stop-work: the measures each alert level orders on construction sites, the alert
periods, and per alert which sites were checked, which were found working during the stop
order (violations) and which active sites were not checked. Read-only.
"""

from __future__ import annotations

import dash
import dash_mantine_components as dmc
import pandas as pd
from dash import Input, Output, html

from dashboard.analytics.alerts import alert_list, alert_report
from dashboard.auth import current_language
from dashboard.domain.alerts import (
    LEVELS,
    ROMAN,
    added_measures,
    measure_label,
    measures,
)
from dashboard.figures.compliance import ALERT_COLOURS
from dashboard.figures.theme import text_colour_on
from dashboard.i18n import t
from dashboard.i18n.formats import format_datetime
from dashboard.ui.components.datagrid import (
    WRAPPED,
    data_grid,
    site_cells,
    site_columns,
)
from dashboard.ui.components.empty import when_empty
from dashboard.ui.data import app_settings, read_session
from dashboard.ui.inputs import BadInput, int_or_none


def _level_badge(level: str, lang: str, size: str = "md"):
    colour = ALERT_COLOURS[level]
    return dmc.Badge(f"{t(f'alert.level.{level}', lang)}（{ROMAN[level]}级）" if lang == "zh"
                     else f"{t(f'alert.level.{level}', lang)} ({ROMAN[level]})", color=colour, size=size,
                     styles={"root": {"color": text_colour_on(colour)}})


def _measures_table(lang: str):
    rows = []
    for level in LEVELS[1:]:  # blue orders no stop on sites
        own = added_measures(level)
        inherited = [m for m in measures(level) if m not in own]
        text = "、".join(measure_label(m, lang) for m in own) if lang == "zh" else \
            "; ".join(measure_label(m, lang) for m in own)
        if inherited:
            text = t("alerts.measures.plus", lang, measures=text)
        rows.append(dmc.TableTr([dmc.TableTd(_level_badge(level, lang)), dmc.TableTd(text)]))
    return dmc.Table([
        dmc.TableThead(dmc.TableTr([dmc.TableTh(t("alerts.measures.level", lang)),
                                    dmc.TableTh(t("alerts.measures.measures", lang))])),
        dmc.TableTbody(rows),
    ], id="alerts-measures", verticalSpacing="xs")


def _period(starts_at, ends_at, lang: str, tz) -> str:
    end = format_datetime(ends_at, lang, tz) if pd.notna(ends_at) else t("alerts.ongoing", lang)
    return f"{format_datetime(starts_at, lang, tz)} – {end}"


def _alerts_table(frame: pd.DataFrame, lang: str, tz):
    head = [t(f"alerts.list.{c}", lang) for c in ("level", "period", "hours", "checked", "violations", "unchecked")]
    body = [dmc.TableTr([
        dmc.TableTd(dmc.Group([_level_badge(r.level, lang, "sm"),
                               dmc.Badge(t("alerts.active", lang), color="red", variant="outline", size="sm")
                               if r.active else None], gap=4)),
        dmc.TableTd(_period(r.starts_at, r.ends_at, lang, tz)),
        dmc.TableTd(f"{r.hours:.0f}"),
        dmc.TableTd(str(r.checked_sites)),
        dmc.TableTd(dmc.Text(str(r.violations), size="sm", **({"c": "red", "fw": 700} if r.violations else {}))),
        dmc.TableTd(str(r.unchecked_sites)),
    ]) for r in frame.itertuples()]
    return dmc.Table([dmc.TableThead(dmc.TableTr([dmc.TableTh(h) for h in head])), dmc.TableTbody(body)],
                     striped=True, highlightOnHover=True, verticalSpacing="xs", id="alerts-list")


def _stamp(value, tz) -> str:
    return pd.Timestamp(value).tz_convert(tz).strftime("%Y-%m-%d %H:%M")


def detail(alert_id: int, lang: str):
    """The report of one alert: counts and three tables."""
    tz = app_settings().tz
    with read_session() as session:
        report = alert_report(session, tz, alert_id)
    if report is None:
        raise BadInput("alert")
    alert = report.alert
    violation_rows = [site_cells(r, lang) | {
        "when": _stamp(r.inspected_at, tz), "inspector": r.inspector_name, "note": r.note,
    } for r in report.violations.itertuples()]
    checked_rows = [site_cells(r, lang) | {
        "checks": int(r.checks), "violations": int(r.violations), "failed_items": int(r.failed_items),
        "last_check": _stamp(r.last_check, tz),
    } for r in report.checked.itertuples()]
    unchecked_rows = [site_cells(r, lang) | {
        "status": t(f"sites.status.{r.status}", lang),
        "last_inspected": r.last_inspected.isoformat() if r.last_inspected else t("alerts.never", lang),
    } for r in report.unchecked.itertuples()]
    red = {"styleConditions": [{"condition": "params.value > 0", "style": {"color": "#c92a2a", "fontWeight": 700}}]}
    violation_cols = site_columns(lang, [
        {"field": "when", "headerName": t("alerts.col.when", lang), "width": 150},
        {"field": "inspector", "headerName": t("alerts.col.inspector", lang), "width": 100},
        {"field": "note", "headerName": t("alerts.col.note", lang), "flex": 2, "minWidth": 220, **WRAPPED},
    ])
    checked_cols = site_columns(lang, [
        {"field": "checks", "headerName": t("alerts.col.checks", lang), "width": 100},
        {"field": "violations", "headerName": t("alerts.col.violations", lang), "width": 110, "cellStyle": red},
        {"field": "failed_items", "headerName": t("alerts.col.failed_items", lang), "width": 110},
        {"field": "last_check", "headerName": t("alerts.col.last_check", lang), "width": 150},
    ])
    unchecked_cols = site_columns(lang, [
        {"field": "status", "headerName": t("sites.col.status", lang), "width": 90},
        {"field": "last_inspected", "headerName": t("alerts.col.last_inspected", lang), "width": 140},
    ])
    in_scope = len(report.checked) + len(report.unchecked)
    share = f"{len(report.checked) / in_scope * 100:.0f}%" if in_scope else "—"
    summary = dmc.Text(t("alerts.detail.summary", lang, level=t(f"alert.level.{alert['level']}", lang),
                         period=_period(alert["starts_at"], alert["ends_at"], lang, tz), checks=len(report.checks),
                         checked=len(report.checked), share=share, violations=len(report.violations),
                         unchecked=len(report.unchecked)), id="alerts-summary")
    measure_text = ("、" if lang == "zh" else "; ").join(measure_label(m, lang) for m in measures(alert["level"]))
    return dmc.Stack([
        summary,
        dmc.Text(t("alerts.detail.measures", lang, measures=measure_text), size="sm", c="dimmed"),
        dmc.Text(alert["note"], size="sm") if alert["note"] else None,
        dmc.Title(t("alerts.detail.violations", lang, n=len(violation_rows)), order=5,
                  **({"c": "red"} if violation_rows else {})),
        data_grid("alerts-violations", violation_cols, violation_rows, lang, height="240px", page_size=None)
        if violation_rows else dmc.Text(t("alerts.detail.no_violations", lang), c="dimmed", size="sm",
                                        id="alerts-no-violations"),
        dmc.Title(t("alerts.detail.checked", lang, n=len(checked_rows)), order=5),
        data_grid("alerts-checked", checked_cols, checked_rows, lang, height="320px", page_size=None),
        dmc.Title(t("alerts.detail.unchecked", lang, n=len(unchecked_rows)), order=5),
        data_grid("alerts-unchecked", unchecked_cols, unchecked_rows, lang, height="320px", page_size=None),
    ], gap="sm")


@when_empty("alerts", "empty.alerts")
def layout(**_query) -> html.Div:
    lang = current_language()
    tz = app_settings().tz
    with read_session() as session:
        frame, _now = alert_list(session, tz)
    options = [{"value": str(int(r.id)),
                "label": f"{t(f'alert.level.{r.level}', lang)} · {_period(r.starts_at, r.ends_at, lang, tz)}"}
               for r in frame.itertuples()]
    first = int(frame["id"].iloc[0]) if not frame.empty else None
    return html.Div(
        [
            dmc.Title(t("alerts.title", lang), order=2),
            dmc.Paper([dmc.Title(t("alerts.measures.title", lang), order=4, mb="xs"), _measures_table(lang),
                       dmc.Text(t("alerts.measures.note", lang), size="xs", c="dimmed", mt="xs")],
                      withBorder=True, p="md", radius="md"),
            dmc.Paper([dmc.Title(t("alerts.list.title", lang), order=4, mb="xs"),
                       _alerts_table(frame, lang, tz) if not frame.empty
                       else dmc.Text(t("alerts.none", lang), c="dimmed", id="alerts-none")],
                      withBorder=True, p="md", radius="md"),
            dmc.Paper([
                dmc.Group([
                    dmc.Title(t("alerts.detail.title", lang), order=4),
                    dmc.Select(id="alerts-choice", data=options, value=str(first) if first else None,
                               allowDeselect=False, w=460, label=t("alerts.detail.choose", lang)),
                ], justify="space-between", align="flex-end"),
                html.Div(detail(first, lang) if first else None, id="alerts-detail", style={"marginTop": "12px"}),
            ], withBorder=True, p="md", radius="md") if first else None,
        ],
        className="page page-alerts",
        style={"display": "flex", "flexDirection": "column", "gap": "16px"},
    )


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(Output("alerts-detail", "children"), Input("alerts-choice", "value"), prevent_initial_call=True)
    def _detail(alert_id):
        if not alert_id:
            raise dash.exceptions.PreventUpdate
        return detail(int_or_none(alert_id), current_language())


dash.register_page(__name__, path="/alerts", name="alerts", title="预警管控", layout=layout)
