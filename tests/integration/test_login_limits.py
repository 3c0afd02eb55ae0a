"""Guessing passwords is slowed to a stop per user name and per address, and every failure is audited."""

import datetime as dt

import pytest
from sqlalchemy import select

from dashboard.app import create_app
from dashboard.store import users as user_store
from dashboard.store.db import session_scope
from dashboard.store.models import AuditEntry
from dashboard.store.users import upsert_user
from tests.conftest import POSTGRES_CASE, SQLITE_CASE, make_settings
from tests.dash_http import log_in


def _app(tmp_path, database_url=None, **overrides):
    settings = make_settings(tmp_path, database_url, **overrides)
    app = create_app(settings)
    with session_scope(settings.database_url) as session:
        upsert_user(session, "alice", "correct horse", "editor")
        upsert_user(session, "bob", "battery staple", "viewer")
    return app, settings


@pytest.fixture(params=[SQLITE_CASE, POSTGRES_CASE])
def database_url(request, tmp_path):
    """Both databases: the failures are counted by a JSON query that each dialect spells its way."""
    return request.getfixturevalue("pg_url") if request.param == "postgresql" else None


@pytest.fixture
def site(tmp_path, database_url):
    return _app(tmp_path, database_url)


def _failures(settings) -> list[AuditEntry]:
    with session_scope(settings.database_url) as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "login_failed")
                                    .order_by(AuditEntry.id)))


def _age_failures(settings, by: dt.timedelta) -> None:
    """Move the recorded failures into the past, as if that much time had gone by."""
    with session_scope(settings.database_url) as session:
        for entry in session.scalars(select(AuditEntry).where(AuditEntry.action == "login_failed")):
            entry.at = entry.at - by


def test_a_brute_force_is_stopped_even_with_the_right_password_until_the_window_passes(site):
    app, settings = site
    client = app.server.test_client()
    for _ in range(settings.login_max_failures):
        assert log_in(client, "alice", "guess").status_code == 200
    refused = log_in(client, "alice", "correct horse")
    assert refused.status_code == 429
    body = refused.get_data(as_text=True)
    assert "登录失败次数过多，请 15 分钟后再试。" in body and 'value="alice"' in body
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    assert client.get("/_dash-layout").status_code == 401
    # Another name from another address is not affected.
    other = app.server.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.0.2"
    assert log_in(other, "bob", "battery staple").status_code == 302

    _age_failures(settings, settings.login_window)
    assert log_in(client, "alice", "correct horse").status_code == 302
    assert client.get("/_dash-layout").status_code == 200


def test_hammering_a_locked_name_keeps_it_locked(site):
    app, settings = site
    client = app.server.test_client()
    for _ in range(settings.login_max_failures):
        log_in(client, "alice", "guess")
    _age_failures(settings, settings.login_window - dt.timedelta(minutes=1))
    for _ in range(settings.login_max_failures):
        assert log_in(client, "alice", "guess-again").status_code == 429  # refused, and counted
    _age_failures(settings, dt.timedelta(minutes=2))  # the first guesses are out of the window now
    assert log_in(client, "alice", "correct horse").status_code == 429


def test_a_successful_login_clears_the_names_earlier_failures(site):
    app, settings = site
    client = app.server.test_client()
    for _ in range(settings.login_max_failures - 1):
        log_in(client, "alice", "typo")
    assert log_in(client, "alice", "correct horse").status_code == 302
    client.post("/logout", data={"csrf_token": client.get_cookie("_csrf_token").value})
    assert log_in(client, "alice", "typo").status_code == 200
    assert log_in(client, "alice", "correct horse").status_code == 302


def test_one_address_trying_many_names_is_stopped(tmp_path, database_url):
    app, settings = _app(tmp_path, database_url, login_max_failures_per_address=6)
    spray = app.server.test_client()
    for i in range(6):
        assert log_in(spray, f"user{i}", "Password1").status_code == 200
    assert log_in(spray, "bob", "battery staple").status_code == 429
    elsewhere = app.server.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert log_in(elsewhere, "bob", "battery staple").status_code == 302


def test_every_failed_login_is_audited_with_name_and_address(site):
    app, settings = site
    client = app.server.test_client()
    log_in(client, "alice", "wrong")
    log_in(client, "nobody-by-this-name", "whatever")
    assert log_in(client, "alice", "correct horse").status_code == 302
    failures = _failures(settings)
    assert [(f.entity_id, f.detail["username"], f.detail["address"], f.detail["reason"]) for f in failures] == [
        ("alice", "alice", "127.0.0.1", "credentials"),
        ("nobody-by-this-name", "nobody-by-this-name", "127.0.0.1", "credentials"),
    ]
    with session_scope(settings.database_url) as session:
        alice = user_store.find_user(session, "alice")
        logins = list(session.scalars(select(AuditEntry).where(AuditEntry.action == "login")))
    assert failures[0].user_id == alice.id and failures[1].user_id is None
    assert [(e.user_id, e.detail["address"]) for e in logins] == [(alice.id, "127.0.0.1")]


def test_client_address_comes_from_the_proxy_only_when_configured(tmp_path):
    forwarded = {"X-Forwarded-For": "203.0.113.7"}
    for proxies, expected in ((0, "127.0.0.1"), (1, "203.0.113.7")):
        app, settings = _app(tmp_path / str(proxies), trusted_proxies=proxies)
        client = app.server.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        client.post("/login", data={"csrf_token": token, "username": "alice", "password": "x"}, headers=forwarded)
        assert [f.detail["address"] for f in _failures(settings)] == [expected]


def test_unknown_names_cost_the_same_password_check_as_known_ones(site, monkeypatch):
    """The same work on every path (counted, not timed: wall-clock asserts are flaky)."""
    app, settings = site
    with session_scope(settings.database_url) as session:
        user_store.find_user(session, "bob").active = False
    calls = []
    real = user_store.check_password_hash
    monkeypatch.setattr(user_store, "check_password_hash", lambda h, p: calls.append(h) or real(h, p))
    client = app.server.test_client()
    for name, password in (("alice", "wrong"), ("no-such-user", "wrong"), ("bob", "battery staple")):
        calls.clear()
        assert log_in(client, name, password).status_code == 200
        assert len(calls) == 1, name
        # The dummy hash is made the same way as real ones (same algorithm and cost).
        assert calls[0].split("$")[0] == user_store.generate_password_hash("x").split("$")[0]
