"""Database access for callbacks and layouts, on the settings the app was built with."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy.orm import Session

from dashboard.settings import Settings
from dashboard.store.db import session_scope


def app_settings() -> Settings:
    return current_app.config["DASHBOARD_SETTINGS"]


@contextmanager
def db_session() -> Iterator[Session]:
    with session_scope(app_settings().database_url) as session:
        yield session
