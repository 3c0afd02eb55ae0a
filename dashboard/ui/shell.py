"""The shell around every page: header, navigation, language switch, user menu.

The layout is built per page load in the user's language; switching language stores the choice
(cookie and user profile) and reloads the page, so every string comes from one catalog lookup.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, dcc, html
from flask import has_request_context, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from dashboard.auth import LANG_COOKIE, WALL_PATH, current_display, current_language
from dashboard.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from dashboard.services import users
from dashboard.ui import notices
from dashboard.ui.data import acting_user, app_settings
from dashboard.ui.theme import mantine_theme

# The navigation, in order; a link appears only once its page is registered (no placeholders).
NAV = [
    ("/", "nav.home"),
    ("/analysis", "nav.analysis"),
    ("/briefing", "nav.briefing"),
    ("/air", "nav.air"),
    ("/sites", "nav.sites"),
    ("/inspections", "nav.inspections"),
    ("/compliance", "nav.compliance"),
    ("/alerts", "nav.alerts"),
    ("/rectifications", "nav.rectifications"),
    ("/meetings", "nav.meetings"),
    ("/ledger", "nav.ledger"),
    ("/scorecard", "nav.scorecard"),
    ("/wall", "nav.wall"),
    ("/admin", "nav.admin"),
]


def registered_paths() -> set[str]:
    return {page["path"] for page in dash.page_registry.values()}


# Pages only some roles can use: others do not see them in the navigation.
NAV_ROLES = {"/admin": "admin"}


def nav_links(lang: str) -> list:
    paths = registered_paths()
    actor = acting_user()
    return [
        dmc.NavLink(label=t(key, lang), href=path, active="exact", id=f"nav-{path.strip('/') or 'home'}")
        for path, key in NAV
        if path in paths and actor.at_least(NAV_ROLES.get(path, "viewer"))
    ]


def _user_menu(lang: str) -> list:
    if not has_request_context() or not current_user.is_authenticated:
        return []
    return [
        dmc.Text(
            [current_user.display_name, " · ", t(f"role.{current_user.role}", lang)],
            size="sm",
            id="shell-user",
        ),
        html.Form(
            [
                dcc.Input(type="hidden", name="csrf_token", value=generate_csrf()),
                html.Button(t("shell.logout", lang), type="submit", className="shell-logout", id="shell-logout"),
            ],
            method="POST",
            action="/logout",
        ),
    ]


def _for_wall() -> bool:
    """The wall's screen has no chrome: a display token sees nothing else, and a person who
    opens /wall (the renderer asks for the layout from that page) gets the same screen."""
    if not has_request_context():
        return False
    if current_display() is not None:
        return True
    referrer = urlsplit(request.referrer or "")
    return referrer.path == WALL_PATH and referrer.netloc == request.host


def layout() -> dmc.MantineProvider:
    lang = current_language() if has_request_context() else DEFAULT_LANGUAGE
    if _for_wall():
        return dmc.MantineProvider([notices.container(), dash.page_container], theme=mantine_theme(),
                                   forceColorScheme="dark", id="mantine-provider")
    header = dmc.Group(
        [
            dmc.Group(
                [
                    dmc.Burger(id="shell-burger", hiddenFrom="sm", size="sm", opened=False),
                    html.A(
                        [html.Span(t("app.title", lang), className="shell-title")],
                        href="/",
                        className="shell-brand",
                    ),
                ],
                gap="sm",
            ),
            dmc.Group(
                [
                    dmc.SegmentedControl(
                        id="lang-switch",
                        value=lang,
                        data=[{"value": code, "label": t(f"lang.{code}", code)} for code in LANGUAGES],
                        size="xs",
                    ),
                    *_user_menu(lang),
                ],
                gap="md",
            ),
        ],
        justify="space-between",
        h="100%",
        px="md",
    )
    shell = dmc.AppShell(
        [
            dmc.AppShellHeader(header),
            dmc.AppShellNavbar(nav_links(lang), p="sm", id="shell-navbar"),
            dmc.AppShellMain(dash.page_container),
        ],
        header={"height": 56},
        navbar={"width": 190, "breakpoint": "sm", "collapsed": {"mobile": True}},
        padding="md",
        id="shell",
    )
    return dmc.MantineProvider(
        dmc.DatesProvider(
            [dcc.Store(id="lang-saved"), notices.container(), shell],
            settings={"locale": "zh_cn" if lang == "zh" else "en", "firstDayOfWeek": 1},
        ),
        theme=mantine_theme(),
        id="mantine-provider",
    )


def register_callbacks(app: dash.Dash) -> None:
    """Callbacks are attached to the app (not Dash's global list) so each app gets its own."""

    @app.callback(
        Output("shell", "navbar"),
        Input("shell-burger", "opened"),
        State("shell", "navbar"),
        prevent_initial_call=True,
    )
    def _toggle_navbar(opened: bool, navbar: dict) -> dict:
        navbar = navbar if isinstance(navbar, dict) else {}
        return {**navbar, "collapsed": {"mobile": not opened}}

    @app.callback(
        Output("lang-saved", "data"),
        Input("lang-switch", "value"),
        prevent_initial_call=True,
    )
    def _switch_language(lang: str):
        if lang not in LANGUAGES:
            raise dash.exceptions.PreventUpdate
        dash.callback_context.response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax"
        )
        actor = acting_user()
        if actor.user_id is not None:
            users.set_language(app_settings(), actor, lang)
        return lang

    # Reload once the cookie is set, so the whole page is rebuilt in the new language.
    app.clientside_callback(
        "function (lang) { if (lang) { window.location.reload(); } return window.dash_clientside.no_update; }",
        Output("lang-switch", "className"),
        Input("lang-saved", "data"),
        prevent_initial_call=True,
    )
