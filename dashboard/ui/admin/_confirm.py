"""The admin tabs' "remove after a confirm" pattern: a button on each row opens a dialog, and only
its confirm acts. Shared so that its two subtle guards are written once."""

from __future__ import annotations

from typing import Any

import dash

from dashboard.ui.inputs import BadInput


def clicked_row(clicks: Any) -> dict:
    """The id of the row button that was really clicked. A re-drawn list fires its buttons'
    callback with no click at all: that must not open the dialog."""
    trigger = dash.ctx.triggered_id
    if not isinstance(trigger, dict) or not any(isinstance(c, int) and c > 0 for c in clicks or []) \
            or not dash.ctx.triggered[0].get("value"):
        raise dash.exceptions.PreventUpdate
    return trigger


def confirmed(cancel_id: str, confirm: Any, pending: Any, what: str) -> str | None:
    """The key to act on once the dialog's confirm was pressed; None when it was cancelled."""
    if dash.ctx.triggered_id == cancel_id:
        return None
    if not confirm or not pending:
        raise dash.exceptions.PreventUpdate
    if not isinstance(pending, str):
        raise BadInput(what)
    return pending
