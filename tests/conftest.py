"""Shared fixtures: databases (SQLite, PostgreSQL), the demo district, the app, the browser.

Tests that need Chromium, PostgreSQL or the real data in ../shared/data skip with a reason when
those are missing. CI sets ``DASHBOARD_TEST_REQUIRE=browser,postgres,data`` so that such a skip
becomes a failure instead.

``DASHBOARD_TEST_DATABASE=postgresql`` runs the suite on PostgreSQL: every database a fixture or a
test makes (``sqlite_url``, ``make_settings``'s default, the demo copies, ``new_database_url``) is
then a fresh database on the ``TEST_DATABASE_URL_PG`` server, dropped when whatever made it is torn
down. Tests about SQLite itself carry ``@pytest.mark.sqlite_only(reason=...)`` and are skipped on
that pass with their reason (they run on the SQLite pass).
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
TEST_DATABASE = os.environ.get("DASHBOARD_TEST_DATABASE", "").strip().lower() or "sqlite"
ON_POSTGRES = TEST_DATABASE in ("postgresql", "postgres")
if TEST_DATABASE not in ("sqlite", "postgresql", "postgres"):
    raise pytest.UsageError(f"DASHBOARD_TEST_DATABASE={TEST_DATABASE!r}: expected sqlite or postgresql")


def pytest_configure(config) -> None:
    """Under pytest-xdist, give each worker its own range of ports for dash_duo's servers (they
    count up from 58050 in every process, so two workers would collide)."""
    if ON_POSTGRES and not os.environ.get("TEST_DATABASE_URL_PG"):
        raise pytest.UsageError("DASHBOARD_TEST_DATABASE=postgresql needs TEST_DATABASE_URL_PG (a server the "
                                "tests may create and drop databases on)")
    if ON_POSTGRES:
        config.pluginmanager.register(_DatabaseOwners(), "dashboard-test-databases")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw"):
        from dash.testing.application_runners import BaseDashRunner

        BaseDashRunner._next_port = 58050 + 500 * (int(worker[2:]) + 1)


# The two cases of a test parametrized over both databases (``params=[SQLITE_CASE, POSTGRES_CASE]``).
SQLITE_CASE = pytest.param("sqlite", marks=pytest.mark.sqlite_only(reason="the SQLite case of a test run on both"))
POSTGRES_CASE = pytest.param("postgresql", marks=pytest.mark.postgres)
# Fixtures that hand a test PostgreSQL itself, whichever pass runs.
_POSTGRES_FIXTURES = {"pg_url", "pg_admin_url"}

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


def pytest_collection_modifyitems(config, items) -> None:
    """On the PostgreSQL pass, skip the tests about SQLite itself, with their reason, and those
    that run on PostgreSQL on every pass (they ran on the SQLite pass already)."""
    for item in items:
        if _POSTGRES_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)
        if ON_POSTGRES and item.get_closest_marker("postgres") is not None:
            item.add_marker(pytest.mark.skip(reason="runs on PostgreSQL on the SQLite pass already"))
            continue
        marker = item.get_closest_marker("sqlite_only")
        if marker is None:
            continue
        reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
        if not reason:
            raise pytest.UsageError(f"{item.nodeid}: sqlite_only needs a reason")
        if ON_POSTGRES:
            item.add_marker(pytest.mark.skip(reason=f"SQLite only (runs on the SQLite pass): {reason}"))


# --- databases for the tests: a SQLite file, or a throwaway PostgreSQL database ----------------
# A PostgreSQL database belongs to the fixture whose setup made it (dropped after that fixture's
# own teardown, so a session fixture's database lives for the session) or, made in a test's body,
# to the test (dropped after its teardown). Names are random, so xdist workers never collide.
_made_by_fixture: list[list[str]] = []
_made_by_test: list[str] = []
_made_for_session: list[str] = []


class _DatabaseOwners:
    """Registered as a plugin of its own (pytest_configure): a conftest's hooks see only the nodes
    below its folder, and a session-scoped fixture is set up for the session node above it."""

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef, request):
        made: list[str] = []
        # Registered before the fixture runs, so it runs after the fixture's own teardown.
        fixturedef.addfinalizer(lambda: _drop_databases(made))
        _made_by_fixture.append(made)
        try:
            return (yield)
        finally:
            _made_by_fixture.pop()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item, nextitem):
        try:
            return (yield)
        finally:
            _drop_databases(_made_by_test)

    def pytest_sessionfinish(self, session, exitstatus) -> None:
        _drop_databases(_made_for_session)


def _pg_admin():
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    url = os.environ["TEST_DATABASE_URL_PG"]
    return create_engine(make_url(url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT",
                         poolclass=NullPool)


def _pg_database(template: str | None = None, for_session: bool = False) -> str:
    """A new PostgreSQL database (a copy of ``template``'s database when given), owned as above
    or, ``for_session``, kept until the session ends (a template a module caches)."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    name = f"dash_test_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    try:
        with admin.connect() as conn:
            if template:
                source = make_url(template).database
                _release(template)
                # CREATE ... TEMPLATE needs the source to have no other session open on it.
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = :d AND pid <> pg_backend_pid()"), {"d": source})
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
            else:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    url = make_url(os.environ["TEST_DATABASE_URL_PG"]).set(database=name).render_as_string(hide_password=False)
    owner = _made_for_session if for_session else _made_by_fixture[-1] if _made_by_fixture else _made_by_test
    owner.append(url)
    return url


def _release(url: str) -> None:
    """Close this process's pooled connections to ``url`` (the product keeps one engine per URL)."""
    from dashboard.store.db import engine_for

    engine_for(url).dispose()


def _drop_databases(urls: list[str]) -> None:
    if not urls:
        return
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    admin = _pg_admin()
    try:
        with admin.connect() as conn:
            while urls:
                url = urls.pop()
                _release(url)
                conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def new_database_url(folder: Path, filename: str = "dashboard.db", *, for_session: bool = False) -> str:
    """An empty database for a test: ``folder/filename`` in SQLite, or a fresh PostgreSQL database
    on the PostgreSQL pass (see the module's docstring; ``for_session``: kept to the end)."""
    if ON_POSTGRES:
        return _pg_database(for_session=for_session)
    return f"sqlite:///{folder / filename}"


def copy_database(source_url: str, folder: Path, filename: str = "dashboard.db") -> str:
    """A private copy of a (template) database: SQLite's backup API (WAL-safe), or PostgreSQL's
    CREATE DATABASE ... TEMPLATE."""
    if source_url.startswith("sqlite:///"):
        import sqlite3

        path = folder / filename
        with sqlite3.connect(source_url.removeprefix("sqlite:///")) as src, sqlite3.connect(path) as dst:
            src.backup(dst)
        return f"sqlite:///{path}"
    return _pg_database(template=source_url)


def sync_id_sequences(url: str) -> None:
    """After a test inserted rows with explicit ids: move PostgreSQL's id sequences past them (as
    ``load_demo`` does), so rows the app adds next get free ids. SQLite needs nothing."""
    if not url.startswith("postgresql"):
        return
    from sqlalchemy import text

    from dashboard.store.db import engine_for

    with engine_for(url).begin() as conn:
        sequences = conn.execute(text(
            "SELECT table_name, pg_get_serial_sequence(quote_ident(table_name), 'id') FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND column_name = 'id'")).all()
        for table, sequence in sequences:
            if sequence:
                conn.execute(text(f'SELECT setval(:s, COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM "{table}"'),
                             {"s": sequence})


def make_settings(tmp: Path, database_url: str | None = None, **overrides) -> Settings:
    values = dict(
        data_dir=tmp,
        database_url=database_url or new_database_url(tmp),
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
    """The test's own empty database: SQLite, or PostgreSQL on the PostgreSQL pass (the name stays
    for the many tests that use it)."""
    return new_database_url(tmp_path, "test.db")


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
    """A database (SQLite, or PostgreSQL on that pass) holding the demo district and one user per
    role (TEST_PASSWORDS)."""
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
