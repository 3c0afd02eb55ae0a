"""The admin page's displays tab: an admin creates a wall-display token through the tab's
callback (shown once, with the wall's address), the token opens /wall, the admin revokes it
through the tab's confirm and the token is refused; nobody else can do either, and the list
never carries a secret."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from dashboard.services.access import Actor
from dashboard.services.display import create_token, list_tokens
from dashboard.store.db import session_scope
from dashboard.store.models import AuditEntry, DisplayToken
from tests.conftest import TEST_PASSWORDS
from tests.dash_http import call, callback_body, csrf_header, log_in, page_layout, text_of
from tests.integration.test_callback_faults import table_hash

CREATE = "admin-display-created.children"
REVOKE = "admin-display-revoke-message.children"
ASK = "admin-display-pending.data"


def client_of(app, role: str = "admin"):
    client = app.server.test_client()
    log_in(client, role, TEST_PASSWORDS[role])
    return client


def _create(client, app, name):
    return call(client, app, CREATE, {"admin-display-create.n_clicks": 1, "admin-display-name.value": name})


def _revoke(client, app, name):
    return call(client, app, REVOKE, {"admin-display-revoke-confirm.n_clicks": 1, "admin-display-pending.data": name},
                changed=["admin-display-revoke-confirm.n_clicks"])


def _ask(client, app, settings, name):
    """A click on the token's revoke button, as the renderer sends a pattern-matching input."""
    number = next(row.id for row in list_tokens(settings) if row.name == name)
    button = {"index": number, "type": "admin-display-revoke"}
    body = callback_body(app, ASK)
    body["inputs"] = [[{"id": button, "property": "n_clicks", "value": 1}]]
    body["changedPropIds"] = [json.dumps(button, separators=(",", ":"), sort_keys=True) + ".n_clicks"]
    return client.post("/_dash-update-component", json=body, headers=csrf_header(client))


def test_an_admin_creates_a_token_on_the_tab_it_opens_the_wall_then_revoked_it_is_refused(demo):
    app, settings = demo
    admin = client_of(app)
    tab = page_layout(admin, "/admin", "?tab=displays")
    assert tab.status_code == 200 and "还没有令牌" in text_of(tab)

    created = _create(admin, app, "指挥中心-1")
    said = text_of(created)
    assert "令牌 指挥中心-1 已创建" in said and "不会再次显示" in said
    url = re.search(r"http://[^\s\"]+/wall\?token=([A-Za-z0-9_-]{40,})&rotate=60", said)
    assert url, said
    secret = url.group(1)
    listed = created.get_json()["response"]["admin-display-list"]["children"]
    assert "指挥中心-1" in str(listed) and "admin" in str(listed) and secret not in str(listed)
    with session_scope(settings.database_url) as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.entity == "display_token",
                                                        AuditEntry.action == "create"))
        assert entry.detail == {"name": "指挥中心-1"}

    # The token opens the wall, and the list (opened again) still has no secret in it.
    wall = app.server.test_client()
    assert wall.get(f"/wall?token={secret}").status_code == 200
    again = text_of(page_layout(admin, "/admin", "?tab=displays"))
    assert "指挥中心-1" in again and "有效" in again and secret not in again

    # The per-token button asks first: it writes nothing, the dialog's confirm does.
    asked = _ask(admin, app, settings, "指挥中心-1")
    assert asked.status_code == 200, asked.get_data(as_text=True)[:300]
    answer = asked.get_json()["response"]
    assert answer["admin-display-pending"]["data"] == "指挥中心-1" and answer["admin-display-confirm"]["opened"] is True
    with session_scope(settings.database_url) as session:
        assert session.scalar(select(DisplayToken.revoked_at).where(DisplayToken.name == "指挥中心-1")) is None

    revoked = _revoke(admin, app, "指挥中心-1")
    assert "令牌 指挥中心-1 已撤销" in text_of(revoked)
    assert "已撤销" in str(revoked.get_json()["response"]["admin-display-list"]["children"])
    assert wall.get(f"/wall?token={secret}").status_code == 401
    assert "早已撤销" in text_of(_revoke(admin, app, "指挥中心-1"))
    with session_scope(settings.database_url) as session:
        assert session.scalar(select(AuditEntry).where(AuditEntry.entity == "display_token",
                                                       AuditEntry.action == "revoke")) is not None


@pytest.mark.parametrize(("name", "message"), [("", "1 至 64 个字符"), ("two words", "不含空格"),
                                               ("x" * 65, "1 至 64 个字符"), ("taken", "已有同名令牌")])
def test_bad_names_are_refused_with_a_message_and_the_form_keeps_them(demo, name, message):
    app, settings = demo
    create_token(settings, Actor.system(), "taken")
    admin = client_of(app)
    before = table_hash(settings.database_url)
    response = _create(admin, app, name)
    assert message in text_of(response)
    assert set(response.get_json()["response"]) == {"admin-display-created"}  # the name stays as typed
    assert table_hash(settings.database_url) == before


def test_unknown_token_revoke_is_refused(demo):
    app, settings = demo
    admin = client_of(app)
    before = table_hash(settings.database_url)
    assert "没有这个令牌" in text_of(_revoke(admin, app, "nobody"))
    assert table_hash(settings.database_url) == before


@pytest.mark.parametrize("role", ["viewer", "inspector", "editor"])
def test_other_roles_are_refused_and_nothing_is_written(demo, role):
    app, settings = demo
    create_token(settings, Actor.system(), "hall")
    client = client_of(app, role)
    before = table_hash(settings.database_url)
    for response in (_create(client, app, "mine"), _revoke(client, app, "hall")):
        assert response.status_code == 200
        assert "没有这项操作的权限" in text_of(response)
    assert table_hash(settings.database_url) == before
    # The page itself shows them no tab (a courtesy: the services are the guard).
    assert "hall" not in text_of(page_layout(client, "/admin", "?tab=displays"))
