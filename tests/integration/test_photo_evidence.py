"""Photo evidence end to end without a browser: an upload through the service keeps the photo's
EXIF facts once (the same photo again writes nothing), a refused upload writes nothing, and the
form shows each photo's time, distance and warnings under the limits an admin sets."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from dashboard.analytics.photos import photo_evidence
from dashboard.domain.inspection import ItemEntry
from dashboard.domain.photo_evidence import PhotoRules
from dashboard.domain.rules import InvalidRule
from dashboard.services import inspections as service
from dashboard.services import settings as settings_service
from dashboard.services.access import Actor, Forbidden
from dashboard.storage import photos
from dashboard.store import photos as photo_store
from dashboard.store.db import read_scope, session_scope
from dashboard.store.inspections import InspectionInput, checklist_for
from dashboard.store.models import AuditEntry, PhotoMeta, Site, User
from tests.conftest import TEST_PASSWORDS
from tests.dash_http import call, csrf_header, log_in, page_layout, text_of, texts
from tests.integration.test_callback_faults import table_hash
from tests.photo_files import photo

TZ = ZoneInfo("Asia/Shanghai")
INSPECTED = dt.datetime(2025, 12, 10, 10, 0, tzinfo=TZ)


def actor(settings, role: str) -> Actor:
    with session_scope(settings.database_url) as s:
        user = s.scalar(select(User).where(User.username == role))
        return Actor(user.id, user.role, user.township_id)


def site_at(settings) -> tuple[int, float, float]:
    """A site with a position: id, WGS-84 longitude, latitude."""
    with session_scope(settings.database_url) as s:
        site = s.scalar(select(Site).where(Site.longitude.is_not(None)).order_by(Site.id))
        return site.id, site.longitude, site.latitude


def upload_audits(settings) -> list[AuditEntry]:
    with session_scope(settings.database_url) as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.entity == "photo")))


def test_an_upload_keeps_the_photo_and_its_exif_once(demo):
    _app, settings = demo
    data = photo(800, 600, taken="2025:12:10 09:40:00", offset="+08:00", lat=34.7213, lon=113.6421)
    inspector, editor = actor(settings, "inspector"), actor(settings, "editor")

    digest = service.save_photo(settings, inspector, data)
    again = service.save_photo(settings, editor, data)  # someone else, the same photo
    assert again == digest

    with session_scope(settings.database_url) as s:
        rows = s.scalars(select(PhotoMeta)).all()
        assert [r.hash for r in rows] == [digest]
        (row,) = rows
        assert row.taken_at == dt.datetime(2025, 12, 10, 9, 40, tzinfo=TZ)
        assert row.taken_at.tzinfo is not None
        assert row.latitude == pytest.approx(34.7213, abs=1e-6)
        assert row.longitude == pytest.approx(113.6421, abs=1e-6)
        assert (row.width, row.height, row.bytes) == (800, 600, len(data))
        assert row.uploaded_by_id == inspector.user_id and row.uploaded_at is not None
    (entry,) = upload_audits(settings)
    assert (entry.action, entry.entity_id, entry.user_id) == ("upload", digest, inspector.user_id)
    assert photos.find_photo(settings.upload_dir, digest)[0].read_bytes() == data


def test_a_photo_without_exif_is_kept_with_empty_facts(demo):
    _app, settings = demo
    digest = service.save_photo(settings, actor(settings, "inspector"), photo(40, 30))
    with session_scope(settings.database_url) as s:
        row = s.get(PhotoMeta, digest)
        assert (row.taken_at, row.latitude, row.longitude, row.width, row.height) == (None, None, None, 40, 30)


def test_a_refused_upload_writes_nothing(demo):
    _app, settings = demo
    before = table_hash(settings.database_url)
    whole = photo(400, 300, taken="2025:12:10 09:40:00")
    with pytest.raises(photos.PhotoRejected, match="encoding"):
        service.save_photo(settings, actor(settings, "inspector"), whole[: len(whole) // 2])
    with pytest.raises(Forbidden):
        service.save_photo(settings, actor(settings, "viewer"), whole)
    assert table_hash(settings.database_url) == before
    assert upload_audits(settings) == []
    assert not (settings.upload_dir / "photos").exists()


def test_far_and_late_photos_are_flagged_against_the_stored_wgs84_position(demo):
    _app, settings = demo
    site_id, lon, lat = site_at(settings)
    inspector = actor(settings, "inspector")
    here = service.save_photo(settings, inspector, photo(taken="2025:12:10 09:30:00", lat=lat, lon=lon))
    far = service.save_photo(settings, inspector, photo(taken="2025:12:10 09:31:00", lat=lat + 0.05, lon=lon))
    old = service.save_photo(settings, inspector, photo(taken="2025:12:08 09:30:00", lat=lat, lon=lon))
    bare = service.save_photo(settings, inspector, photo(41, 31))
    with session_scope(settings.database_url) as s:
        # Entered in GCJ-02, stored as WGS-84: the stored position is compared as it is (a second
        # conversion would move this Zhengzhou site by ~500 m and flag the photo taken on it).
        s.get(Site, site_id).coord_system = "GCJ02"
    with read_scope(settings.database_url) as s:
        found = photo_evidence(s, [here, far, old, bare, "0" * 64], site_id, INSPECTED)
    assert set(found) == {here, far, old, bare}
    assert found[here].check.distance_m < 1 and not found[here].check.far and not found[here].check.off_time
    assert found[far].check.far and found[far].check.distance_m == pytest.approx(5560, rel=0.01)
    assert found[old].check.off_time and not found[old].check.far
    assert found[bare].check.no_location and found[bare].check.no_time
    assert not found[bare].check.far and not found[bare].check.off_time


def test_the_limits_are_an_audited_admin_setting(demo):
    _app, settings = demo
    site_id, lon, lat = site_at(settings)
    digest = service.save_photo(settings, actor(settings, "inspector"),
                                photo(taken="2025:12:10 09:30:00", lat=lat + 0.009, lon=lon))  # ~1 km north

    def flagged() -> bool:
        with read_scope(settings.database_url) as s:
            return photo_evidence(s, [digest], site_id, INSPECTED)[digest].check.far

    assert flagged()
    for role in ("viewer", "inspector", "editor"):
        with pytest.raises(Forbidden):
            settings_service.set_photo_rules(settings, actor(settings, role), {"max_distance_m": 2000, "max_hours": 24})
    with pytest.raises(InvalidRule):
        settings_service.set_photo_rules(settings, Actor.system(), {"max_distance_m": 5, "max_hours": 24})
    assert flagged()

    rules, changed = settings_service.set_photo_rules(settings, Actor.system(), {"max_distance_m": 2000,
                                                                                 "max_hours": "48"})
    assert (rules, changed) == (PhotoRules(2000, 48), True)
    assert not flagged()
    assert settings_service.set_photo_rules(settings, Actor.system(), rules.as_dict()) == (rules, False)
    with session_scope(settings.database_url) as s:
        (entry,) = s.scalars(select(AuditEntry).where(AuditEntry.entity_id == photo_store.RULES_KEY)).all()
        assert entry.detail == {"before": {"max_distance_m": 500, "max_hours": 24},
                                "after": {"max_distance_m": 2000, "max_hours": 48}}
        # A stored value that cannot be read counts as the defaults: a page never breaks.
        s.execute(photo_store.AppSetting.__table__.update()
                  .where(photo_store.AppSetting.key == photo_store.RULES_KEY).values(value="{oops"))
    with read_scope(settings.database_url) as s:
        assert photo_store.load_rules(s) == PhotoRules()


def test_the_rules_tab_saves_the_limits_for_admins_only(demo):
    app, settings = demo
    form = {"admin-rules-photos-save.n_clicks": 1, "admin-rules-max-distance-m.value": 800,
            "admin-rules-max-hours.value": 12}
    editor = app.server.test_client()
    log_in(editor, "editor", TEST_PASSWORDS["editor"])
    assert "没有这项操作的权限" in text_of(call(editor, app, "admin-rules-photos-message.children", form))
    admin = app.server.test_client()
    log_in(admin, "admin", TEST_PASSWORDS["admin"])
    refused = call(admin, app, "admin-rules-photos-message.children", form | {"admin-rules-max-hours.value": 0})
    assert "须在 1 到 720 之间" in text_of(refused)
    saved = call(admin, app, "admin-rules-photos-message.children", form)
    assert "距工地 800 米、相差 12 小时以内" in text_of(saved)
    with session_scope(settings.database_url) as s:
        assert photo_store.load_rules(s) == PhotoRules(800, 12)


def test_the_form_shows_time_distance_and_the_far_warning_under_each_photo(demo):
    """Through the thumbnails callback, as the browser calls it when a photo arrives."""
    app, settings = demo
    site_id, lon, lat = site_at(settings)
    inspector = actor(settings, "inspector")
    near = service.save_photo(settings, inspector, photo(taken="2025:12:10 09:30:00", lat=lat + 0.0011, lon=lon))
    far = service.save_photo(settings, inspector, photo(taken="2025:12:10 09:31:00", lat=lat + 0.05, lon=lon))
    bare = service.save_photo(settings, inspector, photo(41, 31))
    client = app.server.test_client()
    log_in(client, "inspector", TEST_PASSWORDS["inspector"])
    key = next(k for k in app.callback_map if '"type":"insp-thumbs"' in k)
    ids = [{"type": "insp-photos", "key": "cover"}, {"type": "insp-photos", "key": "hoarding"}]
    body = {
        "output": key,
        "outputs": [{"id": {"type": "insp-thumbs", "key": i["key"]}, "property": "children"} for i in ids],
        "inputs": [[{"id": ids[0], "property": "data", "value": [near, far]},
                    {"id": ids[1], "property": "data", "value": [bare, "../etc/passwd"]}],
                   {"id": "insp-site", "property": "value", "value": str(site_id)},
                   {"id": "insp-date", "property": "value", "value": "2025-12-10"},
                   {"id": "insp-time", "property": "value", "value": "10:00"}],
        "state": [[{"id": i, "property": "id", "value": i} for i in ids]],
        "changedPropIds": ['{"key":"cover","type":"insp-photos"}.data'],
    }
    response = client.post("/_dash-update-component", json=body, headers=csrf_header(client))
    assert response.status_code == 200
    answer = response.get_json()["response"]
    cover = texts(answer['{"key":"cover","type":"insp-thumbs"}']["children"])
    hoarding = texts(answer['{"key":"hoarding","type":"insp-thumbs"}']["children"])
    assert "12-10 09:30" in cover and "距工地 120 米" in cover and "距工地 5.6 公里" in cover
    assert cover.count("距离过远") == 1 and "时间不符" not in cover
    assert "照片无位置" in hoarding and "照片无拍摄时间" in hoarding and "距离过远" not in hoarding
    assert json.dumps(answer).count("/photos/") == 6  # 3 photos, link and image; not the bad name


def test_a_saved_inspection_shows_the_warning_read_only(demo):
    """The inspection view as a viewer sees it (no form to change): the far photo is flagged."""
    app, settings = demo
    site_id, lon, lat = site_at(settings)
    inspector = actor(settings, "inspector")
    far = service.save_photo(settings, inspector, photo(taken="2025:12:10 09:31:00", lat=lat + 0.05, lon=lon))
    with session_scope(settings.database_url) as s:
        keys = checklist_for(s, INSPECTED.date()).keys
    entries = tuple(ItemEntry(k, "fail", "裸土未覆盖", (far,)) if k == "cover" else ItemEntry(k, "pass")
                    for k in keys)
    saved = service.save_inspection(settings, Actor.system(), InspectionInput(
        site_id=site_id, inspected_at=INSPECTED, inspector_name="王磊", entries=entries), submit=True)
    client = app.server.test_client()
    log_in(client, "viewer", TEST_PASSWORDS["viewer"])
    page = text_of(page_layout(client, f"/inspections/{saved.inspection_id}"))
    assert "12-10 09:31" in page and "距工地 5.6 公里" in page and "距离过远" in page
