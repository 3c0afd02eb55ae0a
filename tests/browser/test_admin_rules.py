"""The admin page's rules tab in a real browser, on a private copy of the demo district: from the
air page's link, an admin changes this year's good-day target (the air page then measures
against it and its budget follows) and the plate rules (the sites are re-rated)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from dashboard.store import air as air_store
from dashboard.store import sites as site_store
from dashboard.store.db import engine_for, session_scope
from dashboard.store.models import Site
from tests.browser.helpers import WAIT, click, no_console_errors, type_text
from tests.conftest import login, make_settings, start
from tests.integration.inspection_db import copy_demo

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_copy(tmp_path_factory, tmp_path):
    from dashboard.app import create_app

    url = next(copy_demo(tmp_path_factory, tmp_path))
    settings = make_settings(tmp_path, database_url=url)
    yield create_app(settings), settings
    engine_for(url).dispose()


def test_an_admin_changes_the_targets_and_the_plate_rules(browser_ready, dash_duo, demo_copy):
    app, settings = demo_copy
    start(dash_duo, app)
    login(dash_duo, "admin")
    dash_duo.driver.get(dash_duo.server_url + "/air")
    dash_duo.wait_for_contains_text("#air-summary", "目标 70%", timeout=WAIT)
    dash_duo.wait_for_contains_text("#air-targets-budget", "今年还可有 22 个污染天", timeout=WAIT)
    click(dash_duo, "#air-targets-admin")
    share = dash_duo.wait_for_element("#admin-rules-target-share", timeout=WAIT)
    assert dash_duo.driver.current_url.endswith("/admin?tab=rules")
    # This year (the demo's 2025) is chosen, running on the defaults.
    assert dash_duo.find_element("#admin-rules-target-year").get_attribute("value") == "2025"
    assert "尚未单独设定" in dash_duo.find_element("#admin-rules-target-own").text

    share.send_keys(Keys.CONTROL, "a")
    share.send_keys("80")
    # The input shows its "%" suffix after the number.
    WebDriverWait(dash_duo.driver, WAIT).until(lambda _d: share.get_attribute("value").rstrip("%") == "80")
    click(dash_duo, "#admin-rules-targets-save")
    dash_duo.wait_for_contains_text("#admin-rules-targets-message", "2025年目标已保存", timeout=WAIT)
    assert "优良天数比例 80%" in dash_duo.find_element("#admin-rules-targets-message").text
    # A blank value is refused with what was wrong, and the form keeps what was typed (the
    # inputs clamp numbers to their range themselves; the service's refusals of bad numbers are
    # in tests/integration/test_admin_rules.py).
    heavy = dash_duo.find_element("#admin-rules-target-heavy")
    type_text(dash_duo, heavy, "")
    click(dash_duo, "#admin-rules-targets-save")
    dash_duo.wait_for_contains_text("#admin-rules-targets-message", "“重污染天数目标（天）”不是有效数字", timeout=WAIT)
    assert heavy.get_attribute("value") == ""
    assert share.get_attribute("value").rstrip("%") == "80"

    type_text(dash_duo, dash_duo.find_element("#admin-rules-red-failures"), "3")
    click(dash_duo, "#admin-rules-plates-save")
    dash_duo.wait_for_contains_text("#admin-rules-plates-message", "已重新评牌", timeout=WAIT)
    with session_scope(settings.database_url) as session:
        assert air_store.targets_of_year(session, 2025).good_day_share == pytest.approx(0.80)
        assert air_store.targets_of_year(session, 2025).heavy_days == 10
        assert site_store.plate_rules(session).red_failures == 3
        red = session.scalar(select(Site.id).where(Site.plate == "red").limit(1))
        assert red is not None

    # The air page measures against the new target, in its KPIs and its monthly figure.
    dash_duo.driver.get(dash_duo.server_url + "/air")
    dash_duo.wait_for_contains_text("#air-summary", "目标 80%", timeout=WAIT)
    dash_duo.wait_for_contains_text("#air-targets", "优良天数比例 80%", timeout=WAIT)
    # 0.8 × 122 = 97.6 → 98 good days needed: 122 − 98 − 14 = 10 polluted days left.
    dash_duo.wait_for_contains_text("#air-targets-budget", "今年还可有 10 个污染天", timeout=WAIT)
    click(dash_duo, "#air-tab-monthly")
    dash_duo.wait_for_contains_text("#air-good-days", "目标 80%", timeout=WAIT)
    no_console_errors(dash_duo)
