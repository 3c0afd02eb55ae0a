"""The "before and after the meeting" card of a meeting page: the N-day control with the
comparison table, a small figure and the meeting's actions (``analytics.meeting_effect``)."""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import dcc, html

from dashboard.analytics import meeting_effect as effect
from dashboard.figures import meetings as figs
from dashboard.figures.theme import graph_config
from dashboard.i18n import t
from dashboard.i18n.formats import fmt_number, fmt_share, format_date, format_day_range
from dashboard.ui.components.meeting_parts import fmt_change, section, simple_table

SERIES = (effect.DISTRICT, effect.BACKGROUND, effect.YEAR_BEFORE)


def _mean(value: float | None, valid: int, n: int, lang: str) -> html.Div:
    days = t("meetings.effect.valid_days", lang, days=valid, n=n)
    return html.Div([
        html.Span(fmt_number(value), className="effect-mean"),
        # Fewer valid days than asked: the mean stands for fewer days, and says so.
        html.Span(days, className="effect-days effect-days-short" if valid < n else "effect-days"),
    ])


def _change(row: effect.EffectRow) -> html.Span:
    if row.change is None:
        return html.Span("—")
    pct = "" if row.change_pct is None else f" ({row.change_pct:+.1f}%)"
    return html.Span([fmt_change(row.change, ""), pct])


def _table(e: effect.MeetingEffect, lang: str) -> dmc.Table:
    rows = [
        [
            t(f"meetings.effect.series.{r.series}", lang, pollutant=r.pollutant),
            _mean(r.before_mean, r.before_days, e.days, lang),
            _mean(r.after_mean, r.after_days, e.days, lang),
            _change(r),
        ]
        for series in SERIES
        for r in e.rows
        if r.series == series
    ]
    head = [
        t("meetings.effect.col.series", lang),
        t("meetings.effect.before_n", lang, n=e.days),
        t("meetings.effect.after_n", lang, n=e.days),
        t("meetings.effect.col.change", lang),
    ]
    return simple_table(head, rows, "effect-table")


def _notes(e: effect.MeetingEffect, lang: str) -> list:
    notes = []
    if e.after_clipped:
        notes.append(t("meetings.effect.clipped", lang, days=e.after.days, n=e.days,
                       last=format_date(e.last_complete_day, lang)))
    if any(min(r.before_days, r.after_days) < e.days for r in e.rows):
        notes.append(t("meetings.effect.short_note", lang, n=e.days))
    if e.background_stations:
        notes.append(t("meetings.effect.background_stations", lang, codes="、".join(e.background_stations)
                       if lang == "zh" else ", ".join(e.background_stations)))
    else:
        notes.append(t("meetings.effect.no_background", lang))
    if e.row(effect.YEAR_BEFORE, "PM2.5") is None:
        notes.append(t("meetings.effect.no_year_before", lang))
    else:
        before, after = e.year_before
        notes.append(t("meetings.effect.year_before_days", lang,
                       before=format_day_range(before.first, before.last, lang),
                       after=format_day_range(after.first, after.last, lang)))
    return [dmc.Text(n, size="xs", c="dimmed") for n in notes]


def _actions(e: effect.MeetingEffect, lang: str) -> dmc.Paper:
    a = e.actions
    if not a.total:
        lines = [t("meetings.effect.actions_none", lang)]
    else:
        lines = [
            t("meetings.effect.actions_on_time", lang, on_time=a.on_time, due=a.due, share=fmt_share(a.on_time_rate))
            if a.due
            else t("meetings.effect.actions_none_due", lang),
            t("meetings.effect.actions_open", lang, total=a.total, open=a.open, overdue=a.overdue),
        ]
    return dmc.Paper(
        [dmc.Text(t("meetings.effect.actions_title", lang), size="sm", fw=600),
         *[dmc.Text(line, size="sm") for line in lines]],
        withBorder=True, p="xs", radius="sm", id="effect-actions",
    )


def effect_body(e: effect.MeetingEffect, lang: str) -> list:
    """What the card shows for ``e``: a short message where there is nothing to compare yet."""
    windows = t(
        "meetings.effect.windows", lang, n=e.days,
        before=format_day_range(e.before.first, e.before.last, lang) if e.before.days else "—",
        after=format_day_range(e.after.first, e.after.last, lang) if e.after.days else "—",
    )
    if not e.held:
        air = [dmc.Text(t("meetings.effect.not_held", lang), c="dimmed", id="effect-message")]
    elif not e.after.days:
        air = [dmc.Text(t("meetings.effect.no_full_day", lang, last=format_date(e.last_complete_day, lang)),
                        c="dimmed", id="effect-message")]
    elif not e.has_readings:
        air = [dmc.Text(windows, size="sm", id="effect-windows"),
               dmc.Text(t("meetings.effect.no_readings", lang, n=e.days), c="dimmed", id="effect-message")]
    else:
        air = [
            dmc.Text(windows, size="sm", id="effect-windows"),
            dmc.Grid(
                [
                    dmc.GridCol(
                        [html.Div(_table(e, lang), className="effect-table-wrap"), *_notes(e, lang)],
                        span={"base": 12, "lg": 6},
                    ),
                    dmc.GridCol(
                        # A small figure: plotly's tool bar would cover the panel titles.
                        dcc.Graph(figure=figs.effect_bars(e, lang), id="effect-figure", style={"height": "250px"},
                                  config={**graph_config(lang), "displayModeBar": False}),
                        span={"base": 12, "sm": 8, "lg": 4},
                    ),
                    dmc.GridCol(_actions(e, lang), span={"base": 12, "sm": 4, "lg": 2}),
                ],
                gutter="sm",
            ),
        ]
        return [*air, *_footer(e, lang)]
    return [*air, _actions(e, lang), *_footer(e, lang)]


def _footer(e: effect.MeetingEffect, lang: str) -> list:
    return [
        dmc.Text(t("meetings.effect.caveat", lang), size="sm", fw=600, id="effect-caveat"),
        dmc.Text(t("meetings.effect.small_print", lang, n=e.days), size="xs", c="dimmed", id="effect-small-print"),
    ]


def effect_card(e: effect.MeetingEffect, lang: str) -> dmc.Paper:
    """The card with its N control (the page's callback redraws ``effect-body``)."""
    control = dmc.NumberInput(
        id="effect-days", value=e.days, min=effect.MIN_DAYS, max=effect.MAX_DAYS, step=1,
        allowDecimal=False, allowNegative=False, clampBehavior="blur", debounce=400,
        label=t("meetings.effect.days_label", lang), size="xs", w=110,
    )
    return section(
        t("meetings.effect.title", lang),
        [dcc.Store(id="effect-url-sync"), html.Div(effect_body(e, lang), id="effect-body", className="effect-body")],
        "meeting-effect",
        control,
    )
