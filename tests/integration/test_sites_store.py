"""The site registry against a real SQLite database: create / edit through the service with the
conflict check and the audit, upserts, plate rules from app_settings and ``refresh_plate``; the
sites page's upload callback refuses a viewer on the server side."""

from __future__ import annotations

import base64
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from dashboard.domain.compliance import PlateRules
from dashboard.domain.sites import validate_site
from dashboard.services import sites as service
from dashboard.services.access import Actor, Forbidden
from dashboard.store import sites as store
from dashboard.store.db import session_scope, upgrade
from dashboard.store.models import (
    AuditEntry,
    ChecklistItem,
    ChecklistVersion,
    Inspection,
    InspectionResult,
    PlateChange,
    Rectification,
    Site,
    Township,
)

BJ = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2025, 12, 11)
ITEMS = ("hoarding", "cover", "wet_ops")


@pytest.fixture
def url(sqlite_url):
    upgrade(sqlite_url)
    with session_scope(sqlite_url) as session:
        session.add_all([Township(id=1, code="houzhai", name="侯寨乡", kind="township", position=1),
                         Township(id=2, code="mazhai", name="马寨镇", kind="town", position=2)])
        version = ChecklistVersion(code="test-3", name="3个100%", valid_from=dt.date(2018, 1, 1))
        session.add(version)
        session.flush()
        session.add_all([ChecklistItem(version_id=version.id, key=k, position=i, label=k)
                         for i, k in enumerate(ITEMS, start=1)])
    return sqlite_url


EDITOR = Actor(user_id=None, role="editor", name="test editor")


def _values(**changes):
    return {"code": "GD-0001", "name": "侯寨安置房项目", "address": "侯寨乡", "township_id": 1,
            "builder_unit": "", "contractor_unit": "", "site_type": "housing", "area_m2": 5000,
            "longitude": 113.58, "latitude": 34.66, "coord_system": "WGS84", "status": "active",
            "started_on": "2025-03-01"} | changes


def _settings(url, tmp_path):
    from tests.conftest import make_settings

    return make_settings(tmp_path, database_url=url)


def _clean(**changes):
    values = {"code": "GD-0001", "name": "侯寨安置房项目", "address": "侯寨乡", "township_id": 1,
              "builder_unit": "", "contractor_unit": "", "site_type": "housing", "area_m2": 5000,
              "longitude": 113.58, "latitude": 34.66, "coord_system": "WGS84", "status": "active",
              "started_on": "2025-03-01"} | changes
    clean, issues = validate_site(values, township_ids={1, 2})
    assert issues == []
    return clean


def _site(url, **changes) -> int:
    with session_scope(url) as session:
        return store.create_site(session, _clean(**changes)).id


def _inspect(url, site_id, day, results, working=False):
    """A submitted inspection on ``day`` 10:00 Beijing with ``results`` per item key."""
    with session_scope(url) as session:
        items = {i.key: i.id for i in session.scalars(select(ChecklistItem))}
        inspection = Inspection(site_id=site_id, checklist_version_id=1, status="submitted",
                                inspected_at=dt.datetime.combine(day, dt.time(10), BJ),
                                working_during_stop=working)
        inspection.results = [InspectionResult(item_id=items[k], result=r) for k, r in results.items()]
        session.add(inspection)
        session.flush()
        return inspection


# --------------------------------------------------------------------------- create / edit
def _edit(settings, site_id, actor=EDITOR, loaded=None, version=None, started=None, **changes):
    if loaded is None:
        with session_scope(settings.database_url) as session:
            loaded, version = analytics_site(session, site_id)
    target = {"id": site_id, "version": version, "loaded": _json(loaded), "started_from": _json(started or loaded)}
    return service.save_site(settings, actor, _values(**changes), target)


def analytics_site(session, site_id):
    from dashboard.analytics.sites import site_for_edit

    return site_for_edit(session, site_id)


def _json(values):
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in values.items()}


def test_create_audits_and_an_edit_on_the_current_version_saves(url, tmp_path):
    settings = _settings(url, tmp_path)
    created = service.save_site(settings, EDITOR, _values())
    assert created.created and created.name == "侯寨安置房项目"
    _edit(settings, created.id, address="侯寨乡罗沟村")
    with session_scope(url) as session:
        site = store.get_site(session, created.id)
        assert site.address == "侯寨乡罗沟村" and site.version == created.version + 1
        entries = session.scalars(select(AuditEntry).where(AuditEntry.entity == "site").order_by(AuditEntry.id)).all()
        assert [e.action for e in entries] == ["create", "update"]
        assert entries[1].detail["before"] == {"address": "侯寨乡"}
        assert entries[1].detail["after"] == {"address": "侯寨乡罗沟村"}


def test_only_editors_save_sites_and_an_edit_needs_its_version(url, tmp_path):
    settings = _settings(url, tmp_path)
    for role in (None, "viewer", "inspector"):
        with pytest.raises(Forbidden):
            service.save_site(settings, Actor(user_id=None, role=role), _values())
    site_id = service.save_site(settings, EDITOR, _values()).id
    with session_scope(url) as session:
        loaded, _version = analytics_site(session, site_id)
    for version in (None, "1", True):
        with pytest.raises(service.CodedError) as refused:
            _edit(settings, site_id, loaded=loaded, version=version, name="不该保存")
        assert refused.value.code == "version_missing"
    with session_scope(url) as session:
        assert store.get_site(session, site_id).name == "侯寨安置房项目"
        assert session.scalar(select(func.count()).select_from(Site)) == 1


def test_invalid_values_are_refused_with_the_field(url, tmp_path):
    settings = _settings(url, tmp_path)
    with pytest.raises(service.InvalidSite) as refused:
        service.save_site(settings, EDITOR, _values(area_m2="很大", township_id=99))
    assert {i.field for i in refused.value.issues} == {"area_m2", "township_id"}


def test_a_stale_edit_is_a_conflict_that_reports_the_other_change(url, tmp_path):
    settings = _settings(url, tmp_path)
    site_id = service.save_site(settings, EDITOR, _values()).id
    with session_scope(url) as session:
        loaded, version = analytics_site(session, site_id)
    # Someone else saves first.
    other = Actor(user_id=None, role="editor", name="other")
    _edit(settings, site_id, other, loaded=loaded, version=version, contractor_unit="河南远航路桥建设有限公司")
    with pytest.raises(service.SiteConflict) as caught:
        _edit(settings, site_id, loaded=loaded, version=version, address="我的地址")
    conflict = caught.value
    assert conflict.version == version + 1 and conflict.changed_by is not None
    assert store.changed_fields(loaded, conflict.current) == {"contractor_unit": ("", "河南远航路桥建设有限公司")}
    with session_scope(url) as session:
        assert store.get_site(session, site_id).address == "侯寨乡"  # nothing of the stale edit saved
    # Having seen the other change, the user saves again: their edit is written, the other
    # person's change to a field they did not touch is kept (the form still shows the old value).
    _edit(settings, site_id, loaded=conflict.current, version=conflict.version, started=loaded,
          address="我的地址")
    with session_scope(url) as session:
        site = store.get_site(session, site_id)
        assert (site.address, site.contractor_unit) == ("我的地址", "河南远航路桥建设有限公司")


def test_a_plate_change_in_between_is_not_a_conflict_for_the_form(url, tmp_path):
    settings = _settings(url, tmp_path)
    site_id = service.save_site(settings, EDITOR, _values()).id
    with session_scope(url) as session:
        loaded, version = analytics_site(session, site_id)
        store.get_site(session, site_id).plate = "yellow"  # e.g. refresh_plate after an inspection
    _edit(settings, site_id, loaded=loaded, version=version, name="新名称")
    with session_scope(url) as session:
        site = store.get_site(session, site_id)
        assert site.name == "新名称" and site.plate == "yellow"


def test_a_code_taken_meanwhile_is_reported_not_crashed(url):
    _site(url, code="GD-0007")
    with pytest.raises(store.DuplicateCode), session_scope(url) as session:
        store.create_site(session, _clean(code="GD-0007"))


def test_upsert_adds_updates_and_is_idempotent(url):
    _site(url, code="GD-0001")
    batch = [_clean(code="GD-0001", name="改名"), _clean(code="GD-0002")]
    with session_scope(url) as session:
        assert store.upsert_sites(session, batch) == {"added": ["GD-0002"], "updated": ["GD-0001"], "unchanged": []}
    with session_scope(url) as session:
        assert store.upsert_sites(session, batch) == {"added": [], "updated": [], "unchanged": ["GD-0001", "GD-0002"]}
        assert session.scalar(select(func.count()).select_from(Site)) == 2
        assert store.next_code(session) == "GD-0003"


# --------------------------------------------------------------------------- plates
def test_refresh_plate_writes_one_plate_change_per_change(url):
    site_id = _site(url)
    with session_scope(url) as session:
        assert service.refresh_plate(session, site_id, TODAY, BJ) == "green"
        assert session.scalar(select(func.count()).select_from(PlateChange)) == 0  # no change, no row

    _inspect(url, site_id, TODAY - dt.timedelta(days=2), {"hoarding": "fail", "cover": "fail", "wet_ops": "na"})
    with session_scope(url) as session:
        assert service.refresh_plate(session, site_id, TODAY, BJ) == "yellow"  # 2 failures
    with session_scope(url) as session:
        assert service.refresh_plate(session, site_id, TODAY, BJ) == "yellow"  # unchanged: no second row
        changes = session.scalars(select(PlateChange).where(PlateChange.site_id == site_id)).all()
        assert [(c.plate, c.reason) for c in changes] == [("yellow", "近28天督查发现问题2项")]
        assert changes[0].changed_at.astimezone(BJ).date() == TODAY
        assert store.get_site(session, site_id).plate == "yellow"

    _inspect(url, site_id, TODAY, {"hoarding": "pass", "cover": "pass"}, working=True)
    with session_scope(url) as session:
        assert service.refresh_plate(session, site_id, TODAY, BJ) == "red"
        reasons = session.scalars(select(PlateChange.reason).order_by(PlateChange.id)).all()
        assert len(reasons) == 2 and "违规施工" in reasons[-1]

    # 28 days later the record is clean again.
    later = TODAY + dt.timedelta(days=28)
    with session_scope(url) as session:
        assert service.refresh_plate(session, site_id, later, BJ) == "green"
        assert session.scalar(select(func.count()).select_from(PlateChange)) == 3


def test_open_and_overdue_rectifications_count(url):
    site_id = _site(url)
    inspection = _inspect(url, site_id, TODAY - dt.timedelta(days=10), {"cover": "fail"})
    with session_scope(url) as session:
        result_id = session.scalar(select(InspectionResult.id).where(InspectionResult.inspection_id == inspection.id))
        for deadline in (TODAY - dt.timedelta(days=7), TODAY - dt.timedelta(days=2)):
            session.add(Rectification(site_id=site_id, item_key="cover", opened_by_id=result_id,
                                      opened_at=dt.datetime.combine(TODAY - dt.timedelta(days=10), dt.time(10), BJ),
                                      deadline=deadline, status="open"))
    with session_scope(url) as session:
        decision = store.plate_decision(session, site_id, TODAY, BJ)
        assert decision.plate == "red"
        assert ("compliance.plate_reason.overdue", {"n": 2}) in decision.reasons


def test_plate_rules_come_from_app_settings(url):
    site_id = _site(url)
    _inspect(url, site_id, TODAY, {"hoarding": "fail", "cover": "fail"})
    with session_scope(url) as session:
        store.set_plate_rules(session, PlateRules(red_failures=2))
    with session_scope(url) as session:
        assert store.plate_rules(session).red_failures == 2
        assert service.refresh_plate(session, site_id, TODAY, BJ) == "red"


def test_a_suspended_site_keeps_its_plate(url):
    site_id = _site(url, status="suspended")
    _inspect(url, site_id, TODAY, {"hoarding": "fail", "cover": "fail"})
    with session_scope(url) as session:
        assert service.refresh_plate(session, site_id, TODAY, BJ) == "green"
        assert session.scalar(select(func.count()).select_from(PlateChange)) == 0


# --------------------------------------------------------------------------- role check in the callback
def test_a_viewer_cannot_upload_sites_even_by_calling_the_callback(demo_settings, demo_app, client):
    from dashboard.ingest.sites_excel import template_bytes
    from tests.conftest import TEST_PASSWORDS
    from tests.dash_http import call, log_in, text_of

    log_in(client, "viewer", TEST_PASSWORDS["viewer"])
    contents = "data:application/vnd.openxmlformats;base64," + base64.b64encode(template_bytes()).decode()
    response = call(client, demo_app, "sites-upload-result.children",
                    {"sites-upload.contents": contents, "sites-upload.filename": "sites.xlsx", "sites-refresh.data": 0})
    assert response.status_code == 200
    assert "没有这项操作的权限" in text_of(response)
    with session_scope(demo_settings.database_url) as session:
        assert session.scalar(select(func.count()).select_from(Site).where(Site.code == "GD-0901")) == 0
