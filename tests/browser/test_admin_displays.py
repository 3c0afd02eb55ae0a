"""The admin page's displays tab in a real browser, on a private copy of the demo district: an
admin creates a wall-display token (shown once, with the wall's address), and revokes it through
the confirm dialog."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select

from dashboard.services.access import Actor
from dashboard.services.display import create_token
from dashboard.store.db import engine_for, session_scope
from dashboard.store.models import DisplayToken
from tests.browser.helpers import WAIT, click, no_console_errors, type_text
from tests.conftest import login, make_settings, start
from tests.integration.inspection_db import copy_demo

pytestmark = pytest.mark.browser

REVOKE = '//tr[td[text()="{name}"]]//button'
REVOKE_HALL = REVOKE.format(name="指挥中心大屏")


@pytest.fixture
def demo_copy(browser_ready, tmp_path_factory, tmp_path):
    from dashboard.app import create_app

    url = next(copy_demo(tmp_path_factory, tmp_path))
    settings = make_settings(tmp_path, database_url=url)
    yield create_app(settings), settings
    engine_for(url).dispose()


def test_an_admin_creates_a_display_token_and_revokes_it(demo_copy, dash_duo):
    app, settings = demo_copy
    start(dash_duo, app)
    login(dash_duo, "admin")
    dash_duo.driver.get(dash_duo.server_url + "/admin?tab=displays")
    dash_duo.wait_for_contains_text("#admin-display-list", "还没有令牌", timeout=WAIT)
    create_token(settings, Actor.system(), "会议室")  # one made on the command line meanwhile

    type_text(dash_duo, dash_duo.find_element("#admin-display-name"), "指挥中心大屏")
    click(dash_duo, "#admin-display-create")
    dash_duo.wait_for_contains_text("#admin-display-created", "不会再次显示", timeout=WAIT)
    url = dash_duo.find_element("#admin-display-url").text
    with urllib.request.urlopen(url, timeout=WAIT) as opened:  # the token opens the wall
        assert opened.status == 200
    assert re.fullmatch(re.escape(dash_duo.server_url) + r"/wall\?token=[A-Za-z0-9_-]{40,}&rotate=60", url), url
    dash_duo.wait_for_contains_text("#admin-display-list", "指挥中心大屏", timeout=WAIT)
    assert "有效" in dash_duo.find_element("#admin-display-list").text
    assert dash_duo.find_element("#admin-display-name").get_attribute("value") == ""

    # Revoking asks first; cancelling leaves the token alone.
    click(dash_duo, (By.XPATH, REVOKE_HALL))
    dash_duo.wait_for_contains_text("#admin-display-confirm-text", "撤销令牌 指挥中心大屏", timeout=WAIT)
    click(dash_duo, "#admin-display-revoke-cancel")
    dash_duo.wait_for_no_elements("#admin-display-confirm-text", timeout=WAIT)
    with session_scope(settings.database_url) as session:
        assert session.scalar(select(DisplayToken.revoked_at).where(DisplayToken.name == "指挥中心大屏")) is None

    click(dash_duo, (By.XPATH, REVOKE_HALL))
    click(dash_duo, "#admin-display-revoke-confirm")
    dash_duo.wait_for_contains_text("#admin-display-revoke-message", "令牌 指挥中心大屏 已撤销", timeout=WAIT)
    dash_duo.wait_for_contains_text("#admin-display-list", "已撤销", timeout=WAIT)
    assert not dash_duo.driver.find_elements(By.XPATH, REVOKE_HALL)
    assert dash_duo.driver.find_elements(By.XPATH, REVOKE.format(name="会议室"))  # the other one stays
    with session_scope(settings.database_url) as session:
        assert session.scalar(select(DisplayToken.revoked_at).where(DisplayToken.name == "指挥中心大屏")) is not None

    # The token is refused now (asked without the admin's session, as the wall would).
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=WAIT)
    assert refused.value.code == 401
    no_console_errors(dash_duo)
