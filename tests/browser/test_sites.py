"""The site pages in a real browser: the registry grid in Chinese with its filters, a site's
detail page, creating a site, an edit conflict between two editors, a refused Excel upload,
and the compliance and alerts pages.

The demo app is shared by the whole session: tests that write use sites and names of their own.
"""

from __future__ import annotations

import json
import uuid

import pytest
from openpyxl import Workbook
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import func, select

from dashboard.domain.coords import wgs84_to_gcj02
from dashboard.domain.sites import validate_site
from dashboard.ingest.sites_excel import HEADERS
from dashboard.store import sites as store
from dashboard.store.db import session_scope
from dashboard.store.models import (
    AuditEntry,
    ChecklistItem,
    Rectification,
    Site,
    Township,
)
from tests.browser.helpers import WAIT, choose, click, no_console_errors, type_text, wait_until_settled

pytestmark = pytest.mark.browser


def _field(duo, name: str):
    """A form input by its pattern-matching id {"type": "site-form", "field": name}."""
    element_id = json.dumps({"field": name, "type": "site-form"}, separators=(",", ":"))
    return WebDriverWait(duo.driver, WAIT).until(
        EC.visibility_of_element_located((By.XPATH, f"//*[@id='{element_id}']"))
    )


def _counts(settings) -> tuple[int, int]:
    with session_scope(settings.database_url) as session:
        total = session.scalar(select(func.count()).select_from(Site))
        houzhai = session.scalar(select(func.count()).select_from(Site).join(Township)
                                 .where(Township.name == "侯寨乡"))
    return total, houzhai


def _new_site(settings, name: str) -> int:
    with session_scope(settings.database_url) as session:
        township = session.scalar(select(Township.id).where(Township.name == "马寨镇"))
        clean, issues = validate_site({
            "code": f"T-{uuid.uuid4().hex[:6]}", "name": name, "township_id": township, "site_type": "road",
            "area_m2": 3000, "status": "active", "address": "二七区马寨镇", "contractor_unit": "原施工单位",
            "longitude": 113.55, "latitude": 34.70,
        })
        assert issues == []
        return store.create_site(session, clean).id


def test_sites_page_lists_the_demo_sites_in_chinese_and_filters(logged_in, demo_settings):
    duo = logged_in
    total, houzhai = _counts(demo_settings)
    duo.driver.get(duo.server_url + "/sites")
    duo.wait_for_text_to_equal("h2", "工地管理")
    duo.wait_for_text_to_equal("#sites-count", f"显示 {total} / 共 {total} 个工地", timeout=WAIT)
    duo.wait_for_contains_text("#sites-grid", "工地名称")
    duo.wait_for_contains_text("#sites-grid", "淮河路街道")
    duo.wait_for_contains_text("#sites-grid", "在建")

    choose(duo, duo.find_element("#sites-filter-township"), "侯寨乡")
    duo.wait_for_text_to_equal("#sites-count", f"显示 {houzhai} / 共 {houzhai} 个工地", timeout=WAIT)
    assert "淮河路街道" not in duo.find_element("#sites-grid").text

    duo.find_element("#sites-search").send_keys("绿地城")
    duo.wait_for_text_to_equal("#sites-count", f"显示 1 / 共 {houzhai} 个工地", timeout=WAIT)
    duo.wait_for_contains_text("#sites-grid", "绿地城二期")
    no_console_errors(duo)


def test_site_detail_shows_the_heat_map_and_open_rectifications(logged_in, demo_settings):
    duo = logged_in
    with session_scope(demo_settings.database_url) as session:
        site_id, n_open = session.execute(
            select(Rectification.site_id, func.count()).where(Rectification.status == "open")
            .group_by(Rectification.site_id).order_by(func.count().desc(), Rectification.site_id).limit(1)
        ).one()
        site = session.get(Site, site_id)
        name, plate = site.name, site.plate
        keys = set(session.scalars(select(Rectification.item_key)
                                   .where(Rectification.site_id == site_id, Rectification.status == "open")))
        labels = {k: v for k, v in session.execute(select(ChecklistItem.key, ChecklistItem.label))}
    duo.driver.get(duo.server_url + f"/sites/{site_id}")
    duo.wait_for_text_to_equal("#site-title", name, timeout=WAIT)
    duo.wait_for_text_to_equal("#site-plate", {"red": "红牌", "yellow": "黄牌", "green": "绿牌"}[plate])
    duo.wait_for_text_to_equal("#site-open-count", str(n_open))
    # The heat map's rows are the checklist items in Chinese.
    duo.wait_for_contains_text("#site-heatmap", "工地周边100%围挡", timeout=WAIT)
    rows = duo.find_elements("#site-rectifications tbody tr")
    assert len(rows) == n_open
    table = duo.find_element("#site-rectifications").text
    assert all(labels[k] in table for k in keys)
    assert any(level in table for level in ("警告", "约谈", "问责", "未升级"))
    no_console_errors(duo)


def test_an_editor_creates_a_site_and_it_appears(logged_in, demo_settings):
    duo = logged_in
    name = f"测试新建工地{uuid.uuid4().hex[:6]}"
    gcj_lon, gcj_lat = wgs84_to_gcj02(113.552, 34.701)
    duo.driver.get(duo.server_url + "/sites")
    click(duo, "#sites-new")
    # Saving an empty form is refused with messages in Chinese, field by field. (The drawer
    # slides in: the save button takes clicks once it has arrived.)
    _field(duo, "name")
    wait_until_settled(duo, ".mantine-Drawer-content")
    click(duo, "#site-form-save")
    duo.wait_for_contains_text("#site-form-message", "请按提示修改", timeout=WAIT)
    duo.wait_for_contains_text(".mantine-Drawer-body", "必填", timeout=WAIT)

    type_text(duo, _field(duo, "name"), name)
    choose(duo, _field(duo, "township_id"), "马寨镇")
    choose(duo, _field(duo, "site_type"), "道路工程")
    type_text(duo, _field(duo, "area_m2"), "8000")
    gcj = click(duo, (By.XPATH, "//label[contains(., 'GCJ-02')]"))
    WebDriverWait(duo.driver, WAIT).until(
        lambda _d: gcj.find_element(By.XPATH, "./preceding-sibling::input | ../input").is_selected(),
        "GCJ-02 was not selected",
    )
    type_text(duo, _field(duo, "longitude"), f"{gcj_lon:.6f}")
    type_text(duo, _field(duo, "latitude"), f"{gcj_lat:.6f}")
    click(duo, "#site-form-save")
    duo.wait_for_contains_text("#sites-saved", name, timeout=WAIT)

    duo.find_element("#sites-search").send_keys(name)
    duo.wait_for_contains_text("#sites-count", "显示 1 /", timeout=WAIT)
    duo.wait_for_contains_text("#sites-grid", name, timeout=WAIT)
    with session_scope(demo_settings.database_url) as session:
        site = session.scalar(select(Site).where(Site.name == name))
        assert site.coord_system == "GCJ02" and site.plate == "green"
        assert (site.longitude, site.latitude) == pytest.approx((113.552, 34.701), abs=1e-5)
        assert session.scalar(select(AuditEntry.action).where(AuditEntry.entity == "site",
                                                              AuditEntry.entity_id == str(site.id))) == "create"
    no_console_errors(duo)


def test_a_second_editor_is_told_of_the_conflict_and_keeps_what_they_typed(logged_in, demo_settings):
    duo = logged_in
    name = f"冲突测试工地{uuid.uuid4().hex[:6]}"
    site_id = _new_site(demo_settings, name)
    duo.driver.get(duo.server_url + f"/sites?edit={site_id}")
    wait_until_settled(duo, ".mantine-Drawer-content")
    address = _field(duo, "address")
    assert _field(duo, "name").get_attribute("value") == name
    type_text(duo, address, "二七区马寨镇张寨村北侧（我的修改）")

    # Meanwhile another editor saves a change to the same site.
    with session_scope(demo_settings.database_url) as session:
        site = session.get(Site, site_id)
        before, version = store.site_values(site), site.version
        other = validate_site(before | {"contractor_unit": "另一位编辑填写的施工单位"})[0]
        store.update_site(session, site_id, other, expected_version=version, loaded=before)

    click(duo, "#site-form-save")
    duo.wait_for_contains_text("#site-form-message", "保存未成功", timeout=WAIT)
    message = duo.find_element("#site-form-message").text
    assert "另一位编辑填写的施工单位" in message and "施工单位" in message
    assert _field(duo, "address").get_attribute("value") == "二七区马寨镇张寨村北侧（我的修改）"
    with session_scope(demo_settings.database_url) as session:
        assert session.get(Site, site_id).address == "二七区马寨镇"  # the stale save wrote nothing

    # Having seen the other change, saving again writes this user's edit and keeps theirs.
    click(duo, "#site-form-save")
    duo.wait_for_contains_text("#sites-saved", name, timeout=WAIT)
    with session_scope(demo_settings.database_url) as session:
        site = session.get(Site, site_id)
        assert site.address == "二七区马寨镇张寨村北侧（我的修改）"
        assert site.contractor_unit == "另一位编辑填写的施工单位"
    no_console_errors(duo)


def test_a_bad_excel_upload_is_refused_with_row_level_errors(logged_in, demo_settings, tmp_path):
    duo = logged_in
    total, _ = _counts(demo_settings)
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    sheet.append(["T-UP-1", "上传测试工地", "", "侯寨乡", "", "", "住宅", 1000, 113.58, 34.66, "WGS84", "在建", None])
    sheet.append(["T-UP-2", "面积为负", "", "侯寨乡", "", "", "住宅", -5, 113.58, 34.66, "WGS84", "在建", None])
    sheet.append(["T-UP-3", "乡镇不存在", "", "火星乡", "", "", "住宅", 1000, None, None, "", "在建", None])
    path = tmp_path / "坏文件.xlsx"
    book.save(path)
    duo.driver.get(duo.server_url + "/sites")
    duo.wait_for_element("#sites-upload input[type=file]", timeout=WAIT).send_keys(str(path))
    duo.wait_for_contains_text("#sites-upload-refused", "整个文件未导入", timeout=WAIT)
    duo.wait_for_contains_text("#sites-upload-errors", "面积必须大于0")
    errors = duo.find_element("#sites-upload-errors").text
    assert "火星乡" in errors and "面积(平方米)" in errors and "乡镇办" in errors
    with session_scope(demo_settings.database_url) as session:
        assert session.scalar(select(func.count()).select_from(Site)) == total
    no_console_errors(duo)


def test_compliance_and_alerts_pages_render(logged_in):
    duo = logged_in
    duo.driver.get(duo.server_url + "/compliance")
    duo.wait_for_text_to_equal("h2", "合规分析", timeout=WAIT)
    duo.wait_for_contains_text("#compliance-definition", "合格检查项数 ÷ 适用检查项数")
    duo.wait_for_contains_text("#compliance-kpi-rate", "%")
    duo.wait_for_contains_text("#compliance-trend", "第27次", timeout=WAIT)
    duo.wait_for_contains_text("#compliance-ranking-table", "侯寨乡")
    duo.wait_for_contains_text("#compliance-items", "各类物料堆放100%覆盖")
    no_console_errors(duo)

    duo.driver.get(duo.server_url + "/alerts")
    duo.wait_for_text_to_equal("h2", "预警管控", timeout=WAIT)
    duo.wait_for_contains_text("#alerts-measures", "停止一切施工作业")
    duo.wait_for_contains_text("#alerts-list", "红色预警")
    duo.wait_for_contains_text("#alerts-summary", "违规施工")
    no_console_errors(duo)
