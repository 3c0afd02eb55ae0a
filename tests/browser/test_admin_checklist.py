"""The admin page's checklist tab in a real browser, on a new district's empty database: load the
standard versions, then make a new version from the one in force (relabel, remove, add, reorder)."""

from __future__ import annotations

import json

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from dashboard.store.db import engine_for, session_scope
from dashboard.store.models import AuditEntry, ChecklistVersion, Township
from dashboard.store.users import upsert_user
from tests.browser.helpers import WAIT, click, no_console_errors, type_text
from tests.conftest import TEST_PASSWORDS, login, make_settings, start

pytestmark = pytest.mark.browser


@pytest.fixture
def empty_app(tmp_path):
    from dashboard.app import create_app

    settings = make_settings(tmp_path)
    app = create_app(settings)
    with session_scope(settings.database_url) as session:
        session.add(Township(id=1, code="houzhai", name="侯寨乡", kind="township", position=1))
        upsert_user(session, "admin", TEST_PASSWORDS["admin"], "admin")
    yield app, settings
    engine_for(settings.database_url).dispose()


def _input(duo, kind: str, index: int):
    element_id = json.dumps({"index": index, "type": f"admin-checklist-{kind}"}, separators=(",", ":"))
    return duo.driver.find_element(By.XPATH, f"//input[@id='{element_id}']")


def _rows(duo) -> list[str]:
    """The keys of the item rows, in order."""
    return [e.get_attribute("value") for e in duo.driver.find_elements(By.CSS_SELECTOR, ".admin-checklist-key input")]


def _wait_rows(duo, keys: list[str]) -> None:
    # The rows are drawn anew after every change: an element found may be gone when read.
    WebDriverWait(duo.driver, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda _d: _rows(duo) == keys, f"rows are not {keys}")


def test_an_admin_loads_the_standard_checklists_and_makes_a_new_version(browser_ready, dash_duo, empty_app):
    app, settings = empty_app
    start(dash_duo, app)
    login(dash_duo, "admin")
    dash_duo.driver.get(dash_duo.server_url + "/admin?tab=checklist")
    dash_duo.wait_for_contains_text("#admin-checklist-empty", "还没有检查表", timeout=WAIT)
    assert not dash_duo.find_element("#admin-checklist-form").is_displayed()

    click(dash_duo, "#admin-checklist-load")
    dash_duo.wait_for_text_to_equal("#admin-checklist-loaded", "已载入 3 个标准版本。", timeout=WAIT)
    dash_duo.wait_for_contains_text("#admin-checklist-list", "现行", timeout=WAIT)
    assert not dash_duo.find_element("#admin-checklist-empty").is_displayed()
    standard = ["hoarding", "cover", "wet_ops", "vehicle_wash", "hardening", "sealed_transport", "video_monitoring",
                "nonroad_machinery"]
    _wait_rows(dash_duo, standard)

    # Relabel the second item, drop the last, add one and move it up a place.
    type_text(dash_duo, _input(dash_duo, "label", 1), "各类物料堆放和裸露黄土100%覆盖")
    click(dash_duo, (By.XPATH, "(//*[contains(@class, 'admin-checklist-moves')])[8]/button[3]"))
    _wait_rows(dash_duo, standard[:7])
    click(dash_duo, "#admin-checklist-add")
    _wait_rows(dash_duo, [*standard[:7], ""])
    type_text(dash_duo, _input(dash_duo, "key", 7), "pm_monitor")
    type_text(dash_duo, _input(dash_duo, "label", 7), "扬尘在线监测数据100%达标")
    click(dash_duo, (By.XPATH, "(//*[contains(@class, 'admin-checklist-moves')])[8]/button[1]"))
    expected = [*standard[:6], "pm_monitor", "video_monitoring"]
    _wait_rows(dash_duo, expected)
    assert _input(dash_duo, "label", 1).get_attribute("value") == "各类物料堆放和裸露黄土100%覆盖"
    assert _input(dash_duo, "key", 1).get_attribute("readonly") and not _input(dash_duo, "key", 6).get_attribute(
        "readonly")

    click(dash_duo, "#admin-checklist-save")
    dash_duo.wait_for_contains_text("#admin-checklist-error", "请填写版本名称", timeout=WAIT)
    type_text(dash_duo, dash_duo.find_element("#admin-checklist-name"), "8个100%（2026年修订）")
    click(dash_duo, "#admin-checklist-save")
    dash_duo.wait_for_contains_text("#admin-checklist-saved", "新版本已保存", timeout=WAIT)
    # The list shows the new version in force (it starts today on a new district), the form copies it.
    dash_duo.wait_for_contains_text("#admin-checklist-list", "8个100%（2026年修订）", timeout=WAIT)
    _wait_rows(dash_duo, expected)
    with session_scope(settings.database_url) as session:
        newest = session.scalar(select(ChecklistVersion).order_by(ChecklistVersion.valid_from.desc()).limit(1))
        assert newest.name == "8个100%（2026年修订）" and [i.key for i in newest.items] == expected
        assert newest.items[1].label == "各类物料堆放和裸露黄土100%覆盖"
        assert session.scalar(select(AuditEntry.action).where(AuditEntry.entity == "checklist_version",
                                                              AuditEntry.entity_id == str(newest.id))) == "create"
    in_force = dash_duo.find_element(".admin-checklist-in_force")
    assert "8个100%（2026年修订）" in in_force.text and "现行" in in_force.text
    no_console_errors(dash_duo)
