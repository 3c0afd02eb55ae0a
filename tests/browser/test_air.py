"""The air-quality page in a real browser: the demo's December episode, tabs, pollutant (the targets it
shows are changed on the admin page: tests/browser/test_admin_rules.py)."""

import datetime as dt

import pytest

from dashboard.analytics import air
from tests.browser.helpers import WAIT, choose, click, no_console_errors

pytestmark = pytest.mark.browser

# The demo pins "today" to 2025-12-11; the page opens on the 30 days before it.
PERIOD = (dt.date(2025, 11, 11), dt.date(2025, 12, 10))


def _open_air(duo):
    duo.driver.get(duo.server_url + "/air")
    duo.wait_for_element("#air-timeseries .main-svg", timeout=WAIT)


def test_air_page_shows_the_december_episode(logged_in, demo_settings):
    duo = logged_in
    _open_air(duo)
    assert duo.find_element("h2").text == "空气质量"
    # Time series: daily AQI of the district with the alert bands in Chinese.
    duo.wait_for_contains_text("#air-timeseries", "日AQI变化", timeout=WAIT)
    chart = duo.find_element("#air-timeseries").text
    assert "橙色预警" in chart and "红色预警" in chart and "HJ 633-2012" in chart

    data = air.load_air_data(demo_settings.database_url, *PERIOD)
    district = data.daily[data.daily["series"] == air.DISTRICT].set_index("date")
    peak = district.loc["2025-12-06":"2025-12-10", "aqi"].astype(int)
    assert peak.max() > 200  # the demo's severe episode
    summary = air.good_day_summary(data.daily, air.DISTRICT, *PERIOD)
    assert duo.find_element("#air-kpi-good-days").text == f"{summary['n_good']} / {summary['n_valid']}"

    # Calendar: month grids in Chinese, the episode's daily AQI in its cells.
    click(duo, "#air-tab-calendar")
    duo.wait_for_element("#air-calendar .main-svg", timeout=WAIT)
    calendar = duo.find_element("#air-calendar").text
    assert "2025年12月" in calendar and "2025年11月" in calendar and "重度污染" in calendar
    assert str(peak.max()) in calendar

    # Another pollutant on the time series: PM2.5 daily means against the 24h limit.
    choose(duo, duo.find_element("#air-pollutant"), "PM2.5 细颗粒物", exact=True, searchable=False)
    click(duo, "#air-tab-series")
    duo.wait_for_contains_text("#air-timeseries", "PM2.5 日均值变化", timeout=WAIT)
    assert "24小时平均二级限值 75 µg/m³" in duo.find_element("#air-timeseries").text
    no_console_errors(duo)


def test_a_viewer_sees_the_year_against_its_targets(browser_ready, dash_duo, demo_app):
    from tests.conftest import login, start

    start(dash_duo, demo_app)
    login(dash_duo, "viewer")
    _open_air(dash_duo)
    # The demo's 2025 to 10 Dec: 101 valid days, 87 good; 21 days to come (see tests/unit/test_targets.py).
    dash_duo.wait_for_contains_text("#air-targets-budget", "今年还可有 22 个污染天（AQI > 100）", timeout=WAIT)
    assert dash_duo.find_element("#air-targets-good-day-share").text == "86.1%"
    dash_duo.wait_for_element("#air-targets-path .main-svg", timeout=WAIT)
    dash_duo.wait_for_element("#air-targets-months .main-svg", timeout=WAIT)
    assert dash_duo.find_elements("#air-targets-admin") == []  # only admins get the link
    no_console_errors(dash_duo)
