"""What a callback needs from the request: the app's settings, a read-only session, the actor."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app

from dashboard.analytics import reading
from dashboard.auth import current_actor
from dashboard.services.access import Actor
from dashboard.settings import Settings


def app_settings() -> Settings:
    return current_app.config["DASHBOARD_SETTINGS"]


@contextmanager
def read_session() -> Iterator:
    """A session for page views and read callbacks: it refuses to write (writes go to services)."""
    with reading(app_settings().database_url) as session:
        yield session


def acting_user() -> Actor:
    """The logged-in user as services see them (anonymous outside a request or a login)."""
    return current_actor()
