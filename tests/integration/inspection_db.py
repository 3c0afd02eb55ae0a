"""A private copy of the demo district for each inspection test (the template is built once).

The template is built here rather than borrowed from ``demo_settings``: browser tests write
into that one, and these tests count rows. Test modules wrap ``copy_demo`` in their own
``demo_url`` fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from dashboard.store.db import engine_for, session_scope, upgrade
from tests.conftest import TEST_PASSWORDS, copy_database, new_database_url

_TEMPLATE: list[str] = []


def demo_template(tmp_path_factory) -> str:
    """The URL of the demo district with one user per role (TEST_PASSWORDS), built on first use
    (a SQLite file, or a PostgreSQL database kept for the session on the PostgreSQL pass)."""
    if _TEMPLATE:
        return _TEMPLATE[0]
    from dashboard.demo.generate import generate_district
    from dashboard.store.demo_load import load_demo
    from dashboard.store.overview import township_id_by_name
    from dashboard.store.users import upsert_user

    url = new_database_url(tmp_path_factory.mktemp("inspection-template"), "demo.db", for_session=True)
    upgrade(url)
    with session_scope(url) as session:
        load_demo(session, generate_district())
        houzhai = township_id_by_name(session, "侯寨乡")
        for role, password in TEST_PASSWORDS.items():
            upsert_user(session, role, password, role, display_name=f"test {role}",
                        township_id=houzhai if role == "inspector" else None)
    engine_for(url).dispose()
    _TEMPLATE.append(url)
    return url


def copy_demo(tmp_path_factory, tmp_path: Path) -> Iterator[str]:
    """A fresh copy of the demo database for one test."""
    url = copy_database(demo_template(tmp_path_factory), tmp_path)
    yield url
    engine_for(url).dispose()
