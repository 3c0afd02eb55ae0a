"""The site page's 扬尘监测 section: PM10 over a chosen window beside the site's inspections and
its nearest national station, the wind rose, the latest reading and each monitor's state.

It refreshes itself every ``REFRESH_SECONDS`` while the page is open (a ``dcc.Interval`` of the
page, gone with it), so readings a monitor sends show up within that time. A site without a
monitor gets one line saying so.
"""

from __future__ import annotations

import dash
import dash_mantine_components as dmc
import pandas as pd
from dash import Input, Output, State, dcc, html

from dashboard.analytics import dust_views as views
from dashboard.analytics.dust_views import DEFAULT_WINDOW, WINDOWS
from dashboard.auth import current_language
from dashboard.figures.site_dust import pm10_timeline, wind_rose
from dashboard.figures.theme import graph_config
from dashboard.i18n import t
from dashboard.i18n.formats import format_datetime
from dashboard.ui.data import app_settings, read_session
from dashboard.ui.inputs import BadInput, choice, int_or_none

#: Seconds between refreshes: a monitor sends a minute's data every minute, so new readings
#: show within a minute of arriving.
REFRESH_SECONDS = 30
STATUS_COLOURS = {"online": "teal", "offline": "red", "stuck": "orange", "abnormal": "yellow", "never": "gray",
                  "removed": "gray"}


def status_badge(status: str, lang: str, element_id: str | None = None) -> dmc.Badge:
    props = {"id": element_id} if element_id else {}
    return dmc.Badge(t(f"dust.status.{status}", lang), color=STATUS_COLOURS.get(status, "gray"), variant="light",
                     styles={"root": {"flexShrink": 0, "overflow": "visible"}, "label": {"overflow": "visible"}},
                     **props)


def section(site_id: int, lang: str):
    with read_session() as session:
        present = views.has_monitor(session, site_id)
    if not present:
        return dmc.Text(t("dust.site.none", lang), c="dimmed", size="sm", id="site-dust-none")
    windows = [{"value": key, "label": t(f"dust.window.{key}", lang)} for key in WINDOWS]
    config = graph_config(lang) | {"displayModeBar": False}
    return dmc.Paper([
        dmc.Group([
            dmc.Title(t("dust.site.title", lang), order=4),
            dmc.SegmentedControl(id="site-dust-window", data=windows, value=DEFAULT_WINDOW, size="xs"),
        ], justify="space-between", align="center", mb="xs"),
        html.Div(id="site-dust-facts"),
        html.Div([
            dcc.Graph(id="site-dust-pm10", config=config, style={"minWidth": 0}),
            dcc.Graph(id="site-dust-wind", config=config, style={"minWidth": 0}),
        ], className="site-dust-charts",
            style={"display": "grid", "gap": "12px",
                   "gridTemplateColumns": "repeat(auto-fit, minmax(min(420px, 100%), 1fr))"}),
        dmc.Text(t("dust.site.refresh", lang, seconds=REFRESH_SECONDS), size="xs", c="dimmed", className="no-print"),
        dcc.Interval(id="site-dust-interval", interval=REFRESH_SECONDS * 1000),
        dcc.Store(id="site-dust-site", data=site_id),
    ], withBorder=True, p="md", radius="md", id="site-dust-section")


def _facts(view: views.SiteDust, lang: str, tz) -> list:
    lines = []
    if view.latest is not None:
        lines.append(dmc.Text(t("dust.site.latest", lang, value=f"{view.latest['value']:.0f}",
                                time=format_datetime(view.latest["time"], lang, tz)),
                              fw=700, size="lg", id="site-dust-latest"))
    else:
        lines.append(dmc.Text(t("dust.site.latest_none", lang), c="dimmed", id="site-dust-latest"))
    for row in view.monitors.itertuples():
        seen = (t("dust.site.never_seen", lang) if pd.isna(row.last_seen_at)
                else format_datetime(row.last_seen_at, lang, tz))
        lines.append(dmc.Group([
            status_badge(str(row.status), lang),
            dmc.Text(t("dust.site.monitor", lang, mn=row.mn, status=t(f"dust.status.{row.status}", lang), seen=seen),
                     size="sm"),
        ], gap="xs", wrap="nowrap", className="site-dust-monitor"))
    if view.station is None:
        lines.append(dmc.Text(t("dust.site.no_station", lang), size="sm", c="dimmed"))
    else:
        code, name, km = view.station
        label = f"{name} {code}"
        if view.excess is None:
            text = t("dust.site.excess_none", lang, station=label)
        else:
            key = "dust.site.excess" if view.excess >= 0 else "dust.site.excess_below"
            text = t(key, lang, station=label, km=f"{km:.1f}", value=f"{abs(view.excess):.0f}",
                     hours=view.excess_hours)
        lines.append(dmc.Text(text, size="sm", id="site-dust-excess"))
    lines.append(dmc.Text(t("dust.period", lang, start=format_datetime(view.start, lang, tz),
                            end=format_datetime(view.end, lang, tz)), size="xs", c="dimmed", id="site-dust-period"))
    return [dmc.Stack(lines, gap=4)]


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output("site-dust-facts", "children"),
        Output("site-dust-pm10", "figure"),
        Output("site-dust-wind", "figure"),
        Input("site-dust-interval", "n_intervals"),
        Input("site-dust-window", "value"),
        State("site-dust-site", "data"),
    )
    def _refresh(_n, window, site_id):
        lang = current_language()
        window = choice(window, tuple(WINDOWS), DEFAULT_WINDOW) or DEFAULT_WINDOW
        site = int_or_none(site_id)
        if site is None:
            raise BadInput("site")
        settings = app_settings()
        with read_session() as session:
            view = views.site_dust(session, site, settings.tz, window, lang=lang)
        if view is None:
            raise dash.exceptions.PreventUpdate
        label = f"{view.station[1]} {view.station[0]}" if view.station else None
        return (_facts(view, lang, settings.tz),
                pm10_timeline(view.hourly, view.fine, view.station_hourly, view.inspections, view.start, view.end,
                              settings.tz, lang, label),
                wind_rose(view.wind, view.wind_count, lang))
