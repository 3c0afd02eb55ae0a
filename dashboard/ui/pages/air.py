"""Air quality: time series, calendar, profiles, station comparison and map, monthly statistics.

Thin: the callbacks read the controls, ask ``analytics.air`` for frames (cached) and
``figures.air`` for figures. Only the active tab is drawn. The year of the period's end is shown
against its targets (``ui.components.targets_panel``: the year to date and the polluted-day
budget); the targets are changed on the admin page (/admin?tab=rules).
"""

from __future__ import annotations

import datetime as dt
import math

import dash
import dash_mantine_components as dmc
from dash import Input, Output, dcc, html

from dashboard import analytics
from dashboard.analytics import air
from dashboard.analytics.periods import opening_window
from dashboard.analytics.targets import year_targets
from dashboard.auth import current_language
from dashboard.domain.targets import YearTargets
from dashboard.figures import air as figs
from dashboard.figures.theme import graph_config
from dashboard.i18n import t
from dashboard.i18n.formats import format_date, format_datetime
from dashboard.ui import inputs
from dashboard.ui.components.targets_panel import targets_panel_for
from dashboard.ui.data import acting_user, app_settings, read_session

DEFAULT_DAYS = 30
TABS = ("series", "calendar", "profiles", "compare", "monthly")


def _presets(today: dt.date, lang: str) -> list[dict]:
    month_start = today.replace(day=1)
    prev_end = month_start - dt.timedelta(days=1)
    spans = [
        ("air.preset.7", today - dt.timedelta(days=7), today - dt.timedelta(days=1)),
        ("air.preset.30", today - dt.timedelta(days=30), today - dt.timedelta(days=1)),
        ("air.preset.90", today - dt.timedelta(days=90), today - dt.timedelta(days=1)),
        ("air.preset.month", month_start, today),
        ("air.preset.prev_month", prev_end.replace(day=1), prev_end),
    ]
    return [{"label": t(key, lang), "value": [a.isoformat(), b.isoformat()]} for key, a, b in spans]


def _station_options(stations, lang: str, fallback: bool) -> list[dict]:
    district = {"value": air.DISTRICT, "label": t("air.series.city" if fallback else "air.series.district", lang)}
    items = []
    for row in stations.itertuples():
        label = f"{row.name}（{row.code}）" if lang == "zh" else f"{row.name} ({row.code})"
        if row.is_background:
            label = t("air.background_suffix", lang, name=label)
        items.append({"value": row.code, "label": label})
    return [
        {"group": t("air.group.district", lang), "items": [district]},
        {"group": t("air.group.stations", lang), "items": items},
    ]


def _targets(year: int, lang: str) -> html.Div:
    """The year against its targets; admins get the link to change them."""
    return targets_panel_for(year, lang, "air-targets", admin_link=acting_user().at_least("admin"))


def _query_date(value, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else default
    except ValueError:
        return default


def layout(start=None, end=None, stations=None, pollutant=None, tab=None, **_query) -> html.Div:
    """The page; the query string may preset the controls, e.g.
    ``/air?start=2019-12-01&end=2019-12-31&stations=district,1316A&pollutant=PM2.5&tab=calendar``."""
    lang = current_language()
    settings = app_settings()
    with read_session() as session:
        today = analytics.today(session, settings.tz)
        newest = air.newest_reading_day(session, settings.tz)
    default_start, default_end = opening_window(today, newest, DEFAULT_DAYS, through_today=False)
    start, end = _query_date(start, default_start), _query_date(end, default_end)
    if end < start:
        start, end = end, start
    pollutant = pollutant if pollutant in air.CHOICES else "AQI"
    tab = tab if tab in TABS else "series"
    # Warms the cache for the first render and lists the stations that have data.
    data = air.load_air_data(settings.database_url, start, end)
    known = set(data.stations["code"]) | {air.DISTRICT}
    selected = [code for code in (stations or "").split(",") if code in known] or [air.DISTRICT]
    controls = dmc.Paper(
        dmc.Group(
            [
                dmc.MultiSelect(
                    id="air-stations", label=t("air.control.stations", lang),
                    data=_station_options(data.stations, lang, data.district_fallback), value=selected,
                    searchable=True, clearable=False, w=380,
                    nothingFoundMessage=t("air.control.nothing", lang),
                ),
                dmc.Select(
                    id="air-pollutant", label=t("air.control.pollutant", lang),
                    data=[{"value": c, "label": t(f"air.choice.{c}", lang)} for c in air.CHOICES],
                    value=pollutant, allowDeselect=False, w=200,
                ),
                dmc.DatePickerInput(
                    id="air-period", label=t("air.control.period", lang), type="range",
                    value=[start.isoformat(), end.isoformat()], maxDate=max(today, end).isoformat(),
                    valueFormat="YYYY年M月D日" if lang == "zh" else "D MMM YYYY",
                    presets=_presets(today, lang), allowSingleDateInRange=True, w=300,
                ),
            ],
            align="flex-end",
            gap="md",
        ),
        withBorder=True, p="md", radius="md",
    )
    tabs = dmc.Tabs(
        dmc.TabsList([dmc.TabsTab(t(f"air.tab.{key}", lang), value=key, id=f"air-tab-{key}") for key in TABS]),
        id="air-tabs", value=tab,
    )
    return html.Div(
        [
            dmc.Group(
                [
                    dmc.Title(t("air.title", lang), order=2),
                    dmc.Text(t("air.as_of", lang, date=format_date(today, lang)), c="dimmed", id="air-as-of"),
                ],
                justify="space-between", align="baseline",
            ),
            controls,
            html.Div(id="air-summary"),
            tabs,
            dcc.Loading(html.Div(id="air-content", className="air-content"), type="dot", delay_show=300),
            # Below the charts: the controls and the period's figures stay where users know them.
            dmc.Paper(html.Div(_targets(end.year, lang), id="air-targets-slot"), withBorder=True, p="md",
                      radius="md"),
        ],
        className="page page-air",
        style={"display": "flex", "flexDirection": "column", "gap": "16px"},
    )


def _grid(min_width: int) -> dict:
    # Columns as wide as the content allows (KPIs 4 across, graphs 2 across on wide screens).
    return {"display": "grid", "gap": "16px",
            "gridTemplateColumns": f"repeat(auto-fit, minmax(min({min_width}px, 100%), 1fr))"}


def _graph(graph_id: str, figure, lang: str):
    return dmc.Paper(
        dcc.Graph(id=graph_id, figure=figure, config=graph_config(lang)),
        withBorder=True, p="xs", radius="md",
    )


def _message(text: str, element_id: str = "air-empty"):
    return dmc.Alert(text, color="gray", id=element_id)


def _kpi(label: str, value: str, note: str, element_id: str, colour: str | None = None):
    # Never pass c=None: a dmc.Text with a null colour, returned by a callback, makes the
    # renderer remount the whole page, which re-runs this callback in an endless loop.
    colour_prop = {"c": colour} if colour else {}
    return dmc.Paper(
        [
            dmc.Text(label, size="sm", c="dimmed"),
            dmc.Text(value, fw=700, size="xl", id=element_id, **colour_prop),
            dmc.Text(note, size="xs", c="dimmed"),
        ],
        withBorder=True, p="sm", radius="md",
    )


def _summary(data: air.AirData, series: str, name: str, targets: YearTargets, lang: str):
    s = air.good_day_summary(data.daily, series, data.start, data.end)
    target_share = targets.good_day_share
    share = s["good_share"]
    share_text = "—" if s["n_valid"] == 0 else f"{share * 100:.1f}%"
    pm25 = s["pm25"]
    no_pm25 = math.isnan(pm25)
    pm_text = "—" if no_pm25 else f"{pm25:.0f} µg/m³"
    view = data.daily_view
    rows = view[view["series"] == series]
    heavy = int((rows["aqi"].astype("Float64") > 200).fillna(False).sum())
    return html.Div(
        [
            _kpi(t("air.kpi.good_days", lang, series=name), f"{s['n_good']} / {s['n_valid']}",
                 t("air.kpi.good_days_note", lang), "air-kpi-good-days"),
            _kpi(t("air.kpi.good_share", lang), share_text,
                 t("air.kpi.target", lang, value=f"{target_share * 100:.0f}%"), "air-kpi-good-share",
                 None if s["n_valid"] == 0 else ("teal" if share >= target_share else "red")),
            _kpi(t("air.kpi.pm25", lang), pm_text,
                 t("air.kpi.target", lang, value=f"{targets.pm25:g} µg/m³"), "air-kpi-pm25",
                 None if no_pm25 else ("teal" if pm25 <= targets.pm25 else "red")),
            _kpi(t("air.kpi.heavy", lang), str(heavy),
                 t("air.kpi.alerts", lang, n=len(data.alerts)), "air-kpi-heavy", "red" if heavy else None),
        ],
        style=_grid(200),
    )


def _content(tab: str, data: air.AirData, selected: list[str], choice: str, names: dict, targets: YearTargets,
             lang: str, settings):
    primary = selected[0]
    standards = air.standards_of(data.hourly_view if data.resolution == "hourly" else data.daily_view)
    if tab == "series":
        frame, m = air.series_frame(data, choice, selected)
        figure = figs.time_series(frame, m, names, lang, alerts=data.alerts, period=(data.start, data.end))
        return _graph("air-timeseries", figure, lang)
    if tab == "calendar":
        daily = data.daily[data.daily["series"] == primary]
        first, last = air.month_span(data.start, data.end)
        figure = figs.calendar(daily, lang, names.get(primary, primary), first, last, air.standards_of(daily),
                               until=data.last_day)
        return _graph("air-calendar", figure, lang)
    if tab == "profiles":
        frame = air.profiles(data.profile_hours(choice, selected), choice, selected)
        return _graph("air-profiles", figs.profiles(frame, choice, names, lang, standards), lang)
    if tab == "compare":
        m = air.measure(choice, "daily")
        frame = air.station_comparison(data.daily_view, choice, data.stations)
        latest = air.latest_station_aqi(data.recent_hourly_view, data.stations)
        times = latest["time"].dropna()
        time_text = format_datetime(times.max().to_pydatetime(), lang, settings.tz) if not times.empty else ""
        return html.Div(
            [
                _graph("air-compare", figs.station_comparison(
                    frame, m, lang, air.standards_of(data.daily_view),
                    () if data.district_fallback else data.district_codes), lang),
                _graph("air-map", figs.station_map(latest, lang, settings.map_tile_url,
                                                   settings.map_tile_attribution, time_text), lang),
            ],
            style=_grid(560),
        )
    if tab == "monthly":
        monthly = data.monthly[data.monthly["series"].isin(selected)]
        one = monthly[monthly["series"] == primary]
        return dmc.Stack(
            [
                _graph("air-composite", figs.monthly_composite(one, lang, names.get(primary, primary)), lang),
                _graph("air-good-days", figs.good_days(monthly, names, lang, targets.good_day_share,
                                                      targets.pm25, air.standards_of(data.daily)), lang),
                dmc.Text(t("air.monthly.months_note", lang), size="xs", c="dimmed"),
            ],
            gap="md",
        )
    raise dash.exceptions.PreventUpdate


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output("air-stations", "data"),
        Input("air-period", "value"),
        prevent_initial_call=True,
    )
    def _station_choices(period):
        parsed = inputs.period(period)
        if parsed is None:
            raise dash.exceptions.PreventUpdate
        data = air.load_air_data(app_settings().database_url, *parsed)
        return _station_options(data.stations, current_language(), data.district_fallback)

    @app.callback(
        Output("air-targets-slot", "children"),
        Input("air-period", "value"),
        prevent_initial_call=True,
    )
    def _targets_of_period(period):
        parsed = inputs.period(period)
        if parsed is None:
            raise dash.exceptions.PreventUpdate
        return _targets(parsed[1].year, current_language())

    @app.callback(
        Output("air-content", "children"),
        Output("air-summary", "children"),
        Input("air-stations", "value"),
        Input("air-pollutant", "value"),
        Input("air-period", "value"),
        Input("air-tabs", "value"),
    )
    def _render(selected, choice, period, tab):
        lang = current_language()
        parsed = inputs.period(period)
        if parsed is None:
            raise dash.exceptions.PreventUpdate  # the user is still picking the end date
        if not selected:
            return _message(t("air.empty.selection", lang)), None
        settings = app_settings()
        data = air.load_air_data(settings.database_url, *parsed)
        with read_session() as session:
            # The KPIs and the monthly figure measure the period against its last year's targets.
            targets = year_targets(session, parsed[1].year)
        district_label = t("air.series.city" if data.district_fallback else "air.series.district", lang)
        names = data.series_names(district_label)
        if data.empty:
            text = t("air.empty.period", lang, start=format_date(parsed[0], lang), end=format_date(parsed[1], lang))
            return _message(text), None
        summary = _summary(data, selected[0], names.get(selected[0], selected[0]), targets, lang)
        return _content(tab or "series", data, list(selected), choice or "AQI", names, targets, lang,
                        settings), summary


dash.register_page(__name__, path="/air", name="air", title="空气质量", layout=layout)
