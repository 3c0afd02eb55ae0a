"""The briefing in a real browser on the demo district, as the district head (a viewer): it
renders with a clean console, the meeting selector opens another meeting's briefing, and printed
on A4 every chart stays inside the page's width with the app's chrome left off."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.helpers import WAIT, no_console_errors
from tests.conftest import login, start

pytestmark = pytest.mark.browser

#: A4's printable width with the print stylesheet's 12 mm side margins, in CSS px (96 per inch).
A4_CONTENT_PX = 186 / 25.4 * 96


@pytest.fixture
def viewer(browser_ready, dash_duo, demo_app):
    start(dash_duo, demo_app)
    login(dash_duo, "viewer")
    return dash_duo


def _open(duo, path: str = "/briefing"):
    duo.driver.get(duo.server_url + path)
    duo.wait_for_element("#briefing-combined .main-svg", timeout=WAIT)
    duo.wait_for_element("#briefing-quadrant .main-svg", timeout=WAIT)


def test_the_district_head_reads_the_next_briefing_and_opens_meeting_27s(viewer):
    duo = viewer
    assert duo.find_element("#nav-briefing").text == "调度简报"
    _open(duo)
    assert duo.find_element("#briefing-title").text == "第28次调度会 会前简报（下次会议）"
    assert "2025年12月5日至2025年12月10日（6天" in duo.find_element("#briefing-period").text
    points = duo.find_element("#briefing-points").text
    assert "PM2.5均值" in points and "今年还可有" in points
    assert "157.7" in duo.find_element("#briefing-headline-table").text
    no_console_errors(duo)

    duo.find_element("#briefing-meeting").click()
    option = WebDriverWait(duo.driver, WAIT).until(
        lambda d: next((o for o in d.find_elements(By.CSS_SELECTOR, "[role=option]") if o.text.startswith("第27次")),
                       False), "no option for meeting 27")
    option.click()
    WebDriverWait(duo.driver, WAIT).until(lambda d: d.current_url.endswith("/briefing/27"), "briefing 27 not opened")
    duo.wait_for_text_to_equal("#briefing-title", "第27次调度会 会前简报", timeout=WAIT)
    no_console_errors(duo)


def test_printed_on_a4_the_charts_fit_the_page_and_the_chrome_is_gone(viewer):
    duo = viewer
    _open(duo)
    driver = duo.driver
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    driver.execute_script("window.dispatchEvent(new Event('beforeprint'));")

    def laid_out_for_paper(d):
        widths = d.execute_script(
            "return Array.from(document.querySelectorAll('.js-plotly-plot .main-svg:first-child'))"
            ".map(function (s) { return s.getBoundingClientRect().width; });")
        return widths and max(widths) <= A4_CONTENT_PX + 1 and widths

    widths = WebDriverWait(driver, WAIT).until(laid_out_for_paper, "charts wider than A4 after beforeprint")
    assert len(widths) >= 4  # the combined view, the quadrant and the targets' two charts
    hidden = driver.execute_script(
        "return ['.mantine-AppShell-header', '.mantine-AppShell-navbar', '#briefing-print'].map(function (q) {"
        " var e = document.querySelector(q); return !e || getComputedStyle(e).display === 'none'; });")
    assert hidden == [True, True, True]
    # The running header names the meeting (set by the page for @page briefing).
    style = driver.execute_script("return document.getElementById('briefing-page-style').textContent")
    assert "第28次调度会 会前简报" in style
    driver.execute_script("window.dispatchEvent(new Event('afterprint'));")
    no_console_errors(duo)
