"""Admin tab 用户: every account, and a form to create one or change it (role, township scope,
name, password, enabled). Saving goes through ``services.users.save_user``."""

from __future__ import annotations

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, html

from dashboard.analytics.accounts import user_list
from dashboard.analytics.sites import townships
from dashboard.auth import current_language
from dashboard.domain.roles import ROLES
from dashboard.i18n import t
from dashboard.i18n.formats import format_datetime
from dashboard.services import users as service
from dashboard.services.access import Forbidden
from dashboard.ui.components.datagrid import data_grid
from dashboard.ui.data import acting_user, app_settings, read_session
from dashboard.ui.inputs import BadInput, int_or_none, rows

ORDER = 10
KEY = "users"


def label(lang: str) -> str:
    return t("admin.users.tab", lang)


def _rows(lang: str) -> list[dict]:
    settings = app_settings()
    with read_session() as session:
        towns = townships(session)
        names = dict(zip(towns["id"], towns["name" if lang == "zh" else "name_en"], strict=True))
        return [{
            "id": str(u.id), "username": u.username, "display_name": u.display_name, "role": u.role,
            "role_label": t(f"role.{u.role}", lang), "township_id": u.township_id,
            "township": names.get(u.township_id, "") if u.township_id else t("admin.users.district_wide", lang),
            "active": u.active, "active_label": t("admin.users.active" if u.active else "admin.users.disabled", lang),
            "last_login": format_datetime(u.last_login_at, lang, settings.tz) if u.last_login_at else "—",
        } for u in user_list(session)]


def _township_options(lang: str) -> list[dict]:
    with read_session() as session:
        towns = townships(session)
    # A retired township takes no new people; one already assigned is kept by saving the user.
    return [{"value": str(r.id), "label": (r.name_en or r.name) if lang == "en" else r.name}
            for r in towns.itertuples() if r.active]


def panel(lang: str) -> html.Div:
    columns = [
        {"field": "username", "headerName": t("admin.users.username", lang), "width": 140},
        {"field": "display_name", "headerName": t("admin.users.display_name", lang), "flex": 1},
        {"field": "role_label", "headerName": t("admin.users.role", lang), "width": 110},
        {"field": "township", "headerName": t("admin.users.township", lang), "width": 160},
        {"field": "active_label", "headerName": t("admin.users.state", lang), "width": 100},
        {"field": "last_login", "headerName": t("admin.users.last_login", lang), "width": 170},
    ]
    form = dmc.Paper([
        dmc.Title(t("admin.users.form_new", lang), order=4, id="admin-user-form-title"),
        dmc.SimpleGrid([
            dmc.TextInput(id="admin-user-username", label=t("admin.users.username", lang), required=True),
            dmc.TextInput(id="admin-user-name", label=t("admin.users.display_name", lang)),
            dmc.Select(id="admin-user-role", label=t("admin.users.role", lang), value="viewer", allowDeselect=False,
                       data=[{"value": r, "label": t(f"role.{r}", lang)} for r in ROLES]),
            dmc.Select(id="admin-user-township", label=t("admin.users.township", lang), clearable=True,
                       data=_township_options(lang), placeholder=t("admin.users.district_wide", lang)),
            dmc.PasswordInput(id="admin-user-password", label=t("admin.users.password", lang),
                              description=t("admin.users.password_hint", lang,
                                            n=app_settings().password_min_length)),
            dmc.Switch(id="admin-user-active", label=t("admin.users.active", lang), checked=True, mt="lg"),
        ], cols={"base": 1, "sm": 2}, spacing="sm"),
        dmc.Group([
            dmc.Button(t("admin.users.save", lang), id="admin-user-save"),
            dmc.Button(t("admin.users.new", lang), id="admin-user-new", variant="default"),
        ], mt="sm"),
        html.Div(id="admin-user-message", style={"marginTop": "8px"}),
    ], withBorder=True, p="md", radius="md")
    return html.Div([
        dmc.Text(t("admin.users.explain", lang), size="sm", c="dimmed"),
        data_grid("admin-users-grid", columns, _rows(lang), lang, height="360px", page_size=None,
                  row_id="params.data.id",
                  rowSelection={"mode": "singleRow", "checkboxes": False, "enableClickSelection": True}),
        form,
        dash.dcc.Store(id="admin-user-id"),
    ], style={"display": "flex", "flexDirection": "column", "gap": "12px"})


def _message(exc: service.InvalidUser | Forbidden, lang: str) -> str:
    if isinstance(exc, Forbidden):
        return t("errors.forbidden", lang)
    if isinstance(exc, service.InvalidUser) and exc.code == "bad_password":
        return " ".join(t(f"account.password.{p}", lang, min_length=exc.details["min_length"])
                        for p in exc.details["problems"])
    return t(f"admin.users.error.{exc.code}", lang)


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output("admin-user-id", "data"),
        Output("admin-user-form-title", "children"),
        Output("admin-user-username", "value"),
        Output("admin-user-name", "value"),
        Output("admin-user-role", "value"),
        Output("admin-user-township", "value"),
        Output("admin-user-active", "checked"),
        Output("admin-user-password", "value"),
        Input("admin-users-grid", "selectedRows"),
        Input("admin-user-new", "n_clicks"),
        prevent_initial_call=True,
    )
    def _load(selected, _new):
        lang = current_language()
        selected = rows(selected)
        if dash.ctx.triggered_id == "admin-user-new" or not selected:
            return None, t("admin.users.form_new", lang), "", "", "viewer", None, True, ""
        row = selected[0]
        township = row.get("township_id")
        return (int_or_none(row.get("id")), t("admin.users.form_edit", lang, name=row.get("username", "")),
                row.get("username"), row.get("display_name"), row.get("role"),
                str(township) if township is not None else None, bool(row.get("active")), "")

    @app.callback(
        Output("admin-user-message", "children"),
        Output("admin-users-grid", "rowData"),
        Output("admin-user-id", "data", allow_duplicate=True),
        Output("admin-user-password", "value", allow_duplicate=True),
        Input("admin-user-save", "n_clicks"),
        State("admin-user-id", "data"),
        State("admin-user-username", "value"),
        State("admin-user-name", "value"),
        State("admin-user-role", "value"),
        State("admin-user-township", "value"),
        State("admin-user-active", "checked"),
        State("admin-user-password", "value"),
        prevent_initial_call=True,
    )
    def _save(n_clicks, user_id, username, name, role, township, active, password):
        lang = current_language()
        if not n_clicks:
            raise dash.exceptions.PreventUpdate
        if not all(isinstance(v, (str, type(None))) for v in (username, name, role, password)):
            raise BadInput("user form")
        try:
            saved = service.save_user(app_settings(), acting_user(), user_id=int_or_none(user_id),
                                      username=username or "", display_name=name or "", role=role or "",
                                      township_id=int_or_none(township), active=bool(active),
                                      password=password or "")
        except (service.InvalidUser, Forbidden) as exc:
            return dmc.Alert(_message(exc, lang), color="red", id="admin-user-error"), dash.no_update, \
                dash.no_update, dash.no_update
        return (dmc.Alert(t("admin.users.saved", lang, name=username), color="teal", id="admin-user-saved"),
                _rows(lang), saved, "")
