"""The dust views' numbers on a small database built here (not the demo), checked by hand:
PM10 above the nearest national station, invalid flags left out, minute data filling an hour the
device did not send, offline and stuck monitors, and the limits saved by an admin (audited)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from dashboard.analytics import dust_views as views
from dashboard.analytics import reading
from dashboard.domain.rules import InvalidRule
from dashboard.services.access import Actor, Forbidden
from dashboard.services.settings import set_dust_limits
from dashboard.store import site_dust as dust_store
from dashboard.store.db import session_scope, upgrade
from dashboard.store.models import (
    AppSetting,
    AuditEntry,
    ChecklistItem,
    ChecklistVersion,
    Inspection,
    InspectionResult,
    Reading,
    Site,
    Station,
    Township,
)
from tests.conftest import POSTGRES_CASE, SQLITE_CASE

TZ = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2025, 12, 11)
# The database's clock is pinned to DAY: "now" is 23:59:59 that day (15:59:59 UTC).
WALL = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)


def bj(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ).astimezone(dt.UTC)


def _reading(monitor: int, when: dt.datetime, cn: int, value: float, flag: str = "N",
             pollutant: str = "a34002") -> tuple:
    """A row as the receiver stores it (``store.site_dust.READING_COLUMNS``)."""
    return (monitor, when, cn, pollutant, "Avg", value, flag)


@pytest.fixture(params=[SQLITE_CASE, POSTGRES_CASE])
def url(request, tmp_path):
    # PostgreSQL hands times back as datetimes, SQLite as text: the reads must take both.
    url = f"sqlite:///{tmp_path / 'dust.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    upgrade(url)
    with session_scope(url) as s:
        s.add(AppSetting(key="frozen_today", value=DAY.isoformat()))
        s.add_all([Township(id=1, code="a", name="甲镇", name_en="Jia", kind="town", position=1),
                   Township(id=2, code="b", name="乙镇", name_en="Yi", kind="town", position=2)])
        s.add_all([
            Site(id=1, code="GD-A", name="甲工地", township_id=1, site_type="road", longitude=113.60, latitude=34.70),
            Site(id=2, code="GD-B", name="乙工地", township_id=2, site_type="road", longitude=113.50, latitude=34.60),
            Site(id=3, code="GD-C", name="无设备工地", township_id=2, site_type="road"),
        ])
        s.add_all([
            Station(id=1, code="1001A", name="甲站", longitude=113.61, latitude=34.70),
            Station(id=2, code="1002A", name="乙站", longitude=113.51, latitude=34.60),
            # A background station nearer to A than 1001A: never the reference.
            Station(id=3, code="1003A", name="对照", longitude=113.601, latitude=34.70, is_background=True),
        ])
        s.flush()
        # CNEMC labels an hour by its end: label 10:00 is the hour 09:00-10:00.
        for label, value in zip((10, 11, 12, 13, 14, 15), (50, 60, 70, 80, 90, 100), strict=True):
            s.add(Reading(station_id=1, pollutant="PM10", time=bj(label), value=value, source="test"))
            s.add(Reading(station_id=2, pollutant="PM10", time=bj(label), value=70, source="test"))
            s.add(Reading(station_id=3, pollutant="PM10", time=bj(label), value=5, source="test"))
        a = dust_store.add_monitor(s, "MNA0001", 1, "123456")
        b = dust_store.add_monitor(s, "MNB0001", 2, "123456")
        rows = []
        # Site A: hours 09..13 (HJ 212 labels by the start), one flagged D; then minutes of 14:00.
        for hour, value, flag in ((9, 80, "N"), (10, 100, "N"), (11, 999, "D"), (12, 150, "N"), (13, 120, "N")):
            rows.append(_reading(a.id, bj(hour), 2061, value, flag))
        for minute, value, flag in ((0, 60, "N"), (1, 70, "N"), (2, 80, "C")):
            rows.append(_reading(a.id, bj(14, minute), 2051, value, flag))
        # Site B: five hours of 75, then ten identical minutes: a stuck sensor.
        for hour in range(9, 14):
            rows.append(_reading(b.id, bj(hour), 2061, 75))
        for minute in range(10):
            rows.append(_reading(b.id, bj(15, minute), 2051, 75))
        # Wind at A: three hours from the north-west, one from the east, one flagged invalid.
        for hour, direction, speed, flag in ((9, 315, 2.5, "N"), (10, 310, 2.5, "N"), (12, 320, 0.5, "N"),
                                             (13, 90, 6.0, "N"), (11, 180, 3.0, "D")):
            rows.append(_reading(a.id, bj(hour), 2061, direction, flag, "a01008"))
            rows.append(_reading(a.id, bj(hour), 2061, speed, flag, "a01007"))
        dust_store.insert_readings(s, rows)
        # A was last heard at 20:00, four hours before the pinned "now"; B ten minutes before it.
        dust_store.mark_seen(s, {a.id: bj(20), b.id: bj(23, 50)})
        version = ChecklistVersion(id=1, code="v", name="8个100%", valid_from=dt.date(2025, 1, 1))
        s.add(version)
        s.add_all([ChecklistItem(id=1, version_id=1, key="cover", position=1, label="物料覆盖", label_en="Cover"),
                   ChecklistItem(id=2, version_id=1, key="hoarding", position=2, label="围挡", label_en="Hoarding")])
        s.add(Inspection(id=1, site_id=1, checklist_version_id=1, inspected_at=bj(11, 30), status="submitted",
                         inspector_name="张三"))
        s.add_all([InspectionResult(inspection_id=1, item_id=1, result="fail"),
                   InspectionResult(inspection_id=1, item_id=2, result="pass")])
    return url


def test_pm10_above_the_nearest_station_by_hand(url):
    with reading(url) as s:
        view = views.district_dust(s, TZ, "24h", wall_now=WALL)
    ranking = view.ranking.set_index("code")
    # A: 09 80-50, 10 100-60, 11 flagged D (left out), 12 150-80, 13 120-90, and 14 from its two
    # valid minutes (60, 70: the C minute is left out) = 65 against 100.
    assert ranking.loc["GD-A", "hours"] == 5
    assert ranking.loc["GD-A", "excess"] == pytest.approx((30 + 40 + 70 + 30 - 35) / 5)
    assert ranking.loc["GD-A", "station_code"] == "1001A"  # not the nearer background station
    # B: 75 against 70 for five hours; its minutes of 15:00 have no station hour (label 16:00).
    assert ranking.loc["GD-B", "hours"] == 5 and ranking.loc["GD-B", "excess"] == pytest.approx(5)
    assert list(view.ranking["code"]) == ["GD-A", "GD-B"] and list(view.ranking["rank"]) == [1, 2]
    with reading(url) as s:
        only_b = views.district_dust(s, TZ, "24h", township_id=2, wall_now=WALL)
    assert list(only_b.ranking["code"]) == ["GD-B"]


def test_offline_and_stuck_monitors(url):
    with reading(url) as s:
        view = views.district_dust(s, TZ, "24h", wall_now=WALL)
    status = dict(zip(view.health["mn"], view.health["status"], strict=True))
    assert status == {"MNA0001": "offline", "MNB0001": "stuck"}
    health = view.health.set_index("mn")
    assert health.loc["MNB0001", "stuck_run"] == 8  # counted up to the limit: enough to say stuck
    assert health.loc["MNA0001", "silent_minutes"] == pytest.approx(240, abs=0.1)
    # Minute data is A's finest kind in the last day: one of its three minutes is flagged.
    assert health.loc["MNA0001", "abnormal_share"] == pytest.approx(1 / 3)
    places = view.places.set_index("code")
    assert places.loc["GD-A", "latest_pm10"] == 70  # the newest valid minute, not the C one
    # With a higher stuck limit B is online again.
    set_dust_limits(make(url), Actor(None, "admin"), {"offline_minutes": 30, "stuck_count": 11})
    with reading(url) as s:
        again = views.district_dust(s, TZ, "24h", wall_now=WALL)
    assert dict(zip(again.health["mn"], again.health["status"], strict=True))["MNB0001"] == "online"


def test_a_live_monitor_on_a_pinned_database_is_judged_by_the_wall_clock(url):
    with session_scope(url) as s:
        monitor = dust_store.find_monitor(s, "MNB0001")
        dust_store.insert_readings(s, [_reading(monitor.id, WALL - dt.timedelta(minutes=3), 2051, 88)])
        dust_store.mark_seen(s, {monitor.id: WALL - dt.timedelta(minutes=2)})
    with reading(url) as s:
        fresh = views.site_dust(s, 2, TZ, "24h", wall_now=WALL)
        later = views.site_dust(s, 2, TZ, "24h", wall_now=WALL + dt.timedelta(minutes=45))
    assert fresh.status == "online" and later.status == "offline"
    # The window ends at the live reading, after the pinned day, so it shows.
    assert fresh.end == WALL - dt.timedelta(minutes=3)
    assert fresh.latest == {"value": 88.0, "time": WALL - dt.timedelta(minutes=3)}


def test_the_site_section_frames(url):
    with reading(url) as s:
        view = views.site_dust(s, 1, TZ, "24h", wall_now=WALL)
        none = views.site_dust(s, 3, TZ, "24h", wall_now=WALL)
    assert none is None
    hours = view.hourly.assign(bj=view.hourly["hour"].dt.tz_convert(TZ).dt.hour)
    assert dict(zip(hours["bj"], hours["value"], strict=True)) == {9: 80, 10: 100, 12: 150, 13: 120, 14: 65}
    assert dict(zip(hours["bj"], hours["source"], strict=True))[14] == "minute"
    assert list(view.fine["value"]) == [60, 70]
    assert view.station[:2] == ("1001A", "甲站") and view.station[2] == pytest.approx(0.915, abs=0.01)
    assert view.excess == pytest.approx(27) and view.excess_hours == 5
    assert len(view.inspections) == 1
    assert view.inspections["failed"].iloc[0] == "物料覆盖" and view.inspections["n_fail"].iloc[0] == 1
    # The rose: four valid hours; NW (sector 14) 3 of them, E (sector 4) 1, the D hour left out.
    assert view.wind_count == 4
    by_sector = view.wind.groupby("sector")["count"].sum()
    assert by_sector[14] == 3 and by_sector[4] == 1 and by_sector.sum() == 4
    assert view.status == "offline"


def make(url):
    from pathlib import Path

    from tests.conftest import make_settings

    return make_settings(Path("/tmp"), database_url=url)


def test_limits_are_checked_admin_only_and_audited(url):
    settings = make(url)
    with pytest.raises(Forbidden):
        set_dust_limits(settings, Actor(None, "editor"), {"offline_minutes": 60, "stuck_count": 8})
    for bad in ({"offline_minutes": 2, "stuck_count": 8}, {"offline_minutes": 60, "stuck_count": "x"},
                {"offline_minutes": 60}):
        with pytest.raises(InvalidRule):
            set_dust_limits(settings, Actor(None, "admin"), bad)
    saved = set_dust_limits(settings, Actor(None, "admin"), {"offline_minutes": "60", "stuck_count": 12})
    assert saved.offline_minutes == 60 and saved.stuck_count == 12
    with session_scope(url) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.entity == "app_settings")).one()
        assert entry.detail["before"] == {"offline_minutes": 30, "stuck_count": 8}
        assert entry.detail["after"] == {"offline_minutes": 60, "stuck_count": 12}


def test_admin_tab_adds_and_removes_monitors_and_the_rules_tab_saves_limits(url, tmp_path):
    from dashboard.app import create_app
    from dashboard.store.models import DustMonitor
    from dashboard.store.users import upsert_user
    from tests.conftest import make_settings
    from tests.dash_http import call, log_in, page_layout, text_of

    settings = make_settings(tmp_path, database_url=url)
    with session_scope(url) as s:
        upsert_user(s, "boss", "boss-pass-1", "admin")
    app = create_app(settings)
    client = app.server.test_client()
    log_in(client, "boss", "boss-pass-1")
    tab = text_of(page_layout(client, "/admin", "?tab=dust"))
    assert "MNA0001" in tab and "离线" in tab and "数值不变" in tab and "123456" not in tab
    added = call(client, app, "admin-dust-added.children", {
        "admin-dust-add.n_clicks": 1, "admin-dust-mn.value": " MNC0001 ", "admin-dust-site.value": "GD-C",
        "admin-dust-password.value": "654321"})
    assert "设备 MNC0001 已登记在 GD-C" in text_of(added) and "从未上报" in text_of(added)
    taken = call(client, app, "admin-dust-added.children", {
        "admin-dust-add.n_clicks": 2, "admin-dust-mn.value": "MNA0001", "admin-dust-site.value": "GD-C",
        "admin-dust-password.value": "654321"})
    assert "已有在用设备使用该 MN" in text_of(taken)
    removed = call(client, app, "admin-dust-remove-message.children", {
        "admin-dust-remove-confirm.n_clicks": 1, "admin-dust-pending.data": "MNA0001"})
    assert "设备 MNA0001 已停用" in text_of(removed)
    saved = call(client, app, "admin-rules-dusthealth-message.children", {
        "admin-rules-dusthealth-save.n_clicks": 1, "admin-rules-dusthealth-offline-minutes.value": 2,
        "admin-rules-dusthealth-stuck-count.value": 8})
    assert "须在 5 到 10080 之间" in text_of(saved)
    with session_scope(url) as s:
        monitors = {m.mn: (m.site_id, m.active) for m in s.scalars(select(DustMonitor))}
        actions = [(a.action, a.entity) for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert monitors == {"MNA0001": (1, False), "MNB0001": (2, True), "MNC0001": (3, True)}
    assert ("create", "dust_monitor") in actions and ("deactivate", "dust_monitor") in actions
    assert ("update", "app_settings") not in actions  # the refused limit wrote nothing
