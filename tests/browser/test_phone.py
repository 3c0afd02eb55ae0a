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
SCROLLED_TABLES = {"prep-open-items": 640, "meeting-ledger-table": 640, "meetings-table": 720}


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
    # The wall is a kiosk for the command centre's 16:9 screens (tests/browser/test_wall.py), not a phone page.
    hrefs = [h for h in hrefs if not h.endswith("/wall")]
    for href in hrefs + [dash_duo.server_url + path for path in EXTRA_PATHS]:
        dash_duo.driver.get(href)
        settled(dash_duo)
        # Charts lay themselves out after the callbacks: let plotly finish.
        dash_duo.driver.execute_script("return new Promise(r => setTimeout(r, 600))")
        found = overflow(dash_duo)
        if found:
            wide[href] = found
        # Wide tables scroll inside their box instead of squeezing their columns a character wide.
        for table, least in SCROLLED_TABLES.items():
            width = dash_duo.driver.execute_script(
                f"const t = document.getElementById('{table}'); return t ? t.offsetWidth : null;")
            assert width is None or width >= least, (href, table, width)
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

    def navbar_shown(driver) -> bool:
        # Looked up each time: a language switch reloads the page.
        rect = driver.execute_script("return document.getElementById('shell-navbar').getBoundingClientRect().toJSON()")
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
    # The choice is kept in the user's profile: back to Chinese for the tests after this one.
    click(dash_duo, "#shell-burger")
    WebDriverWait(dash_duo.driver, WAIT).until(navbar_shown, "the drawer did not open")
    click(dash_duo, (By.XPATH, "//*[@id='lang-switch-phone']//label[normalize-space()='中文']"))
    dash_duo.wait_for_text_to_equal(".shell-title", t("app.title", "zh"), timeout=WAIT)
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


def _houzhai_site_without_open_rectifications(settings) -> tuple[int, str]:
    import datetime as dt
    from zoneinfo import ZoneInfo

    from sqlalchemy import select

    from dashboard.store.db import session_scope
    from dashboard.store.models import Inspection, Rectification, Site, Township

    with session_scope(settings.database_url) as s:
        busy = select(Rectification.site_id).where(Rectification.status == "open")
        recent = select(Inspection.site_id).where(
            Inspection.inspected_at >= dt.datetime(2025, 12, 10, 18, tzinfo=ZoneInfo("Asia/Shanghai")))
        site = s.execute(select(Site.id, Site.code).join(Township).where(
            Township.name == "侯寨乡", Site.status == "active", Site.id.not_in(busy), Site.id.not_in(recent))
            .order_by(Site.code.desc())).first()
    return int(site.id), site.code


def _in_view(duo, selector: str) -> bool:
    return duo.driver.execute_script(
        "const r = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return r.top >= 0 && r.top < window.innerHeight;", selector)


def test_from_the_site_page_to_a_saved_inspection_on_a_phone(browser_ready, dash_duo, demo_app, demo_settings,
                                                              tmp_path):
    from tests.browser.helpers import append_text
    from tests.browser.test_inspections import _tiny_png

    site_id, code = _houzhai_site_without_open_rectifications(demo_settings)
    start(dash_duo, demo_app)
    as_phone(dash_duo, 390, 844)
    login(dash_duo, "inspector")
    dash_duo.driver.get(dash_duo.server_url + f"/sites/{site_id}")
    settled(dash_duo)
    click(dash_duo, "#site-inspect")
    dash_duo.wait_for_element("#insp-submit", timeout=WAIT)
    WebDriverWait(dash_duo.driver, WAIT).until(
        lambda d: code in (d.find_element(By.CSS_SELECTOR, "#insp-site").get_attribute("value") or ""),
        "the site was not chosen")
    # Nothing is answered yet: submitting now is refused, naming the items.
    assert not dash_duo.driver.find_elements(By.CSS_SELECTOR, "#insp-items input[type=radio]:checked")
    click(dash_duo, "#insp-submit")
    dash_duo.wait_for_contains_text("#insp-message", "工地周边100%围挡：缺少检查结果", timeout=WAIT)

    click(dash_duo, (By.XPATH, "//div[@data-key='cover']//label[normalize-space()='不合格']"))
    note = dash_duo.wait_for_element("div[data-key='cover'] textarea", timeout=WAIT)
    append_text(dash_duo, note, "裸土未覆盖")
    dash_duo.find_element("div[data-key='cover'] input[type=file]").send_keys(str(_tiny_png(tmp_path / "p.png")))
    dash_duo.wait_for_element("div[data-key='cover'] img.insp-thumb", timeout=WAIT)
    click(dash_duo, "#insp-rest-pass")
    WebDriverWait(dash_duo.driver, WAIT).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#insp-items input[type=radio]:checked")) == 8,
        "其余合格 did not answer the rest")
    checked = dash_duo.find_element("div[data-key='cover'] input[type=radio]:checked")
    assert checked.get_attribute("value") == "fail"  # an answered item keeps its answer
    assert overflow(dash_duo) is None
    click(dash_duo, "#insp-submit")
    dash_duo.wait_for_element("#insp-saved", timeout=WAIT)
    dash_duo.wait_for_contains_text("#insp-effects", "各类物料堆放100%覆盖", timeout=WAIT)
    WebDriverWait(dash_duo.driver, WAIT).until(lambda _d: _in_view(dash_duo, "#insp-saved"),
                                              "the confirmation is not in view")
    # The confirmation links to the new rectification; its 复查 opens a re-inspection of that item only.
    click(dash_duo, "#insp-effects a.insp-effect-link")
    dash_duo.wait_for_element(".page-rectifications", timeout=WAIT)
    dash_duo.wait_for_contains_text("#rect-cards", code, timeout=WAIT)
    click(dash_duo, "#rect-cards .rect-card-recheck")
    dash_duo.wait_for_element("#insp-recheck-of", timeout=WAIT)
    keys = [e.get_attribute("data-key") for e in dash_duo.find_elements("#insp-items .insp-item")]
    assert keys == ["cover"]
    no_console_errors(dash_duo)


def _drafts_on_the_phone(duo) -> list[str]:
    return duo.driver.execute_script(
        "return Object.keys(localStorage).filter(k => k.startsWith('dashboard.inspection-draft:'))")


def test_nothing_is_lost_on_a_reload_or_a_dropped_connection(browser_ready, dash_duo, demo_app, demo_settings):
    from sqlalchemy import func, select

    from dashboard.store.db import session_scope
    from dashboard.store.models import Inspection
    from tests.browser.helpers import append_text

    def saved() -> int:
        with session_scope(demo_settings.database_url) as s:
            return s.scalar(select(func.count()).select_from(Inspection).where(Inspection.site_id == site_id))

    site_id, code = _houzhai_site_without_open_rectifications(demo_settings)
    before = saved()
    start(dash_duo, demo_app)
    as_phone(dash_duo, 390, 844)
    login(dash_duo, "inspector")
    dash_duo.driver.get(dash_duo.server_url + f"/inspections/new?site={site_id}")
    dash_duo.wait_for_element("#insp-submit", timeout=WAIT)
    click(dash_duo, (By.XPATH, "//div[@data-key='cover']//label[normalize-space()='不合格']"))
    append_text(dash_duo, dash_duo.wait_for_element("div[data-key='cover'] textarea", timeout=WAIT), "防尘网破损")
    click(dash_duo, "#insp-rest-pass")
    dash_duo.wait_for_contains_text("#insp-draft-status", "已保存在本机", timeout=WAIT)

    # A reload (or a closed tab) brings everything back from the phone.
    dash_duo.driver.refresh()
    dash_duo.wait_for_contains_text("#insp-restored", "已恢复本机保存的内容", timeout=WAIT)
    WebDriverWait(dash_duo.driver, WAIT).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#insp-items input[type=radio]:checked")) == 8,
        "the answers were not restored")
    assert dash_duo.find_element("div[data-key='cover'] input[type=radio]:checked").get_attribute("value") == "fail"
    assert dash_duo.find_element("div[data-key='cover'] textarea").get_attribute("value") == "防尘网破损"
    assert code in dash_duo.find_element("#insp-site").get_attribute("value")

    # The signal drops before 提交: the submit waits on the phone, nothing reaches the server.
    dash_duo.driver.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
    click(dash_duo, "#insp-submit")
    dash_duo.wait_for_contains_text("#insp-send-status", "未联网", timeout=WAIT)
    assert saved() == before
    # The signal returns: the outbox sends it by itself, once.
    dash_duo.driver.delete_network_conditions()
    dash_duo.wait_for_element("#insp-saved", timeout=40)
    dash_duo.wait_for_contains_text("#insp-effects", "各类物料堆放100%覆盖", timeout=WAIT)
    assert saved() == before + 1
    assert _drafts_on_the_phone(dash_duo) == []
    # What failed while offline was the network, reported by the browser; nothing else went wrong.
    errors = [e for e in dash_duo.get_logs() or [] if e.get("level") == "SEVERE"]
    assert all("ERR_INTERNET_DISCONNECTED" in e["message"] or "the server did not respond" in e["message"]
               for e in errors), errors
