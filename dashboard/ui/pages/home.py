"""Home: the district at a glance — alert, AQI per station, ledger, sites by township."""

from __future__ import annotations

import dash
import dash_mantine_components as dmc
from dash import dcc, html

from dashboard.analytics import dust_tasks
from dashboard.analytics.overview import build_overview
from dashboard.analytics.setup import SetupStatus, setup_status
from dashboard.auth import current_language
from dashboard.domain.aqi import CATEGORIES
from dashboard.figures.overview import sites_by_township
from dashboard.figures.theme import AQI_COLOURS, graph_config, text_colour_on
from dashboard.i18n import t
from dashboard.i18n.formats import format_date, format_datetime
from dashboard.ui.components.dust_tasks import HOME_ROWS, scope_of, task_panel
from dashboard.ui.data import acting_user, app_settings, read_session

ALERT_COLOURS = {"blue": "blue", "yellow": "yellow", "orange": "orange", "red": "red"}


def _category_label(level: int, lang: str) -> str:
    return CATEGORIES[level - 1][lang]


def _aqi_tile(code: str, name: str, aqi: int, level: int, primary: str, lang: str, tile_id: str,
              background: bool = False):
    colour = AQI_COLOURS[level]
    title = f"{name}（{t('home.background_site', lang)}）" if background else name
    return html.Div(
        [
            html.Div(title, className="aqi-tile-name"),
            html.Div(str(aqi), className="aqi-tile-value"),
            html.Div(_category_label(level, lang), className="aqi-tile-category"),
            html.Div(
                t("home.primary", lang, pollutants=primary) if primary else code,
                className="aqi-tile-primary",
            ),
        ],
        className="aqi-tile",
        id=tile_id,
        style={"backgroundColor": colour, "color": text_colour_on(colour)},
    )


def _kpi(label: str, value, element_id: str, colour: str | None = None):
    value_style = {"c": colour} if colour else {}
    return dmc.Paper(
        [
            dmc.Text(label, size="sm", c="dimmed"),
            dmc.Text(str(value), fw=700, size="xl", id=element_id, **value_style),
        ],
        withBorder=True,
        p="md",
        radius="md",
    )


def _district_kpi(district, lang: str, status: SetupStatus):
    """The district's AQI with its category, on the category colour; "—" says why when it can."""
    if district is None:
        done = {step.key: step.done for step in status.steps}
        why = ("home.kpi.no_group" if done["readings"] and not done["district_stations"]
               else "home.kpi.no_readings" if not done["readings"] else None)
        return dmc.Paper([
            dmc.Text(t("home.kpi.district_aqi", lang), size="sm", c="dimmed"),
            dmc.Text("—", fw=700, size="xl", id="kpi-district-aqi"),
            dmc.Text(t(why, lang), size="xs", c="dimmed", id="kpi-district-why") if why else None,
        ], withBorder=True, p="md", radius="md")
    level = int(district["category"])
    colour = AQI_COLOURS[level]
    return dmc.Paper(
        [
            dmc.Text(t("home.kpi.district_aqi", lang), size="sm", style={"opacity": 0.85}),
            dmc.Group(
                [
                    dmc.Text(str(int(district["aqi"])), fw=700, size="xl", id="kpi-district-aqi"),
                    dmc.Text(_category_label(level, lang), fw=600, size="sm"),
                ],
                gap="xs",
                align="baseline",
            ),
        ],
        withBorder=True,
        p="md",
        radius="md",
        style={"backgroundColor": colour, "color": text_colour_on(colour)},
    )


def _setup_panel(status: SetupStatus, lang: str):
    """The steps a new district still has to take, each with where (or how) to take it."""
    if status.complete:
        return None
    admin = acting_user().at_least("admin")
    items = []
    for step in status.steps:
        mark = "✓" if step.done else "○"
        what = t(f"setup.step.{step.key}", lang)
        label = dcc.Link(what, href=step.href) if (step.href and admin and not step.done) else html.Span(what)
        how = None if step.done else dmc.Text(t(f"setup.how.{step.key}", lang), size="xs", c="dimmed",
                                              ff="monospace" if step.href is None else None)
        items.append(html.Li([html.Span(mark, className="setup-mark"), label, how],
                             className="setup-done" if step.done else "setup-todo",
                             id=f"setup-{step.key}"))
    return dmc.Paper([
        dmc.Title(t("setup.title", lang), order=4),
        dmc.Text(t("setup.intro_admin" if admin else "setup.intro_other", lang), size="sm", c="dimmed", mb="xs"),
        html.Ol(items, className="setup-steps"),
    ], withBorder=True, p="md", radius="md", id="home-setup")


def _sites_panel(data, lang: str):
    if data.sites.empty or int(data.sites["sites"].sum()) == 0:
        body = dmc.Text([t("home.no_sites", lang), " ", dcc.Link(t("home.no_sites_link", lang), href="/sites")],
                        size="sm", c="dimmed", id="home-no-sites")
    else:
        body = dcc.Graph(id="home-sites-by-township", figure=sites_by_township(data.sites, lang),
                         config=graph_config(lang) | {"displayModeBar": False})
    return dmc.Paper([dmc.Title(t("home.sites_by_township", lang), order=4), body],
                     withBorder=True, p="md", radius="md")


def _alert_banner(alert, lang: str, tz):
    if alert is None:
        return dmc.Alert(t("home.alert.none", lang), color="gray", id="home-alert")
    level = t(f"alert.level.{alert.level}", lang)
    if alert.active:
        text = t("home.alert.active", lang, level=level, start=format_datetime(alert.starts_at, lang, tz))
        return dmc.Alert(text, color=ALERT_COLOURS[alert.level], variant="filled", id="home-alert")
    end = format_datetime(alert.ends_at, lang, tz) if alert.ends_at else "—"
    return dmc.Alert(t("home.alert.last", lang, level=level, end=end), color="gray", id="home-alert")


def layout(**_query) -> html.Div:
    lang = current_language()
    settings = app_settings()
    tz = settings.tz
    with read_session() as session:
        data = build_overview(session, tz)
        status = setup_status(session)
        # What an inspector on a phone acts on first: the dust checks due in their township.
        township = scope_of(acting_user())
        due = dust_tasks.open_tasks(session, township, limit=HOME_ROWS)
        due_total = dust_tasks.open_task_count(session, township) if due else 0

    tiles = [
        _aqi_tile(
            row.station_code,
            row.name,
            int(row.aqi),
            int(row.category),
            row.primary_pollutants,
            lang,
            f"aqi-{row.station_code}",
            background=bool(row.is_background),
        )
        for row in data.station_aqi.itertuples()
    ]
    latest = data.station_aqi["time"].max() if not data.station_aqi.empty else None
    district = data.district_aqi
    active_sites = int(data.sites["sites"].sum())

    return html.Div(
        [
            dmc.Group(
                [
                    dmc.Title(t("home.title", lang), order=2),
                    dmc.Text(t("home.as_of", lang, date=format_date(data.today, lang)), c="dimmed", id="home-as-of"),
                ],
                justify="space-between",
                align="baseline",
            ),
            _setup_panel(status, lang),
            _alert_banner(data.alert, lang, tz),
            task_panel(due, due_total, lang, tz, acting_user()),
            dmc.SimpleGrid(
                [
                    _district_kpi(district, lang, status),
                    _kpi(t("home.kpi.active_sites", lang), active_sites, "kpi-active-sites"),
                    _kpi(t("home.kpi.open_items", lang), data.ledger["open"], "kpi-open-items"),
                    _kpi(t("home.kpi.overdue_items", lang), data.ledger["overdue"], "kpi-overdue-items", "red"),
                ],
                cols={"base": 2, "md": 4},
                spacing="md",
            ),
            dmc.Paper(
                [
                    dmc.Group(
                        [
                            dmc.Title(t("home.stations", lang), order=4),
                            dmc.Text(
                                t("home.latest_hour", lang, time=format_datetime(latest, lang, tz))
                                if latest is not None
                                else t("home.no_readings", lang),
                                size="sm",
                                c="dimmed",
                            ),
                        ],
                        justify="space-between",
                    ),
                    html.Div(tiles, className="aqi-tiles", id="home-aqi-tiles"),
                    dmc.Text(
                        t("home.standard_note", lang, standard=data.station_aqi["standard"].iloc[0])
                        if not data.station_aqi.empty
                        else "",
                        size="xs",
                        c="dimmed",
                    ),
                ],
                withBorder=True,
                p="md",
                radius="md",
            ),
            _sites_panel(data, lang),
        ],
        className="page page-home",
        style={"display": "flex", "flexDirection": "column", "gap": "16px"},
    )


def title(**_kwargs) -> str:
    return f'{t("home.title", current_language())} · {t("app.title", current_language())}'


dash.register_page(__name__, path="/", name="home", title=title, layout=layout)
