"""The admin page's checklist tab: loading the standard versions, and a new version taking effect
from a day while recorded inspections keep theirs.

Through the Dash endpoint as the browser calls it, and through the services.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from dashboard.domain.checklist import InvalidChecklist, ItemDraft
from dashboard.domain.inspection import ItemEntry
from dashboard.services import checklists as service
from dashboard.services.access import Actor, Forbidden
from dashboard.services.inspections import record
from dashboard.store import inspections as S
from dashboard.store.db import engine_for, session_scope
from dashboard.store.models import AppSetting, AuditEntry, ChecklistItem, ChecklistVersion, Inspection, Township
from dashboard.store.users import upsert_user
from tests.conftest import TEST_PASSWORDS, make_settings
from tests.dash_http import call, callback_body, csrf_header, log_in, text_of
from tests.integration.test_callback_faults import table_hash

TZ = ZoneInfo("Asia/Shanghai")
NOT_ADMINS = ("viewer", "inspector", "editor")
STANDARD = ["henan-6", "zz-7-2017", "zz-8-2018"]
START = dt.date(2025, 12, 12)  # the day after the demo's last inspection (and its pinned today)


@pytest.fixture
def empty(tmp_path):
    """A new district: one township, one admin, no checklist."""
    from dashboard.app import create_app

    settings = make_settings(tmp_path)
    app = create_app(settings)
    with session_scope(settings.database_url) as session:
        session.add(Township(id=1, code="houzhai", name="侯寨乡", kind="township", position=1))
        upsert_user(session, "ada", "admin-pass-1", "admin")
        for role in NOT_ADMINS:
            upsert_user(session, role, TEST_PASSWORDS[role], role)
    yield app, settings
    engine_for(settings.database_url).dispose()


def client_for(app, username: str, password: str | None = None):
    client = app.server.test_client()
    log_in(client, username, password or TEST_PASSWORDS[username])
    return client


def versions(url: str) -> list[tuple[str, dt.date, dt.date | None, list[str]]]:
    with session_scope(url) as session:
        return [(v.code, v.valid_from, v.valid_to, [i.key for i in v.items])
                for v in session.scalars(select(ChecklistVersion).order_by(ChecklistVersion.valid_from))]


def with_patterns(body: dict, values: dict[tuple[str, str], list]) -> dict:
    """Fill the pattern-matching (ALL) inputs and states of a request as the browser does: one
    entry per matching component, in page order. ``values`` maps (type, property) to the values."""
    for part in ("inputs", "state"):
        for n, dep in enumerate(body[part]):
            if isinstance(dep["id"], str) and dep["id"].startswith("{"):
                kind = json.loads(dep["id"])["type"]
                body[part][n] = [{"id": {"type": kind, "index": i}, "property": dep["property"], "value": v}
                                 for i, v in enumerate(values.get((kind, dep["property"]), []))]
    return body


def save_body(app, rows: list[tuple[str, str, str, bool]], **values) -> dict:
    """The save callback's request with the item rows (key, label, label_en, new)."""
    plain = {"admin-checklist-save.n_clicks": 1, "admin-checklist-from.value": START.isoformat(),
             "admin-checklist-name.value": "8个100%（2026年修订）", "admin-checklist-name-en.value": "",
             "admin-checklist-source.value": "", "admin-checklist-refresh.data": 0}
    plain |= {f"admin-checklist-{k.replace('_', '-')}.value": v for k, v in values.items()}
    return with_patterns(callback_body(app, "admin-checklist-message.children", plain), {
        ("admin-checklist-key", "id"): [{"type": "admin-checklist-key", "index": i} for i in range(len(rows))],
        ("admin-checklist-key", "value"): [r[0] for r in rows],
        ("admin-checklist-label", "value"): [r[1] for r in rows],
        ("admin-checklist-label-en", "value"): [r[2] for r in rows],
        ("admin-checklist-key", "readOnly"): [not r[3] for r in rows],
    })


def post(client, body):
    return client.post("/_dash-update-component", json=body, headers=csrf_header(client))


def standard_rows(url: str) -> list[tuple[str, str, str, bool]]:
    with session_scope(url) as session:
        view = S.checklist_for(session, dt.date(2025, 12, 11))
    return [(key, zh, en, False) for key, _pos, zh, en in view.items]


# --------------------------------------------------------------------------- the standard versions
def test_loading_the_standard_checklists_twice_adds_nothing(empty):
    app, settings = empty
    client = client_for(app, "ada", "admin-pass-1")
    first = call(client, app, "admin-checklist-load-message.children", {"admin-checklist-load.n_clicks": 1,
                                                                        "admin-checklist-refresh.data": 0})
    assert "已载入 3 个标准版本" in text_of(first)
    assert first.get_json()["response"]["admin-checklist-refresh"]["data"] == 1
    loaded = versions(settings.database_url)
    assert [v[0] for v in loaded] == STANDARD
    assert [len(v[3]) for v in loaded] == [6, 7, 8]
    assert loaded[-1][2] is None and loaded[0][2] == dt.date(2016, 12, 31)
    assert service.load_standard_checklists(settings, Actor.system()) == []  # the command line's second run
    again = call(client, app, "admin-checklist-load-message.children", {"admin-checklist-load.n_clicks": 1})
    assert "未载入标准版本" in text_of(again)
    assert versions(settings.database_url) == loaded
    with session_scope(settings.database_url) as session:
        assert session.scalar(select(func.count()).select_from(ChecklistItem)) == 21
        (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "load_standard")).all()
        assert entry.detail["after"]["codes"] == STANDARD
        # Inspections can be recorded now: today's checklist is the 8个100%.
        assert S.checklist_for(session, dt.date.today()).code == "zz-8-2018"
    # The tab re-renders: the list, no more empty state, the form shown and filled from the newest.
    rendered = call(client, app, "admin-checklist-list.children", {"admin-checklist-refresh.data": 1})
    answer = rendered.get_json()["response"]
    assert answer["admin-checklist-empty"]["style"] == {"display": "none"}
    assert answer["admin-checklist-form"]["style"] == {}
    assert "现行" in text_of(rendered) and "8个100%（郑州市）" in text_of(rendered)


@pytest.mark.parametrize("database", ["empty", "demo"])
def test_nobody_but_an_admin_loads_or_creates_versions(request, database):
    app, settings = request.getfixturevalue(database)
    clients = {role: client_for(app, role) for role in NOT_ADMINS}  # logging in writes the login time
    before = table_hash(settings.database_url)
    for role, client in clients.items():
        actor = Actor(None, role)
        with pytest.raises(Forbidden):
            service.load_standard_checklists(settings, actor)
        with pytest.raises(Forbidden):
            service.create_checklist_version(settings, actor, valid_from=START, name="x", name_en="",
                                             items=[ItemDraft("hoarding", "围挡")])
        refused = call(client, app, "admin-checklist-load-message.children", {"admin-checklist-load.n_clicks": 1})
        assert "没有这项操作的权限" in text_of(refused)
        rows = standard_rows(settings.database_url) if database == "demo" else [("hoarding", "围挡", "", True)]
        refused = post(client, save_body(app, rows))
        assert "没有这项操作的权限" in text_of(refused)
    assert table_hash(settings.database_url) == before


# --------------------------------------------------------------------------- a new version
def test_a_new_version_applies_from_its_day_and_old_inspections_keep_theirs(demo):
    app, settings = demo
    url = settings.database_url
    client = client_for(app, "admin")
    rows = standard_rows(url)
    rows[1] = ("cover", "各类物料堆放和裸露黄土100%覆盖", "Stockpiles and bare soil covered", False)
    rows = [r for r in rows if r[0] != "nonroad_machinery"]
    rows.insert(0, ("pm_monitor", "扬尘在线监测数据100%达标", "", True))
    response = post(client, save_body(app, rows, name_en="8×100% (2026)", source="区攻坚办通知"))
    assert "新版本已保存，自 2025年12月12日 起用于检查。此前的版本至 2025年12月11日 止。" in text_of(response)
    assert response.get_json()["response"]["admin-checklist-refresh"]["data"] == 1

    (*_, old, new) = versions(url)
    assert old[:3] == ("zz-8-2018", dt.date(2018, 1, 1), dt.date(2025, 12, 11))
    assert new[:3] == ("v2025-12-12", START, None)
    assert new[3] == ["pm_monitor", "hoarding", "cover", "wet_ops", "vehicle_wash", "hardening",
                      "sealed_transport", "video_monitoring"]
    with session_scope(url) as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.entity == "checklist_version"))
        assert entry.detail["before"]["previous"] == {"code": "zz-8-2018", "valid_to": None}
        assert entry.detail["after"]["previous_valid_to"] == "2025-12-11"
        assert entry.detail["after"]["items"][2] == ["cover", "各类物料堆放和裸露黄土100%覆盖",
                                                     "Stockpiles and bare soil covered"]
        new_id = session.scalar(select(ChecklistVersion.id).where(ChecklistVersion.code == "v2025-12-12"))
        old_id = session.scalar(select(ChecklistVersion.id).where(ChecklistVersion.code == "zz-8-2018"))
        assert S.checklist_for(session, dt.date(2025, 12, 11)).id == old_id
        assert S.checklist_for(session, START).id == new_id
        last_old = session.scalar(select(Inspection).where(Inspection.status == "submitted")
                                  .order_by(Inspection.inspected_at.desc()).limit(1))
        old_inspection, old_version, old_at = last_old.id, last_old.version, last_old.inspected_at
        old_entries = tuple(ItemEntry(r.item.key, r.result, r.note or "不合格", tuple(r.photos or ()))
                            for r in last_old.results)
        site_id, inspector = last_old.site_id, last_old.inspector_name

    # The clock moves on (the demo pins its day): a week later, inspections use the new version.
    with session_scope(url) as session:
        session.get(AppSetting, "frozen_today").value = "2025-12-19"
    with session_scope(url) as session:
        when = dt.datetime(2025, 12, 15, 10, 0, tzinfo=TZ)
        entries = tuple(ItemEntry(key, "pass") for key in new[3])
        saved = record(session, Actor.system(), S.InspectionInput(site_id=site_id, inspected_at=when,
                                                                  inspector_name="王磊", entries=entries),
                       submit=True, tz=TZ)
        assert session.get(Inspection, saved.inspection_id).checklist_version_id == new_id
        # The old version's items no longer apply to that day.
        with pytest.raises(S.InvalidInspection):
            record(session, Actor.system(), S.InspectionInput(
                site_id=site_id, inspected_at=when, inspector_name="王磊",
                entries=tuple(ItemEntry(key, "pass") for key in old[3])), submit=True, tz=TZ)
    with session_scope(url) as session:
        # An edit of an old inspection keeps its version and its items.
        edited = record(session, Actor.system(), S.InspectionInput(
            site_id=site_id, inspected_at=old_at, inspector_name=inspector, entries=old_entries,
            note="复核"), submit=True, tz=TZ, inspection_id=old_inspection, expected_version=old_version)
        kept = session.get(Inspection, edited.inspection_id)
        assert kept.checklist_version_id == old_id and sorted(r.item.key for r in kept.results) == sorted(old[3])

    # The inspection form picks the version of the day it is filled for.
    def form_on(day: str, shown: int):
        body = callback_body(app, "insp-checklist.children", {"insp-date.value": day, "insp-time.value": "10:00",
                                                               "insp-checklist-id.data": shown})
        return post(client, with_patterns(body, {}))

    form = form_on("2025-12-15", old_id)
    assert form.get_json()["response"]["insp-checklist-id"]["data"] == new_id and "2026年修订" in text_of(form)
    assert "扬尘在线监测数据100%达标" in text_of(form)
    back = form_on("2025-12-10", new_id)
    assert back.get_json()["response"]["insp-checklist-id"]["data"] == old_id


@pytest.mark.parametrize(("change", "message"), [
    ({"from": "2025-12-11"}, "生效日期最早为 2025年12月12日"),
    ({"from": "2025-06-01"}, "生效日期最早为 2025年12月12日"),
    ({"from": None}, "请选择生效日期"),
    ({"name": "  "}, "请填写版本名称"),
    ({"rows": [("hoarding", "围挡", "", False), ("hoarding", "围挡二", "", True)]},
     "第 2 项的标识“hoarding”与前面的检查项重复"),
    ({"rows": [("hoarding", "围挡", "", False), ("Dust-Net", "防尘网", "", True)]}, "第 2 项的标识“Dust-Net”不合规"),
    ({"rows": [("hoarding", "围挡", "", False), ("", "防尘网", "", True)]}, "第 2 项的标识“”不合规"),
    ({"rows": [("hoarding", "  ", "Hoarding", False)]}, "第 1 项没有中文名称"),
    ({"rows": []}, "新版本至少要有一个检查项"),
])
def test_a_bad_new_version_is_refused_with_a_message_and_writes_nothing(demo, change, message):
    app, settings = demo
    client = client_for(app, "admin")
    before = table_hash(settings.database_url)
    rows = change.get("rows", standard_rows(settings.database_url))
    values = {k: v for k, v in (("from", change.get("from", START.isoformat())),
                                ("name", change.get("name", "新版本")))}
    response = post(client, save_body(app, rows, **values))
    assert message in text_of(response), text_of(response)[:400]
    assert table_hash(settings.database_url) == before


def test_a_version_may_not_start_on_or_before_the_last_inspection_even_a_draft(demo):
    _app, settings = demo
    url = settings.database_url
    with session_scope(url) as session:
        session.get(AppSetting, "frozen_today").value = "2025-12-20"
        site_id = session.scalar(select(Inspection.site_id).limit(1))
        keys = S.checklist_for(session, dt.date(2025, 12, 20)).keys
        record(session, Actor.system(), S.InspectionInput(
            site_id=site_id, inspected_at=dt.datetime(2025, 12, 20, 9, 0, tzinfo=TZ), inspector_name="王磊",
            entries=tuple(ItemEntry(k, "pass") for k in keys)), submit=False, tz=TZ)
    items = [ItemDraft("hoarding", "围挡")]
    for day in (dt.date(2025, 12, 19), dt.date(2025, 12, 20)):  # before today; the day of a draft
        with pytest.raises(InvalidChecklist) as refused:
            service.create_checklist_version(settings, Actor.system(), valid_from=day, name="x", name_en="",
                                             items=items)
        assert refused.value.details == {"earliest": "2025-12-21"}
    made = service.create_checklist_version(settings, Actor.system(), valid_from=dt.date(2025, 12, 23), name="x",
                                            name_en="", items=items)
    # The next one follows it: a day after its start at the earliest, and it closes it.
    with pytest.raises(InvalidChecklist):
        service.create_checklist_version(settings, Actor.system(), valid_from=made.valid_from, name="y",
                                         name_en="", items=items)
    later = service.create_checklist_version(settings, Actor.system(), valid_from=dt.date(2026, 1, 1), name="y",
                                             name_en="", items=items)
    assert (later.closed_code, later.closed_valid_to) == (made.code, dt.date(2025, 12, 31))
    assert [v[:3] for v in versions(url)][-2:] == [(made.code, dt.date(2025, 12, 23), dt.date(2025, 12, 31)),
                                                   ("v2026-01-01", dt.date(2026, 1, 1), None)]
