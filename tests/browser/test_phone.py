"""The dashboard on a phone (Chrome's mobile emulation at 390 × 844 and 360 × 740): no page
scrolls sideways, the header stays one bar, the navigation drawer closes on the page chosen.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.i18n import t
from tests.browser.helpers import WAIT, click, no_console_errors
from tests.conftest import login, start

pytestmark = pytest.mark.browser

PHONES = {"390x844": (390, 844), "360x740": (360, 740)}
# Pages reached from a link rather than the navigation.
EXTRA_PATHS = ["/sites/1", "/inspections/new", "/meetings/27", "/meetings/new", "/briefing/27"]


def as_phone(duo, width: int, height: int) -> None:
    """Emulate a phone: CSS pixels, touch and the mobile viewport, as the device toolbar does."""
    duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 2, "mobile": True})
    duo.driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True})


def settled(duo) -> None:
    duo.wait_for_element(".page", timeout=WAIT)
    WebDriverWait(duo.driver, WAIT).until(
        lambda d: not d.find_elements(By.CSS_SELECTOR, "[data-dash-is-loading='true']"), "page still loading")


def overflow(duo) -> dict | None:
    """How far the page reaches past the screen, with the widest culprits; None when it fits."""
    return duo.driver.execute_script("""
        const W = document.documentElement.clientWidth, S = document.documentElement.scrollWidth;
        if (S <= W) return null;
        const wide = [];
        for (const e of document.querySelectorAll('body *')) {
            const r = e.getBoundingClientRect();
            if (r.right > W + 1 && r.width > 0) wide.push((e.id || e.className.toString()).slice(0, 60));
        }
        return {scrollWidth: S, clientWidth: W, wide: wide.slice(0, 6)};""")


@pytest.mark.parametrize("phone", PHONES)
def test_no_page_scrolls_sideways_on_a_phone(browser_ready, dash_duo, demo_app, phone):
    start(dash_duo, demo_app)
    as_phone(dash_duo, *PHONES[phone])
    login(dash_duo, "editor")
    hrefs = [a.get_attribute("href") for a in dash_duo.find_elements("#shell-navbar a")]
    assert len(hrefs) >= 10
    wide = {}
    for href in hrefs + [dash_duo.server_url + path for path in EXTRA_PATHS]:
        dash_duo.driver.get(href)
        settled(dash_duo)
        # Charts lay themselves out after the callbacks: let plotly finish.
        dash_duo.driver.execute_script("return new Promise(r => setTimeout(r, 600))")
        found = overflow(dash_duo)
        if found:
            wide[href] = found
        header = dash_duo.driver.execute_script(
            "const h = document.querySelector('.mantine-AppShell-header');"
            "return [h.scrollHeight, h.clientHeight, h.scrollWidth, h.clientWidth];")
        assert header[0] <= header[1] and header[2] <= header[3], (href, header)
    assert wide == {}
    no_console_errors(dash_duo)


def test_the_drawer_carries_the_user_menu_and_closes_on_navigation(browser_ready, dash_duo, demo_app):
    start(dash_duo, demo_app)
    as_phone(dash_duo, 390, 844)
    login(dash_duo, "inspector")
    settled(dash_duo)
    # The header keeps the burger and the title only; name, language and logout live in the drawer.
    assert not dash_duo.find_element("#shell-user").is_displayed()
    navbar = dash_duo.find_element("#shell-navbar")

    def navbar_shown(driver) -> bool:
        rect = driver.execute_script("return arguments[0].getBoundingClientRect().toJSON()", navbar)
        return rect["left"] >= 0 and rect["right"] > 0

    assert not navbar_shown(dash_duo.driver)
    click(dash_duo, "#shell-burger")
    WebDriverWait(dash_duo.driver, WAIT).until(navbar_shown, "the drawer did not open")
    dash_duo.wait_for_element("#shell-user-phone", timeout=WAIT)
    assert dash_duo.find_element("#shell-user-phone").is_displayed()
    assert dash_duo.find_element("#shell-logout-phone").is_displayed()
    click(dash_duo, "#nav-sites")
    dash_duo.wait_for_element(".page-sites", timeout=WAIT)
    WebDriverWait(dash_duo.driver, WAIT).until(lambda d: not navbar_shown(d), "the drawer stayed open")
    # The language switch in the drawer works as the header's does.
    click(dash_duo, "#shell-burger")
    WebDriverWait(dash_duo.driver, WAIT).until(navbar_shown, "the drawer did not open")
    click(dash_duo, (By.XPATH, "//*[@id='lang-switch-phone']//label[normalize-space()='English']"))
    dash_duo.wait_for_text_to_equal(".shell-title", t("app.title", "en"), timeout=WAIT)
    no_console_errors(dash_duo)


def test_time_is_shown_in_24_hours(browser_ready, dash_duo, demo_app):
    start(dash_duo, demo_app)
    as_phone(dash_duo, 390, 844)
    login(dash_duo, "inspector")
    dash_duo.driver.get(dash_duo.server_url + "/inspections/new")
    settled(dash_duo)
    # The demo's clock stands at 23:59: a 12-hour field would show 11 and PM.
    hours = dash_duo.find_element("#insp-time .mantine-TimePicker-field")
    assert hours.get_attribute("value") == "23"
    assert "PM" not in dash_duo.find_element("#insp-time").text
