"""Every page and Dash endpoint needs a session; CSRF is checked on callbacks."""

import pytest

from dashboard.app import create_app
from dashboard.store.db import session_scope
from dashboard.store.users import upsert_user
from tests.conftest import make_settings
from tests.dash_http import log_in


@pytest.fixture
def app_client(tmp_path):
    settings = make_settings(tmp_path)
    app = create_app(settings)
    with session_scope(settings.database_url) as session:
        upsert_user(session, "alice", "correct horse", "editor")
    return app.server.test_client()


def _login(client, username="alice", password="correct horse"):
    return log_in(client, username, password)


def test_public_paths_need_no_login(app_client):
    assert app_client.get("/health").get_json() == {"status": "ok"}
    assert app_client.get("/login").status_code == 200
    assert app_client.get("/assets/style.css").status_code == 200


def test_pages_redirect_and_dash_endpoints_answer_401(app_client):
    page = app_client.get("/")
    assert page.status_code == 302 and "/login?next=/" in page.headers["Location"]
    for path in ("/_dash-layout", "/_dash-dependencies"):
        assert app_client.get(path).status_code == 401
    assert app_client.post("/_dash-update-component", json={}).status_code == 401


def test_login_page_is_chinese_by_default_and_english_on_request(app_client):
    assert "用户名" in app_client.get("/login").get_data(as_text=True)
    assert "Username" in app_client.get("/login?lang=en").get_data(as_text=True)


def test_wrong_password_is_refused_and_keeps_the_username(app_client):
    response = _login(app_client, password="wrong")
    body = response.get_data(as_text=True)
    assert "用户名或密码错误" in body and 'value="alice"' in body
    assert app_client.get("/_dash-layout").status_code == 401


def test_login_opens_pages_and_callbacks_need_the_csrf_header(app_client):
    assert _login(app_client).status_code == 302
    assert app_client.get("/_dash-layout").status_code == 200
    body = {
        "output": "lang-saved.data",
        "outputs": {"id": "lang-saved", "property": "data"},
        "inputs": [{"id": "lang-switch", "property": "value", "value": "en"}],
        "changedPropIds": ["lang-switch.value"],
        "state": [],
    }
    assert app_client.post("/_dash-update-component", json=body).status_code == 400
    token = app_client.get_cookie("_csrf_token").value
    response = app_client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert "lang=en" in response.headers.get("Set-Cookie", "")


def test_login_refuses_open_redirects(app_client):
    response = log_in(app_client, "alice", "correct horse", next_path="https://evil.example/")
    assert response.headers["Location"] == "/"


def test_logout_ends_the_session(app_client):
    _login(app_client)
    token = app_client.get_cookie("_csrf_token").value
    app_client.post("/logout", data={"csrf_token": token})
    assert app_client.get("/_dash-layout").status_code == 401
