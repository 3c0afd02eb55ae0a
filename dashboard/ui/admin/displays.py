"""Admin tab 显示屏: the wall displays' tokens (``/wall?token=…``) — the list (never a secret:
only its hash is stored), a form that creates one and shows it once with the wall's address,
and a revoke button per active token, confirmed in a dialog.

Creating and revoking go through ``services.display`` (admins only, audited), as the
``tokens`` command does.
"""

from __future__ import annotations

import dash
import dash_mantine_components as dmc
from dash import ALL, Input, Output, State, html
from flask import has_request_context, request

from dashboard.auth import WALL_PATH, current_language
from dashboard.i18n import t
from dashboard.i18n.formats import format_datetime
from dashboard.services import display as service
from dashboard.services.access import Forbidden
from dashboard.ui.admin._confirm import clicked_row, confirmed
from dashboard.ui.data import acting_user, app_settings
from dashboard.ui.inputs import BadInput

ORDER = 60
KEY = "displays"
#: Seconds between the wall's scenes in the address handed out.
ROTATE = 60
NO_UPDATE = dash.no_update


def label(lang: str) -> str:
    return t("wall.tokens.tab", lang)


def wall_url(secret: str) -> str:
    """The address to open on the wall: absolute when the request says where the app is."""
    base = request.host_url.rstrip("/") if has_request_context() else ""
    return f"{base}{WALL_PATH}?token={secret}&rotate={ROTATE}"


def _table(lang: str) -> html.Div:
    tz = app_settings().tz
    tokens = service.list_tokens(app_settings())
    if not tokens:
        return html.Div(dmc.Text(t("wall.tokens.none", lang), c="dimmed", size="sm"), id="admin-display-list")

    def when(value) -> str:
        return format_datetime(value, lang, tz) if value else "—"

    head = dmc.TableThead(dmc.TableTr([dmc.TableTh(t(f"wall.tokens.col.{c}", lang))
                                       for c in ("name", "created_by", "created", "used", "state")]
                                      + [dmc.TableTh("")]))
    body = []
    for row in tokens:
        active = row.revoked_at is None
        state = (dmc.Badge(t("wall.tokens.active", lang), color="teal", variant="light") if active else
                 dmc.Badge(t("wall.tokens.revoked_state", lang, time=when(row.revoked_at)), color="gray",
                           variant="light"))
        action = dmc.Button(t("wall.tokens.revoke", lang), id={"type": "admin-display-revoke", "index": row.id},
                            color="red", variant="light", size="xs") if active else None
        body.append(dmc.TableTr([
            dmc.TableTd(row.name, className="admin-display-name"),
            dmc.TableTd(row.created_by or t("wall.tokens.by_cli", lang)),
            dmc.TableTd(when(row.created_at)),
            dmc.TableTd(when(row.last_used_at)),
            dmc.TableTd(state),
            dmc.TableTd(action),
        ]))
    return html.Div(dmc.Table([head, dmc.TableTbody(body)], striped=True, highlightOnHover=True,
                              withTableBorder=True), id="admin-display-list")


def panel(lang: str) -> html.Div:
    form = dmc.Paper([
        dmc.Title(t("wall.tokens.create", lang), order=4),
        dmc.Group([
            dmc.TextInput(id="admin-display-name", label=t("wall.tokens.name", lang),
                          description=t("wall.tokens.name.help", lang), w=360),
            dmc.Button(t("wall.tokens.create", lang), id="admin-display-create"),
        ], align="flex-end"),
        html.Div(id="admin-display-created", style={"marginTop": "8px"}),
    ], withBorder=True, p="md", radius="md")
    confirm = dmc.Modal(id="admin-display-confirm", title=t("wall.tokens.confirm.title", lang), children=[
        dmc.Text(id="admin-display-confirm-text", size="sm"),
        dmc.Group([
            dmc.Button(t("wall.tokens.revoke", lang), id="admin-display-revoke-confirm", color="red"),
            dmc.Button(t("wall.tokens.confirm.cancel", lang), id="admin-display-revoke-cancel", variant="subtle"),
        ], justify="flex-end", mt="sm"),
    ])
    return html.Div([
        dmc.Title(t("wall.tokens.title", lang), order=4),
        dmc.Text(t("wall.tokens.intro", lang), size="sm", c="dimmed"),
        _table(lang),
        html.Div(id="admin-display-revoke-message"),
        form,
        confirm,
        dash.dcc.Store(id="admin-display-pending"),
    ], style={"display": "flex", "flexDirection": "column", "gap": "12px"})


def _refusal(exc: service.InvalidToken | Forbidden, lang: str, alert_id: str) -> dmc.Alert:
    text = t("errors.forbidden", lang) if isinstance(exc, Forbidden) else t(f"wall.tokens.error.{exc.code}", lang)
    return dmc.Alert(text, color="red", id=alert_id)


def _created(name: str, secret: str, lang: str) -> dmc.Alert:
    return dmc.Alert([
        dmc.Text(t("wall.tokens.created", lang, name=name), size="sm"),
        dmc.Code(secret, block=True, id="admin-display-secret", className="admin-display-copy"),
        dmc.Text(t("wall.tokens.url", lang, seconds=ROTATE), size="sm", mt="xs"),
        dmc.Code(wall_url(secret), block=True, id="admin-display-url", className="admin-display-copy"),
    ], color="teal", id="admin-display-created-alert")


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output("admin-display-created", "children"),
        Output("admin-display-list", "children"),
        Output("admin-display-name", "value"),
        Input("admin-display-create", "n_clicks"),
        State("admin-display-name", "value"),
        prevent_initial_call=True,
    )
    def _create(n_clicks, name):
        lang = current_language()
        if not n_clicks:
            raise dash.exceptions.PreventUpdate
        if not isinstance(name, (str, type(None))):
            raise BadInput("token name")
        try:
            secret = service.create_token(app_settings(), acting_user(), name)
        except (service.InvalidToken, Forbidden) as exc:
            # The form keeps what was typed.
            return _refusal(exc, lang, "admin-display-create-error"), NO_UPDATE, NO_UPDATE
        clean = (name or "").strip()
        return _created(clean, secret, lang), _table(lang).children, ""

    @app.callback(
        Output("admin-display-pending", "data"),
        Output("admin-display-confirm-text", "children"),
        Output("admin-display-confirm", "opened"),
        # By the token's number: a name may be Chinese, which a pattern-matching id does not carry.
        Input({"type": "admin-display-revoke", "index": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def _ask(clicks):
        trigger = clicked_row(clicks)
        name = next((row.name for row in service.list_tokens(app_settings()) if row.id == trigger.get("index")), None)
        if name is None:
            raise dash.exceptions.PreventUpdate
        return name, t("wall.tokens.confirm.text", current_language(), name=name), True

    @app.callback(
        Output("admin-display-revoke-message", "children"),
        Output("admin-display-list", "children", allow_duplicate=True),
        Output("admin-display-confirm", "opened", allow_duplicate=True),
        Input("admin-display-revoke-confirm", "n_clicks"),
        Input("admin-display-revoke-cancel", "n_clicks"),
        State("admin-display-pending", "data"),
        prevent_initial_call=True,
    )
    def _revoke(confirm, _cancel, pending):
        pending = confirmed("admin-display-revoke-cancel", confirm, pending, "token name")
        if pending is None:
            return NO_UPDATE, NO_UPDATE, False
        lang = current_language()
        try:
            changed = service.revoke_token(app_settings(), acting_user(), pending)
        except (service.InvalidToken, Forbidden) as exc:
            return _refusal(exc, lang, "admin-display-revoke-error"), NO_UPDATE, False
        key = "wall.tokens.revoked" if changed else "wall.tokens.already_revoked"
        return (dmc.Alert(t(key, lang, name=pending), color="teal", id="admin-display-revoked"),
                _table(lang).children, False)
