"""The year against its targets, as one self-contained block: four numbers to date, the
polluted-day budget in a sentence, the paths to date and the months.

For any page (air, 综合研判, the briefing): every element id starts with the caller's
``id_prefix``, so the panel can appear on several pages, or twice on one, without clashes. It
holds no callback; a page that lets the user change the year re-renders it.

``targets_panel`` draws a ``YearProgress`` (pure); ``targets_panel_for`` reads it for the
request's app (its clock and database) first.
"""

from __future__ import annotations

import datetime as dt

import dash_mantine_components as dmc
from dash import dcc, html

from dashboard import analytics
from dashboard.analytics.targets import KEYS, Progress, YearProgress, year_progress
from dashboard.figures import targets as figs
from dashboard.figures.theme import graph_config
from dashboard.i18n import t
from dashboard.i18n.formats import format_date
from dashboard.ui.data import app_settings, read_session


def _share(value: float) -> str:
    return f"{value * 100:g}%"


def budget_sentence(p: YearProgress, lang: str) -> str:
    """"今年还可有几个污染天", plainly: the budget, or that the target can no longer be met, or
    for a finished year whether it was met; with the days that had no valid data."""
    b = p.budget
    share = _share(b.target_share)
    if not p.started:
        return t("targets.budget.not_started", lang, year=p.year, share=share, year_days=b.year_valid_days,
                 remaining=b.remaining)
    if p.finished:
        if not b.valid_days:
            text = t("targets.budget.no_data", lang, year=p.year)
        else:
            key = "targets.budget.met" if b.attainable else "targets.budget.not_met"
            text = t(key, lang, year=p.year, actual=f"{b.good_days / b.valid_days * 100:.1f}%", good=b.good_days,
                     valid=b.valid_days, share=share, short=b.good_days_needed - b.good_days)
    else:
        who = (t("targets.budget.this_year", lang) if p.year == p.today.year
               else t("targets.budget.year", lang, year=p.year))
        common = dict(who=who, date=format_date(p.through, lang) if p.through else "", share=share,
                      valid=b.valid_days, good=b.good_days, polluted=b.polluted_days, to_come=b.remaining_days,
                      year_days=b.year_valid_days, needed=b.good_days_needed)
        if b.attainable:
            text = t("targets.budget.running", lang, remaining=b.remaining, **common)
        else:
            text = t("targets.budget.missed", lang, best=b.good_days + b.remaining_days, **common)
    if p.missing_days and b.valid_days:
        text += (" " if lang == "en" else "") + t("targets.budget.missing", lang, n=p.missing_days)
    return text


def _value(pr: Progress, lang: str) -> str:
    if pr.value is None:
        return "—"
    if pr.key == "good_day_share":
        return f"{pr.value * 100:.1f}%"
    if pr.key == "heavy_days":
        return t("targets.kpi.heavy_value", lang, n=int(pr.value))
    return f"{pr.value:.1f} µg/m³"


def _target_text(pr: Progress, lang: str) -> str:
    if pr.key == "good_day_share":
        return t("targets.kpi.target_share", lang, value=f"{pr.target * 100:g}")
    if pr.key == "heavy_days":
        return t("targets.kpi.target_heavy", lang, value=int(pr.target))
    return t("targets.kpi.target_mean", lang, value=f"{pr.target:g}")


def _note(pr: Progress, p: YearProgress, lang: str) -> str:
    if pr.key == "heavy_days" and pr.value is not None:
        key = "targets.kpi.heavy_left" if p.heavy_left >= 0 else "targets.kpi.heavy_over"
        return t(key, lang, n=abs(p.heavy_left))
    return t("targets.kpi.days_complete" if pr.complete else "targets.kpi.days", lang, days=pr.days)


def _tile(pr: Progress, p: YearProgress, lang: str, id_prefix: str) -> dmc.Paper:
    # A null colour prop returned by a callback remounts the page (see ui/pages/air.py _kpi).
    colour = {} if pr.met is None else {"c": "teal" if pr.met else "red"}
    return dmc.Paper([
        dmc.Text(t(f"targets.kpi.{pr.key}", lang), size="sm", c="dimmed"),
        dmc.Text(_value(pr, lang), fw=700, size="xl", id=f"{id_prefix}-{pr.key.replace('_', '-')}", **colour),
        dmc.Text(_target_text(pr, lang), size="xs"),
        dmc.Text(_note(pr, p, lang), size="xs", c="dimmed"),
    ], withBorder=True, p="sm", radius="md")


def _grid(min_width: int) -> dict:
    return {"display": "grid", "gap": "12px",
            "gridTemplateColumns": f"repeat(auto-fit, minmax(min({min_width}px, 100%), 1fr))"}


def targets_panel(p: YearProgress, lang: str, id_prefix: str = "targets", admin_link: bool = False) -> html.Div:
    """The panel for ``p`` (``analytics.targets.year_progress``). Ids: ``{id_prefix}-budget``
    (the sentence), ``-pm25``, ``-pm10``, ``-good-day-share``, ``-heavy-days`` (the numbers),
    ``-path`` and ``-months`` (the graphs), ``-admin`` (the link to the rules tab, for admins)."""
    days_gone = 0 if p.through is None else (p.through - dt.date(p.year, 1, 1)).days + 1
    subtitle = (t("targets.as_of", lang, date=format_date(p.through, lang), days=days_gone) if p.through
                else t("targets.not_started", lang, year=p.year))
    header = dmc.Group([
        dmc.Title(t("targets.title", lang, year=p.year), order=4),
        dmc.Text(subtitle, size="sm", c="dimmed"),
        dcc.Link(t("targets.change", lang), href="/admin?tab=rules", id=f"{id_prefix}-admin") if admin_link else None,
    ], gap="md", align="baseline")
    notes = []
    if not p.targets.own:
        notes.append(dmc.Text(t("targets.defaults", lang, year=p.year), size="xs", c="dimmed",
                              id=f"{id_prefix}-defaults"))
    if p.district_fallback:
        notes.append(dmc.Text(t("targets.fallback", lang), size="xs", c="dimmed"))
    budget_colour = "teal" if p.budget.attainable else "red"
    config = graph_config(lang)
    return html.Div([
        header,
        *notes,
        html.Div([_tile(p.progress[k], p, lang, id_prefix) for k in KEYS], style=_grid(200)),
        dmc.Alert(budget_sentence(p, lang), color=budget_colour, variant="light", id=f"{id_prefix}-budget"),
        html.Div([
            dmc.Paper(dcc.Graph(id=f"{id_prefix}-path", config=config,
                                figure=figs.year_path(p.path, p.targets, p.year, lang, p.standards)),
                      withBorder=True, p="xs", radius="md"),
            dmc.Paper(dcc.Graph(id=f"{id_prefix}-months", config=config,
                                figure=figs.month_budget(p.months, p.year, lang)),
                      withBorder=True, p="xs", radius="md"),
        ], style=_grid(520)),
    ], id=id_prefix, className="targets-panel", style={"display": "flex", "flexDirection": "column", "gap": "12px"})


def targets_panel_for(year: int | None, lang: str, id_prefix: str = "targets", admin_link: bool = False,
                      today: dt.date | None = None) -> html.Div:
    """The panel for ``year`` (default: the year of the app's today) in a request: the app's
    database, clock and time zone."""
    settings = app_settings()
    with read_session() as session:
        today = today or analytics.today(session, settings.tz)
        progress = year_progress(session, settings.database_url, year or today.year, today, settings.tz)
    return targets_panel(progress, lang, id_prefix, admin_link)
