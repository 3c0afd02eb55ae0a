"""The admin page's district and stations tabs in a real browser, each on its own copy of the demo
district (they change what every other page shows): add and retire a township; tick a station
into the district's group, see the figure it gives, save."""

from __future__ import annotations

import pytest
from selenium.webdriver import ActionChains
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from dashboard.store.db import session_scope
from dashboard.store.models import Station, Township
from tests.browser.helpers import WAIT, choose, click, no_console_errors, type_text
from tests.conftest import login, make_settings, start
from tests.integration.inspection_db import copy_demo

pytestmark = pytest.mark.browser


@pytest.fixture
def private_demo(browser_ready, tmp_path_factory, tmp_path):
    """An app on a private copy of the demo district (with one user per role)."""
    from dashboard.app import create_app

    copies = copy_demo(tmp_path_factory, tmp_path)
    settings = make_settings(tmp_path, database_url=next(copies))
    yield create_app(settings), settings
    next(copies, None)


# The map's trace holding a station, and the station's point in it (the markers carry codes).
_TRACE_OF = """const gd = document.querySelector('#adm-s-map .js-plotly-plot');
return gd && gd.data ? gd.data.findIndex(t => (t.customdata || []).includes(arguments[0])) : null;"""
_POINT_OF = """const gd = document.querySelector('#adm-s-map .js-plotly-plot');
return gd.data[arguments[0]].customdata.indexOf(arguments[1]);"""


def _click_in_grid(duo, selector: str) -> None:
    """Click a cell once it is in the middle of the window: the shell's fixed header would take a
    click on a row that scrolling left at the top."""
    cell = duo.wait_for_element(selector, timeout=WAIT)
    duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
    click(duo, selector)


def test_an_admin_adds_a_township_and_retires_it(private_demo, dash_duo):
    app, settings = private_demo
    start(dash_duo, app)
    login(dash_duo, "admin")
    dash_duo.driver.get(dash_duo.server_url + "/admin?tab=district")
    dash_duo.wait_for_contains_text("#adm-d-townships-grid", "侯寨乡", timeout=WAIT)

    type_text(dash_duo, dash_duo.find_element("#adm-d-town-name"), "樱桃沟新区管委会")
    type_text(dash_duo, dash_duo.find_element("#adm-d-town-name-en"), "Yingtaogou New Area")
    choose(dash_duo, dash_duo.find_element("#adm-d-town-kind"), "管委会", exact=True, searchable=False)
    type_text(dash_duo, dash_duo.find_element("#adm-d-town-position"), "1")
    click(dash_duo, "#adm-d-town-save")
    dash_duo.wait_for_contains_text("#adm-d-town-saved", "樱桃沟新区管委会", timeout=WAIT)
    # First in the list, where it was put, with a generated code.
    dash_duo.wait_for_contains_text("#adm-d-townships-grid .ag-row[row-index='0']", "t001", timeout=WAIT)

    with session_scope(settings.database_url) as session:
        township = session.scalar(select(Township).where(Township.code == "t001"))
        township_id = township.id
        assert (township.name_en, township.kind, township.position) == ("Yingtaogou New Area", "zone", 1)
    _click_in_grid(dash_duo, f"#adm-d-townships-grid .ag-center-cols-container .ag-row[row-id='{township_id}'] "
                             "[col-id='name']")
    dash_duo.wait_for_contains_text("#adm-d-town-form-title", "修改 樱桃沟新区管委会", timeout=WAIT)
    click(dash_duo, "#adm-d-town-retire")
    dash_duo.wait_for_contains_text("#adm-d-town-action-done", "已撤销", timeout=WAIT)
    dash_duo.wait_for_text_to_equal("#adm-d-town-retire", "恢复", timeout=WAIT)
    with session_scope(settings.database_url) as session:
        assert session.get(Township, township_id).active is False
    no_console_errors(dash_duo)


def test_an_admin_ticks_a_station_into_the_group_and_saves(private_demo, dash_duo):
    app, settings = private_demo
    start(dash_duo, app)
    login(dash_duo, "admin")
    dash_duo.driver.get(dash_duo.server_url + "/admin?tab=stations")
    dash_duo.wait_for_contains_text("#adm-s-group", "市监测站（1322A）、河医大（1323A）", timeout=WAIT)
    dash_duo.wait_for_contains_text("#adm-s-figure", "全区AQI为", timeout=WAIT)

    type_text(dash_duo, dash_duo.find_element("#adm-s-search"), "烟厂")
    # The checkbox itself is transparent; its wrapper draws the box and takes the click.
    _click_in_grid(dash_duo, ".ag-pinned-left-cols-container .ag-row[row-id='1316A'] [col-id='in_district'] "
                             ".ag-checkbox-input-wrapper")
    dash_duo.wait_for_contains_text("#adm-s-group", "烟厂（1316A）", timeout=WAIT)
    dash_duo.wait_for_contains_text("#adm-s-unsaved", "尚未保存", timeout=WAIT)

    # On the map, once it shows 1316A in the group: a click on 郑纺机 adds it too.
    WebDriverWait(dash_duo.driver, WAIT).until(lambda d: d.execute_script(_TRACE_OF, "1316A") == 0)
    trace = dash_duo.driver.execute_script(_TRACE_OF, "1317A")
    index = dash_duo.driver.execute_script(_POINT_OF, trace, "1317A")
    point = dash_duo.find_elements(f"#adm-s-map .scatterlayer .trace:nth-of-type({trace + 1}) .points path")[index]
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", point)
    ActionChains(dash_duo.driver).move_to_element(point).click().perform()
    dash_duo.wait_for_contains_text("#adm-s-group", "郑纺机（1317A）", timeout=WAIT)

    click(dash_duo, "#adm-s-save")
    dash_duo.wait_for_contains_text("#adm-s-saved", "区站组 4 个站点（新加入 2 个", timeout=WAIT)
    with session_scope(settings.database_url) as session:
        group = sorted(session.scalars(select(Station.code).where(Station.in_district)))
    assert group == ["1316A", "1317A", "1322A", "1323A"]

    # The home page's district AQI is now the group's.
    dash_duo.driver.get(dash_duo.server_url + "/")
    dash_duo.wait_for_element("#kpi-district-aqi", timeout=WAIT)
    assert dash_duo.find_element("#kpi-district-aqi").text.isdigit()
    no_console_errors(dash_duo)


def test_an_admin_sets_a_townships_stations_and_recomputes(private_demo, dash_duo):
    from dashboard.store.models import TownshipStation
    from dashboard.store.overview import township_id_by_name

    app, settings = private_demo
    with session_scope(settings.database_url) as session:
        houzhai = township_id_by_name(session, "侯寨乡")
    start(dash_duo, app)
    login(dash_duo, "admin")
    dash_duo.driver.get(dash_duo.server_url + "/admin?tab=stations")
    row = f"#adm-ts-grid .ag-center-cols-container .ag-row[row-id='{houzhai}']"
    dash_duo.wait_for_contains_text(f"{row} [col-id='stations']", "市监测站（1322A）", timeout=WAIT)
    dash_duo.wait_for_contains_text(f"{row} [col-id='source']", "计算（实时）", timeout=WAIT)

    _click_in_grid(dash_duo, f"{row} [col-id='stations']")
    dash_duo.wait_for_contains_text("#adm-ts-form-title", "侯寨乡 的代表站点", timeout=WAIT)
    choose(dash_duo, dash_duo.find_element("#adm-ts-stations"), "河医大（1323A）")
    click(dash_duo, "#adm-ts-save")
    dash_duo.wait_for_contains_text("#adm-ts-saved", "市监测站（1322A）、河医大（1323A）", timeout=WAIT)
    dash_duo.wait_for_contains_text(f"{row} [col-id='source']", "管理员设定", timeout=WAIT)

    click(dash_duo, "#adm-ts-recompute")
    dash_duo.wait_for_contains_text("#adm-ts-recomputed", "1 个乡镇保留管理员设定", timeout=WAIT)
    with session_scope(settings.database_url) as session:
        stored = sorted(session.execute(select(TownshipStation.station_code, TownshipStation.source)
                                        .where(TownshipStation.township_id == houzhai)).all())
    assert stored == [("1322A", "admin"), ("1323A", "admin")]
    no_console_errors(dash_duo)
