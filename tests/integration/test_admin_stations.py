"""The admin page's stations tab on real CNEMC data: the station group chosen there is what the
home page's district AQI and the air page's district series are computed from, at once; a
station list imported again keeps the admin's background choice; only admins may choose."""

from __future__ import annotations

import datetime as dt
import time

import pandas as pd
import pytest
from sqlalchemy import select

from dashboard.analytics import district as analytics
from dashboard.analytics import reading
from dashboard.analytics.air import DISTRICT, load_air_data
from dashboard.analytics.overview import build_overview
from dashboard.i18n import t
from dashboard.services import district as service
from dashboard.services.access import Actor, Forbidden
from dashboard.store.db import session_scope
from dashboard.store.models import AuditEntry, Station
from dashboard.store.users import upsert_user
from tests.conftest import make_settings, shared_data
from tests.dash_http import call, log_in, text_of
from tests.integration.test_callback_faults import table_hash
from tests.integration.test_ingest_cnemc import cli

ADMIN = Actor(None, "admin")
DAYS = ("20250110", "20250111")
LIST_2022 = "站点列表-2022.02.13起.csv"


@pytest.fixture(scope="module")
def zhengzhou(tmp_path_factory):
    """Two real days of Zhengzhou's twelve stations and the national 2022 station list, imported
    through the CLI; one user per role."""
    files = [shared_data("cnemc", "zhengzhou_wide_2025", f"china_sites_{day}.csv") for day in DAYS]
    station_list = shared_data("cnemc", "station_lists", LIST_2022)
    folder = tmp_path_factory.mktemp("stations")
    settings = make_settings(folder)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", settings.database_url)
        mp.setenv("DASHBOARD_DATA_DIR", str(folder / "data"))
        mp.setenv("SECRET_KEY", "test")
        assert cli("import", "cnemc", *files).exit_code == 0
        assert cli("import", "stations", station_list).exit_code == 0
    with session_scope(settings.database_url) as session:
        for role in ("admin", "viewer", "inspector", "editor"):
            upsert_user(session, role, f"{role}-pass-1", role)
    return settings, station_list


@pytest.fixture
def fresh(zhengzhou):
    """The module's database with no station group, as after the imports."""
    settings, _list = zhengzhou
    service.set_station_group(settings, ADMIN, district=[], background=["1324A"])
    return settings


def _published(code: str, day: str) -> pd.Series:
    """The platform's own hourly AQI of one station on one day, from the file, by hour label."""
    path = shared_data("cnemc", "zhengzhou_wide_2025", f"china_sites_{day}.csv")
    frame = pd.read_csv(path, dtype={"date": str})
    rows = frame[frame["type"] == "AQI"]
    return pd.Series(rows[code].to_numpy(), index=rows["hour"].to_numpy())


def test_the_group_is_what_the_home_page_and_the_air_page_compute_from(fresh):
    settings = fresh
    url = settings.database_url
    first, last = dt.date(2025, 1, 10), dt.date(2025, 1, 11)
    with reading(url) as session:
        assert build_overview(session, settings.tz).district_aqi is None  # nothing says what the district is
    before = load_air_data(url, first, last)
    assert before.district_fallback and "1316A" in before.district_codes and "1324A" not in before.district_codes

    # One station: the district's hourly AQI is that station's, as the platform published it.
    service.set_station_group(settings, ADMIN, district=["1316A"], background=["1324A"])
    with reading(url) as session:
        home = build_overview(session, settings.tz).district_aqi
        figure = analytics.group_figure(session, ["1316A"])
    published = _published("1316A", "20250111")
    latest = pd.Timestamp(home["time"]).tz_convert("Asia/Shanghai")
    assert latest.date() == last and int(home["aqi"]) == int(published[latest.hour]) == figure.aqi
    after = load_air_data(url, first, last)  # same process, same months: the cache must notice
    assert (after.district_fallback, after.district_codes) == (False, ("1316A",))
    hourly = after.hourly_view
    district = hourly[hourly["series"] == DISTRICT].set_index("time")["aqi"]
    station = hourly[hourly["series"] == "1316A"].set_index("time")["aqi"]
    assert len(district) > 40 and district.equals(station.loc[district.index])

    # Two stations: the AQI of their mean concentrations (rounded as published), not a mean of AQIs.
    service.set_station_group(settings, ADMIN, district=["1322A", "1323A"], background=["1324A"])
    with reading(url) as session:
        home = build_overview(session, settings.tz).district_aqi
        assert analytics.group_figure(session, ["1322A", "1323A"]).aqi == int(home["aqi"])
    assert load_air_data(url, first, last).district_codes == ("1322A", "1323A")
    with session_scope(url) as session:
        assert sorted(session.scalars(select(Station.code).where(Station.in_district))) == ["1322A", "1323A"]
        entry = session.scalars(select(AuditEntry).where(AuditEntry.entity == "station_group")
                                .order_by(AuditEntry.id.desc())).first()
    assert entry.detail["before"]["district"] == ["1316A"] and entry.detail["after"]["district"] == ["1322A", "1323A"]


def test_choices_are_checked_and_refused_whole(fresh):
    settings = fresh
    before = table_hash(settings.database_url)
    for district, background, said in ((["9999Z"], [], "不存在"), (["1316A", "1324A"], ["1324A"], "对照点"),
                                       ("1316A", [], "格式")):
        with pytest.raises(service.InvalidDistrict) as refused:
            service.set_station_group(settings, ADMIN, district=district, background=background)
        assert said in " ".join(t(i.key, "zh", **i.params) for i in refused.value.issues)
    for role in ("viewer", "inspector", "editor"):
        with pytest.raises(Forbidden):
            service.set_station_group(settings, Actor(None, role), district=["1316A"], background=[])
    assert table_hash(settings.database_url) == before


def test_importing_a_station_list_again_keeps_the_admins_background_choice(zhengzhou, monkeypatch):
    settings, station_list = zhengzhou
    # 1324A is a background site in the 2022 list; the admin says otherwise, and adds 1316A.
    service.set_station_group(settings, ADMIN, district=["1322A"], background=["1316A"])
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SECRET_KEY", "test")
    assert cli("import", "stations", station_list).exit_code == 0
    with session_scope(settings.database_url) as session:
        flags = dict(session.execute(select(Station.code, Station.is_background)
                                     .where(Station.code.in_(["1316A", "1324A"]))).all())
    assert flags == {"1316A": True, "1324A": False}
    service.set_station_group(settings, ADMIN, district=[], background=["1324A"])


def test_the_tab_saves_for_an_admin_and_refuses_everyone_else(fresh):
    from dashboard.app import create_app

    settings = fresh
    app = create_app(settings)
    admin = app.server.test_client()
    log_in(admin, "admin", "admin-pass-1")
    others = {}
    for role in ("viewer", "inspector", "editor"):
        others[role] = app.server.test_client()
        log_in(others[role], role, f"{role}-pass-1")
    rows = [{"code": "1316A", "in_district": True, "is_background": False},
            {"code": "1317A", "in_district": True, "is_background": False},
            {"code": "3590A", "in_district": False, "is_background": False},
            {"code": "1324A", "in_district": False, "is_background": True}]
    values = {"adm-s-save.n_clicks": 1, "adm-s-grid.rowData": rows}
    before = table_hash(settings.database_url)
    assert call(app.server.test_client(), app, "adm-s-message.children", values).status_code == 401
    for role, client in others.items():
        assert "没有这项操作的权限" in text_of(call(client, app, "adm-s-message.children", values)), role
    assert table_hash(settings.database_url) == before

    saved = call(admin, app, "adm-s-message.children", values)
    assert "区站组 2 个站点（新加入 2 个，移出 0 个）" in text_of(saved)
    grid = saved.get_json()["response"]["adm-s-grid"]["rowData"]
    assert [r["code"] for r in grid[:3]] == ["1316A", "1317A", "1318A"]  # the group first, then those with readings
    with session_scope(settings.database_url) as session:
        assert sorted(session.scalars(select(Station.code).where(Station.in_district))) == ["1316A", "1317A"]

    # The summary follows the ticks before saving: the figure, and a warning for a silent station.
    ticked = rows + [{"code": "1001A", "in_district": True, "is_background": False}]
    summary = text_of(call(admin, app, "adm-s-summary.children", {"adm-s-grid.rowData": ticked}))
    assert "全区数值将由这 3 个站点" in summary and "万寿西宫（1001A）" in summary
    assert "还没有任何监测数据" in summary and "尚未保存" in summary and "全区AQI为" in summary
    both = call(admin, app, "adm-s-message.children",
                {"adm-s-save.n_clicks": 2, "adm-s-grid.rowData": [rows[3] | {"in_district": True}]})
    assert "不能同时选入区站组" in text_of(both)

    # A click on the map puts a station in the group (or takes it out).
    clicked = call(admin, app, "adm-s-grid.rowTransaction",
                   {"adm-s-map.clickData": {"points": [{"customdata": "3590A"}]}, "adm-s-grid.rowData": rows})
    assert clicked.get_json()["response"]["adm-s-grid"]["rowTransaction"] == {
        "update": [rows[2] | {"in_district": True}]}


def test_the_tab_opens_quickly_with_a_national_station_list(fresh):
    from dashboard.app import create_app
    from tests.integration.test_page_states import page, values_on

    app = create_app(fresh)
    client = app.server.test_client()
    log_in(client, "admin", "admin-pass-1")
    start = time.perf_counter()
    values = values_on(page(client, "/admin"))
    took = time.perf_counter() - start
    rows = values["adm-s-grid.rowData"]
    assert len(rows) > 2000 and took < 10, took
    # Stations with readings come first: Zhengzhou's, but 1324A, offline in January 2025.
    assert {r["code"] for r in rows[:11]} == {"1316A", "1317A", "1318A", "1319A", "1320A", "1321A", "1322A",
                                              "1323A", "3471A", "3590A", "3591A"}
    latest = {r["code"]: (r["readings"], r["latest"]) for r in rows}
    assert latest["1316A"] == ("有", "2025-01-11 23:00") and latest["1001A"] == ("无", "")
    print(f"admin page with {len(rows)} stations in {took:.2f} s")
