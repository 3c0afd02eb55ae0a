"""Exceedances that start work: HJ 212 frames through the receiver's service open 待核查 tasks,
a submitted inspection of the site closes them, `monitors check` finds silent monitors; the
rules are edited by admins only, audited; an inspector sees only their township's tasks."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, func, select, update

from dashboard.analytics.dust_tasks import open_tasks, open_tasks_of_site
from dashboard.cli import main
from dashboard.domain import hj212
from dashboard.domain.inspection import ItemEntry
from dashboard.domain.rules import InvalidRule
from dashboard.services import dust_tasks, site_dust
from dashboard.services.access import Actor, Forbidden
from dashboard.services.inspections import save_inspection
from dashboard.store import dust_tasks as task_store
from dashboard.store import inspections as inspection_store
from dashboard.store.db import read_scope, session_scope
from dashboard.store.models import (
    AppSetting,
    AuditEntry,
    DustMonitor,
    DustTask,
    Reading,
    Site,
    Station,
    Township,
    User,
)
from dashboard.store.users import upsert_user
from tests.conftest import TEST_PASSWORDS, make_settings
from tests.dash_http import call, log_in, page_layout, text_of
from tests.integration.inspection_db import copy_demo

TZ = ZoneInfo("Asia/Shanghai")
MN, PW = "410103DUST00000000000077", "123456"
DAY = dt.datetime(2025, 12, 11, tzinfo=TZ)  # the demo's pinned day
RECEIVED = dt.datetime(2025, 12, 11, 23, 0, tzinfo=TZ)
ABOVE_ONLY = [{"kind": "pm10_above", "enabled": True, "limit": 150, "hours": 2},
              {"kind": "pm10_excess", "enabled": False, "margin": 80, "hours": 3},
              {"kind": "offline", "enabled": False, "minutes": 60}]


@pytest.fixture
def demo(tmp_path_factory, tmp_path):
    url = next(copy_demo(tmp_path_factory, tmp_path))
    settings = make_settings(tmp_path, database_url=url)
    with session_scope(url) as session:
        site = session.scalar(select(Site).join(Township).where(Township.name == "侯寨乡", Site.status == "active",
                                                                Site.longitude.is_not(None)).order_by(Site.id))
        code, site_id = site.code, site.id
        # The demo's own monitors would open tasks of their own: these tests follow one monitor.
        session.execute(update(DustMonitor).values(active=False))
    site_dust.add_monitor(settings, Actor.system(), MN, code, PW)
    return settings, site_id


def hour_bytes(hour: int, pm10: float, flag: str = "N") -> bytes:
    start = DAY + dt.timedelta(hours=hour)
    cp = f"DataTime={hj212.format_data_time(start)};a34002-Avg={pm10:.1f},a34002-Flag={flag}"
    segment = hj212.build_segment(qn=hj212.qn_for(start), st="22", cn=2061, pw=PW, mn=MN, flag=5, cp=cp)
    return hj212.encode_frame(segment)


def hour_frame(hour: int, pm10: float, flag: str = "N") -> hj212.Frame:
    return hj212.parse_frame(hour_bytes(hour, pm10, flag))


def minute_frames(hour: int, pm10: float, count: int = 60) -> list[hj212.Frame]:
    frames = []
    for minute in range(count):
        start = DAY + dt.timedelta(hours=hour, minutes=minute)
        cp = f"DataTime={hj212.format_data_time(start)};a34002-Avg={pm10:.1f},a34002-Flag=N"
        segment = hj212.build_segment(qn=hj212.qn_for(start), st="22", cn=2051, pw=PW, mn=MN, flag=5, cp=cp)
        frames.append(hj212.parse_frame(hj212.encode_frame(segment)))
    return frames


def receive(settings, frames, received=RECEIVED):
    directory = site_dust.MonitorDirectory(settings)
    outcomes = site_dust.receive_frames(settings, site_dust.receiver_actor(), frames, directory, received)
    assert all(o.status == "stored" for o in outcomes)


def tasks(settings, **where) -> list[DustTask]:
    with session_scope(settings.database_url) as session:
        query = select(DustTask).order_by(DustTask.id)
        for name, value in where.items():
            query = query.where(getattr(DustTask, name) == value)
        return list(session.scalars(query))


def inspect(settings, site_id: int, hour: int, minute: int = 0, actor: Actor | None = None, submit: bool = True):
    when = DAY + dt.timedelta(hours=hour, minutes=minute)
    with read_scope(settings.database_url) as session:
        keys = inspection_store.checklist_for(session, when.date()).keys
        actor = actor or inspector(session)
    data = inspection_store.InspectionInput(site_id=site_id, inspected_at=when, inspector_name="王磊",
                                            entries=tuple(ItemEntry(k, "pass") for k in keys))
    return save_inspection(settings, actor, data, submit=submit)


def inspector(session, name: str = "inspector") -> Actor:
    user = session.scalar(select(User).where(User.username == name))
    return Actor(user.id, user.role, user.township_id, user.username)


def test_an_exceedance_opens_exactly_one_task_and_an_inspection_closes_it(demo):
    settings, site_id = demo
    dust_tasks.set_dust_rules(settings, Actor.system(), ABOVE_ONLY)
    receive(settings, [hour_frame(8, 236.0)])
    assert tasks(settings) == []  # one hour is not yet an episode
    receive(settings, [hour_frame(9, 180.0)])
    [task] = tasks(settings)
    assert (task.site_id, task.kind, task.status) == (site_id, "pm10_above", "open")
    assert task.first_hour == (DAY + dt.timedelta(hours=8)).astimezone(dt.UTC)
    assert task.peak_value == 236.0 and task.detail == {"kind": "pm10_above", "enabled": True, "limit": 150,
                                                        "hours": 2}
    # The breach goes on, the same frames come again: no second task, the episode grows.
    receive(settings, [hour_frame(10, 250.0), hour_frame(9, 180.0)])
    receive(settings, [hour_frame(11, 170.0)])
    [task] = tasks(settings)
    assert task.last_hour == (DAY + dt.timedelta(hours=11)).astimezone(dt.UTC) and task.peak_value == 250.0
    with session_scope(settings.database_url) as session:
        opened = session.scalars(select(AuditEntry).where(AuditEntry.entity == "dust_task")).all()
        assert [(a.action, a.user_id, a.detail["by"]) for a in opened] == [("open", None, "HJ 212 receiver")]

    # A draft, or a visit made before the episode began, closes nothing.
    inspect(settings, site_id, 12, submit=False)
    inspect(settings, site_id, 7)
    assert tasks(settings)[0].status == "open"
    saved = inspect(settings, site_id, 12, 30)
    [task] = tasks(settings)
    assert (task.status, task.closed_by_inspection_id) == ("closed", saved.inspection_id)
    assert task.closed_at is not None

    # The closed episode going on opens nothing; a new one after a clean hour does.
    receive(settings, [hour_frame(12, 200.0)])
    assert len(tasks(settings)) == 1
    receive(settings, [hour_frame(13, 90.0), hour_frame(14, 160.0)])
    assert len(tasks(settings)) == 1
    receive(settings, [hour_frame(15, 210.0)])
    first, second = tasks(settings)
    assert (first.status, second.status) == ("closed", "open")
    assert second.first_hour == (DAY + dt.timedelta(hours=14)).astimezone(dt.UTC) and second.peak_value == 210.0


def test_minute_data_and_invalid_flags(demo):
    settings, _site_id = demo
    dust_tasks.set_dust_rules(settings, Actor.system(), ABOVE_ONLY)
    # Two hours of minute data above the limit: the first minute of the next hour completes each.
    receive(settings, minute_frames(8, 200.0) + minute_frames(9, 200.0) + minute_frames(10, 90.0, count=1))
    [task] = tasks(settings)
    assert task.first_hour == (DAY + dt.timedelta(hours=8)).astimezone(dt.UTC) and task.peak_value == 200.0


def test_invalid_hours_do_not_breach(demo):
    settings, _site_id = demo
    dust_tasks.set_dust_rules(settings, Actor.system(), ABOVE_ONLY)
    # A fault-flagged hour, and an hour of only 30 minutes of data, break the run.
    receive(settings, [hour_frame(8, 300.0), hour_frame(9, 300.0, flag="D"), hour_frame(10, 300.0)])
    receive(settings, minute_frames(11, 300.0, count=30) + minute_frames(12, 300.0, count=1))
    assert tasks(settings) == []


def test_excess_over_the_nearest_station(demo):
    settings, site_id = demo
    rules = [dict(r) for r in ABOVE_ONLY]
    rules[0]["enabled"], rules[1]["enabled"] = False, True
    dust_tasks.set_dust_rules(settings, Actor.system(), rules)
    with session_scope(settings.database_url) as session:
        site = session.get(Site, site_id)
        points = task_store.stations(session)
        from dashboard.domain.dust_tasks import nearest_station

        station, _km = nearest_station(site.longitude, site.latitude, points)
        station_id = session.scalar(select(Station.id).where(Station.code == station.code))
        # The station's hours 8-12 (CNEMC labels them by their end: 9-13 o'clock).
        for hour, value in ((9, 100.0), (10, 120.0), (11, 60.0), (12, 100.0), (13, 100.0)):
            when = (DAY + dt.timedelta(hours=hour)).astimezone(dt.UTC)
            session.execute(delete(Reading).where(Reading.station_id == station_id, Reading.pollutant == "PM10",
                                                  Reading.time == when))
            session.add(Reading(station_id=station_id, pollutant="PM10", time=when, value=value, source="test"))
    # Site 190, 199, 140, 185: 90, 79, 80, 85 above the station; 79 breaks the run.
    receive(settings, [hour_frame(h, v) for h, v in ((8, 190.0), (9, 199.0), (10, 140.0), (11, 185.0))])
    assert tasks(settings) == []
    receive(settings, [hour_frame(12, 250.0)])  # 150 above: a third hour
    [task] = tasks(settings)
    assert task.kind == "pm10_excess" and task.first_hour == (DAY + dt.timedelta(hours=10)).astimezone(dt.UTC)
    assert task.detail["station"] == station.code and task.detail["margin"] == 80
    assert (task.peak_value, task.detail["peak_excess"]) == (250.0, 150.0)


def test_offline_monitors_through_monitors_check(demo):
    settings, site_id = demo
    runner = CliRunner(env={"DATABASE_URL": settings.database_url, "DASHBOARD_DATA_DIR": str(settings.data_dir),
                            "SECRET_KEY": "x"})
    now = dt.datetime.now(dt.UTC)
    receive(settings, [hour_frame(8, 50.0)], received=now - dt.timedelta(minutes=30))
    result = runner.invoke(main, ["monitors", "check"])
    assert result.exit_code == 0, result.output
    assert "0 task(s) opened" in result.output
    # The monitor stops: 61 minutes later it is offline, once.
    with session_scope(settings.database_url) as session:
        session.execute(update(DustMonitor).values(last_seen_at=now - dt.timedelta(minutes=61)))
    result = runner.invoke(main, ["monitors", "check"])
    assert "1 task(s) opened" in result.output, result.output
    again = dust_tasks.check_monitors(settings, Actor.system(), now + dt.timedelta(minutes=30))
    assert again.opened == [] and again.extended == 1
    [task] = tasks(settings)
    assert (task.kind, task.site_id, task.peak_value) == ("offline", site_id, 91.0)
    # A removed monitor is not offline: it is not there.
    site_dust.remove_monitor(settings, Actor.system(), MN)
    assert dust_tasks.check_monitors(settings, Actor.system(), now + dt.timedelta(days=2)).monitors == 0


def test_the_rules_are_edited_by_admins_only_and_audited(demo):
    settings, _site_id = demo
    new = [{"kind": "pm10_above", "enabled": True, "limit": 200, "hours": 3},
           {"kind": "pm10_excess", "enabled": False, "margin": 100, "hours": 4},
           {"kind": "offline", "enabled": True, "minutes": 120}]
    with read_scope(settings.database_url) as session:
        for name in ("inspector", "editor", "viewer"):
            with pytest.raises(Forbidden):
                dust_tasks.set_dust_rules(settings, inspector(session, name), new)
    with pytest.raises(InvalidRule):
        dust_tasks.set_dust_rules(settings, Actor.system(), [{**new[0], "limit": 10}, *new[1:]])
    with session_scope(settings.database_url) as session:
        assert session.get(AppSetting, task_store.RULES_KEY) is None
        admin = inspector(session, "admin")
    saved = dust_tasks.set_dust_rules(settings, admin, new)
    assert saved.changed and [r.as_dict() for r in saved.rules] == new
    assert not dust_tasks.set_dust_rules(settings, admin, new).changed
    with session_scope(settings.database_url) as session:
        assert [r.as_dict() for r in task_store.load_rules(session)] == new
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.entity_id == task_store.RULES_KEY)).all()
        assert entry.user_id == admin.user_id and entry.detail["after"] == new
        assert entry.detail["before"][0] == {"kind": "pm10_above", "enabled": True, "limit": 150, "hours": 2}
        # A stored value gone bad counts as the defaults.
        session.get(AppSetting, task_store.RULES_KEY).value = "{not json"
    with read_scope(settings.database_url) as session:
        assert task_store.load_rules(session)[0].limit == 150


def test_the_inspector_of_another_township_does_not_see_the_task(demo):
    settings, site_id = demo
    dust_tasks.set_dust_rules(settings, Actor.system(), ABOVE_ONLY)
    receive(settings, [hour_frame(8, 236.0), hour_frame(9, 180.0)])
    with session_scope(settings.database_url) as session:
        home = session.scalar(select(Site.township_id).where(Site.id == site_id))
        other = session.scalar(select(Township.id).where(Township.id != home).order_by(Township.id))
        upsert_user(session, "other-inspector", "other-pass-1", "inspector", township_id=other)
    with read_scope(settings.database_url) as session:
        mine = open_tasks(session, home)
        assert [(t.site_id, t.kind, t.hours, t.peak) for t in mine] == [(site_id, "pm10_above", 2, 236.0)]
        assert open_tasks(session, other) == []
        assert len(open_tasks(session, None)) == 1
        assert [t.id for t in open_tasks_of_site(session, site_id)] == [mine[0].id]
    # Nor may they close it: an inspection of a site outside their township is refused.
    with read_scope(settings.database_url) as session:
        outsider = inspector(session, "other-inspector")
    with pytest.raises(Forbidden):
        inspect(settings, site_id, 12, actor=outsider)
    assert tasks(settings)[0].status == "open"


def test_two_evaluations_at_once_open_one_task(demo):
    """The partial unique index: a second open task for a site and kind is refused, and the
    rest of that transaction stands."""
    settings, site_id = demo
    from dashboard.domain.dust_tasks import Run

    run = Run(DAY.astimezone(dt.UTC), DAY.astimezone(dt.UTC), 200.0)
    with session_scope(settings.database_url) as session:
        monitor_id = session.scalar(select(DustMonitor.id))
        first = task_store.open_task(session, site_id, monitor_id, "pm10_above", run, {})
        second = task_store.open_task(session, site_id, monitor_id, "pm10_above", run, {})
        other_kind = task_store.open_task(session, site_id, monitor_id, "offline", run, {})
    assert first is not None and second is None and other_kind is not None
    with session_scope(settings.database_url) as session:
        assert session.scalar(select(func.count()).select_from(DustTask)) == 2


# --------------------------------------------------------------------------- pages
def app_of(settings):
    from dashboard.app import create_app

    return create_app(settings)


def client_as(app, username: str, password: str):
    client = app.server.test_client()
    assert log_in(client, username, password).status_code in (302, 303)
    return client


def test_the_task_is_on_its_townships_home_pages_the_site_page_and_the_wall(demo):
    settings, site_id = demo
    dust_tasks.set_dust_rules(settings, Actor.system(), ABOVE_ONLY)
    receive(settings, [hour_frame(8, 236.0), hour_frame(9, 180.0)])
    with session_scope(settings.database_url) as session:
        site_name = session.get(Site, site_id).name
        home = session.scalar(select(Site.township_id).where(Site.id == site_id))
        other = session.scalar(select(Township.id).where(Township.id != home).order_by(Township.id))
        upsert_user(session, "other-inspector", "other-pass-1", "inspector", township_id=other)
    app = app_of(settings)
    what = "PM10 小时值 236 µg/m³，连续 2 小时超过 150"
    for user, password in (("inspector", TEST_PASSWORDS["inspector"]), ("editor", TEST_PASSWORDS["editor"])):
        page = page_layout(client_as(app, user, password), "/")
        said = text_of(page)
        assert site_name in said and what in said and "巡查此工地" in said, user
        assert f"/inspections/new?site={site_id}" in json.dumps(page.get_json()), user
    said = text_of(page_layout(client_as(app, "other-inspector", "other-pass-1"), "/"))
    assert site_name not in said and what not in said
    # The viewer sees it, without a link to inspect (a viewer records nothing).
    page = page_layout(client_as(app, "viewer", TEST_PASSWORDS["viewer"]), "/")
    assert what in text_of(page) and "dust-task-inspect" not in json.dumps(page.get_json())
    said = text_of(page_layout(client_as(app, "viewer", TEST_PASSWORDS["viewer"]), f"/sites/{site_id}"))
    assert "扬尘待核查 1" in said and what in said
    from dashboard.analytics.wall import wall_data

    with read_scope(settings.database_url) as session:
        wall = wall_data(session, settings.database_url, settings.tz)
    assert wall.dust_open == 1 and [t.site_id for t in wall.dust_tasks] == [site_id]


def test_an_admin_edits_the_dust_rules_on_the_rules_tab(demo):
    settings, _site_id = demo
    app = app_of(settings)
    form = {"admin-rules-dust-save.n_clicks": 1, "admin-rules-dust-pm10-above-enabled.checked": True,
            "admin-rules-dust-pm10-excess-enabled.checked": False, "admin-rules-dust-offline-enabled.checked": True,
            "admin-rules-dust-pm10-above-limit.value": 200, "admin-rules-dust-pm10-above-hours.value": 3,
            "admin-rules-dust-pm10-excess-margin.value": 80, "admin-rules-dust-pm10-excess-hours.value": 3,
            "admin-rules-dust-offline-minutes.value": 90}
    output = "admin-rules-dust-message.children"
    editor = client_as(app, "editor", TEST_PASSWORDS["editor"])
    assert "权限" in text_of(call(editor, app, output, form))
    admin = client_as(app, "admin", TEST_PASSWORDS["admin"])
    refused = text_of(call(admin, app, output, form | {"admin-rules-dust-pm10-above-limit.value": 20}))
    assert "PM10 小时值超过限值 · 限值（µg/m³）" in refused and "50 到 1000" in refused
    with read_scope(settings.database_url) as session:
        assert session.get(AppSetting, task_store.RULES_KEY) is None
    assert "已保存" in text_of(call(admin, app, output, form))
    with read_scope(settings.database_url) as session:
        rules = task_store.load_rules(session)
        entry = session.scalars(select(AuditEntry).where(AuditEntry.entity_id == task_store.RULES_KEY)).one()
        admin_id = session.scalar(select(User.id).where(User.username == "admin"))
    assert (rules[0].limit, rules[0].hours, rules[1].enabled, rules[2].minutes) == (200, 3, False, 90)
    assert entry.user_id == admin_id and entry.detail["after"][2] == {"kind": "offline", "enabled": True,
                                                                     "minutes": 90}
    # The tab shows the rules in force.
    said = json.dumps(page_layout(admin, "/admin", "?tab=rules").get_json())
    assert "admin-rules-dust-offline-minutes" in said


@pytest.mark.postgres
def test_tasks_open_extend_and_stay_unique_on_postgresql(pg_url, tmp_path):
    from tests.integration.test_hj212_receiver import district

    settings = make_settings(tmp_path, database_url=pg_url)
    district(settings)
    site_dust.add_monitor(settings, Actor.system(), MN, "GD-0001", PW)
    dust_tasks.set_dust_rules(settings, Actor.system(), ABOVE_ONLY)
    receive(settings, [hour_frame(8, 236.0), hour_frame(9, 180.0)])
    receive(settings, [hour_frame(10, 260.0)])
    [task] = tasks(settings)
    assert (task.status, task.peak_value, task.version) == ("open", 260.0, 2)
    assert task.last_hour == (DAY + dt.timedelta(hours=10)).astimezone(dt.UTC)
    from dashboard.domain.dust_tasks import Run

    with session_scope(settings.database_url) as session:
        again = task_store.open_task(session, task.site_id, task.monitor_id, "pm10_above",
                                     Run(task.first_hour, task.last_hour, 1.0), {})
        assert again is None
        assert task_store.close_tasks(session, [task.id], None, dt.datetime.now(dt.UTC)) == 1
    assert tasks(settings)[0].status == "closed"


def test_the_receivers_background_check_opens_the_offline_task(demo):
    import asyncio

    from dashboard.receiver.checks import check_every

    settings, site_id = demo
    with session_scope(settings.database_url) as session:
        session.execute(update(DustMonitor).values(last_seen_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)))

    async def one_round():
        stop = asyncio.Event()
        task = asyncio.create_task(check_every(settings, site_dust.receiver_actor(), 3600, stop))
        while not tasks(settings):
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 10)

    asyncio.run(asyncio.wait_for(one_round(), 30))
    [task] = tasks(settings)
    assert (task.kind, task.site_id, task.status) == ("offline", site_id, "open")


def test_the_demos_monitors_are_judged_on_the_demos_clock(tmp_path_factory, tmp_path):
    """The demo's clock is pinned to its day: its monitors, last heard that evening, are not
    offline for the year since; the one it left silent since 17:00 is, once."""
    url = next(copy_demo(tmp_path_factory, tmp_path))
    settings = make_settings(tmp_path, database_url=url)
    result = dust_tasks.check_monitors(settings, Actor.system(), kinds=("offline",))
    with session_scope(url) as s:
        silent = {m.site_id for m in s.scalars(select(DustMonitor).where(
            DustMonitor.last_seen_at < dt.datetime(2025, 12, 11, 20, tzinfo=ZoneInfo("Asia/Shanghai"))))}
    assert result.monitors == 12 and len(silent) == 1
    assert {t.site_id for t in tasks(settings)} == silent
    assert dust_tasks.check_monitors(settings, Actor.system(), kinds=("offline",)).opened == []


def test_through_the_receiver_answers_never_wait_for_the_rules_and_the_task_still_opens(demo, monkeypatch):
    """The rules for a completed hour run in the receiver's rules worker: a slow evaluation (a
    thousand monitors completing an hour at once) delays no answer, and still opens the task."""
    import asyncio
    import time

    from dashboard.receiver.server import Receiver

    settings, site_id = demo
    dust_tasks.set_dust_rules(settings, Actor.system(), ABOVE_ONLY)
    real = dust_tasks.evaluate_completed

    def slow(*args, **kwargs):
        time.sleep(1.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(dust_tasks, "evaluate_completed", slow)
    frames = [hour_bytes(8, 236.0), hour_bytes(9, 180.0)]

    async def scenario():
        receiver = Receiver(settings, "127.0.0.1", 0)  # writer and rules in threads: the patch applies
        host, port = await receiver.start()
        try:
            reader, writer = await asyncio.open_connection(host, port)
            waits = []
            for frame in frames:
                sent = time.perf_counter()
                writer.write(frame)
                await asyncio.wait_for(reader.read(4096), 5)
                waits.append(time.perf_counter() - sent)
            writer.close()
            opened_before_stop = tasks(settings)
        finally:
            await receiver.stop()  # waits for the evaluation that is due
        return waits, opened_before_stop, receiver.stats.evaluations

    waits, before, evaluations = asyncio.run(scenario())
    assert max(waits) < 1.0, waits
    assert before == []  # the slow evaluation was still running when both answers had come
    [task] = tasks(settings)
    assert (task.site_id, task.kind, task.status) == (site_id, "pm10_above", "open")
    assert evaluations >= 1
