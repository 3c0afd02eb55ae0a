"""Meetings and the ledger in a real browser: read meeting 27 and what happened since; record
meeting 28 from the pre-filled form (two new actions, open items carried with their count, a
script in the minutes shown as text); verify-close an item on the ledger.

The writing flow runs on an app and database of this module's own (the shared demo app must
not get a meeting 28 other tests do not expect)."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from dashboard.store import meetings as meeting_store
from dashboard.store.db import session_scope, upgrade
from dashboard.store.models import ActionItem
from tests.browser.helpers import WAIT, append_text, choose, click, no_console_errors, type_text
from tests.conftest import TEST_PASSWORDS, login, make_settings, start

pytestmark = pytest.mark.browser
PAYLOAD = "<script>alert(1)</script>"


def _pattern(kind: str) -> str:
    """CSS for the inputs of a pattern-matching id type (Dash writes the id as JSON; the label
    of an input carries the same id with "-label" appended)."""
    return f'input[id*=\'"type":"{kind}"\']'


@pytest.fixture(scope="module")
def meeting_app(tmp_path_factory):
    from dashboard.app import create_app
    from dashboard.demo.generate import generate_district
    from dashboard.store.demo_load import load_demo
    from dashboard.store.users import upsert_user

    settings = make_settings(tmp_path_factory.mktemp("meet-browser"))
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        load_demo(session, generate_district())
        upsert_user(session, "editor", TEST_PASSWORDS["editor"], "editor", display_name="test editor")
    return create_app(settings), settings


def test_meeting_27_shows_its_decisions_and_what_happened_since(logged_in):
    duo = logged_in
    duo.driver.get(duo.server.url + "/meetings")
    click(duo, "#meeting-link-27")
    duo.wait_for_text_to_equal("#meeting-title", "第27次调度会", timeout=WAIT)
    duo.wait_for_contains_text("#meeting-decisions", "狠抓重污染天气应急管控措施落实")
    duo.wait_for_contains_text("#meeting-accountability", "区城管局")
    # What happened since: the December episode after the meeting, and the ledger's progress.
    duo.wait_for_contains_text("#since-window", "2025年12月5日 09:00")
    duo.wait_for_contains_text("#since-table", "全区PM2.5均值")
    duo.wait_for_contains_text("#since-actions", "本次会议交办任务")
    duo.wait_for_contains_text("#meeting-ledger-table", "结转第8次")
    duo.wait_for_contains_text("#air-frozen-note", "即时计算")
    no_console_errors(duo)


def test_meeting_27_before_and_after_follows_n_and_the_url(logged_in):
    duo = logged_in
    duo.driver.get(duo.server.url + "/meetings/27")
    duo.wait_for_contains_text("#meeting-effect", "会议前后对比", timeout=WAIT)
    duo.wait_for_contains_text("#effect-windows", "会前7天：2025年11月28日至12月4日")
    duo.wait_for_contains_text("#meeting-effect", "会后只有6天")
    duo.wait_for_contains_text("#effect-table", "对照点 PM2.5")
    duo.wait_for_contains_text("#effect-caveat", "天气")
    duo.wait_for_element("#effect-figure .main-svg")

    type_text(duo, duo.find_element("#effect-days"), "14")
    duo.wait_for_contains_text("#effect-windows", "会前14天：2025年11月21日至12月4日", timeout=WAIT)
    duo.wait_for_contains_text("#meeting-effect", "有效6/14天")
    WebDriverWait(duo.driver, WAIT).until(lambda d: d.current_url.endswith("/meetings/27?days=14"))

    # The URL is the view: opened as a link, it shows N = 5.
    duo.driver.get(duo.server.url + "/meetings/27?days=5")
    duo.wait_for_contains_text("#effect-windows", "会前5天：2025年11月30日至12月4日", timeout=WAIT)
    assert duo.find_element("#effect-days").get_attribute("value") == "5"
    no_console_errors(duo)


def test_record_meeting_28_carry_and_verify(browser_ready, dash_duo, meeting_app):
    app, settings = meeting_app
    start(dash_duo, app)
    login(dash_duo, "editor")
    duo = dash_duo
    duo.driver.get(duo.server.url + "/meetings/new")
    duo.wait_for_text_to_equal("#mf-title", "新建第28次调度会", timeout=30)
    assert duo.find_element("#mf-chair").get_attribute("value") == "区长"
    assert duo.find_element("#mf-date").get_attribute("value") == "2025-12-12"
    duo.wait_for_contains_text("#mf-agenda", "回头看")
    duo.wait_for_contains_text("#prep-open-items", "第19次调度会")

    # Two new actions.
    for _ in range(2):
        count = len(duo.find_elements(_pattern("mf-action-task")))
        click(duo, "#mf-add-action")
        WebDriverWait(duo.driver, WAIT).until(
            lambda d, n=count: len(d.find_elements(By.CSS_SELECTOR, _pattern("mf-action-task"))) == n + 1
        )
    tasks = duo.find_elements(_pattern("mf-action-task"))
    units = duo.find_elements(_pattern("mf-action-unit"))
    planned = [("主次干道每日冲洗六遍", "区城管局"), ("渣土车夜间联合执法", "区交警大队")]
    for task, (text, _unit) in zip(tasks, planned, strict=True):
        append_text(duo, task, text)
    # Saving without a responsible unit is refused, and what was typed stays in the form.
    click(duo, "#mf-save")
    duo.wait_for_contains_text("#mf-error", "第1项任务没有选择责任单位", timeout=WAIT)
    assert [t.get_attribute("value") for t in tasks] == [text for text, _unit in planned]
    for unit, (_text, unit_name) in zip(units, planned, strict=True):
        choose(duo, unit, unit_name, exact=True)
    append_text(duo, duo.find_element("#mf-minutes"), f"\n{PAYLOAD}\n")
    click(duo, "#mf-save")

    duo.wait_for_text_to_equal("#meeting-title", "第28次调度会", timeout=30)
    duo.wait_for_contains_text("#meeting-ledger-table", "主次干道每日冲洗六遍", timeout=WAIT)
    duo.wait_for_contains_text("#meeting-ledger-table", "渣土车夜间联合执法")
    # An open item of meeting 19 is carried to meeting 28: its ninth time.
    duo.wait_for_contains_text("#meeting-ledger-table", "结转第9次")
    rows = duo.find_elements("#meeting-ledger-table tbody tr")
    assert any("第19次调度会" in r.text and "结转第9次" in r.text for r in rows)
    duo.wait_for_contains_text("#air-frozen-note", "冻结")
    # The script typed into the minutes is text, not an element, and never ran.
    duo.wait_for_contains_text("#meeting-minutes", PAYLOAD)
    assert duo.find_elements("#meeting-minutes script") == []
    with pytest.raises(NoAlertPresentException):
        duo.driver.switch_to.alert.text  # noqa: B018
    with session_scope(settings.database_url) as session:
        meeting = meeting_store.get_meeting(session, 28)
        assert meeting.air_quality["district"]["n_valid"] > 0
        new = session.scalars(select(ActionItem).where(ActionItem.meeting_id == meeting.id)).all()
        assert sorted(a.task for a in new) == ["主次干道每日冲洗六遍", "渣土车夜间联合执法"]

    # Verify-close a done item on the ledger.
    duo.driver.get(duo.server.url + "/ledger")
    duo.wait_for_element("#ledger-grid .ag-row", timeout=30)
    choose(duo, duo.find_element("#ledger-filter-status"), "已完成", exact=True)
    duo.wait_for_contains_text("#ledger-count", "共7项", timeout=WAIT)
    row = "#ledger-grid .ag-center-cols-container .ag-row[row-index='0']"
    item_id = int(duo.wait_for_element(row).get_attribute("row-id"))
    click(duo, f"{row} [col-id='task']")
    # The grid re-renders its rows; the verify button acts on the row once it shows as selected.
    duo.wait_for_element(f"#ledger-grid .ag-center-cols-container .ag-row-selected[row-id='{item_id}']", timeout=WAIT)
    click(duo, "#ledger-verify")
    duo.wait_for_contains_text("#ledger-message", "已销号", timeout=WAIT)
    click(duo, "#ledger-history")
    duo.wait_for_contains_text("#ledger-history-list", "已完成 → 已销号", timeout=WAIT)
    with session_scope(settings.database_url) as session:
        item = session.get(ActionItem, item_id)
        assert item.status == "verified" and item.verified_at is not None

    # Reopening it in the grid asks for a reason first. (The edit goes through the grid's API:
    # AG Grid's select editor does not take synthetic keyboard input reliably.)
    click(duo, ".mantine-Drawer-close")
    duo.driver.execute_script(
        f"dash_ag_grid.getApi('ledger-grid').getRowNode('{item_id}').setDataValue('status_label', '整改中')"
    )
    duo.wait_for_contains_text("#ledger-reopen-text", "从“已销号”退回到“整改中”", timeout=WAIT)
    append_text(duo, duo.find_element("#ledger-reopen-reason"), "复查发现仍有裸土未覆盖")
    click(duo, "#ledger-reopen-confirm")
    duo.wait_for_contains_text("#ledger-message", "已改为“整改中”", timeout=WAIT)
    with session_scope(settings.database_url) as session:
        item = session.get(ActionItem, item_id)
        assert item.status == "in_progress" and item.verified_at is None and item.done_at is None
    no_console_errors(duo)


def test_ledger_and_scorecard_in_english(browser_ready, dash_duo, demo_app):
    start(dash_duo, demo_app)
    login(dash_duo, "viewer", lang="en")
    duo = dash_duo
    duo.driver.get(duo.server.url + "/ledger")
    duo.wait_for_contains_text("#ledger-count", "10 overdue", timeout=30)
    assert duo.find_element("#ledger-verify").get_attribute("disabled") is not None
    overdue = duo.find_elements("#ledger-grid .ag-row.ledger-row-overdue")
    assert overdue, "overdue rows are highlighted"
    duo.driver.get(duo.server.url + "/scorecard")
    duo.wait_for_contains_text("#scorecard-grid", "Mazhai Town", timeout=30)
    no_console_errors(duo)
