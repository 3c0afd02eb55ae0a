"""附近工地 / Near me: a button that asks the browser where it is (``assets/near.js``) and keeps
the answer in a store, for the sites list and the inspection form's site picker.

The position is kept in memory, for the page it was asked on: a fix of half an hour ago, carried
to the next page, would order the list around the previous site. Asking again is quick, as the
browser reuses a fix of the last minute.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_mantine_components as dmc
from dash import ClientsideFunction, Input, Output, State, dcc, html

from dashboard.auth import current_language
from dashboard.domain.nearby import position_from
from dashboard.i18n import t
from dashboard.i18n.formats import format_distance

ERRORS = ("denied", "unavailable", "timeout", "unsupported")


def ids(prefix: str) -> tuple[str, str, str]:
    """The button, message and store ids of one page's controls."""
    return f"{prefix}-near", f"{prefix}-near-message", f"{prefix}-near-position"


def controls(prefix: str, lang: str) -> html.Div:
    button, message, store = ids(prefix)
    return html.Div(
        [
            dmc.Button(t("near.button", lang), id=button, variant="light", size="sm", n_clicks=0,
                       **{"aria-description": t("near.tip", lang)}),
            dmc.Text("", id=message, size="sm", c="dimmed", className="near-message"),
            dcc.Store(id=store, storage_type="memory"),
        ],
        className="near-controls",
    )


def status(data: Any, lang: str, note: str | None = None) -> tuple[str, str, bool, str, str]:
    """(message, its colour, button loading, button variant, button label) for what the store holds.

    ``note``: said after the ordering message (the form's preselected site)."""
    here = position_from(data)
    if here is not None:
        text = (t("near.ordered", lang, accuracy=format_distance(here.accuracy_m, lang))
                if here.accuracy_m is not None else t("near.ordered_unknown", lang))
        return (f"{text} {note}" if note else text), "dimmed", False, "filled", t("near.button_on", lang)
    error = data.get("error") if isinstance(data, dict) else None
    if error in ERRORS:
        return t(f"near.error.{error}", lang), "red", False, "light", t("near.button", lang)
    return "", "dimmed", False, "light", t("near.button", lang)


def status_outputs(prefix: str) -> list[Output]:
    button, message, _store = ids(prefix)
    return [Output(message, "children"), Output(message, "c"), Output(button, "loading", allow_duplicate=True),
            Output(button, "variant"), Output(button, "children")]


def register(app: dash.Dash, prefix: str, with_status: bool = True) -> None:
    """The browser side of ``prefix``'s controls; ``with_status``: also the server callback that
    shows the outcome (a page that says more, as the form does, shows it itself)."""
    button, _message, store = ids(prefix)
    app.clientside_callback(ClientsideFunction("near", "locate"), Output(store, "data"),
                            Input(button, "n_clicks"), State(store, "data"), prevent_initial_call=True)
    app.clientside_callback(ClientsideFunction("near", "pending"), Output(button, "loading"),
                            Input(button, "n_clicks"), State(store, "data"), prevent_initial_call=True)
    if with_status:
        @app.callback(*status_outputs(prefix), Input(store, "data"), prevent_initial_call=True)
        def _status(data):
            return status(data, current_language())

