"""Saving inspections and the rectification loop on a copy of the demo district; photo storage."""

from __future__ import annotations

import datetime as dt
import re
import struct
import zlib
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from dashboard.analytics import rectifications as rectification_analytics
from dashboard.domain.inspection import ItemEntry
from dashboard.services import inspections as service
from dashboard.services import rectifications as R
from dashboard.services.access import Actor, Forbidden
from dashboard.storage import photos
from dashboard.store import inspections as S
from dashboard.store.db import session_scope
from dashboard.store.models import AuditEntry, Inspection, Rectification, Site, Township
from tests.conftest import make_settings
from tests.dash_http import log_in
from tests.integration.inspection_db import copy_demo

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def demo_url(tmp_path_factory, tmp_path):
    yield from copy_demo(tmp_path_factory, tmp_path)
TODAY = dt.date(2025, 12, 11)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2025, 12, day, hour, minute, tzinfo=TZ)


def tiny_png(seed: int = 0) -> bytes:
    """A valid 1×1 PNG whose colour depends on ``seed`` (different seeds, different bytes)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"\x00" + bytes([seed % 256, 80, 160])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def quiet_site(session) -> int:
    """An active 侯寨乡 site with no open rectification (so a new failure opens one)."""
    open_sites = select(Rectification.site_id).where(Rectification.status == "open")
    return session.scalar(
        select(Site.id).join(Township, Township.id == Site.township_id)
        .where(Township.name == "侯寨乡", Site.status == "active", Site.id.not_in(open_sites))
        .order_by(Site.id.desc()).limit(1)
    )


def data(session, site_id: int, when: dt.datetime, fails: dict[str, str] | None = None,
         photos_of: dict[str, tuple[str, ...]] | None = None) -> S.InspectionInput:
    fails = fails or {}
    photos_of = photos_of or {}
    keys = S.checklist_for(session, when.date()).keys
    entries = tuple(ItemEntry(k, "fail" if k in fails else "pass", fails.get(k, ""), photos_of.get(k, ()))
                    for k in keys)
    return S.InspectionInput(site_id=site_id, inspected_at=when, inspector_name="王磊", entries=entries)


def save(session, payload, actor=None, **kwargs) -> service.SaveResult:
    """Save through the service (as the command line, unless ``actor``), in the test's transaction."""
    actor = actor or Actor.system()
    kwargs.setdefault("submit", True)
    return service.record(session, actor, payload, tz=TZ, **kwargs)


def rects(session, site_id: int, key: str = "cover") -> list[Rectification]:
    return list(session.scalars(select(Rectification).where(Rectification.site_id == site_id,
                                                            Rectification.item_key == key).order_by(Rectification.id)))


def test_a_failure_opens_a_repeat_escalates_a_later_pass_closes(demo_url, tmp_path):
    with session_scope(demo_url) as s:
        site = quiet_site(s)
        before = len(rects(s, site))
        first = save(s, data(s, site, at(11, 18), {"cover": "裸土未覆盖"}))
        assert len(first.outcome.opened) == 1
        rect = s.get(Rectification, first.outcome.opened[0])
        contractor, township = s.execute(select(Site.contractor_unit, Township.name).join(Township)
                                         .where(Site.id == site)).one()
        assert (rect.status, rect.deadline, rect.escalation_level) == ("open", dt.date(2025, 12, 14), 0)
        assert rect.responsible_unit == f"{township}／{contractor}"

        again = save(s, data(s, site, at(11, 20), {"cover": "仍未覆盖"}))
        assert again.outcome.opened == [] and again.outcome.repeats == ["cover"]
        assert rect.escalation_level == 1  # one repeat failure

        # Applying or re-submitting the same inspection changes nothing.
        assert R.apply_inspection(s, s.get(Inspection, first.inspection_id), TODAY, TZ).as_detail() == {}
        resubmitted = save(s, data(s, site, at(11, 18), {"cover": "裸土未覆盖"}),
                           inspection_id=first.inspection_id, expected_version=first.version)
        assert resubmitted.action == "update" and resubmitted.outcome.as_detail() == {}
        assert len(rects(s, site)) == before + 1

        digest = photos.store_photo(tiny_png(), tmp_path / "uploads")
        closing = save(s, data(s, site, at(11, 22), photos_of={"cover": (digest,)}))
        assert closing.outcome.closed == [rect.id]
        assert rect.status == "closed" and rect.closed_at == at(11, 22)
        closer = s.get(Inspection, closing.inspection_id)
        assert rect.closed_by_id == next(r.id for r in closer.results if r.item.key == "cover")
        assert rect.evidence == [digest]
        assert len(rects(s, site)) == before + 1
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.entity == "inspection")).all()
        assert actions.count("submit") >= 3 and "update" in actions


def test_editing_a_failure_away_removes_its_rectification(demo_url):
    with session_scope(demo_url) as s:
        site = quiet_site(s)
        before = len(rects(s, site))
        saved = save(s, data(s, site, at(11, 18), {"cover": "裸土未覆盖"}))
        edited = save(s, data(s, site, at(11, 18)), inspection_id=saved.inspection_id,
                      expected_version=saved.version)
        assert edited.outcome.removed == saved.outcome.opened
        assert len(rects(s, site)) == before
        back = save(s, data(s, site, at(11, 18), {"cover": "又发现未覆盖"}), inspection_id=saved.inspection_id,
                    expected_version=edited.version)
        assert len(back.outcome.opened) == 1 and len(rects(s, site)) == before + 1


def test_never_closed_by_an_earlier_or_same_time_inspection(demo_url):
    with session_scope(demo_url) as s:
        site = quiet_site(s)
        failing = save(s, data(s, site, at(11, 18), {"cover": "裸土未覆盖"}))
        same_time = save(s, data(s, site, at(11, 18)))
        rect = s.get(Rectification, failing.outcome.opened[0])
        assert same_time.outcome.closed == [] and rect.status == "open"
        # A passing inspection closes it; moving the failure after that pass reopens it.
        passing = save(s, data(s, site, at(11, 19)))
        assert passing.outcome.closed == [rect.id]
        moved = save(s, data(s, site, at(11, 20), {"cover": "裸土未覆盖"}), inspection_id=failing.inspection_id,
                     expected_version=failing.version)
        assert rect.status == "open" and rect.opened_at == at(11, 20) and moved.outcome.opened == []


def test_a_back_filled_failure_is_closed_by_the_later_pass_already_stored(demo_url):
    with session_scope(demo_url) as s:
        site = quiet_site(s)
        later_pass = save(s, data(s, site, at(11, 22)))
        earlier_fail = save(s, data(s, site, at(11, 18), {"cover": "裸土未覆盖"}))
        rect = s.get(Rectification, earlier_fail.outcome.opened[0])
        assert rect.status == "closed"
        assert rect.closed_by_id in {r.id for r in s.get(Inspection, later_pass.inspection_id).results}


def test_drafts_open_nothing_and_stay_editable_until_submitted(demo_url):
    with session_scope(demo_url) as s:
        site = quiet_site(s)
        before = len(rects(s, site))
        draft = save(s, data(s, site, at(11, 18), {"cover": ""}), submit=False)  # note may wait in a draft
        assert draft.status == "draft" and len(rects(s, site)) == before
        with pytest.raises(S.InvalidInspection) as refused:
            save(s, data(s, site, at(11, 18), {"cover": ""}), inspection_id=draft.inspection_id,
                 expected_version=draft.version)
        assert [(i.code, i.key) for i in refused.value.issues] == [("note_required", "cover")]
        submitted = save(s, data(s, site, at(11, 18), {"cover": "裸土未覆盖"}), inspection_id=draft.inspection_id,
                         expected_version=draft.version)
        assert submitted.action == "submit" and len(submitted.outcome.opened) == 1
        with pytest.raises(S.InvalidInspection):
            save(s, data(s, site, at(11, 18), {"cover": "裸土未覆盖"}), submit=False,
                 inspection_id=draft.inspection_id, expected_version=submitted.version)


def test_a_stale_version_is_a_conflict_and_writes_nothing(demo_url):
    with session_scope(demo_url) as s:
        site = quiet_site(s)
        saved = save(s, data(s, site, at(11, 18)))
        mine = data(s, site, at(11, 18))
        theirs = S.InspectionInput(**{**mine.__dict__, "note": "他人的修改"})
        save(s, theirs, inspection_id=saved.inspection_id, expected_version=saved.version)
    with session_scope(demo_url) as s:
        late = S.InspectionInput(**{**mine.__dict__, "note": "我的修改"})
        with pytest.raises(S.InspectionConflict) as conflict:
            save(s, late, inspection_id=saved.inspection_id, expected_version=saved.version)
        assert conflict.value.current_version == saved.version + 1
    with session_scope(demo_url) as s:
        assert s.get(Inspection, saved.inspection_id).note == "他人的修改"


def test_a_submitted_inspection_refreshes_the_site_plate(demo_url, monkeypatch):
    from dashboard.services import sites

    calls = []
    monkeypatch.setattr(sites, "refresh_plate",
                        lambda session, site_id, today, tz: calls.append((site_id, today)) or "red")
    with session_scope(demo_url) as s:
        site = quiet_site(s)
        saved = save(s, data(s, site, at(11, 18), {"cover": "裸土未覆盖"}))
        assert calls == [(site, TODAY)] and saved.plate == "red"
        save(s, data(s, site, at(11, 19)), submit=False)
        assert len(calls) == 1  # drafts do not count


def test_escalation_grows_with_lateness_and_feeds_the_meeting_agenda(demo_url):
    with session_scope(demo_url) as s:
        site = quiet_site(s)
        rect_id = save(s, data(s, site, at(11, 18), {"cover": "裸土未覆盖"})).outcome.opened[0]
        levels = []
        for day in (dt.date(2025, 12, 14), dt.date(2025, 12, 15), dt.date(2025, 12, 21), dt.date(2025, 12, 22)):
            R.escalate_open(s, day, TZ)
            levels.append(s.get(Rectification, rect_id).escalation_level)
        assert levels == [0, 1, 1, 2]
        agenda = rectification_analytics.escalated(s, at(5, 9), dt.date(2025, 12, 23), TZ)
        assert rect_id in set(agenda["id"])
        assert list(agenda["escalation_level"]) == sorted(agenda["escalation_level"], reverse=True)
        assert (agenda["escalation_level"] >= 1).all()


def test_list_filters_by_site_and_result(demo_url):
    with session_scope(demo_url) as s:
        site = quiet_site(s)
        failing = save(s, data(s, site, at(11, 18), {"cover": "裸土未覆盖"}))
        passing = save(s, data(s, site, at(11, 19)))
        fails = S.list_inspections(s, site_id=site, result="fail")
        passes = S.list_inspections(s, site_id=site, result="pass", start=at(11, 0))
        assert failing.inspection_id in set(fails["id"]) and passing.inspection_id not in set(fails["id"])
        assert list(passes["id"]) == [passing.inspection_id]


# --- photos ----------------------------------------------------------------------------------------------


def test_photos_are_checked_by_content_and_size(tmp_path):
    with pytest.raises(photos.PhotoRejected) as not_image:
        photos.store_photo(b"GIF89a" + b"\x00" * 20, tmp_path)
    assert not_image.value.code == "type"
    with pytest.raises(photos.PhotoRejected) as renamed:
        photos.store_photo(b"<svg onload=alert(1)>", tmp_path)  # whatever the file was called
    assert renamed.value.code == "type"
    with pytest.raises(photos.PhotoRejected) as big:
        photos.store_photo(tiny_png() + b"\x00" * 2000, tmp_path, max_bytes=1000)
    assert big.value.code == "size"
    for fake in (b"\xff\xd8\xff\xe0" + b"\x00" * 16, b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 8):
        with pytest.raises(photos.PhotoRejected) as undecodable:  # right first bytes, no image behind
            photos.store_photo(fake, tmp_path)
        assert undecodable.value.code == "encoding"
    assert photos.store_photo(tiny_png(), tmp_path)
    assert not list((tmp_path / "photos").rglob(".upload-*"))


def test_the_same_photo_twice_is_one_file(tmp_path):
    first = photos.store_photo(tiny_png(1), tmp_path)
    second = photos.store_photo(tiny_png(1), tmp_path)
    other = photos.store_photo(tiny_png(2), tmp_path)
    assert first == second != other and re.fullmatch(r"[0-9a-f]{64}", first)
    assert len([p for p in (tmp_path / "photos").rglob("*") if p.is_file()]) == 2
    assert photos.find_photo(tmp_path, first)[1] == "image/png"


def test_photo_names_cannot_escape_the_upload_folder(tmp_path):
    for bad in ("../secret_key", "..", "a" * 63, "A" * 64, "/etc/passwd"):
        with pytest.raises(ValueError):
            photos.photo_path(tmp_path, bad)
        assert photos.find_photo(tmp_path, bad) is None


def test_photo_route_needs_login_and_serves_the_image(demo_url, tmp_path):
    from dashboard.app import create_app

    settings = make_settings(tmp_path, database_url=demo_url)
    digest = photos.store_photo(tiny_png(3), settings.upload_dir)
    client = create_app(settings).server.test_client()
    assert client.get(f"/photos/{digest}").status_code == 302  # to the login form
    log_in(client, "viewer", "view-pass-1")
    response = client.get(f"/photos/{digest}")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data == tiny_png(3)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/photos/" + "0" * 64).status_code == 404
    (settings.upload_dir / "secret.txt").write_text("top secret")
    for sneaky in ("/photos/..%2Fsecret.txt", "/photos/%2E%2E/secret.txt", "/photos/..\\secret.txt"):
        assert b"top secret" not in client.get(sneaky).data


def test_inspection_counts_are_untouched_by_a_refused_save(demo_url):
    with session_scope(demo_url) as s:
        before = s.scalar(select(func.count()).select_from(Inspection))
    with pytest.raises(service.InvalidInspection), session_scope(demo_url) as s:
        save(s, data(s, quiet_site(s), at(11, 18), {"cover": ""}))
    with session_scope(demo_url) as s:
        assert s.scalar(select(func.count()).select_from(Inspection)) == before


def test_only_inspectors_of_the_sites_township_record_and_an_edit_needs_its_version(demo_url):
    with session_scope(demo_url) as s:
        site = quiet_site(s)
        houzhai = s.scalar(select(Site.township_id).where(Site.id == site))
        elsewhere = s.scalar(select(Township.id).where(Township.id != houzhai).limit(1))
        before = s.scalar(select(func.count()).select_from(Inspection))
    refusals = [(Actor(None, None), "forbidden"), (Actor(None, "viewer"), "forbidden"),
                (Actor(None, "inspector", township_id=elsewhere), "not_your_township")]
    for actor, code in refusals:
        with pytest.raises(Forbidden) as refused, session_scope(demo_url) as s:
            save(s, data(s, site, at(11, 18)), actor=actor)
        assert refused.value.code == code
    with session_scope(demo_url) as s:
        mine = save(s, data(s, site, at(11, 18)), actor=Actor(None, "inspector", township_id=houzhai))
    for missing in (None, "1", True):
        with pytest.raises(service.CodedError) as refused, session_scope(demo_url) as s:
            save(s, data(s, site, at(11, 19)), inspection_id=mine.inspection_id, expected_version=missing)
        assert refused.value.code == "version_missing"
    with session_scope(demo_url) as s:
        assert s.scalar(select(func.count()).select_from(Inspection)) == before + 1
        assert s.get(Inspection, mine.inspection_id).inspected_at == at(11, 18)


def test_opening_the_rectifications_page_shows_the_level_of_the_day_and_writes_nothing(demo_url, tmp_path):
    """Levels grow with lateness: the page computes today's, the stored ones wait for the timer."""
    from dashboard.app import create_app
    from tests.dash_http import call, text_of

    with session_scope(demo_url) as s:
        rect = s.scalars(select(Rectification).where(Rectification.status == "open", Rectification.escalation_level > 0)
                         .limit(1)).one()
        rect_id, level = rect.id, rect.escalation_level
        rect.escalation_level = 0  # as if the daily timer had not run
    app = create_app(make_settings(tmp_path, database_url=demo_url))
    client = app.server.test_client()
    log_in(client, "viewer", "view-pass-1")
    response = call(client, app,
                    "rect-grid.getRowsResponse",
                    {"rect-grid.getRowsRequest": {"startRow": 0, "endRow": 10000, "sortModel": [], "filterModel": {}},
                     "rect-f-status.value": "open"})
    assert response.status_code == 200 and "出错" not in text_of(response)
    shown = next(r for r in response.get_json()["response"]["rect-grid"]["getRowsResponse"]["rowData"]
                 if r["id"] == str(rect_id))
    assert shown["level"] == level
    with session_scope(demo_url) as s:
        assert s.get(Rectification, rect_id).escalation_level == 0  # nothing written by the view


def test_the_rectification_list_follows_each_committed_write_and_never_keeps_an_uncommitted_one(demo_url):
    """The list's frame is cached on the records version: a committed failure shows at once, and a
    read inside a write that is rolled back is neither served to others nor kept."""
    from dashboard.store.db import read_scope

    def open_ids() -> set[int]:
        with read_scope(demo_url) as r:
            return set(rectification_analytics.rectifications(r, TODAY, TZ, status="open")["id"])

    before = open_ids()
    assert open_ids() == before  # served from the cache
    with pytest.raises(RuntimeError):
        with session_scope(demo_url) as s:
            dropped = save(s, data(s, quiet_site(s), at(11, 18), {"cover": "裸土未覆盖"})).outcome.opened[0]
            inside = set(rectification_analytics.rectifications(s, TODAY, TZ, status="open")["id"])
            assert inside == before | {dropped}  # the writer sees its own change
            raise RuntimeError("roll back")
    assert open_ids() == before
    with session_scope(demo_url) as s:
        kept = save(s, data(s, quiet_site(s), at(11, 18), {"cover": "裸土未覆盖"})).outcome.opened[0]
    assert open_ids() == before | {kept}
