"""Fixtures the integration tests share."""

from __future__ import annotations

import pytest

from dashboard.store.db import engine_for
from tests.conftest import make_settings
from tests.integration.inspection_db import copy_demo


@pytest.fixture
def demo(tmp_path_factory, tmp_path):
    """A private copy of the demo district (the test may write to it) and an app on it."""
    from dashboard.app import create_app

    url = next(copy_demo(tmp_path_factory, tmp_path))
    settings = make_settings(tmp_path, database_url=url)
    app = create_app(settings)
    yield app, settings
    engine_for(url).dispose()
