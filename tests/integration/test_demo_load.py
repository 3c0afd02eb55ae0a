"""Loading the demo district into a fresh SQLite database, twice."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from dashboard.demo.generate import generate_district
from dashboard.store import models as M
from dashboard.store.db import session_scope, upgrade
from dashboard.store.demo_load import load_demo
from tests.conftest import new_database_url

MODELS = {
    "townships": M.Township, "units": M.Unit, "checklist_versions": M.ChecklistVersion,
    "checklist_items": M.ChecklistItem, "sites": M.Site, "plate_changes": M.PlateChange,
    "alerts": M.Alert, "inspections": M.Inspection, "inspection_results": M.InspectionResult,
    "rectifications": M.Rectification, "meetings": M.Meeting, "meeting_problems": M.MeetingProblem,
    "meeting_decisions": M.MeetingDecision, "accountability_records": M.AccountabilityRecord,
    "action_items": M.ActionItem, "action_item_changes": M.ActionItemChange, "stations": M.Station,
    "station_versions": M.StationVersion, "readings": M.Reading, "app_settings": M.AppSetting,
    "dust_monitors": M.DustMonitor, "dust_readings": M.DustReading, "air_daily": M.AirDaily,
    "compliance_daily": M.ComplianceDaily,
}


def _db_counts(url: str) -> dict[str, int]:
    with session_scope(url) as s:
        return {name: s.scalar(select(func.count()).select_from(model)) for name, model in MODELS.items()}


@pytest.fixture(scope="module")
def district():
    return generate_district()


def test_load_and_reload(tmp_path, district) -> None:
    url = new_database_url(tmp_path, "t.db")
    upgrade(url)
    with session_scope(url) as s:
        counts = load_demo(s, district)
    assert set(counts) == set(MODELS)
    assert _db_counts(url) == counts
    assert counts["sites"] == len(district.sites) and counts["readings"] == len(district.readings)

    with session_scope(url) as s:
        settings = dict(s.execute(select(M.AppSetting.key, M.AppSetting.value)).all())
        assert settings == {"frozen_today": "2025-12-11", "demo_seed": "2025", "district.name": "二七区"}
        m27 = s.scalars(select(M.Meeting).where(M.Meeting.number == 27)).one()
        assert m27.chair_title == "区长" and m27.held_at.isoformat() == "2025-12-05T01:00:00+00:00"
        assert m27.problems and m27.decisions and m27.accountability
        site = s.scalars(select(M.Site).where(M.Site.name == "绿地城二期")).one()
        assert site.township.name == "侯寨乡"
        sources = set(s.scalars(select(M.Reading.source).distinct()))
        assert sources == {"demo"}
        fresh = s.scalar(select(func.count()).select_from(M.Reading).where(M.Reading.validated.is_(False)))
        newest = s.scalar(select(func.min(M.Reading.time)).where(M.Reading.validated.is_(False)))
        assert 0 < fresh < counts["readings"]
        assert newest.isoformat() == "2025-12-08T16:00:00+00:00"  # 2025-12-09 00:00 Beijing
        # A user assigned to a township keeps it across a rebuild.
        houzhai = s.scalars(select(M.Township).where(M.Township.code == "houzhai")).one()
        s.add(M.User(username="inspector", password_hash="x", role="inspector", township_id=houzhai.id))

    with session_scope(url) as s:
        again = load_demo(s, generate_district())
    assert again == counts
    assert _db_counts(url) == counts
    with session_scope(url) as s:
        user = s.scalars(select(M.User).where(M.User.username == "inspector")).one()
        assert user.township_id is not None
        assert s.get(M.Township, user.township_id).code == "houzhai"


@pytest.mark.postgres
def test_load_on_postgresql_then_add_rows(pg_url, district) -> None:
    """PostgreSQL gets the same rows, and its id sequences continue after the demo's ids."""
    upgrade(pg_url)
    with session_scope(pg_url) as s:
        counts = load_demo(s, district)
    assert _db_counts(pg_url) == counts
    with session_scope(pg_url) as s:
        township = s.scalars(select(M.Township)).first()
        site = M.Site(code="NEW-1", name="新建工地", township_id=township.id, site_type="housing")
        s.add(site)
        s.flush()
        assert site.id > max(row["id"] for row in district.sites)


def test_recomputing_escalations_and_plates_right_after_the_demo_changes_nothing(tmp_path, district) -> None:
    """The demo's history is what the app's own rules make of it, as of its pinned day."""
    from zoneinfo import ZoneInfo

    from dashboard.services.rectifications import escalate_open
    from dashboard.services.sites import refresh_plate

    tz = ZoneInfo("Asia/Shanghai")
    url = new_database_url(tmp_path, "t.db")
    upgrade(url)
    with session_scope(url) as s:
        load_demo(s, district)
    with session_scope(url) as s:
        today = dt.date(2025, 12, 11)
        assert escalate_open(s, today, tz) == []
        plates = dict(s.execute(select(M.Site.id, M.Site.plate)).all())
        changes = s.scalar(select(func.count()).select_from(M.PlateChange))
        for site_id in plates:
            assert refresh_plate(s, site_id, today, tz) == plates[site_id], site_id
        assert s.scalar(select(func.count()).select_from(M.PlateChange)) == changes
