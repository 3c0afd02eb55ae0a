"""The command-centre wall: full screen, dark, no controls, legible from across the room.

Four scenes (overview, air, compliance, ledger); ``?rotate=SECONDS`` turns through them in the
browser, ``?scene=air`` pins one, ``?refresh=SECONDS`` sets how often the data is fetched
(default 60), ``?lang=en`` English. A refresh returns only the scenes' contents, which React
patches in place (no reload, no flicker); ``assets/wall.js`` rotates, keeps the clock and
watches the connection, reloading the page once ``/health`` answers after an outage.

Opened with a display token (``?token=…``) the page and these callbacks are all the token
reaches (``dashboard.auth``): the callbacks are recorded for that check when registered.
"""

from __future__ import annotations

import math

import dash
import pandas as pd
from dash import ClientsideFunction, Input, Output, State, dcc, html

from dashboard.analytics.district import district_name
from dashboard.analytics.targets import KEYS
from dashboard.analytics.wall import WallData, wall_data
from dashboard.auth import DISPLAY_CALLBACKS, current_language
from dashboard.domain.aqi import CATEGORIES
from dashboard.figures.theme import AQI_COLOURS, text_colour_on
from dashboard.figures.wall import sparkline_uri
from dashboard.i18n import LANGUAGES, t
from dashboard.i18n.formats import format_date
from dashboard.ui.components.targets_panel import _target_text, _value
from dashboard.ui.data import app_settings, read_session
from dashboard.ui.inputs import choice, int_or_none

SCENES = ("overview", "air", "compliance", "ledger")
DEFAULT_REFRESH = 60
REFRESH_RANGE = (5, 3600)
ROTATE_RANGE = (10, 3600)
RANKING_ROWS = 18
LEDGER_ROWS = 8
TICKER_ITEMS = 12
ALERT_CLASS = {"blue": "is-blue", "yellow": "is-yellow", "orange": "is-orange", "red": "is-red"}


def _bounded(value, lo: int, hi: int, default: int | None) -> int | None:
    number = int_or_none(value)
    return default if number is None or number <= 0 else max(lo, min(hi, number))


def _config(data) -> dict:
    data = data if isinstance(data, dict) else {}
    return {"lang": choice(data.get("lang"), LANGUAGES, "zh")}


# --------------------------------------------------------------------------- pieces
def _category(level: int, lang: str) -> str:
    return CATEGORIES[level - 1][lang]


def _primary(pollutants: object, lang: str) -> str:
    return t("wall.primary", lang, pollutants=pollutants) if isinstance(pollutants, str) and pollutants else "—"


def _station_tile(row, lang: str, tile_id: str) -> html.Div:
    level = int(row.category)
    colour = AQI_COLOURS[level]
    ink = text_colour_on(colour)
    name = row.name if isinstance(row.name, str) and row.name else row.station_code
    if bool(row.is_background) and not pd.isna(row.is_background):
        name = f"{name}·{t('wall.background', lang)}"
    return html.Div([
        html.Div(name, className="wall-tile-name"),
        html.Div([html.Span(str(int(row.aqi)), className="wall-tile-aqi"),
                  html.Span(_category(level, lang), className="wall-tile-cat")], className="wall-tile-main"),
        html.Div(_primary(row.primary_pollutants, lang), className="wall-tile-primary"),
        html.Img(src=sparkline_uri(row.spark, ink), className="wall-spark", alt=""),
    ], className="wall-tile", id=tile_id, style={"backgroundColor": colour, "color": ink})


def _district_tile(d: WallData, lang: str, tile_id: str) -> html.Div:
    title = t("wall.district_aqi", lang)
    if d.district is None:
        return html.Div([html.Div(title, className="wall-tile-name"),
                         html.Div("—", className="wall-tile-aqi"),
                         html.Div(t("wall.no_readings", lang), className="wall-tile-primary")],
                        className="wall-tile wall-district is-empty", id=tile_id)
    level = d.district["category"]
    colour = AQI_COLOURS[level]
    ink = text_colour_on(colour)
    return html.Div([
        html.Div(title, className="wall-tile-name"),
        html.Div([html.Span(str(d.district["aqi"]), className="wall-tile-aqi"),
                  html.Span(_category(level, lang), className="wall-tile-cat")], className="wall-tile-main"),
        html.Div(_primary(d.district["primary"], lang), className="wall-tile-primary"),
        html.Img(src=sparkline_uri(d.district_spark, ink), className="wall-spark", alt=""),
    ], className="wall-tile wall-district", id=tile_id, style={"backgroundColor": colour, "color": ink})


def _tiles(d: WallData, lang: str, prefix: str, with_district: bool, aspect: float) -> html.Div:
    tiles = [_district_tile(d, lang, f"{prefix}-district")] if with_district else []
    tiles += [_station_tile(row, lang, f"{prefix}-aqi-{row.station_code}") for row in d.stations.itertuples()]
    if len(tiles) == 0:
        tiles = [html.Div(t("wall.no_readings", lang), className="wall-empty")]
    n = len(tiles)
    # Tiles as near square as the stage's ``aspect`` (width / height) allows, so a district
    # with 4 or 20 stations still fits.
    cols = max(1, math.ceil(math.sqrt(n * aspect)))
    rows = math.ceil(n / cols)
    return html.Div(tiles, className="wall-tiles", id=f"{prefix}-tiles",
                    style={"gridTemplateColumns": f"repeat({cols}, 1fr)", "gridTemplateRows": f"repeat({rows}, 1fr)",
                           "--rows": rows, "--cols": cols})


def _budget(p, lang: str) -> str:
    """The budget in a few words (the pages' sentence is too long to read across a room)."""
    b = p.budget
    share = f"{b.target_share * 100:g}%"
    if p.finished:
        return t("wall.budget.met" if b.attainable else "wall.budget.not_met", lang, year=p.year, share=share)
    if not b.attainable:
        return t("wall.budget.missed", lang, share=share)
    return t("wall.budget.running", lang, n=b.remaining, share=share)


def _targets(d: WallData, lang: str) -> html.Div:
    p = d.targets
    cells = []
    for key in KEYS:
        pr = p.progress[key]
        state = "" if pr.met is None else (" is-met" if pr.met else " is-missed")
        cells.append(html.Div([
            html.Div(t(f"targets.kpi.{key}", lang), className="wall-kpi-label"),
            html.Div(_value(pr, lang), className="wall-kpi-value" + state, id=f"wall-target-{key.replace('_', '-')}"),
            html.Div(_target_text(pr, lang), className="wall-kpi-note"),
        ], className="wall-kpi"))
    budget_state = "is-met" if p.budget.attainable else "is-missed"
    return html.Div([
        html.Div(t("wall.targets", lang, year=p.year), className="wall-panel-title"),
        html.Div(cells, className="wall-kpis"),
        html.Div(_budget(p, lang), className=f"wall-budget {budget_state}", id="wall-budget"),
    ], className="wall-panel wall-targets")


def _rate(value) -> str:
    return "—" if value is None or pd.isna(value) else f"{value * 100:.1f}%"


def _ranking(d: WallData, lang: str, rows: int = RANKING_ROWS) -> html.Div:
    frame = d.ranking.head(rows)
    if frame.empty:
        return html.Div(t("wall.no_townships", lang), className="wall-empty")
    lines = []
    for r in frame.itertuples():
        name = r.township_en if lang == "en" and isinstance(r.township_en, str) and r.township_en else r.township
        change = r.rank_change
        arrow, cls = ("", "")
        if not pd.isna(change) and change != 0:
            arrow, cls = (f"▲{int(change)}", "up") if change > 0 else (f"▼{int(-change)}", "down")
        rate = r.rate_now
        width = 0 if pd.isna(rate) else max(0.0, min(1.0, float(rate))) * 100
        lines.append(html.Div([
            html.Span("—" if pd.isna(r.rank_now) else str(int(r.rank_now)), className="wall-rank-no"),
            html.Span(name, className="wall-rank-name"),
            html.Span(html.Span(className="wall-rank-fill", style={"width": f"{width:.1f}%"}),
                      className="wall-rank-bar"),
            html.Span(_rate(rate), className="wall-rank-rate"),
            html.Span(arrow, className=f"wall-rank-change {cls}"),
        ], className="wall-rank-row"))
    half = math.ceil(len(lines) / 2)
    columns = [lines[:half], lines[half:]] if len(lines) > 9 else [lines]
    return html.Div([html.Div(col, className="wall-rank-col", style={"--rows": max(half, 1)}) for col in columns],
                    className="wall-ranking", id="wall-ranking")


def _unit(r, lang: str) -> str:
    return r.unit_en if lang == "en" and isinstance(r.unit_en, str) and r.unit_en else r.unit


def _dust(d: WallData, lang: str) -> html.Div:
    """The dust checks waiting longest: the site, its township and what breached, in few words."""
    rows = []
    for task in d.dust_tasks:
        township = task.township_en if lang == "en" and task.township_en else task.township
        what = t("wall.dust.offline", lang) if task.kind == "offline" else f"PM10 {task.peak:.0f}"
        rows.append(html.Div([
            html.Span(task.site_name, className="wall-dust-site"),
            html.Span(township, className="wall-dust-town"),
            html.Span(what, className="wall-dust-what"),
        ], className="wall-dust-row"))
    body = html.Div(rows, className="wall-dust-list") if rows else html.Div(t("wall.dust.none", lang),
                                                                          className="wall-empty")
    return html.Div([html.Div(t("wall.dust.title", lang), className="wall-panel-title"), body],
                    className="wall-panel wall-dust", id="wall-dust")


def _ledger(d: WallData, lang: str) -> list:
    head = html.Div([
        html.Div([html.Div(t("wall.ledger.open", lang), className="wall-kpi-label"),
                  html.Div(str(d.ledger["open"]), className="wall-kpi-value", id="wall-ledger-open")],
                 className="wall-kpi"),
        html.Div([html.Div(t("wall.ledger.overdue", lang), className="wall-kpi-label"),
                  html.Div(str(d.ledger["overdue"]), className="wall-kpi-value is-missed", id="wall-ledger-overdue")],
                 className="wall-kpi"),
        html.Div([html.Div(t("wall.dust.count", lang), className="wall-kpi-label"),
                  html.Div(str(d.dust_open), className="wall-kpi-value" + (" is-dust" if d.dust_open else ""),
                           id="wall-dust-open")],
                 className="wall-kpi"),
    ], className="wall-ledger-counts")
    if d.overdue.empty:
        return [head, html.Div([html.Div(t("wall.ledger.none", lang), className="wall-empty"), _dust(d, lang)],
                               className="wall-ledger-body")]
    rows = [html.Div([
        html.Span(t("wall.ledger.meeting", lang, n=int(r.number)), className="wall-ledger-meeting"),
        html.Span(r.task, className="wall-ledger-task"),
        html.Span(_unit(r, lang), className="wall-ledger-unit"),
        html.Span(t("wall.ledger.days", lang, n=int(r.days_overdue)), className="wall-ledger-days"),
    ], className="wall-ledger-row") for r in d.overdue.head(LEDGER_ROWS).itertuples()]
    return [head, html.Div([html.Div(rows, className="wall-ledger-list", id="wall-ledger-list"), _dust(d, lang)],
                           className="wall-ledger-body")]


def _ticker(d: WallData, lang: str) -> list:
    if d.overdue.empty:
        return [html.Span(t("wall.ledger.none", lang), className="wall-ticker-item")]
    items = [html.Span([html.B(t("wall.ledger.days", lang, n=int(r.days_overdue))), " ", _unit(r, lang), "：", r.task],
                       className="wall-ticker-item") for r in d.overdue.head(TICKER_ITEMS).itertuples()]
    # Twice over, so the scrolling loop has no gap; the speed follows the length.
    return [html.Div(items + items, className="wall-ticker-run",
                     style={"animationDuration": f"{max(30, 8 * len(items))}s"})]


def _alert(d: WallData, lang: str, tz) -> tuple[object, str]:
    if d.alert is None:
        return t("wall.alert.none", lang), "wall-alert is-none"
    level = t(f"alert.level.{d.alert.level}", lang)
    local = d.alert.starts_at.astimezone(tz)
    since = f"{local.month}月{local.day}日 {local:%H:%M}" if lang == "zh" else f"{local:%d %b %H:%M}"
    return t("wall.alert.active", lang, level=level, start=since), f"wall-alert {ALERT_CLASS[d.alert.level]}"


def _fresh(d: WallData, lang: str, tz) -> tuple[object, str]:
    if d.newest is None:
        return t("wall.fresh.none", lang), "wall-fresh is-stale"
    local = d.newest.astimezone(tz)
    when = f"{local:%H:%M}" if local.date() == d.now.astimezone(tz).date() else (
        f"{local.month}月{local.day}日 {local:%H:%M}" if lang == "zh" else f"{local:%d %b %H:%M}")
    text: list = [t("wall.fresh.at", lang, time=when)]
    if d.stale:
        # A limit of whole hours reads in hours, any other (45 minutes, 90) in minutes.
        why = (t("wall.fresh.stale", lang, hours=d.stale_minutes // 60) if d.stale_minutes % 60 == 0
               else t("wall.fresh.stale_minutes", lang, minutes=d.stale_minutes))
        text.append(html.Div(why, className="wall-fresh-why"))
    return text, "wall-fresh is-stale" if d.stale else "wall-fresh"


def _sections(lang: str) -> list:
    """What one refresh returns, in the order of the callback's outputs."""
    settings = app_settings()
    with read_session() as session:
        d = wall_data(session, settings.database_url, settings.tz)
    fresh, fresh_class = _fresh(d, lang, settings.tz)
    alert, alert_class = _alert(d, lang, settings.tz)
    overview = [html.Div([_tiles(d, lang, "wall-ov", with_district=False, aspect=1.45)], className="wall-ov-stations"),
                html.Div([_district_tile(d, lang, "wall-ov-district"), _targets(d, lang)], className="wall-ov-side")]
    air = [html.Div(t("wall.scene.air_title", lang, date=format_date(d.today, lang)), className="wall-panel-title"),
           _tiles(d, lang, "wall-air", with_district=True, aspect=2.6)]
    compliance = [html.Div(t("wall.scene.compliance_title", lang, days=28, compare=7), className="wall-panel-title"),
                  _ranking(d, lang)]
    return [fresh, fresh_class, alert, alert_class, overview, air, compliance, _ledger(d, lang), _ticker(d, lang)]


SECTION_OUTPUTS = [("wall-fresh", "children"), ("wall-fresh", "className"), ("wall-alert", "children"),
                   ("wall-alert", "className"), ("wall-scene-overview", "children"), ("wall-scene-air", "children"),
                   ("wall-scene-compliance", "children"), ("wall-scene-ledger", "children"),
                   ("wall-ticker", "children")]


# --------------------------------------------------------------------------- layout
def layout(rotate=None, scene=None, refresh=None, lang=None, **_query) -> html.Div:
    lang = lang if lang in LANGUAGES else current_language()
    settings = app_settings()
    pinned = scene if scene in SCENES else None
    rotate_s = None if pinned else _bounded(rotate, *ROTATE_RANGE, default=None)
    refresh_s = _bounded(refresh, *REFRESH_RANGE, default=DEFAULT_REFRESH) or DEFAULT_REFRESH
    first = pinned or SCENES[0]
    sections = _sections(lang)
    with read_session() as session:
        district = district_name(session)
    values = dict(zip([f"{i}.{p}" for i, p in SECTION_OUTPUTS], sections, strict=True))
    scenes = [html.Div(values[f"wall-scene-{name}.children"], id=f"wall-scene-{name}",
                       className=f"wall-scene wall-scene-{name}" + (" is-active" if name == first else ""))
              for name in SCENES]
    tabs = [html.Span(t(f"wall.scene.{name}", lang), id=f"wall-tab-{name}",
                      className="wall-tab" + (" is-active" if name == first else "")) for name in SCENES]
    return html.Div([
        dcc.Store(id="wall-config", data={"lang": lang, "scenes": list(SCENES), "scene": first,
                                          "rotate": rotate_s, "tz": str(settings.tz)}),
        dcc.Interval(id="wall-refresh", interval=refresh_s * 1000),
        dcc.Interval(id="wall-rotate", interval=(rotate_s or 3600) * 1000, disabled=rotate_s is None),
        dcc.Interval(id="wall-tick", interval=1000),
        html.Header([
            html.Div([html.Div(t("wall.title", lang), className="wall-title-main"),
                      html.Div(district or t("app.title", lang), className="wall-title-sub")], className="wall-title"),
            html.Div(tabs, className="wall-tabs", id="wall-tabs"),
            html.Div([html.Div("", id="wall-clock-time", className="wall-clock-time"),
                      html.Div("", id="wall-clock-date", className="wall-clock-date")], className="wall-clock"),
            html.Div(values["wall-fresh.children"], id="wall-fresh", className=values["wall-fresh.className"]),
        ], className="wall-header"),
        html.Div(values["wall-alert.children"], id="wall-alert", className=values["wall-alert.className"]),
        html.Main(scenes, className="wall-stage"),
        html.Footer([html.Div(t("wall.ticker", lang), className="wall-ticker-label"),
                     html.Div(values["wall-ticker.children"], id="wall-ticker", className="wall-ticker")],
                    className="wall-footer"),
        html.Div(t("wall.reconnecting", lang), id="wall-offline", className="wall-offline"),
    ], className="page wall-root", id="wall-root", lang="zh-CN" if lang == "zh" else "en")


def title(**_kwargs) -> str:
    return f'{t("wall.title", current_language())} · {t("app.title", current_language())}'


dash.register_page(__name__, path="/wall", name="wall", title=title, layout=layout)


def register_callbacks(app: dash.Dash) -> None:
    before = set(app.callback_map)

    @app.callback(
        [Output(i, p) for i, p in SECTION_OUTPUTS],
        Input("wall-refresh", "n_intervals"),
        State("wall-config", "data"),
        prevent_initial_call=True,
    )
    def _refresh(_n, config):
        return _sections(_config(config)["lang"])

    # Rotation and the clock run in the browser: they cost the server nothing.
    app.clientside_callback(
        ClientsideFunction("wall", "rotate"),
        [Output(f"wall-scene-{s}", "className") for s in SCENES]
        + [Output(f"wall-tab-{s}", "className") for s in SCENES],
        Input("wall-rotate", "n_intervals"),
        State("wall-config", "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("wall", "clock"),
        Output("wall-clock-time", "children"),
        Output("wall-clock-date", "children"),
        Input("wall-tick", "n_intervals"),
        State("wall-config", "data"),
    )
    # The only callbacks a display token may call (checked in dashboard.auth's guard).
    app.server.config.setdefault(DISPLAY_CALLBACKS, set()).update(set(app.callback_map) - before)
