"""The admin page's rules tab: campaign targets, plate rules and rectification rules.

Admins change them through the page (and the services); nobody else can, by any route; bad
values are refused with a message and write nothing; a plate-rule change re-rates the active
sites at once, a rectification-rule change keeps given deadlines and recomputes open levels;
unreadable stored rules fall back to the defaults.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from dashboard.analytics.rules import rules_in_force
from dashboard.domain import rectification as rect_rules
from dashboard.domain.compliance import PlateRules
from dashboard.domain.inspection import ItemEntry
from dashboard.domain.rectification import RectificationRules
from dashboard.domain.rules import InvalidRule
from dashboard.domain.targets import InvalidTarget, YearTargets
from dashboard.services import settings as service
from dashboard.services.access import Actor, Forbidden
from dashboard.services.inspections import record
from dashboard.store import air as air_store
from dashboard.store import inspections as inspection_store
from dashboard.store import rectifications as rect_store
from dashboard.store import sites as site_store
from dashboard.store.db import session_scope
from dashboard.store.models import AppSetting, AuditEntry, PlateChange, Rectification, Site
from tests.conftest import TEST_PASSWORDS, make_settings
from tests.dash_http import call, log_in, text_of
from tests.integration.test_callback_faults import table_hash

TZ = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2025, 12, 11)  # the demo's pinned day
NOT_ADMINS = ("viewer", "inspector", "editor")
YEAR = {"pm25": 45, "pm10": 75, "good_day_share": 0.72, "heavy_days": 8}


def admin_client(app, role: str = "admin"):
    client = app.server.test_client()
    log_in(client, role, TEST_PASSWORDS[role])
    return client


def plate_form(**changes) -> dict:
    values = {"admin-rules-plates-save.n_clicks": 1, "admin-rules-window-days.value": 28,
              "admin-rules-red-failures.value": 6, "admin-rules-red-overdue-rectifications.value": 2,
              "admin-rules-yellow-failures.value": 2, "admin-rules-yellow-open-rectifications.value": 1,
              "admin-rules-red-on-working-during-stop.checked": True}
    return values | {f"admin-rules-{k.replace('_', '-')}.value": v for k, v in changes.items()}


def rect_form(**changes) -> dict:
    values = {"admin-rules-rect-save.n_clicks": 1, "admin-rules-deadline-days.value": 3,
              "admin-rules-repeat-window-days.value": 60, "admin-rules-repeat-cap.value": 2,
              "admin-rules-late-thresholds.value": "0, 7", "admin-rules-max-level.value": "3"}
    return values | {f"admin-rules-{k.replace('_', '-')}.value": v for k, v in changes.items()}


def target_form(year="2025", **changes) -> dict:
    values = {"admin-rules-targets-save.n_clicks": 1, "admin-rules-target-year.value": year,
              "admin-rules-target-pm25.value": 45, "admin-rules-target-pm10.value": 75,
              "admin-rules-target-share.value": 72, "admin-rules-target-heavy.value": 8}
    return values | {f"admin-rules-target-{k}.value": v for k, v in changes.items()}


def wall_form(minutes) -> dict:
    return {"admin-rules-wall-save.n_clicks": 1, "admin-rules-wall-stale.value": minutes}


def audits(session, entity_id: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.entity == "app_settings",
                                                         AuditEntry.entity_id == entity_id)))


# --------------------------------------------------------------------------- who may
def test_every_rules_service_refuses_non_admins_and_writes_nothing(demo):
    _app, settings = demo
    before = table_hash(settings.database_url)
    plates = PlateRules(red_failures=3).as_dict()
    rect = RectificationRules(deadline_days=7).as_dict()
    for role in NOT_ADMINS:
        actor = Actor(None, role)
        with pytest.raises(Forbidden):
            service.set_targets(settings, actor, good_day_share=0.8, pm25=40)
        with pytest.raises(Forbidden):
            service.set_year_targets(settings, actor, 2025, YEAR)
        with pytest.raises(Forbidden):
            service.set_plate_rules(settings, actor, plates)
        with pytest.raises(Forbidden):
            service.set_rectification_rules(settings, actor, rect)
        with pytest.raises(Forbidden):
            service.set_wall_stale_minutes(settings, actor, 30)
    assert table_hash(settings.database_url) == before


def test_an_editor_calling_the_callbacks_is_refused_and_nothing_changes(demo):
    app, settings = demo
    client = admin_client(app, "editor")
    before = table_hash(settings.database_url)
    for output, values in (
        ("admin-rules-targets-message.children", target_form(share=80)),
        ("admin-rules-plates-message.children", plate_form(red_failures=3)),
        ("admin-rules-rect-message.children", rect_form(deadline_days=5)),
        ("admin-rules-wall-message.children", wall_form(30)),
    ):
        response = call(client, app, output, values)
        assert response.status_code == 200
        assert "没有这项操作的权限" in text_of(response), output
    assert table_hash(settings.database_url) == before


# --------------------------------------------------------------------------- targets
def test_targets_default_store_validate_and_audit(tmp_path):
    """Moved from the air page, whose form is gone: the rules tab saves them now."""
    from dashboard.store.db import upgrade
    from dashboard.store.users import upsert_user

    settings = make_settings(tmp_path)
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        assert air_store.targets(session) == {"target_good_day_share": 0.70, "target_pm25": 50.0}
        admin = Actor(upsert_user(session, "ada", "admin-pass-1", "admin").id, "admin")
    assert service.set_targets(settings, admin, good_day_share=0.75, pm25="45") == {"target_good_day_share": 0.75,
                                                                                     "target_pm25": 45.0}
    for share, pm25 in ((1.5, 45), (0.7, float("inf")), (0.7, "很多"), (None, 45), (0.7, 0)):
        with pytest.raises(InvalidTarget):
            service.set_targets(settings, admin, good_day_share=share, pm25=pm25)
    with session_scope(settings.database_url) as session:
        assert air_store.targets(session) == {"target_good_day_share": 0.75, "target_pm25": 45.0}
        (entry,) = audits(session, "targets")
        assert entry.user_id == admin.user_id
        assert entry.detail["before"]["target_pm25"] == 50.0 and entry.detail["after"]["target_pm25"] == 45.0


def test_yearly_targets_fall_back_then_store_validate_and_audit(tmp_path):
    from dashboard.store.db import upgrade
    from dashboard.store.users import upsert_user

    settings = make_settings(tmp_path)
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        admin = Actor(upsert_user(session, "ada", "admin-pass-1", "admin").id, "admin")
        editor = Actor(upsert_user(session, "ed", "editor-pass-1", "editor").id, "editor")
    # The original two keys are what a year without its own targets runs on: nothing is lost.
    service.set_targets(settings, admin, good_day_share=0.66, pm25=48)
    with session_scope(settings.database_url) as session:
        assert air_store.targets_of_year(session, 2025) == YearTargets(48.0, 70.0, 0.66, 10, own=False)
    with pytest.raises(Forbidden):
        service.set_year_targets(settings, editor, 2025, YEAR)
    saved = service.set_year_targets(settings, admin, "2025", YEAR)
    assert saved.changed and saved.year == 2025 and saved.targets == YearTargets(45.0, 75.0, 0.72, 8)
    assert not service.set_year_targets(settings, admin, 2025, YEAR).changed  # the same again writes nothing
    service.set_year_targets(settings, admin, 2026, {**YEAR, "pm25": "42"})
    for year, values in ((2025, {**YEAR, "pm25": "很多"}), (2025, {**YEAR, "heavy_days": 2.5}),
                         (2025, {**YEAR, "good_day_share": 72}), (2025, {**YEAR, "pm10": None}),
                         (1999, YEAR), ("明年", YEAR)):
        with pytest.raises(InvalidTarget):
            service.set_year_targets(settings, admin, year, values)
    with session_scope(settings.database_url) as session:
        assert air_store.targets_of_year(session, 2025) == YearTargets(45.0, 75.0, 0.72, 8)
        assert air_store.targets_of_year(session, 2026).pm25 == 42.0
        assert air_store.targets_of_year(session, 2027).own is False  # other years keep the defaults
        assert air_store.targets(session) == {"target_good_day_share": 0.66, "target_pm25": 48.0}
        (entry,) = audits(session, "air_targets.2025")
        assert entry.user_id == admin.user_id
        assert entry.detail == {"year": 2025, "before_own": False,
                                "before": {"pm25": 48.0, "pm10": 70.0, "good_day_share": 0.66, "heavy_days": 10},
                                "after": {"pm25": 45.0, "pm10": 75.0, "good_day_share": 0.72, "heavy_days": 8}}
        assert len(audits(session, "air_targets.2026")) == 1


def test_an_admin_sets_a_years_targets_on_the_rules_tab_and_the_air_page_shows_them(demo):
    from tests.integration.test_page_states import page

    app, settings = demo
    client = admin_client(app)
    before = table_hash(settings.database_url)
    for change, message in (({"share": 120}, "“优良天数比例目标”须在 0–100 之间。未作修改。"),
                            ({"pm25": "很多"}, "“PM2.5 年均浓度目标（µg/m³）”不是有效数字"),
                            ({"heavy": 2.5}, "“重污染天数目标（天）”须为整数天数。")):
        refused = call(client, app, "admin-rules-targets-message.children", target_form(**change))
        assert message in text_of(refused)
        # Only the message is written: the inputs keep what the admin typed.
        assert "admin-rules-target-" not in refused.get_data(as_text=True)
    assert table_hash(settings.database_url) == before
    # Choosing a year shows its targets (the defaults for a year without its own).
    shown = call(client, app, "admin-rules-target-own.children", {"admin-rules-target-year.value": "2025"})
    assert "2025年尚未单独设定目标" in text_of(shown) and "50" in shown.get_data(as_text=True)
    saved = call(client, app, "admin-rules-targets-message.children", target_form(share=80))
    assert "2025年目标已保存：PM2.5 45 µg/m³，PM10 75 µg/m³，优良天数比例 80%，重污染天数 8 天。" in text_of(saved)
    with session_scope(settings.database_url) as session:
        assert air_store.targets_of_year(session, 2025) == YearTargets(45.0, 75.0, 0.80, 8)
    air = text_of_json(page(client, "/air"))
    assert "2025年攻坚目标进度" in air and "优良天数比例 80% 的目标" in air and "今年还可有" in air
    assert "/admin?tab=rules" in air or "air-targets-admin" in str(page(client, "/air"))


# --------------------------------------------------------------------------- the wall's stale-data limit
def test_an_admin_sets_the_walls_stale_limit_on_the_rules_tab_and_the_wall_follows(demo):
    from dashboard.store import display as display_store

    app, settings = demo
    client = admin_client(app)
    tab = page_with_query(client, "/admin", "?tab=rules")
    said = text_of_json(tab)
    assert "大屏数据超时提醒（分钟）" in said and "变为红色" in said and "10–10080 分钟" in said
    assert '"id": "admin-rules-wall-stale"' in json.dumps(tab) and '"value": 120' in json.dumps(tab)
    saved = call(client, app, "admin-rules-wall-message.children", wall_form(45))
    assert "已保存：最新监测数据早于 45 分钟时" in text_of(saved)
    with session_scope(settings.database_url) as session:
        assert display_store.stale_minutes(session) == 45
        (entry,) = audits(session, display_store.STALE_MINUTES_KEY)
        assert entry.detail == {"before": 120, "after": 45}
    assert '"value": 45' in json.dumps(page_with_query(client, "/admin", "?tab=rules"))
    # The same again writes nothing more.
    call(client, app, "admin-rules-wall-message.children", wall_form(45))
    with session_scope(settings.database_url) as session:
        assert len(audits(session, display_store.STALE_MINUTES_KEY)) == 1


@pytest.mark.parametrize("minutes", [None, "", 0, 9, 10081, 12.5, "60", True, 10**9])
def test_a_bad_stale_limit_is_refused_with_a_message_and_writes_nothing(demo, minutes):
    app, settings = demo
    client = admin_client(app)
    before = table_hash(settings.database_url)
    response = call(client, app, "admin-rules-wall-message.children", wall_form(minutes))
    assert response.status_code == 200
    assert "须为 10 至 10080 之间的整数分钟。未作修改。" in text_of(response)
    # Only the message is answered: the field keeps what was typed.
    assert set(response.get_json()["response"]) == {"admin-rules-wall-message"}
    assert table_hash(settings.database_url) == before


def text_of_json(tree) -> str:
    from tests.dash_http import texts

    return "\n".join(texts(tree))


# --------------------------------------------------------------------------- plates
def test_a_plate_rule_change_rerates_every_active_site_and_is_audited(demo):
    app, settings = demo
    client = admin_client(app)
    with session_scope(settings.database_url) as session:
        before = dict(session.execute(select(Site.id, Site.plate)).all())
        stopped = dict(session.execute(select(Site.id, Site.plate).where(Site.status != "active")).all())
        changes_before = session.scalar(select(func.count()).select_from(PlateChange))
    # Stricter: three failed items in four weeks make a site red.
    response = call(client, app, "admin-rules-plates-message.children", plate_form(red_failures=3))
    said = text_of(response)
    assert "规则已保存，已重新评牌" in said
    with session_scope(settings.database_url) as session:
        rules = site_store.plate_rules(session)
        assert rules == PlateRules(red_failures=3)
        after = dict(session.execute(select(Site.id, Site.plate)).all())
        changed = {sid: (before[sid], after[sid]) for sid in after if after[sid] != before[sid]}
        assert changed and all(new == "red" for _old, new in changed.values())
        assert f"{len(changed)} 个工地牌色改变" in said
        assert session.scalar(select(func.count()).select_from(PlateChange)) == changes_before + len(changed)
        for sid, plate in after.items():
            if sid in stopped:
                assert plate == stopped[sid]  # suspended and completed sites keep their plate
            else:
                assert plate == site_store.plate_decision(session, sid, TODAY, TZ).plate
        (entry,) = audits(session, site_store.PLATE_RULES_KEY)
        assert entry.detail["before"]["red_failures"] == 6 and entry.detail["after"]["red_failures"] == 3
        assert entry.detail["plates"] == {str(sid): list(pair) for sid, pair in changed.items()}
    again = call(client, app, "admin-rules-plates-message.children", plate_form(red_failures=3))
    assert "与现行规则相同" in text_of(again)
    with session_scope(settings.database_url) as session:
        assert len(audits(session, site_store.PLATE_RULES_KEY)) == 1


@pytest.mark.parametrize(("changes", "message"), [
    ({"yellow_failures": 6}, "黄牌的不合格项数须小于红牌的不合格项数"),
    ({"yellow_open_rectifications": 3}, "黄牌的未销号整改数不得大于红牌的逾期未销号整改数"),
    ({"window_days": 3}, "“统计天数”须在 7 到 365 之间"),
    ({"red_failures": 2.5}, "“不合格项数达到（红牌）”须为整数"),
    ({"red_overdue_rectifications": None}, "请填写“逾期未销号整改数达到”"),
    ({"yellow_failures": "两个"}, "须为整数"),
])
def test_bad_plate_rules_are_refused_with_a_message_and_write_nothing(demo, changes, message):
    app, settings = demo
    client = admin_client(app)
    before = table_hash(settings.database_url)
    response = call(client, app, "admin-rules-plates-message.children", plate_form(**changes))
    assert message in text_of(response)
    assert table_hash(settings.database_url) == before


# --------------------------------------------------------------------------- rectification
def quiet_site(session) -> int:
    open_sites = select(Rectification.site_id).where(Rectification.status == "open")
    return session.scalar(select(Site.id).where(Site.status == "active", Site.id.not_in(open_sites))
                          .order_by(Site.id).limit(1))


def test_a_rectification_rule_change_keeps_given_deadlines_and_recomputes_open_levels(demo):
    app, settings = demo
    client = admin_client(app)
    with session_scope(settings.database_url) as session:
        deadlines = dict(session.execute(select(Rectification.id, Rectification.deadline)).all())
        closed_levels = dict(session.execute(select(Rectification.id, Rectification.escalation_level)
                                             .where(Rectification.status == "closed")).all())
        assert any(level > 1 for level in closed_levels.values())
    # A longer deadline, a ladder that stops at 警告 (level 1).
    response = call(client, app, "admin-rules-rect-message.children",
                    rect_form(deadline_days=5, max_level="1", late_thresholds="0，14"))
    assert "规则已保存" in text_of(response)
    with session_scope(settings.database_url) as session:
        rules = rect_store.load_rules(session)
        assert rules == RectificationRules(deadline_days=5, late_thresholds=(0, 14), max_level=1)
        assert dict(session.execute(select(Rectification.id, Rectification.deadline)).all()) == deadlines
        failures = rect_store.failures_at(session, {(r.site_id, r.item_key)
                                                     for r in rect_store.open_rectifications(session)})
        for rect in rect_store.open_rectifications(session):
            expected = rect_rules.level_as_of(rect.opened_by_id, rect.opened_at, rect.deadline, None,
                                              failures.get((rect.site_id, rect.item_key), []), TODAY, TZ, rules)
            assert rect.escalation_level == expected <= 1
        assert dict(session.execute(select(Rectification.id, Rectification.escalation_level)
                                    .where(Rectification.status == "closed")).all()) == closed_levels
        (entry,) = audits(session, rect_store.RULES_KEY)
        assert entry.detail["before"] == RectificationRules().as_dict()
        assert entry.detail["after"] == {"deadline_days": 5, "repeat_window_days": 60, "repeat_cap": 2,
                                         "late_thresholds": [0, 14], "max_level": 1}
        assert entry.detail["levels"] and all(new <= 1 for _id, _old, new in entry.detail["levels"])
        assert f"{len(entry.detail['levels'])} 条未销号整改的级别随之改变" in text_of(response)

        # A failure found from now on gets the new deadline.
        site = quiet_site(session)
        when = dt.datetime(2025, 12, 11, 15, 0, tzinfo=TZ)
        keys = inspection_store.checklist_for(session, when.date()).keys
        entries = tuple(ItemEntry(k, "fail" if k == "cover" else "pass", "裸土未覆盖" if k == "cover" else "")
                        for k in keys)
        saved = record(session, Actor.system(), inspection_store.InspectionInput(
            site_id=site, inspected_at=when, inspector_name="王磊", entries=entries), submit=True, tz=TZ)
        (opened,) = saved.outcome.opened
        assert session.get(Rectification, opened).deadline == dt.date(2025, 12, 16)


@pytest.mark.parametrize(("changes", "message"), [
    ({"deadline_days": 0}, "“整改期限（天）”须在 1 到 90 之间"),
    ({"late_thresholds": "0, 0"}, "逾期天数门槛不能重复"),
    ({"late_thresholds": "1, 2, 3, 4"}, "逾期天数门槛最多 3 个"),
    ({"late_thresholds": "三天"}, "“逾期天数门槛”须为整数"),
    ({"max_level": "4"}, "“最高级别”须在 1 到 3 之间"),
    ({"repeat_cap": -1}, "“重复不合格最多计几次”须在 0 到 3 之间"),
])
def test_bad_rectification_rules_are_refused_with_a_message_and_write_nothing(demo, changes, message):
    app, settings = demo
    client = admin_client(app)
    before = table_hash(settings.database_url)
    response = call(client, app, "admin-rules-rect-message.children", rect_form(**changes))
    assert message in text_of(response)
    assert table_hash(settings.database_url) == before


def test_the_services_refuse_bad_values_too(demo):
    _app, settings = demo
    admin = Actor.system()
    for values in ({}, {**PlateRules().as_dict(), "red_on_working_during_stop": "yes"},
                   {**PlateRules().as_dict(), "window_days": float("nan")}):
        with pytest.raises(InvalidRule):
            service.set_plate_rules(settings, admin, values)
    for values in ({**RectificationRules().as_dict(), "late_thresholds": [400]},
                   {**RectificationRules().as_dict(), "deadline_days": True}):
        with pytest.raises(InvalidRule):
            service.set_rectification_rules(settings, admin, values)


# --------------------------------------------------------------------------- bad stored values
def test_unreadable_stored_rules_fall_back_to_defaults_and_break_no_page(demo):
    from tests.integration.test_page_states import page

    app, settings = demo
    garbage = {site_store.PLATE_RULES_KEY: '{"window_days": Infinity, "red_failures": 1e400, "yellow_failures": [2]',
               rect_store.RULES_KEY: '{"deadline_days": -4, "late_thresholds": "0,7", "max_level": 99, "x": 1}',
               "target_good_day_share": "NaN", "target_pm25": "-5"}
    with session_scope(settings.database_url) as session:
        for key, value in garbage.items():
            session.merge(AppSetting(key=key, value=value))
    with session_scope(settings.database_url) as session:
        rules = rules_in_force(session)
    assert rules.plates == PlateRules() and rules.rectification == RectificationRules()
    assert rules.targets == {"target_good_day_share": 0.70, "target_pm25": 50.0}
    with session_scope(settings.database_url) as session:
        session.merge(AppSetting(key=site_store.PLATE_RULES_KEY, value='{"window_days": 1e400, "red_failures": 4}'))
        session.merge(AppSetting(key=rect_store.RULES_KEY, value='{"late_thresholds": [0, 0.5], "repeat_cap": 1}'))
    with session_scope(settings.database_url) as session:
        rules = rules_in_force(session)
    assert rules.plates == PlateRules(red_failures=4)
    assert rules.rectification == RectificationRules(repeat_cap=1)
    client = admin_client(app)
    for path in ("/admin", "/sites", "/rectifications", "/air", "/compliance"):
        page(client, path)
    layout = page_with_query(client, "/admin", "?tab=rules")
    assert "admin-rules-plates" in str(layout)


def page_with_query(client, path: str, search: str) -> dict:
    from tests.dash_http import csrf_header

    response = client.post("/_dash-update-component", headers=csrf_header(client), json={
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                   {"id": "_pages_location", "property": "search", "value": search}],
        "changedPropIds": ["_pages_location.pathname"], "state": [],
    })
    assert response.status_code == 200 and "服务器出错" not in text_of(response)
    return response.get_json()
