"""The pre-meeting briefing (会前简报): ``/briefing`` for the next meeting, ``/briefing/<n>`` for
meeting n. One screen for the district head: what changed in the meeting's period, who is
behind, how the air moved; printable on A4 (``assets/print.css``) and as a PDF
(``python -m dashboard briefing``). Facts: ``analytics.briefing``; narrative:
``analytics.briefing_narrative``.
"""

from __future__ import annotations

import dash
import dash_mantine_components as dmc
import pandas as pd
from dash import Input, Output, dcc, html

from dashboard.analytics import briefing as analytics
from dashboard.analytics import meetings as meeting_analytics
from dashboard.analytics.briefing_narrative import figure, narrative
from dashboard.auth import current_language
from dashboard.figures import analysis as analysis_figs
from dashboard.figures.theme import AQI_COLOURS, graph_config, text_colour_on
from dashboard.i18n import t
from dashboard.i18n.formats import format_date, format_datetime, unit_name
from dashboard.ui.components.meeting_parts import category_label, section, simple_table
from dashboard.ui.components.targets_panel import budget_sentence, targets_panel
from dashboard.ui.data import app_settings, read_session

NEXT = "next"


def _change_cell(h: analytics.Headline) -> html.Span:
    change = h.change
    if change is None:
        return html.Span("—")
    if change == 0:
        return html.Span("±0", className="change-flat")
    good = (change < 0) == h.lower_is_better
    arrow = "▲" if change > 0 else "▼"
    sign = "+" if change > 0 else "−"
    return html.Span(f"{arrow} {sign}{figure(abs(change), h.digits)}",
                     className="change-good" if good else "change-bad")


def _headline_table(b: analytics.Briefing, lang: str):
    rows = [[t(f"briefing.h.{h.key}", lang), html.B(figure(h.now, h.digits)), figure(h.before, h.digits),
             _change_cell(h)] for h in b.headline]
    head = [t("briefing.col.measure", lang), t("briefing.col.now", lang), t("briefing.col.before", lang),
            t("briefing.col.change", lang)]
    return simple_table(head, rows, "briefing-headline-table")


def _category_table(b: analytics.Briefing, lang: str):
    rows = []
    for r in b.categories.itertuples():
        colour = AQI_COLOURS[int(r.category)]
        chip = html.Span(category_label(int(r.category), lang), className="aqi-chip",
                         style={"backgroundColor": colour, "color": text_colour_on(colour)})
        rows.append([chip, str(r.now), str(r.before)])
    head = [t("briefing.col.category", lang), t("briefing.col.now", lang), t("briefing.col.before", lang)]
    return simple_table(head, rows, "briefing-category-table")


def _rank_change(rank: int, before) -> html.Span:
    if pd.isna(before):
        return html.Span("—")
    moved = int(before) - int(rank)
    if moved == 0:
        return html.Span("—", className="change-flat")
    return html.Span(f"↑{moved}" if moved > 0 else f"↓{-moved}", className="change-good" if moved > 0 else "change-bad")


def _township_table(b: analytics.Briefing, lang: str):
    if b.townships.empty:
        return dmc.Text(t("briefing.no_checks", lang), c="dimmed")
    rows = [[str(r.rank), unit_name(r.township, r.township_en, lang), figure(r.rate, 1), str(r.applicable),
             str(r.failed), "—" if pd.isna(r.rank_before) else str(r.rank_before), _rank_change(r.rank, r.rank_before)]
            for r in b.townships.itertuples()]
    head = [t(f"briefing.col.{c}", lang) for c in ("rank", "township", "rate", "applicable", "failed", "rank_before",
                                                   "rank_change")]
    return [dmc.Text(t("briefing.townships_note", lang), size="xs", c="dimmed"),
            simple_table(head, rows, "briefing-township-table")]


def _sites_table(b: analytics.Briefing, lang: str, labels: dict):
    if b.worst_sites.empty:
        return dmc.Text(t("briefing.none", lang), c="dimmed")
    rows = [[r.site, unit_name(r.township, r.township_en, lang), str(r.failed),
             labels.get(r.item_key, (r.item_key, r.item_key))[0 if lang == "zh" else 1]]
            for r in b.worst_sites.itertuples()]
    head = [t(f"briefing.col.{c}", lang) for c in ("site", "township", "failed", "item")]
    return simple_table(head, rows, "briefing-sites-table")


def _ledger(b: analytics.Briefing, lang: str):
    note = t("briefing.units_note_held" if b.held_at is not None and not b.period.running
             else "briefing.units_note_next", lang)
    if b.units.empty:
        return [dmc.Text(note, size="xs", c="dimmed"), dmc.Text(t("briefing.no_ledger", lang), c="dimmed")]
    units = simple_table(
        [t(f"briefing.col.{c}", lang) for c in ("unit", "open", "overdue", "carried", "max_days")],
        [[unit_name(r.unit, r.unit_en, lang), str(r.open), str(r.overdue), str(r.carried), str(r.max_days_overdue)]
         for r in b.units.itertuples()],
        "briefing-units-table",
    )
    parts = [dmc.Text(note, size="xs", c="dimmed"), units]
    if not b.overdue_items.empty:
        items = simple_table(
            [t(f"briefing.col.{c}", lang) for c in ("meeting", "task", "unit", "deadline", "days_overdue",
                                                     "times_carried")],
            [[f"{r.meeting_number}-{r.seq}", r.task, unit_name(r.responsible_unit, r.responsible_unit_en, lang),
              format_date(r.deadline, lang), str(r.days_overdue), str(r.carried)]
             for r in b.overdue_items.itertuples()],
            "briefing-items-table",
        )
        parts += [dmc.Title(t("briefing.items", lang), order=5, mt="sm"), items]
    return parts


def _alerts_table(b: analytics.Briefing, lang: str, tz):
    if b.alerts.empty:
        return dmc.Text(t("briefing.none", lang), c="dimmed")
    def when(value) -> str:
        return t("briefing.in_force", lang) if pd.isna(value) else format_datetime(value.to_pydatetime(), lang, tz)

    rows = [[t(f"alert.level.{r.level}", lang), when(r.starts_at), when(r.ends_at)] for r in b.alerts.itertuples()]
    head = [t(f"briefing.col.{c}", lang) for c in ("level", "start", "end")]
    return simple_table(head, rows, "briefing-alerts-table")


def _period_lines(b: analytics.Briefing, lang: str, tz) -> list:
    p, q = b.period, b.previous
    if not p.days:
        line = t("briefing.period_empty", lang, first=format_date(p.first, lang))
    else:
        line = t("briefing.period_running" if p.running else "briefing.period", lang,
                 first=format_date(p.first, lang), last=format_date(p.last, lang), days=p.days)
    lines = [dmc.Text(line, id="briefing-period"),
             dmc.Text(t("briefing.compared", lang, first=format_date(q.first, lang), last=format_date(q.last, lang),
                        days=q.days), size="sm", c="dimmed")]
    if b.held_at is not None:
        lines.insert(0, dmc.Text(t("briefing.held", lang, time=format_datetime(b.held_at, lang, tz)), size="sm"))
    return lines


def _points(b: analytics.Briefing, year, lang: str) -> list[str]:
    """The narrative with the year's polluted-day budget before its closing caveat."""
    lines = narrative(b, lang)
    return [*lines[:-1], budget_sentence(year, lang), lines[-1]]


def _graph(graph_id: str, figure: dict, lang: str) -> dcc.Graph:
    height = figure.get("layout", {}).get("height") or 400
    return dcc.Graph(id=graph_id, figure=figure, config=graph_config(lang) | {"displayModeBar": False},
                     responsive=True, style={"height": f"{height}px", "width": "100%"})


def _charts(data: analytics.BriefingPage, lang: str, tz) -> list:
    """The analysis page's combined time view (district) and township quadrant for the
    briefing's period, with a link to that view there."""
    view = data.view
    # Figures as plain dicts, drawn once per cached briefing and language.
    combined = data.drawn(("combined", lang), lambda: analysis_figs.combined(
        data.timeline, lang, tz, t("analysis.district", lang), (view.first, view.last) if view.days else None
    ).to_plotly_json())
    quadrant = data.drawn(("quadrant", lang), lambda: analysis_figs.quadrant(data.quadrant, lang).to_plotly_json())
    link = dcc.Link(t("briefing.open_analysis", lang), href=f"/analysis?period={view.key}", className="no-print")
    return [
        section(t("briefing.combined", lang), [_graph("briefing-combined", combined, lang)],
                "briefing-combined-section", right=link),
        section(t("briefing.quadrant", lang), [
            dmc.Text(t("briefing.quadrant_note", lang), size="xs", c="dimmed"),
            _graph("briefing-quadrant", quadrant, lang),
        ], "briefing-quadrant-section"),
    ]


def _meeting_options(meetings, next_number: int, lang: str, tz) -> list[dict]:
    options = [{"value": NEXT, "label": t("briefing.next_option", lang, number=next_number)}]
    options += [{"value": str(number),
                 "label": t("briefing.meeting_option", lang, number=number,
                            date=format_date(held_at.astimezone(tz).date(), lang))}
                for number, held_at in meetings]
    return options


def layout(number: str | None = None, **_query):
    lang = current_language()
    settings = app_settings()
    tz = settings.tz
    wanted: int | None = None
    if number is not None:
        try:
            wanted = int(number)
        except ValueError:
            wanted = -1
    with read_session() as session:
        data = analytics.briefing_page(session, settings.database_url, tz, wanted) if wanted != -1 else None
        upcoming = analytics.briefing_number(session, tz)
        meetings = meeting_analytics.meeting_dates(session)
        labels = meeting_analytics.item_labels(session)
    if data is None:
        return html.Div([dmc.Title(t("briefing.not_found", lang, number=number), order=2),
                         dmc.Anchor(t("nav.briefing", lang), href="/briefing")], className="page page-briefing")
    b, year = data.briefing, data.year
    is_next = wanted is None or b.number == upcoming
    title = t("briefing.title_next" if is_next else "briefing.title", lang, number=b.number)
    controls = dmc.Group(
        [
            dmc.Select(id="briefing-meeting", label=t("briefing.choose", lang), w=240, allowDeselect=False,
                       data=_meeting_options(meetings, upcoming, lang, tz),
                       value=NEXT if is_next else str(b.number)),
            html.Button(t("briefing.print", lang), id="briefing-print", className="briefing-button"),
            dmc.Anchor(t("briefing.open_meeting", lang), href=f"/meetings/{b.number}") if b.recorded else None,
            dcc.Location(id="briefing-location", refresh=True),
        ],
        align="flex-end", gap="md", className="no-print",
    )
    return html.Div(
        [
            dcc.Store(id="briefing-print-title", data=title),
            html.Div(id="briefing-print-hook", hidden=True),
            dmc.Group([dmc.Stack([dmc.Title(title, order=2, id="briefing-title"), *_period_lines(b, lang, tz)],
                                 gap=2), controls], justify="space-between", align="flex-end"),
            section(t("briefing.points", lang),
                    html.Ol([html.Li(line) for line in _points(b, year, lang)],
                            className="briefing-points"), "briefing-points"),
            html.Div(
                [section(t("briefing.headline", lang), _headline_table(b, lang), "briefing-headline"),
                 section(t("briefing.categories", lang), _category_table(b, lang), "briefing-categories")],
                className="briefing-pair",
            ),
            *_charts(data, lang, tz),
            dmc.Paper(data.drawn(("targets", lang), lambda: targets_panel(year, lang, "briefing-targets")),
                      withBorder=True, p="md", radius="md"),
            section(t("briefing.townships", lang), _township_table(b, lang), "briefing-townships"),
            section(t("briefing.sites", lang), _sites_table(b, lang, labels), "briefing-sites"),
            section(t("briefing.units", lang), _ledger(b, lang), "briefing-ledger"),
            section(t("briefing.alerts", lang), _alerts_table(b, lang, tz), "briefing-alerts"),
            dmc.Text(t("briefing.footer", lang, today=format_date(b.today, lang)), size="xs", c="dimmed",
                     id="briefing-footer"),
        ],
        className="page page-briefing briefing",
    )


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output("briefing-location", "href"),
        Input("briefing-meeting", "value"),
        prevent_initial_call=True,
    )
    def _go(value):
        if value == NEXT:
            return "/briefing"
        try:
            return f"/briefing/{int(value)}"
        except (TypeError, ValueError):
            raise dash.exceptions.PreventUpdate from None

    # The printed page's running header names the meeting (CSS @page cannot read the document).
    app.clientside_callback(
        """function (title) {
            var style = document.getElementById('briefing-page-style');
            if (!style) { style = document.createElement('style'); style.id = 'briefing-page-style';
                          document.head.appendChild(style); }
            var text = String(title || '').replace(/["\\\\]/g, '');
            style.textContent = '@page briefing { @top-center { content: "' + text + '"; } }';
            return window.dash_clientside.no_update;
        }""",
        Output("briefing-print-hook", "className"),
        Input("briefing-print-title", "data"),
    )
    app.clientside_callback(
        "function (n) { if (n) { window.print(); } return window.dash_clientside.no_update; }",
        Output("briefing-print", "className"),
        Input("briefing-print", "n_clicks"),
        prevent_initial_call=True,
    )


dash.register_page(__name__, path="/briefing", name="briefing", title="调度简报", layout=layout)
dash.register_page(f"{__name__}.meeting", path_template="/briefing/<number>", name="briefing-meeting",
                   title="调度简报", layout=layout)
