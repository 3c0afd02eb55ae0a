"""The compliance, site and alert frames on the demo district agree with the raw records."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from dashboard.analytics import alerts, compliance, sites
from dashboard.store.db import session_scope
from dashboard.store.models import (
    Alert,
    Inspection,
    InspectionResult,
    Rectification,
    Site,
)


def test_period_rate_is_passed_over_applicable_in_the_database(demo_settings):
    tz = demo_settings.tz
    with session_scope(demo_settings.database_url) as session:
        data = compliance.load(session, tz)
        counts = dict(session.execute(
            select(InspectionResult.result, func.count()).join(Inspection)
            .where(Inspection.status == "submitted").group_by(InspectionResult.result)).all())
    assert data.today == dt.date(2025, 12, 11) and data.start == dt.date(2025, 10, 1)
    passed = int((data.results["result"] == "pass").sum())
    applicable = int(data.results["result"].isin(["pass", "fail"]).sum())
    # Every demo inspection lies inside the default period.
    assert (passed, applicable) == (counts["pass"], counts["pass"] + counts["fail"])
    trend = compliance.weekly_trend(data)
    assert trend["applicable"].sum() == applicable and trend["rate"].between(0, 1).all()


def test_ranking_compares_with_the_last_meeting_before_today(demo_settings):
    tz = demo_settings.tz
    with session_scope(demo_settings.database_url) as session:
        data = compliance.load(session, tz)
        frame, meeting = compliance.township_ranking(session, tz, data)
        chronic = compliance.chronic_offenders(session, tz, data, min_failed=5, days=28)
    assert int(meeting["number"]) == 27
    assert len(frame) == 18 and frame["rank_now"].min() == 1
    assert frame["rate_now"].is_monotonic_decreasing
    assert "绿地城二期" in set(chronic["name"])  # the demo's best-known repeat offender


def test_site_table_and_detail_match_the_records(demo_settings):
    tz = demo_settings.tz
    with session_scope(demo_settings.database_url) as session:
        table, _today = sites.site_table(session, tz)
        site_id = session.scalar(select(Site.id).where(Site.name == "绿地城二期"))
        open_count = session.scalar(select(func.count()).select_from(Rectification)
                                    .where(Rectification.site_id == site_id, Rectification.status == "open"))
        detail = sites.site_detail(session, site_id, tz)
        assert sites.site_detail(session, 10**6, tz) is None
    row = table.set_index("id").loc[site_id]
    assert row["open_rectifications"] == open_count == len(detail.rectifications)
    assert detail.rate == row["rate"]
    assert set(detail.results["item_key"]) <= set(detail.labels["key"])
    assert (detail.rectifications["days_overdue"] >= 0).all()
    narrowed = sites.filter_sites(table, townships=[int(row["township_id"])], band="below80")
    assert site_id in set(narrowed["id"]) and (narrowed["rate"] < 0.8).all()


def test_alert_report_counts_checks_and_violations_in_the_period(demo_settings):
    tz = demo_settings.tz
    with session_scope(demo_settings.database_url) as session:
        red = session.scalar(select(Alert).where(Alert.level == "red"))
        in_window = (Inspection.inspected_at >= red.starts_at) & (Inspection.inspected_at < red.ends_at)
        checks = session.scalar(select(func.count()).select_from(Inspection).where(in_window))
        working = session.scalar(select(func.count()).select_from(Inspection)
                                 .where(in_window, Inspection.working_during_stop))
        report = alerts.alert_report(session, tz, red.id)
        listing, _now = alerts.alert_list(session, tz)
    assert len(report.checks) == checks and len(report.violations) == working > 0
    assert set(report.checked["site_id"]).isdisjoint(report.unchecked["site_id"])
    assert listing.iloc[0]["level"] == "red" and "all_construction" in listing.iloc[0]["measures"]
