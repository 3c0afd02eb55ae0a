"""Wall-display tokens: created, listed and revoked from the command line; what a token opens
(the wall and its own callbacks) and what it does not (every other page and callback)."""

from __future__ import annotations

import hashlib

from click.testing import CliRunner
from sqlalchemy import select

from dashboard.cli import main
from dashboard.services.access import Actor
from dashboard.services.display import create_token, list_tokens, revoke_token
from dashboard.store.db import session_scope
from dashboard.store.models import DisplayToken
from tests.dash_http import callback_body, csrf_header, page_layout, text_of, texts
from tests.integration.test_callback_faults import WRITERS, table_hash, write_calls


def _cli(settings, *args):
    env = {"DATABASE_URL": settings.database_url, "DASHBOARD_DATA_DIR": str(settings.data_dir), "SECRET_KEY": "x"}
    return CliRunner(env=env).invoke(main, list(args))


def test_tokens_from_the_command_line_are_stored_hashed_listed_without_secret_and_revoked(demo):
    _app, settings = demo
    created = _cli(settings, "tokens", "create", "hall")
    assert created.exit_code == 0, created.output
    secret = created.output.strip().splitlines()[-1]
    assert len(secret) >= 40 and " " not in secret
    with session_scope(settings.database_url) as session:
        row = session.scalar(select(DisplayToken).where(DisplayToken.name == "hall"))
        assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert _cli(settings, "tokens", "create", "hall").exit_code != 0  # a name once
    listed = _cli(settings, "tokens", "list")
    assert "hall" in listed.output and "active" in listed.output and secret not in listed.output
    assert _cli(settings, "tokens", "revoke", "hall").exit_code == 0
    assert "revoked" in _cli(settings, "tokens", "list").output
    assert _cli(settings, "tokens", "revoke", "nobody").exit_code != 0


def _wall_client(app, secret):
    client = app.server.test_client()
    response = client.get(f"/wall?token={secret}")
    return client, response


def test_a_token_opens_the_wall_and_its_refresh_without_a_login(demo):
    app, settings = demo
    secret = create_token(settings, Actor.system(), "wall")
    client, response = _wall_client(app, secret)
    assert response.status_code == 200
    assert client.get_cookie("session") is None or "_user_id" not in str(client.get_cookie("session").value)
    assert client.get("/_dash-layout").status_code == 200
    assert client.get("/_dash-dependencies").status_code == 200
    layout = page_layout(client, "/wall")
    assert layout.status_code == 200 and "全区实时AQI" in text_of(layout)
    body = callback_body(app, "wall-fresh.children", {"wall-refresh.n_intervals": 1,
                                                      "wall-config.data": {"lang": "zh"}})
    refreshed = client.post("/_dash-update-component", json=body, headers=csrf_header(client))
    assert refreshed.status_code == 200 and "数据更新于" in text_of(refreshed)


def test_a_token_is_refused_everywhere_else(demo):
    app, settings = demo
    secret = create_token(settings, Actor.system(), "wall")
    client, _ = _wall_client(app, secret)
    for path in ("/ledger", "/", "/admin", "/wall/x"):
        assert client.get(path).status_code == 403, path
    assert client.get(f"/ledger?token={secret}").status_code == 403
    # The router renders /wall only; every other page's layout is refused.
    assert page_layout(client, "/ledger").status_code == 403
    assert page_layout(client, "/admin").status_code == 403
    calls = write_calls(settings)  # may add what the calls act on: hashed after it
    before = table_hash(settings.database_url)
    for output in WRITERS:
        response = client.post("/_dash-update-component", json=callback_body(app, output, calls[output]),
                               headers=csrf_header(client))
        assert response.status_code == 403, output
    assert table_hash(settings.database_url) == before


def test_a_revoked_or_made_up_token_is_refused(demo):
    app, settings = demo
    secret = create_token(settings, Actor.system(), "wall")
    client, response = _wall_client(app, secret)
    assert response.status_code == 200
    revoke_token(settings, Actor.system(), "wall")
    assert client.get(f"/wall?token={secret}").status_code == 401
    # The cookie the wall kept is refused too, at once.
    assert client.get("/_dash-layout").status_code == 401
    body = callback_body(app, "wall-fresh.children", {"wall-refresh.n_intervals": 1})
    assert client.post("/_dash-update-component", json=body, headers=csrf_header(client)).status_code == 401
    stranger = app.server.test_client()
    assert stranger.get("/wall?token=made-up-token").status_code == 401
    assert stranger.get("/wall?token=" + "x" * 43).status_code == 401


def test_the_stale_limit_is_an_audited_admin_setting(demo):
    import pytest

    from dashboard.services.access import Forbidden
    from dashboard.services.settings import InvalidStaleLimit, set_wall_stale_minutes
    from dashboard.store import display as display_store
    from dashboard.store.models import AuditEntry

    _app, settings = demo
    with session_scope(settings.database_url) as session:
        assert display_store.stale_minutes(session) == 120
    with pytest.raises(Forbidden):
        set_wall_stale_minutes(settings, Actor(None, "editor"), 60)
    for bad in (0, 5, "60", 1.5, None, 10**9):
        with pytest.raises(InvalidStaleLimit):
            set_wall_stale_minutes(settings, Actor.system(), bad)
    assert set_wall_stale_minutes(settings, Actor.system(), 45) == 45
    with session_scope(settings.database_url) as session:
        assert display_store.stale_minutes(session) == 45
        entry = session.scalar(select(AuditEntry).where(AuditEntry.entity_id == display_store.STALE_MINUTES_KEY))
        assert entry.detail == {"before": 120, "after": 45}


def _stamp(app, settings):
    """The wall's "data as of" stamp after one refresh, as its token's screen gets it:
    (text, className)."""
    secret = create_token(settings, Actor.system(), f"stamp-{len(list_tokens(settings))}")
    client, _ = _wall_client(app, secret)
    body = callback_body(app, "wall-fresh.children", {"wall-refresh.n_intervals": 1,
                                                      "wall-config.data": {"lang": "zh"}})
    answer = client.post("/_dash-update-component", json=body, headers=csrf_header(client)).get_json()["response"]
    fresh = answer["wall-fresh"]
    return "\n".join(texts(fresh["children"])), fresh["className"]


def _newest_reading(settings):
    from sqlalchemy import func

    from dashboard.store.models import Reading

    with session_scope(settings.database_url) as session:
        return session.scalar(select(func.max(Reading.time)))


def test_the_stamp_is_normal_with_fresh_data_and_red_when_the_newest_reading_is_older_than_the_limit(demo):
    import datetime as dt

    from dashboard.services.settings import set_wall_stale_minutes
    from dashboard.store import clock
    from dashboard.store.models import AppSetting

    app, settings = demo
    newest = _newest_reading(settings).astimezone(settings.tz)
    # The demo's day ends (23:59:59) within the default limit of 120 minutes of its newest reading.
    with session_scope(settings.database_url) as session:
        now = clock.now(session, settings.tz)
    assert dt.timedelta(0) <= now - newest < dt.timedelta(minutes=120)
    text, css = _stamp(app, settings)
    assert css == "wall-fresh" and f"数据更新于 {newest:%H:%M}" in text and "未更新" not in text

    # A limit shorter than the reading's age turns it red, saying why.
    set_wall_stale_minutes(settings, Actor.system(), 10)
    text, css = _stamp(app, settings)
    assert "is-stale" in css.split() and f"数据更新于 {newest:%H:%M}" in text
    assert "已超过 10 分钟未更新" in text

    # So does a day far after the last reading, under the default limit.
    set_wall_stale_minutes(settings, Actor.system(), 120)
    with session_scope(settings.database_url) as session:
        session.merge(AppSetting(key=clock.FROZEN_TODAY, value=(newest.date() + dt.timedelta(days=9)).isoformat()))
    text, css = _stamp(app, settings)
    assert "is-stale" in css.split() and "已超过 2 小时未更新" in text
    assert f"数据更新于 {newest.month}月{newest.day}日 {newest:%H:%M}" in text
