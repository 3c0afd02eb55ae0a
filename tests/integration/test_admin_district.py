"""The admin page's district tab: the district's name, townships (add, rename, kind, order, retire,
Excel import and export) and responsible units, for admins only, through the services and the
real Dash endpoint."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from dashboard.analytics import district as analytics
from dashboard.analytics import reading
from dashboard.domain.district import DISTRICT_NAME_KEY, next_township_code
from dashboard.ingest.townships_excel import HEADERS, export_rows, write_townships
from dashboard.services import district as service
from dashboard.services.access import Actor, Forbidden
from dashboard.store.db import session_scope
from dashboard.store.models import AppSetting, AuditEntry, Site, Township, Unit
from dashboard.store.users import upsert_user
from tests.conftest import make_settings, sync_id_sequences
from tests.dash_http import call, log_in, text_of
from tests.integration.test_callback_faults import _upload, table_hash
from tests.integration.test_page_states import page, values_on

ADMIN = Actor(None, "admin")
NOT_ADMINS = [Actor(None, "viewer"), Actor(None, "inspector", township_id=1), Actor(None, "editor")]


@pytest.fixture
def district(tmp_path):
    """An app on a small district: two townships with their units, a department, one site."""
    from dashboard.app import create_app

    settings = make_settings(tmp_path)
    app = create_app(settings)
    with session_scope(settings.database_url) as session:
        session.add_all([
            Township(id=1, code="houzhai", name="侯寨乡", name_en="Houzhai Township", kind="township", position=1),
            Township(id=2, code="mazhai", name="马寨镇", name_en="Mazhai Town", kind="town", position=2),
        ])
        session.flush()
        session.add_all([
            Unit(id=1, name="侯寨乡", name_en="Houzhai Township", kind="township", township_id=1),
            Unit(id=2, name="马寨镇", name_en="Mazhai Town", kind="township", township_id=2),
            Unit(id=3, name="区住建局", name_en="District Housing Bureau", kind="department"),
            Site(id=1, code="GD-0001", name="侯寨安置房", township_id=1, site_type="housing", area_m2=1000,
                 status="active"),
        ])
        for role in ("admin", "viewer", "inspector", "editor"):
            upsert_user(session, role, f"{role}-pass-1", role, township_id=1 if role == "inspector" else None)
    sync_id_sequences(settings.database_url)
    return app, settings


def _workbook(rows: list[list], header: list | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "乡镇办"
    sheet.append(header if header is not None else HEADERS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _townships(url: str) -> list[tuple]:
    with session_scope(url) as session:
        return [(t.code, t.name, t.name_en, t.kind, t.position, t.active)
                for t in session.scalars(select(Township).order_by(Township.position))]


def _unit_of(url: str, township_id: int) -> tuple[str, str] | None:
    with session_scope(url) as session:
        unit = session.scalar(select(Unit).where(Unit.kind == "township", Unit.township_id == township_id))
        return (unit.name, unit.name_en) if unit else None


# --------------------------------------------------------------------------- who may
def test_every_district_service_refuses_non_admins_and_writes_nothing(district):
    _app, settings = district
    url = settings.database_url
    before = table_hash(url)
    good_file = _workbook([["", "新乡镇", "", "乡", 3, "在用"]])
    calls = [
        lambda a: service.set_district_name(settings, a, "二七区"),
        lambda a: service.save_township(settings, a, township_id=None, name="新乡镇", kind="township"),
        lambda a: service.save_township(settings, a, township_id=1, name="侯寨镇", kind="town"),
        lambda a: service.move_township(settings, a, 2, 1),
        lambda a: service.set_township_active(settings, a, 1, False),
        lambda a: service.import_townships(settings, a, good_file, "t.xlsx"),
        lambda a: service.add_unit(settings, a, name="区城管局", kind="department"),
        lambda a: service.rename_unit(settings, a, 3, name="区住房和城乡建设局"),
        lambda a: service.set_station_group(settings, a, district=[], background=[]),
    ]
    for actor in [*NOT_ADMINS, Actor.anonymous()]:
        for attempt in calls:
            with pytest.raises(Forbidden):
                attempt(actor)
    assert table_hash(url) == before


def test_the_tab_refuses_non_admins_through_the_endpoint(district):
    app, settings = district
    clients = {}
    for role in ("viewer", "inspector", "editor"):
        clients[role] = app.server.test_client()
        log_in(clients[role], role, f"{role}-pass-1")
    before = table_hash(settings.database_url)  # logging in records the time: hashed after it
    anonymous = app.server.test_client()
    writes = {
        "adm-d-name-message.children": {"adm-d-name-save.n_clicks": 1, "adm-d-name.value": "二七区"},
        "adm-d-town-message.children": {"adm-d-town-save.n_clicks": 1, "adm-d-town-name.value": "新乡镇",
                                        "adm-d-town-kind.value": "township"},
        "adm-d-unit-message.children": {"adm-d-unit-save.n_clicks": 1, "adm-d-unit-name.value": "区城管局",
                                        "adm-d-unit-kind.value": "department"},
        "adm-d-town-import-result.children": {
            "adm-d-town-upload.contents": _upload(_workbook([["", "新乡镇", "", "乡"]])),
            "adm-d-town-upload.filename": "t.xlsx"},
    }
    for output, values in writes.items():
        assert call(anonymous, app, output, values).status_code == 401
    for role, client in clients.items():
        for output, values in writes.items():
            response = call(client, app, output, values)
            assert response.status_code == 200 and "没有这项操作的权限" in text_of(response), (role, output)
    assert table_hash(settings.database_url) == before


# --------------------------------------------------------------------------- the district's name
def test_the_district_name_is_saved_read_and_audited(district):
    app, settings = district
    with reading(settings.database_url) as session:
        assert analytics.district_name(session) == ""
    client = app.server.test_client()
    log_in(client, "admin", "admin-pass-1")
    saved = call(client, app, "adm-d-name-message.children", {"adm-d-name-save.n_clicks": 1,
                                                              "adm-d-name.value": "  二七区 "})
    assert "二七区" in text_of(saved)
    with reading(settings.database_url) as session:
        assert analytics.district_name(session) == "二七区"
    too_long = call(client, app, "adm-d-name-message.children", {"adm-d-name-save.n_clicks": 1,
                                                                 "adm-d-name.value": "区" * 65})
    assert "最多 64 个字符" in text_of(too_long)
    with session_scope(settings.database_url) as session:
        assert session.get(AppSetting, DISTRICT_NAME_KEY).value == "二七区"
        assert session.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.entity_id == DISTRICT_NAME_KEY)) == 1


# --------------------------------------------------------------------------- townships
def test_townships_are_added_renamed_moved_and_keep_their_unit(district):
    app, settings = district
    url = settings.database_url
    client = app.server.test_client()
    log_in(client, "admin", "admin-pass-1")
    form = {"adm-d-town-save.n_clicks": 1, "adm-d-town-id.data": None, "adm-d-town-name.value": "樱桃沟管委会",
            "adm-d-town-name-en.value": "Yingtaogou Committee", "adm-d-town-kind.value": "zone",
            "adm-d-town-code.value": "", "adm-d-town-position.value": None}
    added = call(client, app, "adm-d-town-message.children", form)
    assert "樱桃沟管委会" in text_of(added) and "已保存" in text_of(added)
    new_id = added.get_json()["response"]["adm-d-town-id"]["data"]
    assert _townships(url)[-1] == ("t001", "樱桃沟管委会", "Yingtaogou Committee", "zone", 3, True)
    assert _unit_of(url, new_id) == ("樱桃沟管委会", "Yingtaogou Committee")

    # The same name again, a blank name, an unknown kind, a bad code: refused, field by field.
    for changes, said in (({}, "已被使用"), ({"adm-d-town-name.value": " "}, "必填"),
                          ({"adm-d-town-name.value": "新区", "adm-d-town-kind.value": "city"}, "无法识别的类型"),
                          ({"adm-d-town-name.value": "新区", "adm-d-town-code.value": "新区"}, "编码只能")):
        refused = call(client, app, "adm-d-town-message.children", form | changes)
        assert said in text_of(refused), changes
    assert len(_townships(url)) == 3

    renamed = call(client, app, "adm-d-town-message.children",
                   form | {"adm-d-town-id.data": new_id, "adm-d-town-name.value": "樱桃沟景区管委会",
                           "adm-d-town-kind.value": "zone", "adm-d-town-position.value": 1})
    assert "已保存" in text_of(renamed)
    assert _townships(url)[0] == ("t001", "樱桃沟景区管委会", "Yingtaogou Committee", "zone", 1, True)
    assert [t[4] for t in _townships(url)] == [1, 2, 3]
    assert _unit_of(url, new_id) == ("樱桃沟景区管委会", "Yingtaogou Committee")

    # A township cannot take a department's name: its own unit would clash.
    clash = call(client, app, "adm-d-town-message.children",
                 form | {"adm-d-town-id.data": new_id, "adm-d-town-name.value": "区住建局"})
    assert "已有名为“区住建局”的责任单位" in text_of(clash)
    assert _townships(url)[0][1] == "樱桃沟景区管委会"

    # Move down by the button: positions stay 1..n.
    moved = call(client, app, "adm-d-town-action-message.children",
                 {"adm-d-town-down.n_clicks": 1, "adm-d-townships-grid.selectedRows": [
                     {"id": str(new_id), "position": 1, "active": True, "name": "樱桃沟景区管委会"}]},
                 changed=["adm-d-town-down.n_clicks"])
    assert moved.status_code == 200
    assert [t[1] for t in _townships(url)] == ["侯寨乡", "樱桃沟景区管委会", "马寨镇"]
    # The grid keeps the selected row's old data (position 1): the place comes from the store.
    call(client, app, "adm-d-town-action-message.children",
         {"adm-d-town-down.n_clicks": 2, "adm-d-townships-grid.selectedRows": [
             {"id": str(new_id), "position": 1, "active": True, "name": "樱桃沟景区管委会"}]},
         changed=["adm-d-town-down.n_clicks"])
    assert [t[1] for t in _townships(url)] == ["侯寨乡", "马寨镇", "樱桃沟景区管委会"]
    with session_scope(url) as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "township")
                                  .order_by(AuditEntry.id)).all()
    assert actions == ["create", "update", "move", "move"]


def test_a_retired_township_keeps_its_history_and_leaves_the_site_form(district):
    from dashboard.services.sites import InvalidSite, save_site

    app, settings = district
    url = settings.database_url
    client = app.server.test_client()
    log_in(client, "admin", "admin-pass-1")
    row = {"id": "1", "position": 1, "active": True, "name": "侯寨乡", "active_sites": 1}
    retired = call(client, app, "adm-d-town-action-message.children",
                   {"adm-d-town-retire.n_clicks": 1, "adm-d-townships-grid.selectedRows": [row],
                    "adm-d-town-retire.children": "撤销"},
                   changed=["adm-d-town-retire.n_clicks"])
    said = text_of(retired)
    assert "“侯寨乡”已撤销" in said and "1 个在建工地" in said and "恢复" in said
    with session_scope(url) as session:
        township = session.get(Township, 1)
        assert township.active is False and len(township.sites) == 1  # the site and its link stay
        assert session.get(Unit, 1).name == "侯寨乡"
    with reading(url) as session:
        assert list(analytics.township_choices(session)["name"]) == ["马寨镇"]
        assert list(analytics.township_choices(session, keep=1)["name"]) == ["侯寨乡", "马寨镇"]
        assert analytics.units(session).set_index("id").loc[1, "township_active"] == False  # noqa: E712
    editor = Actor(None, "editor")
    new_site = {"code": "GD-0002", "name": "新工地", "township_id": 1, "site_type": "road", "area_m2": 100,
                "status": "active"}
    with pytest.raises(InvalidSite) as refused:
        save_site(settings, editor, new_site)
    assert refused.value.issues[0].field == "township_id"
    # The site it already has can still be edited without moving it.
    with session_scope(url) as session:
        site = session.get(Site, 1)
        version = site.version
    saved = save_site(settings, editor, {"code": "GD-0001", "name": "侯寨安置房（一期）", "township_id": 1,
                                         "site_type": "housing", "area_m2": 1000, "status": "active"},
                      {"id": 1, "version": version, "loaded": None, "started_from": None})
    assert saved.name == "侯寨安置房（一期）"

    # The sites page's form offers only townships in use; its filter still finds the old ones.
    editor_client = app.server.test_client()
    log_in(editor_client, "editor", "editor-pass-1")
    form = call(editor_client, app, "site-form-drawer.opened", {"sites-new.n_clicks": 1})
    offered = [o["label"] for o in form.get_json()["response"]['{"field":"township_id","type":"site-form"}']["data"]]
    assert offered == ["马寨镇"]
    filters = values_on(page(editor_client, "/sites"))["sites-filter-township.data"]
    assert [o["label"] for o in filters] == ["侯寨乡（已撤销）", "马寨镇"]

    restored = call(client, app, "adm-d-town-action-message.children",
                    {"adm-d-town-retire.n_clicks": 2, "adm-d-townships-grid.selectedRows": [row],
                     "adm-d-town-retire.children": "恢复"},
                    changed=["adm-d-town-retire.n_clicks"])
    assert "已恢复使用" in text_of(restored)
    assert _townships(url)[0][5] is True


# --------------------------------------------------------------------------- Excel
def test_an_export_imports_back_unchanged_and_an_import_is_idempotent(district):
    app, settings = district
    url = settings.database_url
    with reading(url) as session:
        exported = write_townships(export_rows(analytics.townships(session).to_dict("records")))
    before = table_hash(url)
    assert service.import_townships(settings, ADMIN, exported, "export.xlsx") == {
        "added": [], "updated": [], "unchanged": ["侯寨乡", "马寨镇"]}
    assert table_hash(url) == before
    sheet = load_workbook(io.BytesIO(exported)).active
    assert [c.value for c in sheet[1]] == HEADERS
    assert [c.value for c in sheet[2]] == ["houzhai", "侯寨乡", "Houzhai Township", "乡", 1, "在用"]

    # A new township without a code, one renamed by its code, one moved first and retired.
    content = _workbook([
        ["mazhai", "马寨镇", "Mazhai Town", "镇", 1, "已撤销"],
        ["", "樱桃沟管委会", "Yingtaogou", "管委会", None, None],
        ["houzhai", "侯寨镇", None, "town", 2, "在用"],
    ])
    client = app.server.test_client()
    log_in(client, "admin", "admin-pass-1")
    done = call(client, app, "adm-d-town-import-result.children",
                {"adm-d-town-upload.contents": _upload(content), "adm-d-town-upload.filename": "乡镇办.xlsx"})
    assert "新增 1 个，修改 2 个，0 个未变" in text_of(done)
    assert _townships(url) == [("mazhai", "马寨镇", "Mazhai Town", "town", 1, False),
                               ("houzhai", "侯寨镇", "Houzhai Township", "town", 2, True),
                               ("t001", "樱桃沟管委会", "Yingtaogou", "zone", 3, True)]
    assert _unit_of(url, 1) == ("侯寨镇", "Houzhai Township")
    with session_scope(url) as session:
        new_id = session.scalar(select(Township.id).where(Township.code == "t001"))
    assert _unit_of(url, new_id) == ("樱桃沟管委会", "Yingtaogou")
    after = table_hash(url)
    again = call(client, app, "adm-d-town-import-result.children",
                 {"adm-d-town-upload.contents": _upload(content), "adm-d-town-upload.filename": "乡镇办.xlsx"})
    assert "新增 0 个，修改 0 个，3 个未变" in text_of(again)
    assert table_hash(url) == after


def test_the_pages_export_is_the_list_and_imports_back(district):
    import base64

    app, settings = district
    client = app.server.test_client()
    log_in(client, "admin", "admin-pass-1")
    sent = call(client, app, "adm-d-town-download.data", {"adm-d-town-export.n_clicks": 1}).get_json()
    download = sent["response"]["adm-d-town-download"]["data"]
    assert download["filename"].startswith("乡镇办-") and download["filename"].endswith(".xlsx")
    content = base64.b64decode(download["content"])
    before = table_hash(settings.database_url)
    assert service.import_townships(settings, ADMIN, content, download["filename"])["unchanged"] == ["侯寨乡", "马寨镇"]
    assert table_hash(settings.database_url) == before


def test_two_townships_can_swap_names_in_one_file(district):
    _app, settings = district
    service.import_townships(settings, ADMIN, _workbook([["houzhai", "马寨镇", "", "乡"],
                                                         ["mazhai", "侯寨乡", "", "镇"]]), "swap.xlsx")
    assert [t[:2] for t in _townships(settings.database_url)] == [("houzhai", "马寨镇"), ("mazhai", "侯寨乡")]
    assert _unit_of(settings.database_url, 1)[0] == "马寨镇"


@pytest.mark.parametrize(("rows", "header", "expected"), [
    ([["", "新乡", "", "乡"], ["", "新乡", "", "镇"]], None, [(3, "名称", "与第2行重复")]),
    ([["", "新乡", "", "县"]], None, [(2, "类型", "无法识别的类型“县”")]),
    ([["x1", "", "", "乡"], ["", "新乡", "", "乡"]], None, [(2, "名称", "必填")]),
    ([["", "新乡", "", "乡"]], ["编码", "名称", "名称", "类型"], [(1, "名称", "列标题“名称”重复出现")]),
    ([["", "新乡", "", "乡", 0, "在用"], ["", "新镇", "", "镇", 1, "停用"]], None,
     [(2, "顺序", "顺序须为"), (3, "状态", "无法识别的状态“停用”")]),
    ([["", "新乡", "", "乡"], ["编码", "名称", "英文名称", "类型", "顺序", "状态"]], None,
     [(3, "编码", "表头在此行重复出现")]),
    ([["", "新乡", "", "乡", None, None, "多出来的"]], None, [(2, "G", "此列没有列标题")]),
    ([["", "新乡"]], ["编码", "名称"], [(1, "类型", "缺少必需的列")]),
    ([["", "马寨镇", "", "镇"], ["houzhai", "侯寨乡", "", "乡"], ["HZ", "侯寨乡二", "", "乡"]], None, []),
])
def test_a_bad_file_is_refused_whole_with_row_and_column(district, rows, header, expected):
    _app, settings = district
    url = settings.database_url
    before = table_hash(url)
    content = _workbook(rows, header)
    if not expected:  # a file that is fine on its own: checked against the database
        content = _workbook([["mazhai", "侯寨乡", "", "镇"], ["", "新乡", "", "乡"]])
        expected = [(2, "名称", "已被文件以外的乡镇办使用")]
    with pytest.raises(service.TownshipsRefused) as refused:
        service.import_townships(settings, ADMIN, content, "bad.xlsx")
    problems = [(p.row, p.column, p.reason) for p in refused.value.checked.problems]
    for row, column, reason in expected:
        assert any(p[0] == row and p[1] == column and reason in p[2] for p in problems), problems
    assert all(p.file == "bad.xlsx" for p in refused.value.checked.problems)
    assert table_hash(url) == before


def test_a_file_naming_one_township_twice_or_not_excel_is_refused(district):
    _app, settings = district
    before = table_hash(settings.database_url)
    with pytest.raises(service.TownshipsRefused) as twice:
        service.import_townships(settings, ADMIN, _workbook([["houzhai", "侯寨乡", "", "乡"],
                                                             ["", "侯寨乡", "", "乡"]]), "twice.xlsx")
    assert any(p.row == 3 and "与第2行重复" in p.reason for p in twice.value.checked.problems)
    with pytest.raises(service.TownshipsRefused) as same:
        service.import_townships(settings, ADMIN, _workbook([["houzhai", "侯寨乡二", "", "乡"],
                                                             ["", "侯寨乡", "", "乡"]]), "same.xlsx")
    assert [(p.row, p.column) for p in same.value.checked.problems] == [(3, "名称")]
    with pytest.raises(service.TownshipsRefused) as junk:
        service.import_townships(settings, ADMIN, b"not a workbook", "junk.xlsx")
    assert "不是有效的 Excel" in junk.value.checked.problems[0].reason
    assert table_hash(settings.database_url) == before


def test_a_refused_upload_shows_every_problem_on_the_page(district):
    app, settings = district
    client = app.server.test_client()
    log_in(client, "admin", "admin-pass-1")
    content = _workbook([["", "新乡", "", "县"], ["", "新乡", "", "乡"]])
    refused = call(client, app, "adm-d-town-import-result.children",
                   {"adm-d-town-upload.contents": _upload(content), "adm-d-town-upload.filename": "坏.xlsx"})
    said = text_of(refused)
    assert "整个文件未导入" in said and "坏.xlsx 有 2 处问题" in said and "无法识别的类型“县”" in said


def test_generated_codes_never_reuse_a_retired_townships_code():
    assert next_township_code({"houzhai", "t001", "t007", "t2"}) == "t008"
    assert next_township_code(set()) == "t001"
    assert next_township_code({f"t{n:03d}" for n in range(1, 1000)}) == "t1000"


# --------------------------------------------------------------------------- units
def test_units_are_added_and_renamed_but_a_townships_unit_follows_its_township(district):
    app, settings = district
    client = app.server.test_client()
    log_in(client, "admin", "admin-pass-1")
    form = {"adm-d-unit-save.n_clicks": 1, "adm-d-unit-id.data": None, "adm-d-unit-name.value": "区城管局",
            "adm-d-unit-name-en.value": "District Urban Management Bureau", "adm-d-unit-kind.value": "department"}
    assert "已保存" in text_of(call(client, app, "adm-d-unit-message.children", form))
    assert "已被使用" in text_of(call(client, app, "adm-d-unit-message.children", form))
    township_kind = call(client, app, "adm-d-unit-message.children",
                         form | {"adm-d-unit-name.value": "假乡", "adm-d-unit-kind.value": "township"})
    assert "无法识别的类型" in text_of(township_kind)
    renamed = call(client, app, "adm-d-unit-message.children",
                   form | {"adm-d-unit-id.data": 3, "adm-d-unit-name.value": "区住房和城乡建设局"})
    assert "已保存" in text_of(renamed)
    own = call(client, app, "adm-d-unit-message.children", form | {"adm-d-unit-id.data": 1,
                                                                   "adm-d-unit-name.value": "别的名字"})
    assert "请修改乡镇办" in text_of(own)
    with session_scope(settings.database_url) as session:
        names = dict(session.execute(select(Unit.id, Unit.name)).all())
    assert names[1] == "侯寨乡" and names[3] == "区住房和城乡建设局" and "区城管局" in names.values()


# --------------------------------------------------------------------------- migration
def _upgrade_with_townships(url: str) -> None:
    from sqlalchemy import text

    from dashboard.store.db import current_revisions, engine_for, head_revisions, upgrade

    upgrade(url, "0002_session_version")
    with engine_for(url).begin() as conn:
        conn.execute(text("INSERT INTO townships (id, code, name, name_en, kind, position) "
                          "VALUES (1, 'houzhai', '侯寨乡', 'Houzhai', 'township', 1)"))
    upgrade(url)
    assert current_revisions(url) == head_revisions()
    with session_scope(url) as session:
        assert session.get(Township, 1).active is True  # what existed is in use
        session.add(Township(id=2, code="t001", name="新乡", kind="township", position=2))
    with session_scope(url) as session:
        assert session.get(Township, 2).active is True


@pytest.mark.sqlite_only(reason="the SQLite case of the two (the PostgreSQL one follows)")
def test_the_migration_keeps_existing_townships_in_use_on_sqlite(sqlite_url):
    _upgrade_with_townships(sqlite_url)


@pytest.mark.postgres
def test_the_migration_keeps_existing_townships_in_use_on_postgresql(pg_url):
    _upgrade_with_townships(pg_url)


def test_a_retired_township_and_its_unit_leave_the_meeting_form_and_the_home_chart(district):
    from dashboard.analytics.overview import build_overview

    app, settings = district
    service.set_township_active(settings, ADMIN, 2, False)
    client = app.server.test_client()
    log_in(client, "editor", "editor-pass-1")
    for kind in ("problem", "acc"):
        added = call(client, app, f"mf-{kind}s.children", {f"mf-add-{kind}.n_clicks": 1})
        said = text_of(added)
        assert "侯寨乡" in said and "马寨镇" not in said, kind
    with reading(settings.database_url) as session:
        chart = build_overview(session, settings.tz).sites
    assert list(chart["township"]) == ["侯寨乡"]  # 马寨镇 is retired and has no site
