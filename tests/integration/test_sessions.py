"""Sessions end: at logout, a password reset, a role or township change, disabling, and by time.

A session is a signed cookie, so the attacker's move is to copy it: each test copies the cookie
into a second client and checks that the copy dies with the original.
"""

import datetime as dt

import pytest
from sqlalchemy import select

from dashboard.app import create_app
from dashboard.domain.accounts import password_problems
from dashboard.store import users as user_store
from dashboard.store.db import session_scope
from dashboard.store.models import AuditEntry
from tests.conftest import POSTGRES_CASE, SQLITE_CASE, make_settings
from tests.dash_http import log_in


@pytest.fixture
def app_and_settings(tmp_path):
    settings = make_settings(tmp_path, session_idle=dt.timedelta(hours=8), session_max=dt.timedelta(days=7))
    app = create_app(settings)
    with session_scope(settings.database_url) as session:
        user_store.upsert_user(session, "alice", "correct horse", "editor")
    return app, settings


def _alice(settings):
    with session_scope(settings.database_url) as session:
        return user_store.find_user(session, "alice")


def _logged_in_pair(app):
    """The user's client, logged in, and a thief's client holding a copy of the session cookie."""
    client = app.server.test_client()
    assert log_in(client, "alice", "correct horse").status_code == 302
    thief = app.server.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    assert thief.get("/_dash-layout").status_code == 200
    return client, thief


def _ended(client) -> bool:
    page = client.get("/")
    return client.get("/_dash-layout").status_code == 401 and page.status_code == 302 \
        and page.headers["Location"].startswith("/login")


def test_a_copied_cookie_dies_at_logout(app_and_settings):
    app, settings = app_and_settings
    client, thief = _logged_in_pair(app)
    client.post("/logout", data={"csrf_token": client.get_cookie("_csrf_token").value})
    assert _ended(client) and _ended(thief)
    with session_scope(settings.database_url) as session:
        assert session.scalars(select(AuditEntry.action).where(AuditEntry.action == "logout")).all() == ["logout"]
    # Logging in again gives a working session; the old copy stays dead.
    assert log_in(client, "alice", "correct horse").status_code == 302
    assert client.get("/_dash-layout").status_code == 200
    assert thief.get("/_dash-layout").status_code == 401


@pytest.mark.parametrize("change", [
    lambda s, user: user_store.upsert_user(s, "alice", "a new password", "editor"),
    lambda s, user: user_store.set_role(s, user.id, "viewer", None),
    lambda s, user: user_store.set_role(s, user.id, "editor", _township(s)),
    lambda s, user: user_store.set_active(s, user.id, False),
], ids=["password reset", "role change", "township change", "disabled"])
def test_a_copied_cookie_dies_when_the_account_changes(app_and_settings, change):
    app, settings = app_and_settings
    client, thief = _logged_in_pair(app)
    with session_scope(settings.database_url) as session:
        change(session, user_store.find_user(session, "alice"))
    assert _ended(client) and _ended(thief)


def _township(session) -> int:
    from dashboard.store.models import Township

    township = Township(code="410103001", name="侯寨乡", kind="township")
    session.add(township)
    session.flush()
    return township.id


def test_setting_the_same_role_or_enabling_an_active_user_changes_nothing(app_and_settings):
    app, settings = app_and_settings
    client, _ = _logged_in_pair(app)
    version = _alice(settings).session_version
    with session_scope(settings.database_url) as session:
        user = user_store.find_user(session, "alice")
        user_store.set_role(session, user.id, "editor", None)
        user_store.set_active(session, user.id, True)
    assert _alice(settings).session_version == version
    assert client.get("/_dash-layout").status_code == 200


def test_an_idle_session_ends_and_activity_keeps_it(app_and_settings):
    app, _ = app_and_settings
    client, _ = _logged_in_pair(app)
    with client.session_transaction() as session:
        session["seen_at"] -= 7 * 3600
        stale = session["seen_at"]
    assert client.get("/_dash-layout").status_code == 200
    with client.session_transaction() as session:
        assert session["seen_at"] >= stale + 7 * 3600  # the request counted as activity
        session["seen_at"] -= 8 * 3600 + 60
    assert client.get("/_dash-layout").status_code == 401
    assert client.get("/").status_code == 302


def test_a_busy_session_still_ends_after_its_absolute_lifetime(app_and_settings):
    app, _ = app_and_settings
    client, _ = _logged_in_pair(app)
    with client.session_transaction() as session:
        session["login_at"] -= 7 * 24 * 3600 + 60
    assert client.get("/_dash-layout").status_code == 401
    page = client.get("/sites")
    assert page.status_code == 302 and page.headers["Location"] == "/login?next=/sites"


def test_a_session_from_before_session_versions_ends(app_and_settings):
    app, _ = app_and_settings
    client, _ = _logged_in_pair(app)
    with client.session_transaction() as session:
        del session["session_version"]
    assert client.get("/_dash-layout").status_code == 401


def test_password_rules():
    assert password_problems("correct horse battery", "alice", 10) == []
    assert password_problems("short", "alice", 10) == ["too_short"]
    assert password_problems("Alice-Smith", " alice-smith ", 10) == ["same_as_username"]
    assert password_problems("bob", "Bob", 10) == ["too_short", "same_as_username"]


@pytest.fixture(params=[SQLITE_CASE, POSTGRES_CASE])
def database_url(request, sqlite_url):
    return request.getfixturevalue("pg_url") if request.param == "postgresql" else sqlite_url


def test_the_migration_gives_existing_users_a_version_and_goes_back(database_url):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from dashboard.store.db import MIGRATIONS_DIR, engine_for, upgrade

    upgrade(database_url, "0001")
    with engine_for(database_url).begin() as conn:
        conn.execute(text("INSERT INTO users (username, display_name, password_hash, role, active, created_at, "
                          "updated_at) VALUES ('old', '', 'x', 'viewer', true, :t, :t)"),
                     {"t": dt.datetime(2025, 12, 1, tzinfo=dt.UTC)})
    upgrade(database_url)
    with session_scope(database_url) as session:
        user = user_store.find_user(session, "old")
        assert user.session_version == 1
        user_store.end_sessions(user)
    with session_scope(database_url) as session:
        assert user_store.find_user(session, "old").session_version == 2
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine_for(database_url)
    command.downgrade(config, "0001")
    with engine_for(database_url).connect() as conn:
        assert conn.execute(text("SELECT username FROM users")).scalars().all() == ["old"]
