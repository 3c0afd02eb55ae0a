"""What a page shows when there is nothing of its kind yet: what to do, and where."""

from __future__ import annotations

import functools
from collections.abc import Callable

import dash_mantine_components as dmc
from dash import dcc, html

from dashboard.analytics.setup import has_records
from dashboard.auth import current_language
from dashboard.i18n import t
from dashboard.ui.data import acting_user, read_session


def first_steps(text_key: str, lang: str, links: list[tuple[str, str]] = (), command_key: str | None = None,
                element_id: str = "empty-state") -> dmc.Alert:
    """A notice for a page with no records at all: ``links`` are (label key, href) pairs to the
    pages where records are made; ``command_key`` a command line that brings them in."""
    parts: list = [dmc.Text(t(text_key, lang), size="sm")]
    if links:
        parts.append(dmc.Group([dcc.Link(t(label, lang), href=href) for label, href in links], gap="md", mt=4))
    if command_key:
        parts.append(html.Code(t(command_key, lang), className="empty-command"))
    return dmc.Alert(parts, color="blue", variant="light", id=element_id, title=t("empty.title", lang))


def when_empty(kind: str, text_key: str, links: list[tuple[str, str]] = (), command_key: str | None = None,
               link_role: str = "viewer") -> Callable:
    """Decorate a page layout: when there is no record of ``kind`` yet (``analytics.setup``), the
    page opens with ``first_steps`` under its title. Links are shown to ``link_role`` and up."""

    def wrap(layout: Callable) -> Callable:
        @functools.wraps(layout)
        def wrapped(**query):
            page = layout(**query)
            with read_session() as session:
                empty = not has_records(session, kind)
            if empty and isinstance(getattr(page, "children", None), list):
                lang = current_language()
                shown = list(links) if acting_user().at_least(link_role) else []
                page.children.insert(1, first_steps(text_key, lang, shown, command_key, f"empty-{kind}"))
            return page

        return wrapped

    return wrap
