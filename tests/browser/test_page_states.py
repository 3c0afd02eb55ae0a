"""The main pages in a real browser on a district set up from nothing, not on the demo: the real
2025 Zhengzhou readings and station list imported through the command line, one station group,
no site. Each page renders its data or its empty state, with no console error."""

from __future__ import annotations

import pytest

from dashboard.store.db import session_scope
from dashboard.store.users import upsert_user
from tests.browser.helpers import WAIT, no_console_errors
from tests.conftest import make_settings, real_district, start

pytestmark = pytest.mark.browser


@pytest.fixture
def real_app(tmp_path):
    from dashboard.app import create_app

    settings = make_settings(tmp_path)
    real_district(settings)
    with session_scope(settings.database_url) as session:
        upsert_user(session, "vera", "viewer-pass-1", "viewer")
    return create_app(settings)


@pytest.mark.parametrize("user", ["boss", "vera"])
def test_a_new_district_with_real_readings_shows_them_or_says_what_to_do(browser_ready, dash_duo, real_app, user):
    start(dash_duo, real_app)
    password = {"boss": "boss-pass-123", "vera": "viewer-pass-1"}[user]
    dash_duo.driver.get(dash_duo.server.url + "/login")
    dash_duo.wait_for_element("#username").send_keys(user)
    dash_duo.find_element("#password").send_keys(password)
    dash_duo.find_element("#login-submit").click()
    dash_duo.wait_for_element("#shell-user", timeout=15)
    # The district figure is the chosen group's, from the newest readings (February 2025).
    dash_duo.wait_for_contains_text("#home-aqi-tiles", "市监测站", timeout=WAIT)
    assert dash_duo.find_element("#kpi-district-aqi").text.isdigit()
    dash_duo.wait_for_element("#home-setup", timeout=WAIT)  # sites and colleagues are still to come
    # /air opens on the readings it holds, named after the district.
    dash_duo.driver.get(dash_duo.server.url + "/air")
    dash_duo.wait_for_contains_text(".page-air", "二七区（区域均值）", timeout=WAIT)
    dash_duo.wait_for_contains_text(".page-air", "2025年", timeout=WAIT)
    for path, empty_state in (("/sites", "#empty-sites"), ("/compliance", "#empty-inspections"),
                              ("/meetings", "#empty-meetings"), ("/analysis", "#empty-inspections")):
        dash_duo.driver.get(dash_duo.server.url + path)
        dash_duo.wait_for_element(empty_state, timeout=WAIT)
    # No meeting yet: the briefing is for meeting No. 1, over the week before today.
    dash_duo.driver.get(dash_duo.server.url + "/briefing")
    dash_duo.wait_for_text_to_equal("#briefing-title", "第1次调度会 会前简报（下次会议）", timeout=WAIT)
    assert "服务器出错" not in dash_duo.driver.find_element("tag name", "body").text
    no_console_errors(dash_duo)
