"""Security headers on every response, Dash's inline scripts allowed by hash only, a body limit."""

import base64
import hashlib
import re

import pytest

from dashboard.app import create_app
from dashboard.store.db import session_scope
from dashboard.store.users import upsert_user
from tests.conftest import make_settings
from tests.dash_http import csrf_header, log_in

LANG_BODY = {
    "output": "lang-saved.data",
    "outputs": {"id": "lang-saved", "property": "data"},
    "inputs": [{"id": "lang-switch", "property": "value", "value": "en"}],
    "changedPropIds": ["lang-switch.value"],
    "state": [],
}


@pytest.fixture
def app_and_client(tmp_path):
    settings = make_settings(tmp_path, max_request_bytes=1024 * 1024)
    app = create_app(settings)
    with session_scope(settings.database_url) as session:
        upsert_user(session, "vera", "viewer-pass", "viewer")
    return app, app.server.test_client()


def _policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in header.split(";") if d.strip()}


def _assert_hardened(response) -> None:
    policy = _policy(response)
    assert policy["default-src"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert policy["frame-ancestors"] == ["'none'"] and "object-src" not in policy  # falls back to 'none'
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_login_page_page_and_callback_carry_the_headers(app_and_client):
    _, client = app_and_client
    _assert_hardened(client.get("/login"))
    log_in(client, "vera", "viewer-pass")
    _assert_hardened(client.get("/"))
    callback = client.post("/_dash-update-component", json=LANG_BODY, headers=csrf_header(client))
    assert callback.status_code == 200
    _assert_hardened(callback)
    _assert_hardened(client.get("/assets/style.css"))


def test_every_inline_script_of_the_page_is_allowed_by_its_hash(app_and_client):
    _, client = app_and_client
    log_in(client, "vera", "viewer-pass")
    page = client.get("/")
    html = page.get_data(as_text=True)
    # Executable inline scripts only: not the JSON config, not the one inside the IE comment.
    html = re.sub(r"<!--.*?-->", "", html, flags=re.S)
    inline = [body for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
              if "src=" not in attrs and "application/json" not in attrs]
    assert len(inline) >= 2
    allowed = set(_policy(page)["script-src"])
    for body in inline:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed, body[:80]


def test_an_oversized_callback_body_is_refused_with_json(app_and_client):
    _, client = app_and_client
    log_in(client, "vera", "viewer-pass")
    body = dict(LANG_BODY, state=[{"id": "x", "property": "data", "value": "A" * (2 * 1024 * 1024)}])
    response = client.post("/_dash-update-component", json=body, headers=csrf_header(client))
    assert response.status_code == 413
    assert response.get_json() == {"error": "request too large", "max_bytes": 1024 * 1024}
    _assert_hardened(response)
    # A body within the limit still works.
    assert client.post("/_dash-update-component", json=LANG_BODY, headers=csrf_header(client)).status_code == 200


def test_an_oversized_form_gets_a_page(app_and_client):
    _, client = app_and_client
    response = client.post("/login", data={"username": "vera", "password": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413 and response.mimetype == "text/html"
    assert "请求过大（上限 1.0 MB）" in response.get_data(as_text=True)


def test_a_tile_server_is_the_only_other_origin(tmp_path):
    app = create_app(make_settings(tmp_path, map_tile_url="https://tiles.example:8443/{z}/{x}/{y}.png"))
    policy = _policy(app.server.test_client().get("/login"))
    assert policy["img-src"] == ["'self'", "data:", "blob:", "https://tiles.example:8443"]
    assert policy["connect-src"] == ["'self'", "https://tiles.example:8443"]
    assert policy["worker-src"] == ["'self'", "blob:"]
