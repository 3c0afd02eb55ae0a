"""Admin tab 扬尘监测设备: the site dust monitors — the list (MN, site, last seen, status; never a
password), a form that registers one (MN, site, password) and a remove button per active monitor,
confirmed in a dialog.

Adding and removing go through ``services.site_dust`` (admins only, audited), as the
``monitors add|remove`` commands do.
"""

from __future__ import annotations

import dash
import dash_mantine_components as dmc
import pandas as pd
from dash import ALL, Input, Output, State, html

from dashboard.analytics import dust_views as views
from dashboard.auth import current_language
from dashboard.i18n import t
from dashboard.i18n.formats import format_datetime
from dashboard.services import site_dust as service
from dashboard.services.access import Forbidden
from dashboard.ui.admin._confirm import clicked_row, confirmed
from dashboard.ui.components.site_dust import status_badge
from dashboard.ui.data import acting_user, app_settings, read_session
from dashboard.ui.inputs import BadInput

ORDER = 65
KEY = "dust"
NO_UPDATE = dash.no_update


def label(lang: str) -> str:
    return t("dust.admin.tab", lang)


def _table(lang: str) -> html.Div:
    tz = app_settings().tz
    with read_session() as session:
        rows = views.monitor_list(session, tz)
    if rows.empty:
        return html.Div(dmc.Text(t("dust.admin.none", lang), c="dimmed", size="sm"), id="admin-dust-list")

    def when(value) -> str:
        return "—" if value is None or pd.isna(value) else format_datetime(value, lang, tz)

    head = dmc.TableThead(dmc.TableTr([dmc.TableTh(t(f"dust.col.{c}", lang))
                                       for c in ("mn", "site", "last_seen", "latest", "status")] + [dmc.TableTh("")]))
    body = []
    for row in rows.itertuples():
        # By the MN: letters and digits only, so a pattern-matching id carries it unchanged.
        action = dmc.Button(t("dust.admin.remove", lang), id={"type": "admin-dust-remove", "index": row.mn},
                            color="red", variant="light", size="xs") if row.active else None
        latest = "—" if pd.isna(row.latest_pm10) else f"{row.latest_pm10:.0f} µg/m³ · {when(row.latest_time)}"
        body.append(dmc.TableTr([
            dmc.TableTd(row.mn, className="admin-dust-mn"),
            dmc.TableTd(f"{row.site_code} {row.site_name}"),
            dmc.TableTd(when(row.last_seen_at)),
            dmc.TableTd(latest),
            dmc.TableTd(status_badge(str(row.status), lang)),
            dmc.TableTd(action),
        ]))
    return html.Div(dmc.ScrollArea(dmc.Table([head, dmc.TableTbody(body)], striped=True, highlightOnHover=True,
                                             withTableBorder=True), type="auto"), id="admin-dust-list")


def panel(lang: str) -> html.Div:
    with read_session() as session:
        sites = views.sites_for_monitors(session)
    form = dmc.Paper([
        dmc.Title(t("dust.admin.add", lang), order=4),
        dmc.SimpleGrid([
            dmc.TextInput(id="admin-dust-mn", label=t("dust.admin.mn", lang),
                          description=t("dust.admin.mn.help", lang)),
            dmc.Select(id="admin-dust-site", label=t("dust.admin.site", lang), searchable=True,
                       data=[{"value": code, "label": f"{code} {name}"} for _id, code, name in sites]),
            dmc.PasswordInput(id="admin-dust-password", label=t("dust.admin.password", lang),
                              description=t("dust.admin.password.help", lang)),
        ], cols={"base": 1, "sm": 3}, spacing="md"),
        dmc.Group([dmc.Button(t("dust.admin.add", lang), id="admin-dust-add")], mt="sm"),
        html.Div(id="admin-dust-added", style={"marginTop": "8px"}),
    ], withBorder=True, p="md", radius="md")
    confirm = dmc.Modal(id="admin-dust-confirm", title=t("dust.admin.confirm.title", lang), children=[
        dmc.Text(id="admin-dust-confirm-text", size="sm"),
        dmc.Group([
            dmc.Button(t("dust.admin.remove", lang), id="admin-dust-remove-confirm", color="red"),
            dmc.Button(t("dust.admin.confirm.cancel", lang), id="admin-dust-remove-cancel", variant="subtle"),
        ], justify="flex-end", mt="sm"),
    ])
    return html.Div([
        dmc.Title(t("dust.admin.title", lang), order=4),
        dmc.Text(t("dust.admin.intro", lang), size="sm", c="dimmed"),
        _table(lang),
        html.Div(id="admin-dust-remove-message"),
        form,
        confirm,
        dash.dcc.Store(id="admin-dust-pending"),
    ], style={"display": "flex", "flexDirection": "column", "gap": "12px"})


def _refusal(exc: service.MonitorRefused | Forbidden, lang: str, alert_id: str) -> dmc.Alert:
    text = t("errors.forbidden", lang) if isinstance(exc, Forbidden) else t(f"dust.admin.error.{exc.code}", lang)
    return dmc.Alert(text, color="red", id=alert_id)


def _text(value, what: str) -> str:
    if not isinstance(value, (str, type(None))):
        raise BadInput(what)
    return value or ""


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output("admin-dust-added", "children"),
        Output("admin-dust-list", "children"),
        Output("admin-dust-mn", "value"),
        Output("admin-dust-password", "value"),
        Input("admin-dust-add", "n_clicks"),
        State("admin-dust-mn", "value"),
        State("admin-dust-site", "value"),
        State("admin-dust-password", "value"),
        prevent_initial_call=True,
    )
    def _add(n_clicks, mn, site, password):
        lang = current_language()
        if not n_clicks:
            raise dash.exceptions.PreventUpdate
        mn, site, password = _text(mn, "MN"), _text(site, "site"), _text(password, "password")
        try:
            created = service.add_monitor(app_settings(), acting_user(), mn, site, password)
        except (service.MonitorRefused, Forbidden) as exc:
            # The form keeps what was typed.
            return _refusal(exc, lang, "admin-dust-add-error"), NO_UPDATE, NO_UPDATE, NO_UPDATE
        text = t("dust.admin.added" if created else "dust.admin.reactivated", lang, mn=mn.strip(), site=site)
        return (dmc.Alert(text, color="teal", id="admin-dust-added-alert"), _table(lang).children, "", "")

    @app.callback(
        Output("admin-dust-pending", "data"),
        Output("admin-dust-confirm-text", "children"),
        Output("admin-dust-confirm", "opened"),
        Input({"type": "admin-dust-remove", "index": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def _ask(clicks):
        mn = clicked_row(clicks).get("index")
        if not isinstance(mn, str):
            raise BadInput("MN")
        return mn, t("dust.admin.confirm.text", current_language(), mn=mn), True

    @app.callback(
        Output("admin-dust-remove-message", "children"),
        Output("admin-dust-list", "children", allow_duplicate=True),
        Output("admin-dust-confirm", "opened", allow_duplicate=True),
        Input("admin-dust-remove-confirm", "n_clicks"),
        Input("admin-dust-remove-cancel", "n_clicks"),
        State("admin-dust-pending", "data"),
        prevent_initial_call=True,
    )
    def _remove(confirm, _cancel, pending):
        pending = confirmed("admin-dust-remove-cancel", confirm, pending, "MN")
        if pending is None:
            return NO_UPDATE, NO_UPDATE, False
        lang = current_language()
        try:
            changed = service.remove_monitor(app_settings(), acting_user(), pending)
        except (service.MonitorRefused, Forbidden) as exc:
            return _refusal(exc, lang, "admin-dust-remove-error"), NO_UPDATE, False
        key = "dust.admin.removed" if changed else "dust.admin.already_removed"
        return (dmc.Alert(t(key, lang, mn=pending), color="teal", id="admin-dust-removed"),
                _table(lang).children, False)
