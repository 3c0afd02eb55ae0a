"""Administration (/admin): the district, its people and its rules, in tabs (``ui/admin/``)."""

from __future__ import annotations

import dash
import dash_mantine_components as dmc
from dash import html

from dashboard.auth import current_language
from dashboard.i18n import t
from dashboard.ui.admin import tab_modules
from dashboard.ui.data import acting_user


def title(**_kwargs) -> str:
    lang = current_language()
    return f"{t('admin.title', lang)} · {t('app.title', lang)}"


def layout(tab: str | None = None, **_query) -> html.Div:
    lang = current_language()
    if not acting_user().at_least("admin"):
        return html.Div([dmc.Title(t("admin.title", lang), order=2),
                         dmc.Alert(t("admin.forbidden", lang), color="red", id="admin-forbidden")],
                        className="page page-admin")
    tabs = tab_modules()
    keys = [m.KEY for m in tabs]
    return html.Div(
        [
            dmc.Title(t("admin.title", lang), order=2),
            dmc.Tabs(
                [
                    dmc.TabsList([dmc.TabsTab(m.label(lang), value=m.KEY, id=f"admin-tab-{m.KEY}") for m in tabs]),
                    *[dmc.TabsPanel(m.panel(lang), value=m.KEY, pt="md") for m in tabs],
                ],
                value=tab if tab in keys else keys[0],
                id="admin-tabs",
                keepMounted=False,
            ),
        ],
        className="page page-admin",
        style={"display": "flex", "flexDirection": "column", "gap": "12px"},
    )


def register_callbacks(app: dash.Dash) -> None:
    for module in tab_modules():
        if hasattr(module, "register_callbacks"):
            module.register_callbacks(app)


dash.register_page(__name__, path="/admin", name="admin", title=title, layout=layout)
