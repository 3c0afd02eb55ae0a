"""The shell in a real browser: login, the home page in Chinese and English, every nav link."""

import pytest
from selenium.webdriver.common.by import By

from dashboard.analytics.overview import build_overview
from dashboard.store.db import session_scope
from tests.browser.helpers import WAIT, click, no_console_errors
from tests.conftest import login, start

pytestmark = pytest.mark.browser


def test_home_shows_stored_data_in_chinese(logged_in, demo_settings):
    duo = logged_in
    duo.wait_for_text_to_equal("h2", "攻坚总览", timeout=WAIT)
    tiles = duo.find_elements("#home-aqi-tiles .aqi-tile")
    with session_scope(demo_settings.database_url) as session:
        expected = build_overview(session, demo_settings.tz)
    assert len(tiles) == len(expected.station_aqi) >= 9
    first = expected.station_aqi.iloc[0]
    duo.wait_for_text_to_equal(f"#aqi-{first.station_code} .aqi-tile-value", str(int(first.aqi)))
    duo.wait_for_text_to_equal("#kpi-overdue-items", str(expected.ledger["overdue"]))
    duo.wait_for_text_to_equal("#kpi-active-sites", str(int(expected.sites["sites"].sum())))
    duo.wait_for_contains_text("#home-as-of", "2025年12月11日")
    # The sites chart is drawn with Chinese township names.
    duo.wait_for_contains_text("#home-sites-by-township", "侯寨乡")
    no_console_errors(duo)


def test_language_switch_persists_across_reloads(logged_in):
    duo = logged_in
    duo.wait_for_text_to_equal("h2", "攻坚总览", timeout=WAIT)
    click(duo, (By.XPATH, "//label[normalize-space()='English']"))
    duo.wait_for_text_to_equal("h2", "Campaign overview", timeout=WAIT)
    duo.driver.refresh()
    duo.wait_for_text_to_equal("h2", "Campaign overview", timeout=WAIT)
    duo.wait_for_contains_text("#shell-navbar", "Overview", timeout=WAIT)
    click(duo, (By.XPATH, "//label[normalize-space()='中文']"))
    duo.wait_for_text_to_equal("h2", "攻坚总览", timeout=WAIT)
    no_console_errors(duo)


def test_every_navigation_link_opens_its_page(logged_in):
    duo = logged_in
    links = duo.find_elements("#shell-navbar a")
    hrefs = [link.get_attribute("href") for link in links]
    assert hrefs, "the navigation is empty"
    for href in hrefs:
        duo.driver.get(href)
        duo.wait_for_element(".page", timeout=WAIT)
        no_console_errors(duo)


def test_login_in_english_and_logout(browser_ready, dash_duo, demo_app):
    start(dash_duo, demo_app)
    login(dash_duo, "viewer", lang="en")
    dash_duo.wait_for_text_to_equal("h2", "Campaign overview", timeout=WAIT)
    click(dash_duo, "#shell-logout")
    dash_duo.wait_for_element("#login-submit", timeout=WAIT)
    assert "Sign in" in dash_duo.find_element("#login-submit").text
