"""Shared fixtures: databases (SQLite, PostgreSQL), the demo district, the app, the browser.

Tests that need Chromium, PostgreSQL or the real data in ../shared/data skip with a reason when
those are missing. CI sets ``DASHBOARD_TEST_REQUIRE=browser,postgres,data`` so that such a skip
becomes a failure instead.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from dashboard.settings import Settings

# Properties are about correctness; speed is measured in benchmarks/. Hypothesis's default 200 ms
# deadline per example made a busy 2-core machine fail tests that were right.
hypothesis_settings.register_profile("no-deadline", deadline=None)
hypothesis_settings.load_profile("no-deadline")

ROOT = Path(__file__).resolve().parents[1]
# The real published data lives beside the project, never inside it (see README).
SHARED_DATA = Path(os.environ.get("DASHBOARD_SHARED_DATA") or ROOT.parent / "shared" / "data")
REQUIRED = {part.strip() for part in os.environ.get("DASHBOARD_TEST_REQUIRE", "").split(",") if part.strip()}
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMEDRIVER = shutil.which("chromedriver")


def pytest_configure(config) -> None:
    """Under pytest-xdist, give each worker its own range of ports for dash_duo's servers (they
    count up from 58050 in every process, so two workers would collide)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw"):
        from dash.testing.application_runners import BaseDashRunner

        BaseDashRunner._next_port = 58050 + 500 * (int(worker[2:]) + 1)


# Known passwords for the demo users in tests (the CLI generates random ones).
TEST_PASSWORDS = {"admin": "admin-pass-1", "editor": "editor-pass-1", "inspector": "insp-pass-1",
                  "viewer": "view-pass-1"}


def need(capability: str, reason: str) -> None:
    """Skip for a missing capability, or fail when CI said it must be there."""
    if capability in REQUIRED:
        pytest.fail(f"{reason} (required by DASHBOARD_TEST_REQUIRE)")
    pytest.skip(reason)


def shared_data(*parts: str) -> Path:
    """A path in the real published data; skips (or fails, when required) if it is not there."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        need("data", f"real data not found at {path} (expected ../shared/data beside the project, "
                     "or set DASHBOARD_SHARED_DATA)")
    return path


def make_settings(tmp: Path, database_url: str | None = None, **overrides) -> Settings:
    values = dict(
        data_dir=tmp,
        database_url=database_url or f"sqlite:///{tmp / 'dashboard.db'}",
        secret_key="test-secret-key",
        upload_dir=tmp / "uploads",
    )
    values.update(overrides)
    return Settings(**values)


def real_district(settings: Settings, admin_password: str = "boss-pass-123") -> None:
    """A district set up from nothing through the command line, as its admin would: 二七区 with
    the official station list, 1322A and 1323A as its stations, 1324A as control, admin ``boss``,
    then the real 2025 Zhengzhou readings (1 January - 15 February)."""
    from click.testing import CliRunner

    from dashboard.cli import main

    runner = CliRunner(env={"DATABASE_URL": settings.database_url, "DASHBOARD_DATA_DIR": str(settings.data_dir),
                            "SECRET_KEY": "x"})
    listing = shared_data("cnemc", "station_lists", "站点列表-2022.02.13起.csv")
    for args in (["setup", "--district", "二七区", "--admin", "boss", "--password", admin_password,
                  "--station-list", str(listing), "--stations", "1322A,1323A", "--background", "1324A"],
                 ["import", "cnemc", str(shared_data("cnemc", "zhengzhou_wide_2025"))]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.output


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL_PG")
    if not url:
        need("postgres", "PostgreSQL not configured: set TEST_DATABASE_URL_PG (CI starts a throwaway server)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        need("postgres", "psycopg is not installed: pip install -e '.[postgres]'")
    return url


@pytest.fixture
def pg_url(pg_admin_url: str):
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from dashboard.store.db import engine_for

    admin = create_engine(make_url(pg_admin_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    name = f"dash_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
    yield url
    engine_for(url).dispose()
    engine_for.cache_clear()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def demo_settings(tmp_path_factory) -> Settings:
    """A SQLite database holding the demo district and one user per role (TEST_PASSWORDS)."""
    from dashboard.demo.generate import generate_district
    from dashboard.store.db import session_scope, upgrade
    from dashboard.store.demo_load import load_demo
    from dashboard.store.overview import township_id_by_name
    from dashboard.store.users import upsert_user

    tmp = tmp_path_factory.mktemp("demo")
    settings = make_settings(tmp)
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        load_demo(session, generate_district())
        houzhai = township_id_by_name(session, "侯寨乡")
        for role, password in TEST_PASSWORDS.items():
            upsert_user(session, role, password, role, display_name=f"test {role}",
                        township_id=houzhai if role == "inspector" else None)
    return settings


@pytest.fixture(scope="session")
def demo_app(demo_settings):
    from dashboard.app import create_app

    return create_app(demo_settings)


@pytest.fixture
def client(demo_app):
    return demo_app.server.test_client()


def pytest_setup_options():
    """Chrome options for dash_duo: Debian's Chromium, no background traffic (no internet here)."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    if CHROMIUM:
        options.binary_location = CHROMIUM
    for flag in (
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        "--window-size=1400,1000",
        "--lang=zh-CN",
    ):
        options.add_argument(flag)
    return options


@pytest.fixture
def browser_ready():
    if not CHROMIUM or not CHROMEDRIVER:
        need("browser", "Chromium and chromedriver not found: apt-get install chromium chromium-driver")


@pytest.fixture
def logged_in(browser_ready, dash_duo, demo_app):
    """A browser logged in as ``editor`` on the demo app; returns dash_duo."""
    start(dash_duo, demo_app)
    login(dash_duo, "editor")
    return dash_duo


def start(dash_duo, app) -> None:
    """Start the app without opening "/" (which redirects to the login form)."""
    dash_duo.start_server(app, navigate=False)


def login(dash_duo, username: str, password: str | None = None, lang: str | None = None) -> None:
    """Log in through the form, then open the home page (setting server_url waits for Dash)."""
    url = dash_duo.server.url + "/login" + (f"?lang={lang}" if lang else "")
    dash_duo.driver.get(url)
    dash_duo.wait_for_element("#username").send_keys(username)
    dash_duo.find_element("#password").send_keys(password or TEST_PASSWORDS[username])
    dash_duo.find_element("#login-submit").click()
    dash_duo.wait_for_element("#shell-user", timeout=15)
    dash_duo.server_url = dash_duo.server.url
