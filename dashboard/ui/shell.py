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
    ("/dust", "nav.dust"),
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


def _lang_switch(lang: str, element_id: str) -> dmc.SegmentedControl:
    return dmc.SegmentedControl(
        id=element_id,
        value=lang,
        data=[{"value": code, "label": t(f"lang.{code}", code)} for code in LANGUAGES],
        size="xs",
    )


def _user_menu(lang: str, suffix: str = "") -> list:
    """The user's name and the logout button; ``suffix`` tells the drawer's copy from the header's."""
    if not has_request_context() or not current_user.is_authenticated:
        return []
    return [
        dmc.Text(
            [current_user.display_name, " · ", t(f"role.{current_user.role}", lang)],
            size="sm",
            id=f"shell-user{suffix}",
        ),
        html.Form(
            [
                dcc.Input(type="hidden", name="csrf_token", value=generate_csrf()),
                html.Button(t("shell.logout", lang), type="submit", className="shell-logout",
                            id=f"shell-logout{suffix}"),
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
                wrap="nowrap",
                className="shell-brand-group",
            ),
            # A phone has no room beside the title: the drawer carries these there instead.
            dmc.Group([_lang_switch(lang, "lang-switch"), *_user_menu(lang)], gap="md", visibleFrom="sm"),
        ],
        justify="space-between",
        h="100%",
        px="md",
        wrap="nowrap",
    )
    phone_menu = dmc.Stack(
        [_lang_switch(lang, "lang-switch-phone"), *_user_menu(lang, "-phone")],
        gap="xs", hiddenFrom="sm", className="shell-phone-menu",
    )
    shell = dmc.AppShell(
        [
            dmc.AppShellHeader(header),
            dmc.AppShellNavbar(
                [dmc.ScrollArea(nav_links(lang), flex=1, type="auto"), phone_menu], p="sm", id="shell-navbar"
            ),
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

    # In the browser: on a weak signal the drawer must not wait for a round trip to the server.
    app.clientside_callback(
        """function (opened, navbar) {
            return Object.assign({}, navbar || {}, {collapsed: {mobile: !opened}});
        }""",
        Output("shell", "navbar"),
        Input("shell-burger", "opened"),
        State("shell", "navbar"),
        prevent_initial_call=True,
    )
    # Choosing a page closes the drawer, which on a phone covers the page just opened.
    app.clientside_callback(
        "function (_path) { return false; }",
        Output("shell-burger", "opened"),
        Input("_pages_location", "pathname"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output("lang-saved", "data"),
        Input("lang-switch", "value"),
        prevent_initial_call=True,
    )
    def _switch_language(lang: str):
        return _save_language(lang)

    @app.callback(
        Output("lang-saved", "data", allow_duplicate=True),
        Input("lang-switch-phone", "value"),
        prevent_initial_call=True,
    )
    def _switch_language_phone(lang: str):
        return _save_language(lang)

    def _save_language(lang: str):
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
