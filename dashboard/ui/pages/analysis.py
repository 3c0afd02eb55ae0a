"""综合研判 (/analysis): air quality and compliance on one time axis, paired calendars, and the
townships placed by both in a meeting period.

The view lives in the URL (``?period=since|<meeting number>`` or ``?from=…&to=…``,
``&township=<id>|all``, ``&measure=pm10|pm25|aqi``) so it can be shared. A control change redraws
the sections and pushes the new query onto the browser's history without reloading; Back
restores the older query, which Dash's page router lays out again, controls and all.

Read-only. Inspectors bound to a township open on their township, as on the other pages; the
district stays one click away (reading is not limited by scope).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlencode

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, dcc, html

from dashboard.analytics import analysis as analytics
from dashboard.analytics import today as clock_today
from dashboard.auth import current_language
from dashboard.figures import analysis as figs
from dashboard.figures.theme import graph_config
from dashboard.i18n import t
from dashboard.i18n.formats import format_date
from dashboard.ui import inputs
from dashboard.ui.components.empty import when_empty
from dashboard.ui.data import acting_user, app_settings, read_session

DISTRICT = "all"
PERIOD_KEYS = (analytics.SINCE, analytics.CUSTOM)


# --------------------------------------------------------------------------- the query
def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _own_township() -> int | None:
    actor = acting_user()
    return actor.township_id if actor.role == "inspector" else None


def _township(value, known: set[int], default: int | None) -> int | None:
    """A township id from the query or a control: ``all`` is the district, an unknown one the default."""
    if value == DISTRICT:
        return None
    if value is None or value == "":
        return default
    text = str(value)
    return int(text) if text.isdigit() and int(text) in known else default


def search(period: analytics.Period, township: int | None, measure: str, default_township: int | None) -> str:
    """The query string of a view. The district is written out (``all``) only when the user's
    default is a township, so a shared link means the same for everyone who opens it."""
    query: dict[str, str] = {}
    if period.key == analytics.CUSTOM:
        query["from"], query["to"] = period.first.isoformat(), period.last.isoformat()
    else:
        query["period"] = period.key
    if township is not None:
        query["township"] = str(township)
    elif default_township is not None:
        query["township"] = DISTRICT
    query["measure"] = measure
    return "?" + urlencode(query)


def controls_of(query, default_township: int | None) -> dict:
    """The control values a query string asks for (unchecked: ``_view`` checks what it gets)."""
    if not isinstance(query, str):
        raise inputs.BadInput("search")
    values = {k: v[-1] for k, v in parse_qs(query.lstrip("?")).items()}
    start, end = _date(values.get("from")), _date(values.get("to"))
    period = values.get("period") or (analytics.CUSTOM if start and end else analytics.SINCE)
    if not (period in PERIOD_KEYS or period.isdigit()):
        period = analytics.SINCE
    township = values.get("township")
    if township is None:
        township = str(default_township) if default_township is not None else DISTRICT
    elif not (township == DISTRICT or township.isdigit()):
        township = DISTRICT
    measure = values.get("measure") if values.get("measure") in analytics.MEASURES else analytics.DEFAULT_MEASURE
    dates = [min(start, end).isoformat(), max(start, end).isoformat()] if start and end else None
    return {"period": period, "dates": dates, "township": township, "measure": measure}


def meeting_href(click) -> str | None:
    """The meeting page a click on the combined chart opens (meeting markers carry
    ``["meeting", number]``); None for a click on anything else."""
    if not isinstance(click, dict) or not isinstance(click.get("points"), list) or not click["points"]:
        return None
    point = click["points"][0]
    custom = point.get("customdata") if isinstance(point, dict) else None
    if isinstance(custom, list) and len(custom) == 2 and custom[0] == "meeting":
        number = custom[1]
        if isinstance(number, int) and not isinstance(number, bool) and 0 < number < 10**9:
            return f"/meetings/{number}"
    return None


def clicked_township(click) -> str | None:
    """The township a click on the quadrant chose (its points carry the id first)."""
    if not isinstance(click, dict) or not isinstance(click.get("points"), list) or not click["points"]:
        return None
    point = click["points"][0]
    custom = point.get("customdata") if isinstance(point, dict) else None
    if isinstance(custom, list) and custom and str(custom[0]).isdigit() and len(str(custom[0])) < 10:
        return str(custom[0])
    return None


# --------------------------------------------------------------------------- sections
def _place(township: int | None, names: dict[int, str], lang: str) -> str:
    return names.get(township, t("analysis.district", lang)) if township is not None else t("analysis.district", lang)


def _graph(graph_id: str, figure, lang: str, **extra):
    height = figure.layout.height or 400
    # Responsive: the chart takes its box's width (screen, phone, print), never a fixed one.
    return dcc.Graph(id=graph_id, figure=figure, config=graph_config(lang) | extra, responsive=True,
                     style={"height": f"{height}px", "width": "100%"})


def _period_text(period: analytics.Period, lang: str) -> str:
    if not period.days:
        return t("analysis.period_text_empty", lang, first=format_date(period.first, lang))
    return t("analysis.period_text", lang, first=format_date(period.first, lang), last=format_date(period.last, lang),
             days=period.days, before_first=format_date(period.before[0], lang),
             before_last=format_date(period.before[1], lang))


def _quadrant_note(period: analytics.Period, lang: str) -> str:
    return t("analysis.quadrant.note", lang, before_first=format_date(period.before[0], lang),
             before_last=format_date(period.before[1], lang))


def _quadrant_table(quadrant: analytics.Quadrant, lang: str):
    """The quadrant's numbers as a table: what a phone shows instead of the chart's labels, and
    what a printout can be read from."""
    if quadrant.points.empty:
        return None

    def pct(value) -> str:
        return "—" if value != value else f"{value * 100:.1f}%"

    def num(value) -> str:
        return "—" if value != value else f"{value:.0f}"

    rows = quadrant.points.sort_values(["pm10", "rate"], ascending=[False, True])
    head = [t(f"analysis.table.{c}", lang) for c in ("township", "rate", "pm10", "before")]
    body = [dmc.TableTr([
        dmc.TableTd(r.name if lang == "zh" else r.name_en), dmc.TableTd(pct(r.rate)), dmc.TableTd(num(r.pm10)),
        dmc.TableTd(f"{pct(r.rate_before)} · {num(r.pm10_before)}", c="dimmed"),
    ]) for r in rows.itertuples()]
    return dmc.TableScrollContainer(
        dmc.Table([dmc.TableThead(dmc.TableTr([dmc.TableTh(h) for h in head])), dmc.TableTbody(body)],
                  striped=True, verticalSpacing=4, fz="xs", id="analysis-quadrant-table"),
        minWidth=320, type="native", mah=360, maw=760)


def _legend(lang: str):
    swatch = {"display": "inline-block", "width": "14px", "height": "14px", "borderRadius": "3px",
              "border": "1px solid #ced4da", "verticalAlign": "middle", "marginRight": "4px"}
    labels = [t("analysis.calendar.legend.none", lang), t("analysis.calendar.legend.zero", lang)]
    labels += [t("analysis.calendar.legend.share", lang, pct=f"{upper * 100:.0f}")
               for upper in figs.FAILURE_BUCKETS[1:-1]]
    labels.append(t("analysis.calendar.legend.more", lang, pct=f"{figs.FAILURE_BUCKETS[-2] * 100:.0f}"))
    return dmc.Group([html.Span([html.Span(style=swatch | {"backgroundColor": colour}), label],
                                style={"fontSize": "12px", "whiteSpace": "nowrap"})
                      for colour, label in zip(figs.FAILURE_COLOURS, labels, strict=True)], gap="sm")


def sections(period: analytics.Period, township: int | None, measure: str, lang: str) -> list:
    """Everything under the controls for one view, kept on the data versions (the figures of
    past days change only with a write)."""
    settings = app_settings()
    with read_session() as session:
        return analytics.cached_view(session, settings.tz, (period, township, measure, lang),
                                     lambda: _sections(period, township, measure, lang))


def _sections(period: analytics.Period, township: int | None, measure: str, lang: str) -> list:
    settings = app_settings()
    first, last = analytics.window(period)
    with read_session() as session:
        towns = analytics.townships(session)
        timeline = analytics.timeline(session, settings.database_url, settings.tz, first, last, township, measure)
        quadrant = analytics.quadrant(session, settings.database_url, settings.tz, period)
    names = dict(zip(towns["id"], towns["name"] if lang == "zh" else towns["name_en"].where(
        towns["name_en"] != "", towns["name"]), strict=True))
    place = _place(township, names, lang)
    stations_note = None
    if township is not None:
        stations_note = dmc.Text(
            t("analysis.stations", lang, place=place, codes=", ".join(timeline.stations)) if timeline.stations
            else t("analysis.no_stations", lang, place=place), size="xs", c="dimmed", px="xs", id="analysis-stations")
    combined = figs.combined(timeline, lang, settings.tz, place, (period.first, period.last) if period.days else None)
    has_calendar = (timeline.aqi["aqi"].notna().any() if not timeline.aqi.empty else False) or \
        int(timeline.checks["applicable"].sum()) > 0
    calendars = [
        dmc.Paper(_graph(f"analysis-calendar-{month:%Y-%m}", figs.paired_calendar(timeline, month, lang), lang,
                         displayModeBar=False), withBorder=True, p=4, radius="md")
        for month in figs.calendar_months(timeline)
    ] if has_calendar else [dmc.Text(t("analysis.empty.calendar", lang), c="dimmed", id="analysis-calendar-empty")]
    missing = quadrant.missing["name" if lang == "zh" else "name_en"].tolist() if not quadrant.points.empty else []
    grid = {"display": "grid", "gap": "12px", "gridTemplateColumns": "repeat(auto-fill, minmax(min(300px, 100%), 1fr))"}
    return [
        dmc.Text(_period_text(period, lang), size="sm", id="analysis-period-text"),
        dmc.Paper([
            _graph("analysis-combined", combined, lang),
            dmc.Text(t("analysis.combined.note", lang), size="xs", c="dimmed", px="xs"),
            stations_note,
        ], withBorder=True, p="xs", radius="md"),
        dmc.Paper([
            dmc.Title(t("analysis.calendar.title", lang), order=4),
            dmc.Text(t("analysis.calendar.note", lang), size="xs", c="dimmed", mb=4),
            _legend(lang),
            html.Div(calendars, style=grid | {"marginTop": "8px"}, id="analysis-calendars"),
        ], withBorder=True, p="md", radius="md"),
        dmc.Paper([
            _graph("analysis-quadrant", figs.quadrant(quadrant, lang, township), lang, displayModeBar=False),
            dmc.Text(_quadrant_note(quadrant.period, lang), size="xs", c="dimmed", px="xs"),
            _quadrant_table(quadrant, lang),
            dmc.Text(t("analysis.quadrant.missing", lang, names="、".join(missing) if lang == "zh"
                       else ", ".join(missing)), size="xs", c="dimmed", id="analysis-quadrant-missing")
            if missing else None,
        ], withBorder=True, p="xs", radius="md"),
    ]


# --------------------------------------------------------------------------- layout
def _period_options(session, lang: str) -> list[dict]:
    settings = app_settings()
    choices = analytics.period_choices(session, settings.tz)
    held = [c for c in choices if c.number is not None]
    since = (t("analysis.period.since", lang, n=held[0].number) if held
             else t("analysis.period.since_none", lang, days=analytics.DEFAULT_SINCE_DAYS))
    options = [{"value": analytics.SINCE, "label": since}]
    options += [{"value": c.key, "label": t("analysis.period.meeting", lang, n=c.number,
                                             date=format_date(c.held_on, lang))} for c in held]
    options.append({"value": analytics.CUSTOM, "label": t("analysis.period.custom", lang)})
    return options


@when_empty("inspections", "empty.analysis.inspections", [("empty.inspections.new", "/inspections/new")],
            link_role="inspector")
@when_empty("readings", "empty.analysis.readings", command_key="setup.how.readings")
def layout(period=None, township=None, measure=None, **query) -> html.Div:
    """The page for a query such as ``/analysis?period=27&township=15&measure=pm25``."""
    lang = current_language()
    settings = app_settings()
    default_township = _own_township()
    with read_session() as session:
        today = clock_today(session, settings.tz)
        towns = analytics.townships(session)
        start, end = _date(query.get("from")), _date(query.get("to"))
        key = str(period) if isinstance(period, str) else None
        chosen = analytics.resolve_period(session, settings.tz, key, start, end)
        period_options = _period_options(session, lang)
    chosen_township = _township(township, set(towns["id"].tolist()), default_township)
    chosen_measure = measure if measure in analytics.MEASURES else analytics.DEFAULT_MEASURE
    town_options = [{"value": DISTRICT, "label": t("analysis.district", lang)}] + [
        {"value": str(r.id), "label": r.name if lang == "zh" else (r.name_en or r.name)}
        for r in towns.itertuples() if r.active or r.id == chosen_township]
    controls = dmc.Paper(dmc.Group([
        dmc.Select(id="analysis-period", label=t("analysis.control.period", lang), data=period_options,
                   value=chosen.key, allowDeselect=False, w=300, comboboxProps={"withinPortal": True}),
        dmc.DatePickerInput(
            id="analysis-dates", label=t("analysis.control.dates", lang), type="range",
            value=[chosen.first.isoformat(), max(chosen.last, chosen.first).isoformat()],
            maxDate=today.isoformat(), valueFormat="YYYY年M月D日" if lang == "zh" else "D MMM YYYY",
            allowSingleDateInRange=True, w=280,
        ),
        dmc.Select(id="analysis-township", label=t("analysis.control.township", lang), data=town_options,
                   value=str(chosen_township) if chosen_township is not None else DISTRICT, allowDeselect=False,
                   searchable=True, w=220),
        dmc.Stack([
            dmc.Text(t("analysis.control.measure", lang), size="sm", fw=500),
            dmc.SegmentedControl(id="analysis-measure", value=chosen_measure,
                                 data=[{"value": m, "label": t(f"analysis.measure.{m}", lang)}
                                       for m in analytics.MEASURES]),
        ], gap=2),
    ], align="flex-end", gap="md"), withBorder=True, p="md", radius="md", className="no-print")
    return html.Div(
        [
            dmc.Group([
                dmc.Title(t("analysis.title", lang), order=2),
                dmc.Text(t("analysis.as_of", lang, date=format_date(today, lang)), c="dimmed"),
            ], justify="space-between", align="baseline"),
            dmc.Text(t("analysis.intro", lang), size="sm", c="dimmed"),
            controls,
            dcc.Location(id="analysis-url", refresh=False),
            dcc.Location(id="analysis-nav", refresh="callback-nav"),
            dcc.Loading(html.Div(sections(chosen, chosen_township, chosen_measure, lang), id="analysis-content",
                                 style={"display": "flex", "flexDirection": "column", "gap": "16px"}),
                        type="dot", delay_show=300),
        ],
        className="page page-analysis",
        style={"display": "flex", "flexDirection": "column", "gap": "16px"},
    )


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output("analysis-content", "children"),
        Output("analysis-url", "search"),
        Output("analysis-period", "value"),
        Output("analysis-dates", "value"),
        Input("analysis-period", "value"),
        Input("analysis-dates", "value"),
        Input("analysis-township", "value"),
        Input("analysis-measure", "value"),
        prevent_initial_call=True,
    )
    def _view(period, dates, township, measure):
        if period is not None and not (isinstance(period, str) and (period in PERIOD_KEYS or period.isdigit())):
            raise inputs.BadInput("period")
        if township is not None and not isinstance(township, str):
            raise inputs.BadInput("township")
        measure = inputs.choice(measure, tuple(analytics.MEASURES), analytics.DEFAULT_MEASURE)
        span = inputs.period(dates)
        # Only a date picked by the user makes the period custom (Back sets every control at once).
        by_dates = set(dash.ctx.triggered_prop_ids) == {"analysis-dates.value"}
        if by_dates or period == analytics.CUSTOM:
            if span is None:
                raise dash.exceptions.PreventUpdate  # the second date is still to be picked
            key, start, end = None, span[0], span[1]
        else:
            key, start, end = period, None, None
        lang = current_language()
        settings = app_settings()
        default_township = _own_township()
        with read_session() as session:
            chosen = analytics.resolve_period(session, settings.tz, key, start, end)
            known = set(analytics.townships(session)["id"].tolist())
        chosen_township = _township(township, known, None)
        new_dates = [chosen.first.isoformat(), max(chosen.last, chosen.first).isoformat()]
        return (
            sections(chosen, chosen_township, measure, lang),
            search(chosen, chosen_township, measure, default_township),
            chosen.key if chosen.key != period else dash.no_update,
            new_dates if not by_dates and new_dates != dates else dash.no_update,
        )

    @app.callback(
        Output("analysis-period", "value", allow_duplicate=True),
        Output("analysis-dates", "value", allow_duplicate=True),
        Output("analysis-township", "value", allow_duplicate=True),
        Output("analysis-measure", "value", allow_duplicate=True),
        Input("analysis-url", "search"),
        State("analysis-period", "value"),
        State("analysis-dates", "value"),
        State("analysis-township", "value"),
        State("analysis-measure", "value"),
        prevent_initial_call=True,
    )
    def _back(query, period, dates, township, measure):
        """Back and Forward: the browser's older query sets the controls again (``_view`` then
        redraws). Dash's page router does not see queries this page pushed, so it cannot."""
        if query is None:
            raise dash.exceptions.PreventUpdate  # the location has not read the address yet
        wanted = controls_of(query, _own_township())
        current = {"period": period, "dates": dates, "township": township, "measure": measure}
        if wanted["period"] != analytics.CUSTOM:
            wanted["dates"] = dates  # a meeting period's days follow from it
        if wanted == current:
            raise dash.exceptions.PreventUpdate
        return tuple(wanted[k] if wanted[k] != current[k] else dash.no_update
                     for k in ("period", "dates", "township", "measure"))

    @app.callback(
        Output("analysis-nav", "href"),
        Input("analysis-combined", "clickData"),
        prevent_initial_call=True,
    )
    def _open_meeting(click):
        href = meeting_href(click)
        if href is None:
            raise dash.exceptions.PreventUpdate
        return href

    @app.callback(
        Output("analysis-township", "value"),
        Input("analysis-quadrant", "clickData"),
        prevent_initial_call=True,
    )
    def _choose_township(click):
        chosen = clicked_township(click)
        if chosen is None:
            raise dash.exceptions.PreventUpdate
        return chosen


dash.register_page(__name__, path="/analysis", name="analysis", title="综合研判", layout=layout)
