"""Rectification tracking (整改跟踪): open ones with deadline, days overdue and escalation level,
closed ones with the inspection that closed them (the evidence).

Levels depend on the day: the page shows each one as of the dashboard's today
(``analytics.rectifications``), without writing; the ladder and deadline rules are shown too.
"""

from __future__ import annotations

import datetime as dt

import dash
import dash_mantine_components as dmc
import pandas as pd
from dash import Input, Output, State, dcc, html

from dashboard import analytics
from dashboard.analytics import inspections as inspection_analytics
from dashboard.analytics.rectifications import STATUS_FILTERS, closed_since, for_filters, rectifications
from dashboard.analytics.rectifications import rules as rectification_rules
from dashboard.auth import current_language
from dashboard.domain.inspection import may_write
from dashboard.domain.rectification import LEVELS
from dashboard.i18n import t
from dashboard.i18n.formats import format_date
from dashboard.ui.components.datagrid import (
    paged_grid,
    phone_probe,
    refresh_on_change,
    register_phone_probe,
    serve_rows,
)
from dashboard.ui.components.empty import when_empty
from dashboard.ui.data import acting_user, app_settings, read_session
from dashboard.ui.inputs import BadInput, int_or_none


def title(**_kwargs) -> str:
    lang = current_language()
    return f"{t('rectifications.title', lang)} · {t('app.title', lang)}"


def _md(text: str) -> str:
    return "".join("\\" + c if c in "[]()*_`\\<>#" else c for c in str(text))


def _level_label(level: int, lang: str) -> str:
    return t(f"rectifications.level.{LEVELS[int(level)]}", lang)


def _columns(lang: str) -> list[dict]:
    def h(key: str) -> str:
        return t(f"rectifications.col.{key}", lang)

    return [
        {"field": "site", "headerName": h("site"), "cellRenderer": "markdown", "flex": 2, "minWidth": 220,
         "tooltipField": "site_name"},
        {"field": "township", "headerName": h("township"), "width": 140, "tooltipField": "township"},
        {"field": "item", "headerName": h("item"), "flex": 2, "minWidth": 260, "tooltipField": "item"},
        {"field": "opened", "headerName": h("opened"), "width": 115},
        {"field": "deadline", "headerName": h("deadline"), "width": 115},
        {"field": "overdue", "headerName": h("overdue"), "width": 105, "type": "numericColumn",
         "cellClassRules": {"overdue-cell": "params.value > 0"}},
        {"field": "level_label", "headerName": h("level"), "width": 120,
         "cellClassRules": {f"esc-cell esc-{n}": f"params.data && params.data.level == {n}"
                            for n in range(len(LEVELS))}},
        {"field": "unit", "headerName": h("unit"), "flex": 2, "minWidth": 220, "tooltipField": "unit"},
        {"field": "opened_by", "headerName": h("opened_by"), "cellRenderer": "markdown", "width": 110},
        {"field": "status", "headerName": h("status"), "width": 105},
        {"field": "closed_by", "headerName": h("closed_by"), "cellRenderer": "markdown", "width": 180},
        {"field": "recheck", "headerName": h("recheck"), "cellRenderer": "markdown", "width": 90},
    ]


# A phone shows the rows as cards; more than this many would be a long scroll to nowhere.
CARD_LIMIT = 60


def _recheck_href(rect_id: int) -> str:
    return f"/inspections/new?recheck={rect_id}"


def _rows(frame, lang: str, tz) -> list[dict]:
    actor = acting_user()
    rows = []
    for r in frame.itertuples():
        # Offered only to who may record it: an inspector for the own township's sites.
        can_recheck = r.status == "open" and may_write(actor.role or "viewer", actor.township_id, int(r.township_id))
        closed = ""
        if pd.notna(r.closed_inspection_id) and pd.notna(r.closed_at):
            closed = f"[{r.closed_at.astimezone(tz):%Y-%m-%d} #{int(r.closed_inspection_id)}]" \
                     f"(/inspections/{int(r.closed_inspection_id)})"
            if r.evidence:
                closed += " " + t("rectifications.photos", lang, count=len(r.evidence))
        rows.append({
            "id": str(int(r.id)),  # AG Grid keys rows by strings (getRowId)
            "site": f"[{_md(r.site_code)} {_md(r.site_name)}](/sites/{int(r.site_id)})",
            "site_name": r.site_name,
            "township": (r.township_en or r.township) if lang == "en" else r.township,
            "item": (r.item_label_en or r.item_label) if lang == "en" else r.item_label,
            "opened": f"{r.opened_at.astimezone(tz):%Y-%m-%d}",
            "deadline": f"{r.deadline:%Y-%m-%d}",
            "overdue": int(r.days_overdue),
            "level": int(r.escalation_level),
            "level_label": _level_label(r.escalation_level, lang),
            "unit": r.responsible_unit,
            "opened_by": f"[#{int(r.opened_inspection_id)}](/inspections/{int(r.opened_inspection_id)})",
            "opened_by_id": int(r.opened_inspection_id),
            "status": t(f"rectifications.status.{r.status}", lang),
            "closed_by": closed,
            "closed_text": closed.split("]")[0].lstrip("["),
            "recheck": f"[{t('rectifications.recheck', lang)}]({_recheck_href(int(r.id))})" if can_recheck else "",
            "recheck_href": _recheck_href(int(r.id)) if can_recheck else None,
            "site_href": f"/sites/{int(r.site_id)}", "site_label": f"{r.site_code} {r.site_name}",
        })
    return rows


def _cards(rows: list[dict], lang: str) -> list:
    """The rows as stacked cards for a phone, where nine columns cannot fit."""
    cards = [
        html.Div(
            [
                dcc.Link(row["site_label"], href=row["site_href"], className="rect-card-site"),
                html.Div(row["item"], className="rect-card-item"),
                html.Div(
                    [
                        html.Span(f"{t('rectifications.col.deadline', lang)} {row['deadline']}"),
                        html.Span(t("sites.detail.days", lang, n=row["overdue"]), className="overdue-cell")
                        if row["overdue"] > 0 else None,
                        html.Span(row["level_label"], className=f"esc-cell esc-{row['level']} rect-card-level"),
                        html.Span(row["status"]),
                    ],
                    className="rect-card-meta",
                ),
                html.Div(row["unit"], className="rect-card-unit"),
                dmc.Anchor(dmc.Button(t("rectifications.recheck", lang), size="sm", variant="light"),
                           href=row["recheck_href"], className="rect-card-recheck")
                if row["recheck_href"] else None,
            ],
            className="rect-card",
        )
        for row in rows[:CARD_LIMIT]
    ]
    if len(rows) > CARD_LIMIT:
        cards.append(dmc.Text(t("rectifications.cards_more", lang, shown=CARD_LIMIT, count=len(rows)), size="sm",
                              c="dimmed"))
    return cards


def _kpi(label: str, value: int, kpi_id: str, color: str = "dark") -> dmc.Paper:
    return dmc.Paper(
        [dmc.Text(label, size="sm", c="dimmed"), dmc.Text(str(value), fw=800, fz=28, c=color, id=kpi_id)],
        withBorder=True, p="sm", miw=130,
    )


@when_empty("rectifications", "empty.rectifications", [("empty.inspections.new", "/inspections/new")],
            link_role="inspector")
def layout(status: str | None = None, search: str | None = None, **_query) -> html.Div:
    lang = current_language()
    settings = app_settings()
    tz = settings.tz
    with read_session() as session:
        today = analytics.today(session, tz)
        rules = rectification_rules(session)
        # The counts need the open ones only (with today's levels); the closed ones grow with history.
        frame = rectifications(session, today, tz, status="open")
        closed_week = closed_since(session, dt.datetime.combine(today - dt.timedelta(days=6), dt.time(), tz))
        towns = inspection_analytics.townships(session)
        checklist = inspection_analytics.checklist_for(session, today)
    is_open = frame["status"] == "open"
    level_counts = frame[is_open]["escalation_level"].value_counts()
    kpis = dmc.Group(
        [
            _kpi(t("rectifications.kpi.open", lang), int(is_open.sum()), "rect-kpi-open"),
            _kpi(t("rectifications.kpi.overdue", lang), int((is_open & (frame["days_overdue"] > 0)).sum()),
                 "rect-kpi-overdue", "red"),
            *[_kpi(_level_label(n, lang), int(level_counts.get(n, 0)), f"rect-kpi-level-{n}")
              for n in range(1, len(LEVELS))],
            _kpi(t("rectifications.kpi.closed_week", lang), closed_week, "rect-kpi-closed", "teal"),
        ],
        gap="sm",
    )
    late = t("rectifications.late_sep", lang).join(
        t("rectifications.late_any", lang) if days == 0 else t("rectifications.late_over", lang, days=days)
        for days in rules.late_thresholds)
    rules_text = t("rectifications.rules", lang, days=rules.deadline_days, cap=rules.repeat_cap,
                   window=rules.repeat_window_days, late=late)
    actor = acting_user()
    own = actor.township_id if actor.role == "inspector" else None
    filters = dmc.Group(
        [
            dmc.Select(
                id="rect-f-township", label=t("inspections.list.township", lang), clearable=True,
                data=[{"value": str(r.id), "label": (r.name_en or r.name) if lang == "en" else r.name}
                      for r in towns.itertuples()],
                value=str(own) if own else None, placeholder=t("inspections.list.all", lang), w=180,
            ),
            dmc.Select(
                id="rect-f-item", label=t("rectifications.item", lang), clearable=True,
                data=[{"value": key, "label": (en or zh) if lang == "en" else zh}
                      for key, _pos, zh, en in (checklist.items if checklist else ())],
                placeholder=t("inspections.list.all", lang), w=260,
            ),
            dmc.Stack(
                [
                    dmc.Text(t("rectifications.status_filter", lang), size="sm", fw=500),
                    dmc.SegmentedControl(
                        id="rect-f-status", value=status if status in STATUS_FILTERS else "open",
                        data=[{"value": k, "label": t(f"rectifications.filter.{k}", lang)} for k in STATUS_FILTERS],
                    ),
                ],
                gap=2,
            ),
            dmc.TextInput(id="rect-f-search", label=t("rectifications.search", lang), w=200,
                          value=str(search or "")[:60],
                          placeholder=t("rectifications.search_hint", lang)),
        ],
        align="flex-end", gap="md",
    )
    grid = paged_grid("rect-grid", _columns(lang), lang, height="600px", row_id="params.data.id",
                      class_name="insp-grid")
    return html.Div(
        [
            dmc.Group(
                [
                    dmc.Title(t("rectifications.title", lang), order=2),
                    dmc.Text(t("rectifications.as_of", lang, date=format_date(today, lang)), c="dimmed",
                             id="rect-as-of"),
                ],
                justify="space-between", align="baseline",
            ),
            kpis,
            dmc.Text(rules_text, size="sm", c="dimmed", id="rect-rules"),
            dmc.Paper(filters, withBorder=True, p="md"),
            dmc.Text("", id="rect-count", size="sm", c="dimmed"),
            dmc.Box(grid, visibleFrom="sm"),
            dmc.Box(id="rect-cards", hiddenFrom="sm", className="rect-cards"),
            phone_probe("rect"),
        ],
        className="page page-rectifications",
        style={"display": "flex", "flexDirection": "column", "gap": "14px"},
    )


# Link columns sort and filter by their plain text.
SORT_FIELDS = {"site": "site_label", "opened_by": "opened_by_id", "closed_by": "closed_text"}


def _selected(status, township, item, search) -> list[dict]:
    """The rows the page's filters and search select, in the user's language."""
    lang = current_language()
    tz = app_settings().tz
    if status not in (None, *STATUS_FILTERS) or not isinstance(item, (str, type(None))):
        raise BadInput("filters")
    with read_session() as session:
        frame = for_filters(session, analytics.today(session, tz), tz, status or "open", int_or_none(township),
                            item)
    rows = _rows(frame, lang, tz)
    words = search.lower().split() if isinstance(search, str) else []
    if words:
        rows = [r for r in rows
                if all(w in " ".join(r[k] or "" for k in ("site_label", "township", "item", "unit")).lower()
                       for w in words)]
    return rows


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output("rect-grid", "getRowsResponse"),
        Output("rect-count", "children"),
        Input("rect-grid", "getRowsRequest"),
        State("rect-f-status", "value"),
        State("rect-f-township", "value"),
        State("rect-f-item", "value"),
        State("rect-f-search", "value"),
    )
    def _load(request, status, township, item, search):
        if not request:
            raise dash.exceptions.PreventUpdate
        rows = _selected(status, township, item, search)
        return (serve_rows(rows, request, sort_fields=SORT_FIELDS, filter_fields=SORT_FIELDS),
                t("rectifications.count", current_language(), count=len(rows)))

    refresh_on_change(app, "rect-grid", [Input("rect-f-status", "value"), Input("rect-f-township", "value"),
                                         Input("rect-f-item", "value"), Input("rect-f-search", "value")])

    register_phone_probe(app, "rect")

    @app.callback(
        Output("rect-cards", "children"),
        Input("rect-f-status", "value"),
        Input("rect-f-township", "value"),
        Input("rect-f-item", "value"),
        Input("rect-f-search", "value"),
        Input("rect-phone", "data"),
    )
    def _cards_of(status, township, item, search, phone):
        # A phone shows cards, not the grid: the first ones of the same selection.
        if phone is not True:
            return []
        return _cards(_selected(status, township, item, search), current_language())


dash.register_page(__name__, path="/rectifications", name="rectifications", title=title, layout=layout)
