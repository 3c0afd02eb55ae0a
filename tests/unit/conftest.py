"""Unit tests make no database: they run once, on the SQLite pass, and the PostgreSQL pass leaves
this folder out (.ci/run). A test that needs a database belongs in tests/integration, where it
runs on both."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_database(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("a unit test opened a database: move it to tests/integration, where the "
                             "PostgreSQL pass runs it too")

    monkeypatch.setattr("dashboard.store.db.create_engine", refuse)
