"""Meetings and the ledger on a real database: conflicts, history, carry-over, frozen air quality,
and the Excel export / import through the command line."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select, update

from dashboard.analytics import meetings as analytics
from dashboard.domain import ledger as rules
from dashboard.domain import meeting_record
from dashboard.services import ledger as ledger_service
from dashboard.services import meetings as meeting_service
from dashboard.services.access import Actor, Forbidden
from dashboard.store import clock
from dashboard.store import ledger as ledger_store
from dashboard.store import meetings as meeting_store
from dashboard.store.db import session_scope, upgrade
from dashboard.store.models import ActionItem, ActionItemChange, AuditEntry, Meeting, Reading, Unit
from tests.conftest import make_settings

TZ = ZoneInfo("Asia/Shanghai")
EXPECTED_COLUMNS = [
    "序号",
    "会议",
    "问题/任务",
    "整改措施",
    "责任单位",
    "牵头部门",
    "完成时限",
    "状态",
    "超期天数",
    "结转次数",
]
EDITOR = Actor(None, "editor")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    """A demo district of this module's own: these tests write to it."""
    from dashboard.demo.generate import generate_district
    from dashboard.store.demo_load import load_demo
    from dashboard.store.overview import township_id_by_name
    from dashboard.store.users import upsert_user

    tmp = tmp_path_factory.mktemp("meetings")
    settings = make_settings(tmp)
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        load_demo(session, generate_district())
        upsert_user(session, "editor", "pw-editor-1", "editor")
        upsert_user(session, "insp", "pw-insp-1", "inspector", township_id=township_id_by_name(session, "侯寨乡"))
    return settings


def _item(session, meeting_number: int, seq: int) -> ActionItem:
    meeting = meeting_store.get_meeting(session, meeting_number)
    return ledger_store.item_for(session, meeting.id, seq)


def _now(session):
    return clock.now(session, TZ)


def test_a_stale_version_is_a_conflict_and_saves_nothing(demo_db):
    url = demo_db.database_url
    with session_scope(url) as session:
        item = _item(session, 27, 2)  # in progress
        item_id, seen = item.id, item.version
        changes_before = session.scalar(select(func.count()).where(ActionItemChange.action_item_id == item_id))
    ledger_service.set_status(demo_db, EDITOR, item_id, "done", expected_version=seen)
    with pytest.raises(ledger_service.LedgerConflict) as err:
        ledger_service.set_status(demo_db, EDITOR, item_id, "open", expected_version=seen,
                                  reason="typed on an old page")
    assert err.value.current["status"] == "done"
    for missing in (None, "3", True):  # no version: refused, never written blindly
        with pytest.raises(ledger_service.LedgerError) as err:
            ledger_service.set_status(demo_db, EDITOR, item_id, "in_progress", expected_version=missing,
                                      reason="no version")
        assert err.value.code == "version_missing"
    with session_scope(url) as session:
        item = session.get(ActionItem, item_id)
        assert item.status == "done" and item.version == seen + 1 and item.done_at is not None
        rows = session.scalars(
            select(ActionItemChange).where(ActionItemChange.action_item_id == item_id).order_by(ActionItemChange.id)
        ).all()
        assert len(rows) == changes_before + 2  # status and done_at, nothing of the refused reopen
        assert [(r.field, r.old_value, r.new_value) for r in rows[-2:]][0] == ("status", "in_progress", "done")


def test_a_concurrent_save_is_caught_by_the_version_column(demo_db):
    url = demo_db.database_url
    with session_scope(url) as session:
        item_id = _item(session, 27, 3).id
    from dashboard.store.db import session_factory

    first, second = session_factory(url)(), session_factory(url)()
    try:
        now = _now(first)
        a = first.get(ActionItem, item_id)
        b = second.get(ActionItem, item_id)
        assert a.version == b.version
        move = rules.check_transition(a.status, "done", is_editor=True)
        ledger_store.apply_status(first, a, move, actor_id=None, now=now)
        first.commit()
        with pytest.raises(ledger_store.LedgerConflict):
            # The second session checked the version it had loaded, which was current then.
            ledger_store.apply_status(second, b, move, actor_id=None, now=now)
    finally:
        first.close()
        second.close()


def test_history_and_audit_record_who_changed_what(demo_db):
    url = demo_db.database_url
    with session_scope(url) as session:
        from dashboard.store.users import find_user

        editor = find_user(session, "editor")
        actor = Actor(editor.id, "editor", name=editor.display_name)
        item = _item(session, 27, 1)  # done
        item_id, version = item.id, item.version
    ledger_service.set_status(demo_db, actor, item_id, "verified", expected_version=version)
    ledger_service.add_evidence(demo_db, actor, item_id, kind="link", ref="https://example.org/photo.jpg",
                                label="复查照片")
    with session_scope(url) as session:
        history = ledger_store.history(session, item_id)
        assert history[0]["field"] == "evidence" and history[0]["user"] == editor.display_name
        assert {"status", "verified_at", "verified_by_id"} <= {h["field"] for h in history[:4]}
        audits = session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "action_item", AuditEntry.entity_id == str(item_id))
        ).all()
        assert {a.action for a in audits} >= {"status", "evidence"}
        assert all(a.user_id == editor.id for a in audits)
        status = next(a for a in audits if a.action == "status")
        assert status.detail["before"] == {"status": "done"} and status.detail["after"] == {"status": "verified"}
    for bad in ("javascript:alert(1)", "//evil.example/x", "file:///etc/passwd", "http://"):
        with pytest.raises(ledger_service.LedgerError) as err:
            ledger_service.add_evidence(demo_db, actor, item_id, kind="link", ref=bad)
        assert err.value.code == "evidence_bad_link", bad


def test_rules_are_enforced_by_role_and_township(demo_db):
    url = demo_db.database_url
    with session_scope(url) as session:
        from dashboard.store.users import find_user

        insp = find_user(session, "insp")
        inspector = Actor(insp.id, "inspector", insp.township_id)
        houzhai = session.scalar(select(Unit.id).where(Unit.name == "侯寨乡"))
        mine = session.scalar(
            select(ActionItem).where(ActionItem.responsible_unit_id == houzhai, ActionItem.status == "in_progress")
        )
        other = session.scalar(
            select(ActionItem).where(ActionItem.responsible_unit_id != houzhai, ActionItem.status == "in_progress")
        )
        mine_id, other_id, version, other_version = mine.id, other.id, mine.version, other.version
    version = ledger_service.set_status(demo_db, inspector, mine_id, "done", expected_version=version).version
    with pytest.raises(ledger_service.LedgerError) as err:
        ledger_service.set_status(demo_db, inspector, mine_id, "verified", expected_version=version)
    assert err.value.code == "verify_needs_editor"
    with pytest.raises(Forbidden) as refused:
        ledger_service.set_status(demo_db, inspector, other_id, "done", expected_version=other_version)
    assert refused.value.code == "not_your_township"
    with pytest.raises(Forbidden):
        ledger_service.set_status(demo_db, Actor(None, "viewer"), mine_id, "open", expected_version=version,
                                  reason="看一看")
    with pytest.raises(ledger_service.LedgerError) as err:
        ledger_service.set_status(demo_db, inspector, mine_id, "open", expected_version=version)
    assert err.value.code == "reopen_needs_reason"
    ledger_service.set_status(demo_db, inspector, mine_id, "open", expected_version=version,
                              reason="复查发现未整改到位")
    with session_scope(url) as session:
        assert session.get(ActionItem, mine_id).done_at is None
        assert ledger_store.history(session, mine_id)[0]["field"] == "reason"


def test_a_new_meeting_carries_open_items_and_freezes_its_air_quality(demo_db):
    url = demo_db.database_url
    with session_scope(url) as session:
        draft = analytics.draft_next_meeting(session, TZ)
        assert draft.number == 28 and draft.held_at == dt.datetime(2025, 12, 12, 9, 0, tzinfo=TZ)
        assert draft.chair_title == "区长" and draft.attendees
        assert len(draft.open_items) >= 10 and draft.open_items["overdue"].sum() >= 9
        assert not draft.worst_townships.empty and not draft.findings.empty
        carried_before = analytics.ledger_table(session, clock.today(session, TZ), TZ).set_index("id")["carried"]
        unit = session.scalar(select(Unit.id).where(Unit.name == "区城管局"))
        data = meeting_record.MeetingInput(
            number=28,
            held_at=draft.held_at,
            chair_title="区长",
            attendees=draft.attendees,
            problems=[
                meeting_record.ProblemInput("侯寨乡问题突出",
                                            township_id=int(draft.worst_townships.iloc[0].township_id))
            ],
            decisions=["严格落实“一次警告，两次约谈，三次问责”。"],
            accountability=[meeting_record.AccountabilityInput(unit, "interview", "道路扬尘反弹")],
            actions=[
                meeting_record.ActionInput("主次干道冲洗", unit, dt.date(2025, 12, 19), "每日6遍"),
                meeting_record.ActionInput("渣土车夜查", unit, dt.date(2025, 12, 16)),
            ],
        )
    assert meeting_service.create_meeting(demo_db, EDITOR, data) == 28
    with session_scope(url) as session:
        meeting = meeting_store.get_meeting(session, 28)
        frozen = dict(meeting.air_quality)
        # Recorded on 11 December for the 12th: the whole days so far, today (the 11th) left out.
        assert frozen["period"] == {"start": "2025-12-05", "end": "2025-12-10", "days": 6}
        assert frozen["district"]["n_valid"] >= 6 and frozen["computed_at"]
        ledger = analytics.meeting_ledger(session, meeting, TZ, clock.today(session, TZ))
        new = ledger[ledger["kind"] == "new"]
        assert sorted(new["task"]) == ["主次干道冲洗", "渣土车夜查"]
        carried = ledger[ledger["kind"] == "carried"].set_index("id")
        assert len(carried) >= 10
        # Every carried item counts this meeting once more than before.
        assert all(carried.loc[i, "carried"] == carried_before[i] + 1 for i in carried.index)
        assert carried["days_overdue"].max() > 40
    with pytest.raises(meeting_record.MeetingError) as err:
        meeting_service.create_meeting(demo_db, EDITOR, data)
    assert err.value.code == "duplicate_number"
    with pytest.raises(Forbidden):
        meeting_service.create_meeting(demo_db, Actor(None, "inspector"), data)

    # Later corrections of the readings do not change what the meeting was told.
    with session_scope(url) as session:
        session.execute(
            update(Reading)
            .where(Reading.time > dt.datetime(2025, 12, 5, tzinfo=dt.UTC))
            .values(value=Reading.value * 3)
        )
    with session_scope(url) as session:
        meeting = meeting_store.get_meeting(session, 28)
        assert meeting.air_quality == frozen
        again = analytics.meeting_air_quality(session, url, meeting, TZ)
        assert again.frozen and again.record["district"]["pm25"] == frozen["district"]["pm25"]
        recomputed = analytics.compute_air_quality(session, meeting.held_at, TZ, clock.now(session, TZ))
        assert recomputed["district"]["pm25"] > frozen["district"]["pm25"]


def test_a_number_saved_meanwhile_by_someone_else_is_refused_as_taken(demo_db):
    """The duplicate check before saving cannot see a save still in flight; the unique number
    can, and the save is refused with the same domain error and nothing written."""
    url = demo_db.database_url
    held = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
    with pytest.raises(meeting_record.MeetingNumberTaken) as err, session_scope(url) as session, session.no_autoflush:
        # Pending and unflushed, so the check's query misses it: another user's save in flight.
        session.add(Meeting(number=90, held_at=held, chair_title="区长", created_at=held, updated_at=held))
        meeting_store.create_meeting(
            session, meeting_record.MeetingInput(number=90, held_at=held, chair_title="区长"),
            user_id=None, now=held, air_quality={},
        )
    assert err.value.code == "duplicate_number" and err.value.details == {"number": 90}
    with session_scope(url) as session:
        assert meeting_store.get_meeting(session, 90) is None


def test_since_reports_changes_after_meeting_27(demo_db):
    with session_scope(demo_db.database_url) as session:
        report = analytics.since(session, demo_db.database_url, meeting_store.get_meeting(session, 27), TZ)
        assert report.items_total == 3
        assert report.checks_before["applicable"] > 0 and 0 < report.checks_before["rate"] <= 1
        assert report.air_after["n_valid"] >= 5


def test_scorecard_orders_units_by_what_is_behind(demo_db):
    with session_scope(demo_db.database_url) as session:
        card = analytics.scorecard(session, clock.today(session, TZ), TZ)
    assert card["overdue"].is_monotonic_decreasing
    assert (card["on_time"] <= card["closed"]).all() and (card["closed"] <= card["items"]).all()
    assert card["accountability"].sum() > 0


# --------------------------------------------------------------------------- Excel, through the CLI
@pytest.fixture
def cli_env(demo_db, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_db.database_url)
    monkeypatch.setenv("DASHBOARD_DATA_DIR", str(demo_db.data_dir))
    monkeypatch.setenv("SECRET_KEY", "test-secret-key")
    from dashboard.cli import main

    return CliRunner(), main


def test_export_has_exactly_the_staff_columns(cli_env, tmp_path):
    runner, main = cli_env
    out = tmp_path / "台账.xlsx"
    result = runner.invoke(main, ["export", "ledger", "--out", str(out)])
    assert result.exit_code == 0, result.output
    ws = load_workbook(out).active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == EXPECTED_COLUMNS
    assert ws.freeze_panes == "A2" and ws["A1"].font.bold and ws.column_dimensions["C"].width > 30
    body = rows[1:]
    assert len(body) >= 118
    assert body[0][1] == "第1次调度会" and isinstance(body[0][6], dt.datetime)
    assert {r[7] for r in body} <= {"未开始", "整改中", "已完成", "已销号"}
    overdue = [r for r in body if r[8]]
    assert overdue and all(r[7] in ("未开始", "整改中") for r in overdue)


def _ledger_file(path, rows):
    wb = Workbook()
    ws = wb.active
    ws.append(EXPECTED_COLUMNS)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_import_adds_then_is_idempotent_and_updates(cli_env, demo_db, tmp_path):
    runner, main = cli_env
    rows = [
        [901, "第20次调度会", "历史台账任务甲", "按期整改", "侯寨乡", "区住建局", "2025-10-30", "整改中", None, None],
        [902, "第20次", "历史台账任务乙", "", "区城管局", "", dt.datetime(2025, 11, 2), "已完成", 3, 1],
    ]
    path = _ledger_file(tmp_path / "old.xlsx", rows)
    first = runner.invoke(main, ["import", "ledger", str(path)])
    assert first.exit_code == 0, first.output
    assert "2 added" in first.output
    again = runner.invoke(main, ["import", "ledger", str(path)])
    assert "0 added, 0 updated, 2 unchanged" in again.output
    rows[0][7] = "已完成"
    changed = runner.invoke(main, ["import", "ledger", str(_ledger_file(tmp_path / "old2.xlsx", rows))])
    assert "0 added, 1 updated, 1 unchanged" in changed.output
    with session_scope(demo_db.database_url) as session:
        item = _item(session, 20, 901)
        assert item.status == "done" and item.done_at is None
        assert [h["field"] for h in ledger_store.history(session, item.id)][:1] == ["status"]
    # A file that leaves 状态 blank says nothing about it: the stored status stays.
    rows[0][7] = rows[1][7] = None
    rows[0][2] = "历史台账任务甲（改写）"
    blank = runner.invoke(main, ["import", "ledger", str(_ledger_file(tmp_path / "old3.xlsx", rows))])
    assert "0 added, 1 updated, 1 unchanged" in blank.output, blank.output
    with session_scope(demo_db.database_url) as session:
        assert _item(session, 20, 901).status == "done" and _item(session, 20, 902).status == "done"


def test_a_bad_file_is_refused_whole_with_every_problem(cli_env, demo_db, tmp_path):
    runner, main = cli_env
    path = _ledger_file(
        tmp_path / "bad.xlsx",
        [
            [1, "第21次调度会", "好的一行", "", "侯寨乡", "", "2025-11-01", "未开始", None, None],
            [2, "第21次调度会", "单位写错", "", "侯寨镇", "", "2025-11-01", "未开始", None, None],
            ["二", "第99次调度会", "", "", "侯寨乡", "", "明天", "搁置", None, None],
        ],
    )
    with session_scope(demo_db.database_url) as session:
        before = session.scalar(select(func.count()).select_from(ActionItem))
    result = runner.invoke(main, ["import", "ledger", str(path)])
    assert result.exit_code == 1
    out = result.output
    assert "nothing was saved" in out
    assert "bad.xlsx, row 3, column 责任单位: unknown unit '侯寨镇'" in out
    for column in ("序号", "问题/任务", "完成时限", "状态"):
        assert f"row 4, column {column}" in out
    assert "Traceback" not in out
    with session_scope(demo_db.database_url) as session:
        assert session.scalar(select(func.count()).select_from(ActionItem)) == before


def test_import_refuses_a_file_without_the_columns(cli_env, tmp_path):
    runner, main = cli_env
    wb = Workbook()
    wb.active.append(["编号", "内容"])
    wb.save(tmp_path / "other.xlsx")
    result = runner.invoke(main, ["import", "ledger", str(tmp_path / "other.xlsx")])
    assert result.exit_code == 1 and "missing column(s) 序号, 会议, 问题/任务, 责任单位, 完成时限" in result.output
