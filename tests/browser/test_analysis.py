"""综合研判 in a real browser on the demo district, as a viewer: it renders with a clean console,
a meeting marker opens its meeting, a shared URL restores the view, and Back restores the view
before a change."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.helpers import WAIT, click, no_console_errors
from tests.conftest import login, start

pytestmark = pytest.mark.browser


@pytest.fixture
def viewer(browser_ready, dash_duo, demo_app):
    start(dash_duo, demo_app)
    login(dash_duo, "viewer")
    return dash_duo


def _open(duo, query: str = ""):
    duo.driver.get(duo.server_url + "/analysis" + query)
    duo.wait_for_element("#analysis-quadrant .main-svg", timeout=WAIT)
    duo.wait_for_element("#analysis-combined .main-svg", timeout=WAIT)


def _measure(duo) -> str:
    return duo.driver.execute_script(
        "return document.querySelector('#analysis-measure input:checked').value")


def test_a_viewer_sees_the_page_and_a_meeting_marker_opens_its_meeting(viewer):
    duo = viewer
    assert duo.find_element("#nav-analysis").text == "综合研判"
    _open(duo)
    assert duo.find_element("h2").text == "综合研判"
    duo.wait_for_contains_text("#analysis-combined", "全区：空气质量与合规", timeout=WAIT)
    assert "乡镇办：合规率与 PM10" in duo.find_element("#analysis-quadrant").text
    assert "2025年12月" in duo.find_element("#analysis-calendars").text
    no_console_errors(duo)

    # The meetings trace is the one whose points are labelled with meeting numbers.
    def marker(driver):
        for trace in driver.find_elements(By.CSS_SELECTOR, "#analysis-combined .scatterlayer .trace"):
            labels = [t.text for t in trace.find_elements(By.CSS_SELECTOR, ".textpoint text")]
            if "27" in labels:
                return trace.find_elements(By.CSS_SELECTOR, "path.point")[labels.index("27")]
        return False

    point = WebDriverWait(duo.driver, WAIT).until(marker, "no marker of meeting 27")
    ActionChains(duo.driver).move_to_element(point).pause(0.3).click().perform()
    WebDriverWait(duo.driver, WAIT).until(lambda d: d.current_url.endswith("/meetings/27"), "meeting 27 not opened")
    duo.wait_for_contains_text("h2", "27", timeout=WAIT)


def test_a_shared_url_restores_the_view_and_back_restores_the_view_before(viewer):
    duo = viewer
    _open(duo, "?period=26&township=15&measure=pm25")
    assert "第26次" in duo.find_element("#analysis-period").get_attribute("value")
    assert duo.find_element("#analysis-township").get_attribute("value") == "侯寨乡"
    assert _measure(duo) == "pm25"
    duo.wait_for_contains_text("#analysis-combined", "侯寨乡：空气质量与合规", timeout=WAIT)
    assert "PM2.5" in duo.find_element("#analysis-combined").text

    click(duo, (By.XPATH, "//*[@id='analysis-measure']//label[normalize-space()='日 AQI']"))
    WebDriverWait(duo.driver, WAIT).until(lambda d: "measure=aqi" in d.current_url, "the URL kept the old measure")
    assert "period=26" in duo.driver.current_url and "township=15" in duo.driver.current_url
    duo.wait_for_contains_text("#analysis-combined", "日 AQI", timeout=WAIT)

    duo.driver.back()
    WebDriverWait(duo.driver, WAIT).until(lambda d: "measure=pm25" in d.current_url, "Back did not go back")
    WebDriverWait(duo.driver, WAIT).until(lambda d: _measure(duo) == "pm25", "Back did not restore the measure")
    duo.wait_for_contains_text("#analysis-combined", "PM2.5 日均值", timeout=WAIT)
    assert duo.find_element("#analysis-township").get_attribute("value") == "侯寨乡"
    no_console_errors(duo)
