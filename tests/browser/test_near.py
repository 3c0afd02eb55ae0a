"""附近工地 / Near me on the inspector's phone (390 × 844): Chrome is told where it stands
(DevTools' geolocation override) and whether the page may know it, as a phone's owner would
allow or refuse. Nothing is saved here: the demo app is shared by every browser test.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from dashboard.domain.coords import distance_km
from dashboard.store.db import session_scope
from dashboard.store.models import Site, Township
from tests.browser.helpers import WAIT, click, no_console_errors
from tests.browser.test_phone import as_phone, overflow, settled
from tests.conftest import login, start

pytestmark = pytest.mark.browser


def _lonely_houzhai_site(settings) -> tuple[int, str, str, float, float]:
    """(id, code, name, lon, lat) of the 侯寨乡 site last in the list's usual order that has no
    other active 侯寨乡 site within 300 m, so the nearest is unambiguous."""
    with session_scope(settings.database_url) as s:
        rows = s.execute(select(Site.id, Site.code, Site.name, Site.longitude, Site.latitude).join(Township).where(
            Township.name == "侯寨乡", Site.status == "active", Site.longitude.is_not(None))
            .order_by(Site.code.desc())).all()
    for row in rows:
        others = [distance_km(row.longitude, row.latitude, o.longitude, o.latitude) for o in rows if o.id != row.id]
        if min(others) > 0.3:
            return int(row.id), row.code, row.name, float(row.longitude), float(row.latitude)
    raise AssertionError("no 侯寨乡 site stands apart in the demo")


def _stand_at(duo, lon: float, lat: float, permission: str) -> None:
    """Put the browser at (lon, lat) WGS-84 and allow ("granted") or refuse ("denied") the page its location."""
    driver = duo.driver
    driver.execute_cdp_cmd("Emulation.setGeolocationOverride", {"latitude": lat, "longitude": lon, "accuracy": 8})
    driver.execute_cdp_cmd("Browser.setPermission", {"permission": {"name": "geolocation"}, "setting": permission,
                                                     "origin": duo.server.url})


def _card_names(duo) -> list[str]:
    # Read in one go: the cards are re-rendered while the order changes.
    return duo.driver.execute_script(
        "return [...document.querySelectorAll('#sites-cards .site-card-name')].map(e => e.textContent)")


def _first_card_is(duo, name: str):
    def check(_driver):
        names = _card_names(duo)
        return bool(names) and names[0] == name
    return check


def test_an_inspector_at_a_site_finds_it_first_and_inspects_it(browser_ready, dash_duo, demo_app, demo_settings):
    site_id, code, name, lon, lat = _lonely_houzhai_site(demo_settings)
    start(dash_duo, demo_app)
    as_phone(dash_duo, 390, 844)
    _stand_at(dash_duo, lon, lat, "granted")
    login(dash_duo, "inspector")
    dash_duo.driver.get(dash_duo.server_url + "/sites")
    settled(dash_duo)
    usual = _card_names(dash_duo)
    assert usual and usual[0] != name  # otherwise the test proves nothing

    click(dash_duo, "#sites-near")
    WebDriverWait(dash_duo.driver, WAIT).until(_first_card_is(dash_duo, name), "the site stood at is not first")
    first = dash_duo.find_element("#sites-cards .site-card")
    assert first.find_element(By.CSS_SELECTOR, ".site-card-distance").text == "10 米"
    dash_duo.wait_for_contains_text("#sites-near-message", "已按距离排序", timeout=WAIT)
    # Only the inspector's township, as without Near me; every card now says how far it is.
    assert sorted(_card_names(dash_duo)) == sorted(usual)
    assert len(dash_duo.find_elements("#sites-cards .site-card-distance")) == len(usual)
    assert overflow(dash_duo) is None

    # Tapping again gives the usual order back.
    click(dash_duo, "#sites-near")
    WebDriverWait(dash_duo.driver, WAIT).until(lambda _d: _card_names(dash_duo) == usual, "the usual order is not back")
    assert not dash_duo.find_elements("#sites-cards .site-card-distance")
    click(dash_duo, "#sites-near")
    WebDriverWait(dash_duo.driver, WAIT).until(_first_card_is(dash_duo, name), "the site stood at is not first again")

    # 巡查此工地 on the top card opens the form with that site chosen.
    click(dash_duo, "#sites-cards .site-card .site-card-inspect")
    dash_duo.wait_for_element("#insp-submit", timeout=WAIT)
    WebDriverWait(dash_duo.driver, WAIT).until(
        lambda d: code in (d.find_element(By.CSS_SELECTOR, "#insp-site").get_attribute("value") or ""),
        "the site was not chosen")
    assert dash_duo.driver.current_url.endswith(f"/inspections/new?site={site_id}")
    no_console_errors(dash_duo)


def test_the_forms_near_me_chooses_the_site_stood_at(browser_ready, dash_duo, demo_app, demo_settings):
    _site_id, code, name, lon, lat = _lonely_houzhai_site(demo_settings)
    start(dash_duo, demo_app)
    as_phone(dash_duo, 390, 844)
    _stand_at(dash_duo, lon, lat, "granted")
    login(dash_duo, "inspector")
    dash_duo.driver.get(dash_duo.server_url + "/inspections/new")
    settled(dash_duo)
    assert not dash_duo.find_element("#insp-site").get_attribute("value")
    click(dash_duo, "#insp-near")
    WebDriverWait(dash_duo.driver, WAIT).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#insp-site").get_attribute("value")
        == f"{code} {name} · 侯寨乡 · 10 米", "the site stood at was not chosen")
    dash_duo.wait_for_contains_text("#insp-near-message", "已选中最近的工地", timeout=WAIT)
    # The choice brings its own notes, as a choice by hand does.
    dash_duo.wait_for_element("#insp-site-hint", timeout=WAIT)
    # The options are nearest first, with their distance, and only the inspector's township's.
    click(dash_duo, "#insp-site")
    WebDriverWait(dash_duo.driver, WAIT).until(
        lambda d: any(o.is_displayed() for o in d.find_elements(By.CSS_SELECTOR, "[role='option']")), "no options")
    labels = [o.text for o in dash_duo.find_elements("[role='option']") if o.is_displayed()]
    assert labels[0].startswith(f"{code} {name}")
    assert all("侯寨乡" in label and ("米" in label or "公里" in label) for label in labels), labels
    assert overflow(dash_duo) is None
    no_console_errors(dash_duo)


def test_with_location_refused_the_list_stays_and_says_why(browser_ready, dash_duo, demo_app, demo_settings):
    _site_id, _code, _name, lon, lat = _lonely_houzhai_site(demo_settings)
    start(dash_duo, demo_app)
    as_phone(dash_duo, 390, 844)
    _stand_at(dash_duo, lon, lat, "denied")
    login(dash_duo, "inspector")
    dash_duo.driver.get(dash_duo.server_url + "/sites")
    settled(dash_duo)
    usual = _card_names(dash_duo)
    click(dash_duo, "#sites-near")
    dash_duo.wait_for_contains_text("#sites-near-message", "未获准使用位置", timeout=WAIT)
    assert _card_names(dash_duo) == usual
    assert not dash_duo.find_elements("#sites-cards .site-card-distance")
    # The button can be tapped again once allowed (it does not stay spinning).
    assert dash_duo.find_element("#sites-near").get_attribute("data-loading") in (None, "false")
    assert overflow(dash_duo) is None
    no_console_errors(dash_duo)


def test_on_a_desktop_the_grid_is_ordered_and_shows_the_distance(browser_ready, dash_duo, demo_app, demo_settings):
    _site_id, _code, name, lon, lat = _lonely_houzhai_site(demo_settings)
    start(dash_duo, demo_app)
    _stand_at(dash_duo, lon, lat, "granted")
    login(dash_duo, "editor")
    dash_duo.driver.get(dash_duo.server_url + "/sites")
    dash_duo.wait_for_contains_text("#sites-grid", "工地名称", timeout=WAIT)
    assert "距离" not in dash_duo.find_element("#sites-grid .ag-header").text
    click(dash_duo, "#sites-near")
    dash_duo.wait_for_contains_text("#sites-grid .ag-header", "距离", timeout=WAIT)
    first = "#sites-grid .ag-center-cols-container .ag-row[row-index='0']"
    dash_duo.wait_for_contains_text(first, "10 米", timeout=WAIT)
    pinned = "#sites-grid .ag-pinned-left-cols-container .ag-row[row-index='0']"
    dash_duo.wait_for_contains_text(pinned, name, timeout=WAIT)
    no_console_errors(dash_duo)
