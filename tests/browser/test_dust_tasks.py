"""An inspector on a phone (390 × 844) finds the dust check due in their township on the home
page, and 巡查此工地 opens the inspection form with that site chosen."""

from __future__ import annotations

import datetime as dt

import pytest
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from dashboard.domain import hj212
from dashboard.services import site_dust
from dashboard.services.access import Actor
from dashboard.store.db import session_scope
from dashboard.store.models import Site, Township
from tests.browser.helpers import WAIT, click, no_console_errors
from tests.browser.test_phone import as_phone, overflow, settled
from tests.conftest import login, make_settings, start
from tests.integration.inspection_db import copy_demo

pytestmark = pytest.mark.browser

MN, PW = "410103DUST00000000000088", "654321"
DAY = dt.datetime(2025, 12, 11, tzinfo=hj212.BEIJING)


def _hour(hour: int, pm10: float) -> hj212.Frame:
    start = DAY + dt.timedelta(hours=hour)
    cp = f"DataTime={hj212.format_data_time(start)};a34002-Avg={pm10:.1f},a34002-Flag=N"
    return hj212.parse_frame(hj212.encode_frame(hj212.build_segment(qn=None, st="22", cn=2061, pw=PW, mn=MN,
                                                                    flag=4, cp=cp)))


def test_the_inspector_sees_the_task_on_a_phone_and_its_link_opens_the_form(browser_ready, dash_duo,
                                                                           tmp_path_factory, tmp_path):
    from dashboard.app import create_app

    url = next(copy_demo(tmp_path_factory, tmp_path))
    settings = make_settings(tmp_path, database_url=url)
    with session_scope(url) as session:
        code, site_id = session.execute(select(Site.code, Site.id).join(Township).where(
            Township.name == "侯寨乡", Site.status == "active").order_by(Site.id)).first()
    site_dust.add_monitor(settings, Actor.system(), MN, code, PW)
    site_dust.receive_frames(settings, site_dust.receiver_actor(), [_hour(8, 236.0), _hour(9, 190.0)],
                             site_dust.MonitorDirectory(settings))

    start(dash_duo, create_app(settings))
    as_phone(dash_duo, 390, 844)
    login(dash_duo, "inspector")
    settled(dash_duo)
    panel = dash_duo.wait_for_element("#home-dust-tasks", timeout=WAIT)
    assert "PM10 小时值 236 µg/m³，连续 2 小时超过 150" in panel.text
    assert overflow(dash_duo) is None
    click(dash_duo, ".dust-task-inspect")
    WebDriverWait(dash_duo.driver, WAIT).until(
        lambda d: d.find_elements("css selector", "#insp-site")
        and code in d.find_element("css selector", "#insp-site").get_attribute("value"), "the site is not chosen")
    assert dash_duo.driver.current_url.endswith(f"/inspections/new?site={site_id}")
    assert overflow(dash_duo) is None
    no_console_errors(dash_duo)
