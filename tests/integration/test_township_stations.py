"""Which stations speak for each township, on a private copy of the demo district: computed on
the fly until stored, stored by a recompute, set by an admin (kept by every recompute until
reset), audited, refused for everyone but admins, and never overwriting a change the page did
not show."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dashboard.analytics import reading
from dashboard.analytics import township_air as analytics
from dashboard.domain.errors import CodedError
from dashboard.i18n import t
from dashboard.services import township_stations as service
from dashboard.services.access import Actor, Forbidden
from dashboard.store.db import session_scope
from dashboard.store.models import AuditEntry, Site, TownshipStation
from dashboard.store.overview import township_id_by_name
from tests.conftest import TEST_PASSWORDS
from tests.dash_http import call, log_in, text_of
from tests.integration.test_callback_faults import table_hash

ADMIN = Actor(None, "admin", name="test admin")


def _ids(settings) -> dict[str, int]:
    with session_scope(settings.database_url) as session:
        return {name: township_id_by_name(session, name) for name in ("侯寨乡", "淮河路街道", "德化街街道")}


def _row(settings, township_id: int) -> analytics.TownshipStations:
    with reading(settings.database_url) as session:
        table, _infos = analytics.assignment_table(session)
    return next(r for r in table if r.township_id == township_id)


def _stored(settings) -> dict[int, list[tuple[str, str]]]:
    with session_scope(settings.database_url) as session:
        rows = session.execute(select(TownshipStation.township_id, TownshipStation.station_code,
                                      TownshipStation.source).order_by(TownshipStation.township_id,
                                                                        TownshipStation.station_code)).all()
    out: dict[int, list[tuple[str, str]]] = {}
    for tid, code, source in rows:
        out.setdefault(tid, []).append((code, source))
    return out


def _audits(settings) -> list[AuditEntry]:
    with session_scope(settings.database_url) as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.entity == "township_stations")
                                    .order_by(AuditEntry.id)))


def test_a_fresh_district_has_computed_stations_without_any_action(demo):
    _app, settings = demo
    ids = _ids(settings)
    with reading(settings.database_url) as session:
        assignment = analytics.station_assignment(session)
    assert _stored(settings) == {}
    # All 18 townships have active sites with coordinates; the southern ones are nearest 1322A.
    assert len(assignment) == 18 and assignment[ids["侯寨乡"]] == ["1322A"]
    assert set(code for codes in assignment.values() for code in codes) <= {"1316A", "1317A", "1322A", "1323A"}
    row = _row(settings, ids["侯寨乡"])
    assert (row.source, row.located_sites, row.reason) == ("live", 20, None)
    assert 5 < row.distances["1322A"] < 15


def test_recompute_stores_and_an_admins_choice_survives_it_until_reset(demo):
    _app, settings = demo
    ids = _ids(settings)
    houzhai = ids["侯寨乡"]
    result = service.recompute_township_stations(settings, ADMIN)
    assert len(result["changed"]) == 18 and result["kept"] == []
    assert _stored(settings)[houzhai] == [("1322A", "computed")]
    assert service.recompute_township_stations(settings, ADMIN)["changed"] == []  # nothing moved: nothing written
    assert len(_audits(settings)) == 1

    token = _row(settings, houzhai).token
    assert service.set_township_stations(settings, ADMIN, houzhai, ["1323A", "1322A"], seen=token) == \
        ["1322A", "1323A"]
    entry = _audits(settings)[-1]
    assert (entry.action, entry.entity_id) == ("update", str(houzhai))
    assert entry.detail == {"before": {"stations": ["1322A"], "source": "computed"},
                            "after": {"stations": ["1322A", "1323A"], "source": "admin"}}

    # Sites move: the rule now says otherwise, but the admin's choice stays.
    with session_scope(settings.database_url) as session:
        for site in session.scalars(select(Site).where(Site.township_id == houzhai)):
            site.longitude, site.latitude = 113.74, 34.775  # beside 1321A
    assert _row(settings, houzhai).computed == ("1321A",)
    result = service.recompute_township_stations(settings, ADMIN)
    assert houzhai in result["kept"] and houzhai not in result["changed"]
    assert _stored(settings)[houzhai] == [("1322A", "admin"), ("1323A", "admin")]
    with reading(settings.database_url) as session:
        assert analytics.station_assignment(session)[houzhai] == ["1322A", "1323A"]

    # Reset: back to the rule, stored as computed, and recomputes follow it again.
    assert service.reset_township_stations(settings, ADMIN, houzhai, seen=_row(settings, houzhai).token) == ["1321A"]
    assert _stored(settings)[houzhai] == [("1321A", "computed")]
    assert _audits(settings)[-1].detail["after"] == {"stations": ["1321A"], "source": "computed"}


def test_a_township_without_located_active_sites_has_no_station(demo):
    _app, settings = demo
    dehua = _ids(settings)["德化街街道"]
    with session_scope(settings.database_url) as session:
        for site in session.scalars(select(Site).where(Site.township_id == dehua)):
            site.status = "completed"
    row = _row(settings, dehua)
    assert (row.stations, row.source, row.reason) == ((), "none", "no_sites")
    with reading(settings.database_url) as session:
        assert dehua not in analytics.station_assignment(session)
    assert dehua not in service.recompute_township_stations(settings, ADMIN)["changed"]


def test_only_admins_write_and_bad_choices_are_refused_whole(demo):
    _app, settings = demo
    houzhai = _ids(settings)["侯寨乡"]
    token = _row(settings, houzhai).token
    before = table_hash(settings.database_url)
    for role in ("viewer", "inspector", "editor"):
        actor = Actor(None, role)
        with pytest.raises(Forbidden):
            service.recompute_township_stations(settings, actor)
        with pytest.raises(Forbidden):
            service.set_township_stations(settings, actor, houzhai, ["1322A"], seen=token)
        with pytest.raises(Forbidden):
            service.reset_township_stations(settings, actor, houzhai, seen=token)
    for codes, said in ((["9999Z"], "有 1 个站点不存在：9999Z"), (["1324A"], "对照点不能作为"), ([], "至少选择一个"),
                        ("1322A", "格式")):
        with pytest.raises(service.InvalidDistrict) as refused:
            service.set_township_stations(settings, ADMIN, houzhai, codes, seen=token)
        assert said in " ".join(t(i.key, "zh", **i.params) for i in refused.value.issues), codes
    for township_id in (10**6, "1", None):
        with pytest.raises(service.NotFound):
            service.set_township_stations(settings, ADMIN, township_id, ["1322A"], seen=token)
    assert table_hash(settings.database_url) == before and _audits(settings) == []


def test_a_save_over_a_change_the_page_did_not_show_is_refused(demo):
    _app, settings = demo
    houzhai = _ids(settings)["侯寨乡"]
    seen = _row(settings, houzhai).token  # two admins open the page: nothing stored yet
    service.set_township_stations(settings, ADMIN, houzhai, ["1316A"], seen=seen)
    before = table_hash(settings.database_url)
    with pytest.raises(service.AssignmentConflict) as conflict:
        service.set_township_stations(settings, ADMIN, houzhai, ["1317A"], seen=seen)
    assert conflict.value.details["current"] == ["1316A"] and conflict.value.details["source"] == "admin"
    with pytest.raises(service.AssignmentConflict):
        service.reset_township_stations(settings, ADMIN, houzhai, seen=seen)
    for missing in (None, "", 5):
        with pytest.raises(CodedError, match="version_missing"):
            service.set_township_stations(settings, ADMIN, houzhai, ["1317A"], seen=missing)
    assert table_hash(settings.database_url) == before
    # A recompute in between counts as a change too (it can only touch townships no admin set).
    other = _ids(settings)["淮河路街道"]
    stale = _row(settings, other).token
    service.recompute_township_stations(settings, ADMIN)
    with pytest.raises(service.AssignmentConflict):
        service.set_township_stations(settings, ADMIN, other, ["1316A"], seen=stale)


def test_the_section_saves_for_an_admin_and_refuses_others_through_the_endpoint(demo):
    app, settings = demo
    houzhai = _ids(settings)["侯寨乡"]
    token = _row(settings, houzhai).token
    selected = {"id": houzhai, "token": token, "name": "侯寨乡"}
    save = {"adm-ts-save.n_clicks": 1, "adm-ts-selected.data": selected, "adm-ts-stations.value": ["1323A"]}
    clients = {}
    for role in ("viewer", "editor"):
        clients[role] = app.server.test_client()
        log_in(clients[role], role, TEST_PASSWORDS[role])
    before = table_hash(settings.database_url)  # after logging in, which records the login
    for role, client in clients.items():
        assert "权限" in text_of(call(client, app, "adm-ts-message.children", save)), role
        assert "权限" in text_of(call(client, app, "adm-ts-recompute-message.children",
                                      {"adm-ts-recompute.n_clicks": 1})), role
    assert table_hash(settings.database_url) == before

    admin = app.server.test_client()
    log_in(admin, "admin", TEST_PASSWORDS["admin"])
    loaded = call(admin, app, "adm-ts-form-title.children", {"adm-ts-grid.selectedRows": [{"id": str(houzhai)}]})
    form = loaded.get_json()["response"]
    assert form["adm-ts-form-title"]["children"] == "侯寨乡 的代表站点"
    options = [o["value"] for o in form["adm-ts-stations"]["data"]]
    assert options[0] == "1322A" and "1324A" not in options  # nearest first, no background station
    assert form["adm-ts-selected"]["data"]["token"] == token

    saved = call(admin, app, "adm-ts-message.children", save)
    assert "已保存：侯寨乡 的代表站点为 河医大（1323A）" in text_of(saved)
    grid = saved.get_json()["response"]["adm-ts-grid"]["rowData"]
    row = next(r for r in grid if r["id"] == str(houzhai))
    assert (row["codes"], row["source"]) == (["1323A"], "管理员设定")
    assert "按坐标计算为：市监测站（1322A）" in row["note"]
    again = call(admin, app, "adm-ts-message.children", save | {"adm-ts-stations.value": ["1316A"]})
    assert "未保存：在您打开后" in text_of(again)  # the old fingerprint: refused, not overwritten
    assert _stored(settings)[houzhai] == [("1323A", "admin")]
    unknown = call(admin, app, "adm-ts-message.children",
                   save | {"adm-ts-selected.data": saved.get_json()["response"]["adm-ts-selected"]["data"],
                           "adm-ts-stations.value": ["9999Z"]})
    assert "站点不存在：9999Z" in text_of(unknown)
    recomputed = call(admin, app, "adm-ts-recompute-message.children", {"adm-ts-recompute.n_clicks": 1})
    assert "17 个乡镇的站点已更新，1 个乡镇保留管理员设定" in text_of(recomputed)
