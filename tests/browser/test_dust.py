"""Site dust monitoring in a real browser: a site page shows the monitor's PM10 with an
inspection marker, and a reading stored while the page is open appears without a reload."""

from __future__ import annotations

import datetime as dt

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.store import site_dust as dust_store
from dashboard.store.db import session_scope
from tests.browser.helpers import WAIT, no_console_errors

pytestmark = pytest.mark.browser

BJ = dt.timezone(dt.timedelta(hours=8))


def _traces(driver) -> list[str]:
    return driver.execute_script(
        "const g = document.querySelector('#site-dust-pm10 .js-plotly-plot');"
        "return g && g.data ? g.data.map(t => t.name + ':' + (t.x ? t.x.length : 0)) : [];")


def test_the_site_page_shows_pm10_and_a_new_reading_arrives(logged_in, demo_settings, monkeypatch):
    from dashboard.ui.components import site_dust

    monkeypatch.setattr(site_dust, "REFRESH_SECONDS", 2)  # the page is built with it: no 30 s wait
    duo = logged_in
    duo.driver.get(duo.server_url + "/sites/1")  # the demo's monitor 410103DUST…01 stands here
    duo.wait_for_text_to_equal("#site-dust-section h4", "扬尘监测", timeout=WAIT)
    WebDriverWait(duo.driver, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: "最新 PM10" in d.find_element("css selector", "#site-dust-latest").text, "no latest PM10")
    traces = WebDriverWait(duo.driver, WAIT).until(lambda d: _traces(d) or False, "no PM10 chart")
    names = [name.split(":")[0] for name in traces]
    assert "工地 PM10（小时）" in names and "巡查" in names, traces
    assert any(name.startswith("市监测站") or name.startswith("河医大") for name in names), traces
    with session_scope(demo_settings.database_url) as session:
        monitor = dust_store.find_monitor(session, "410103DUST00000000000001")
        # A row as the receiver stores it (store.site_dust.READING_COLUMNS).
        dust_store.insert_readings(session, [(
            monitor.id, dt.datetime(2025, 12, 11, 23, 59, tzinfo=BJ).astimezone(dt.UTC), 2051, "a34002", "Avg",
            432.1, "N")])
    # The section is re-rendered every REFRESH_SECONDS: an element found may be replaced mid-check.
    WebDriverWait(duo.driver, 10, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: "432" in d.find_element("css selector", "#site-dust-latest").text, "the new reading did not show")
    assert "23:59" in duo.find_element("#site-dust-latest").text
    no_console_errors(duo)
