"""The admin page's users tab: admins manage accounts; nobody else can, through any route."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dashboard.services import users as service
from dashboard.services.access import Actor, Forbidden
from dashboard.store.db import session_scope
from dashboard.store.models import Township, User
from dashboard.store.users import authenticate, upsert_user
from tests.conftest import make_settings
from tests.dash_http import call, log_in, text_of


@pytest.fixture
def admin_app(tmp_path):
    from dashboard.app import create_app

    settings = make_settings(tmp_path)
    app = create_app(settings)
    with session_scope(settings.database_url) as session:
        session.add(Township(id=1, code="houzhai", name="侯寨乡", kind="township", position=1))
        admin = upsert_user(session, "ada", "admin-pass-1", "admin").id
        upsert_user(session, "vera", "viewer-pass-1", "viewer")
    return app, settings, admin


def _form(**changes) -> dict:
    values = {"admin-user-save.n_clicks": 1, "admin-user-id.data": None, "admin-user-username.value": "wang",
              "admin-user-name.value": "王工", "admin-user-role.value": "inspector",
              "admin-user-township.value": "1", "admin-user-active.checked": True,
              "admin-user-password.value": "a-long-password"}
    return values | changes


def test_an_admin_creates_changes_and_disables_a_user_through_the_page(admin_app):
    app, settings, admin = admin_app
    client = app.server.test_client()
    log_in(client, "ada", "admin-pass-1")
    created = call(client, app, "admin-user-message.children", _form())
    assert "已保存" in text_of(created)
    with session_scope(settings.database_url) as session:
        wang = session.scalar(select(User).where(User.username == "wang"))
        assert (wang.role, wang.township_id, wang.display_name) == ("inspector", 1, "王工")
        assert authenticate(session, "wang", "a-long-password") is not None
        version = wang.session_version
    changed = call(client, app, "admin-user-message.children",
                   _form(**{"admin-user-id.data": wang.id, "admin-user-role.value": "editor",
                            "admin-user-township.value": None, "admin-user-active.checked": False,
                            "admin-user-password.value": ""}))
    assert "已保存" in text_of(changed)
    with session_scope(settings.database_url) as session:
        wang = session.get(User, wang.id)
        assert (wang.role, wang.township_id, wang.active) == ("editor", None, False)
        assert wang.session_version > version  # every session of the changed user ends
        assert authenticate(session, "wang", "a-long-password") is None  # disabled
    weak = call(client, app, "admin-user-message.children", _form(**{"admin-user-username.value": "li",
                                                                     "admin-user-password.value": "short"}))
    assert "至少" in text_of(weak)
    myself = call(client, app, "admin-user-message.children",
                  _form(**{"admin-user-id.data": admin, "admin-user-username.value": "ada",
                           "admin-user-role.value": "viewer", "admin-user-password.value": ""}))
    assert "不能停用自己的账号" in text_of(myself)


def test_nobody_but_an_admin_manages_users(admin_app):
    app, settings, _admin = admin_app
    client = app.server.test_client()
    log_in(client, "vera", "viewer-pass-1")
    refused = call(client, app, "admin-user-message.children", _form())
    assert "没有这项操作的权限" in text_of(refused)
    for role in ("viewer", "inspector", "editor"):
        with pytest.raises(Forbidden):
            service.save_user(settings, Actor(None, role), user_id=None, username="x", display_name="", role="admin",
                              township_id=None, active=True, password="a-long-password")
    with session_scope(settings.database_url) as session:
        assert session.scalar(select(User).where(User.username.in_(["wang", "x"]))) is None


def test_a_retired_township_takes_no_new_people_but_keeps_those_it_has(admin_app):
    app, settings, _admin = admin_app
    admin = Actor(None, "admin")
    with session_scope(settings.database_url) as session:
        session.add(Township(id=2, code="mazhai", name="马寨镇", kind="town", position=2, active=False))
        kept = upsert_user(session, "old", "old-pass-123", "inspector", township_id=2).id
    with pytest.raises(service.InvalidUser) as refused:
        service.save_user(settings, admin, user_id=None, username="new", display_name="", role="inspector",
                          township_id=2, active=True, password="a-long-password")
    assert refused.value.code == "unknown_township"
    service.save_user(settings, admin, user_id=kept, username="old", display_name="老巡查员", role="inspector",
                      township_id=2, active=True)
    with session_scope(settings.database_url) as session:
        assert session.get(User, kept).display_name == "老巡查员"


def test_the_login_page_names_the_district(admin_app):
    from dashboard.services.district import set_district_name

    app, settings, _admin = admin_app
    assert "二七区" not in app.server.test_client().get("/login").get_data(as_text=True)
    set_district_name(settings, Actor(None, "admin"), "二七区")
    assert "二七区 · 工地扬尘" in app.server.test_client().get("/login").get_data(as_text=True)
