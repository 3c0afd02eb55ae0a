"""A private copy of the demo district for each inspection test (the template is built once).

The template is built here rather than borrowed from ``demo_settings``: browser tests write
into that one, and these tests count rows. Test modules wrap ``copy_demo`` in their own
``demo_url`` fixture.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from dashboard.store.db import engine_for, session_scope, upgrade
from tests.conftest import TEST_PASSWORDS

_TEMPLATE: list[Path] = []


def demo_template(tmp_path_factory) -> Path:
    """The demo district with one user per role (TEST_PASSWORDS), built on first use."""
    if _TEMPLATE:
        return _TEMPLATE[0]
    from dashboard.demo.generate import generate_district
    from dashboard.store.demo_load import load_demo
    from dashboard.store.overview import township_id_by_name
    from dashboard.store.users import upsert_user

    path = tmp_path_factory.mktemp("inspection-template") / "demo.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    with session_scope(url) as session:
        load_demo(session, generate_district())
        houzhai = township_id_by_name(session, "侯寨乡")
        for role, password in TEST_PASSWORDS.items():
            upsert_user(session, role, password, role, display_name=f"test {role}",
                        township_id=houzhai if role == "inspector" else None)
    engine_for(url).dispose()
    _TEMPLATE.append(path)
    return path


def copy_demo(tmp_path_factory, tmp_path: Path) -> Iterator[str]:
    """A fresh copy of the demo database for one test (SQLite's backup API: WAL-safe)."""
    path = tmp_path / "dashboard.db"
    with sqlite3.connect(demo_template(tmp_path_factory)) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    url = f"sqlite:///{path}"
    yield url
    engine_for(url).dispose()
