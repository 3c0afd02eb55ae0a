"""Messages that float over every page, and the one place a failed callback ends up.

Every callback of the app runs under ``callback_failed`` (Dash's ``on_error``): whatever a
callback does not handle itself becomes a notice in the user's language and leaves the page as
it was, never an HTTP 500. A refusal from ``services`` (no permission, another township) needs
no code in the callback; the unexpected is logged with its traceback and a reference the user
can quote.
"""

from __future__ import annotations

import logging
import secrets

import dash
import dash_mantine_components as dmc

from dashboard.auth import current_language
from dashboard.domain.errors import CodedError
from dashboard.i18n import t
from dashboard.services.access import Forbidden
from dashboard.ui.inputs import BadInput

NOTICES_ID = "shell-notices"
log = logging.getLogger(__name__)


def container() -> dmc.NotificationContainer:
    return dmc.NotificationContainer(id=NOTICES_ID, position="top-center", autoClose=8000)


def notify(message: str, color: str = "red", title: str | None = None) -> None:
    """Show ``message`` over the page (from inside a callback)."""
    notice = {"id": f"notice-{secrets.token_hex(4)}", "action": "show", "message": message, "color": color}
    if title:
        notice["title"] = title
    dash.set_props(NOTICES_ID, {"sendNotifications": [notice]})


def refusal_text(error: CodedError, lang: str) -> str:
    if isinstance(error, Forbidden):
        return t(f"errors.{error.code}", lang)
    if isinstance(error, BadInput):
        return t("errors.bad_input", lang)
    return t("errors.refused", lang, code=error.code)


def callback_failed(error: Exception) -> None:
    """Dash's ``on_error`` for every callback: a notice instead of a 500, outputs unchanged."""
    lang = current_language()
    if isinstance(error, CodedError):
        message = refusal_text(error, lang)
    else:
        ref = secrets.token_hex(3)
        log.error("callback failed (ref %s)", ref, exc_info=error)
        message = t("errors.unexpected", lang, ref=ref)
    notify(message, "red", t("errors.title", lang))
