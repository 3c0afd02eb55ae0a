"""Compliance per township and day (``compliance_daily``): kept by the writes in their own
transaction, equal to the recomputation from the inspections (``db check``), and the compliance
page's figures read from it equal those of the definition (passed ÷ applicable checks of the raw
records) on the demo, on sparse data and on an empty database."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from dashboard.analytics import compliance, compliance_daily
from dashboard.cli import main
from dashboard.domain import compliance as measures
from dashboard.store import compliance as raw
from dashboard.store.db import read_scope, session_scope, upgrade
from dashboard.store.models import ComplianceDaily, Inspection, Site
from tests.conftest import make_settings, new_database_url, real_district
from tests.integration.inspection_db import copy_demo
from tests.integration.test_inspections import at, data, quiet_site, save

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def demo_url(tmp_path_factory, tmp_path):
    yield from copy_demo(tmp_path_factory, tmp_path)


def _check(url: str) -> list:
    with read_scope(url) as session:
        return compliance_daily.check(session)


def _same_frames(fast: pd.DataFrame, slow: pd.DataFrame, columns: list[str]) -> None:
    fast, slow = fast.reset_index(drop=True), slow.reset_index(drop=True)
    assert len(fast) == len(slow)
    for c in columns:
        a, b = fast[c].to_numpy(), slow[c].to_numpy()
        if c.startswith(("rate", "rank", "fail_share")):
            assert np.allclose(a.astype(float), b.astype(float), equal_nan=True), c
        else:
            assert list(a) == list(b), c


def _page_equals_definition(url: str, start=None, end=None) -> compliance.ComplianceData:
    """Every figure of the compliance page from the counts equals the one from the raw records."""
    with read_scope(url) as session:
        data = compliance.load(session, TZ, start, end)  # raw=True: both
        ranking, meeting = compliance.township_ranking(session, TZ, data)
        then = (meeting["date"] - dt.timedelta(days=1)) if meeting is not None else data.end - dt.timedelta(days=7)
        first = min(then, data.end) - dt.timedelta(days=measures.RANKING_WINDOW_DAYS - 1)
        window = raw.results_frame(session, first, data.end, TZ)
    results, inspections = data.results, data.inspections
    totals = data.totals()
    assert totals["inspections"] == len(inspections)
    assert totals["working_during_stop"] == int(inspections["working_during_stop"].sum())
    assert totals["failed"] == int((results["result"] == "fail").sum())
    assert totals["applicable"] == int(results["result"].isin(["pass", "fail"]).sum())
    assert (np.isnan(data.rate) and np.isnan(measures.compliance_rate(results))) \
        or data.rate == pytest.approx(measures.compliance_rate(results))
    if not results.empty:
        slow = measures.weekly_rates(results).assign(township_id=0)
        fast = compliance.weekly_trend(data)
        _same_frames(fast, slow, ["week", "passed", "failed", "applicable", "rate"])
        slow_items = measures.most_failed_items(results)
        _same_frames(compliance.most_failed_items(data), slow_items,
                     ["item_key", "passed", "failed", "applicable", "fail_share"])
        towns = data.townships["id"].tolist()[:3]
        chosen = results[results["township_id"].isin(towns)]
        slow_towns = measures.weekly_rates(chosen, "township_id") if not chosen.empty else None
        fast_towns = compliance.weekly_trend(data, towns)
        fast_towns = fast_towns[fast_towns["township_id"] != 0]
        if slow_towns is not None:
            _same_frames(fast_towns.sort_values(["township_id", "week"]),
                         slow_towns.sort_values(["township_id", "week"]),
                         ["week", "township_id", "passed", "applicable", "rate"])
    slow_rank = measures.ranking_change(window, then, data.end, measures.RANKING_WINDOW_DAYS,
                                        data.townships["id"].tolist())
    _same_frames(ranking, slow_rank, ["township_id", "rank_now", "rate_now", "rank_then", "rate_then",
                                      "applicable_now", "applicable_then"])
    return data


def test_demo_counts_equal_the_inspections_and_the_page_equals_the_definition(demo_url):
    assert _check(demo_url) == []
    data = _page_equals_definition(demo_url)
    assert data.totals()["inspections"] > 1000
    # A whole year, and a span with no inspection at all.
    _page_equals_definition(demo_url, dt.date(2025, 1, 1), dt.date(2025, 12, 11))
    _page_equals_definition(demo_url, dt.date(2024, 3, 1), dt.date(2024, 3, 31))


def test_an_inspection_saved_edited_and_moved_keeps_the_counts(demo_url):
    with session_scope(demo_url) as session:
        site = quiet_site(session)
        saved = save(session, data(session, site, at(10, 9), {"cover": "未覆盖"}))
    with read_scope(demo_url) as session:
        row = session.get(ComplianceDaily, (session.get(Site, site).township_id, dt.date(2025, 12, 10)))
        assert row is not None and row.failed >= 1
    assert _check(demo_url) == []
    with session_scope(demo_url) as session:  # moved to another day: both days follow
        insp = session.get(Inspection, saved.inspection_id)
        save(session, data(session, site, at(9, 15)), inspection_id=insp.id, expected_version=insp.version)
    assert _check(demo_url) == []
    with session_scope(demo_url) as session:  # the site moves to another township: both townships follow
        moved = session.get(Site, site)
        other = session.scalar(select(Site.township_id).where(Site.township_id != moved.township_id).limit(1))
        moved.township_id = other
    assert _check(demo_url) == []
    _page_equals_definition(demo_url)


def test_a_refused_save_changes_no_count(demo_url):
    with read_scope(demo_url) as session:
        before = compliance_daily.daily(session, TZ, None, None)
    with pytest.raises(RuntimeError), session_scope(demo_url) as session:
        save(session, data(session, quiet_site(session), at(10, 9), {"cover": "未覆盖"}))
        raise RuntimeError("the caller fails after the save: the transaction rolls back")
    with read_scope(demo_url) as session:
        after = compliance_daily.daily(session, TZ, None, None)
    pd.testing.assert_frame_equal(before, after)


def test_sparse_and_empty_databases(tmp_path):
    url = new_database_url(tmp_path, "sparse.db")
    settings = make_settings(tmp_path, database_url=url)
    real_district(settings)  # townships, no site, no inspection
    assert _check(url) == []
    data = _page_equals_definition(url)
    assert data.totals()["inspections"] == 0 and np.isnan(data.rate)
    assert compliance.weekly_trend(data).empty and compliance.most_failed_items(data).empty


def test_a_database_in_another_time_zone_reads_its_own_days(demo_url):
    """The stored days are Beijing's; a page shown in UTC counts from the inspections."""
    utc = ZoneInfo("UTC")
    with read_scope(demo_url) as session:
        fast = compliance_daily.daily(session, utc, dt.date(2025, 11, 1), dt.date(2025, 12, 11))
        results = raw.results_frame(session, dt.date(2025, 11, 1), dt.date(2025, 12, 11), utc)
    assert int(fast["passed"].sum()) == int((results["result"] == "pass").sum())


def test_db_check_reports_a_corrupted_row_and_repairs_it(demo_url, tmp_path):
    with session_scope(demo_url) as session:  # Core, as a stray script would: nothing follows it
        key = session.execute(select(ComplianceDaily.township_id, ComplianceDaily.date)
                              .order_by(ComplianceDaily.date.desc()).limit(1)).one()
        session.execute(update(ComplianceDaily).where(ComplianceDaily.township_id == key[0],
                                                      ComplianceDaily.date == key[1])
                        .values(failed=ComplianceDaily.failed + 3))
    runner = CliRunner(env={"DATABASE_URL": demo_url, "DASHBOARD_DATA_DIR": str(tmp_path), "SECRET_KEY": "x"})
    result = runner.invoke(main, ["db", "check"])
    assert result.exit_code == 1, result.output
    assert f"compliance_daily {key[0]} {key[1].isoformat()} failed" in result.output
    assert "compliance_daily 1 difference(s)" in result.output
    repaired = runner.invoke(main, ["db", "check", "--repair"])
    assert repaired.exit_code == 0 and "compliance_daily rebuilt" in repaired.output
    clean = runner.invoke(main, ["db", "check"])
    assert clean.exit_code == 0 and "compliance_daily 0 difference(s)" in clean.output, clean.output


def test_migration_backfills_an_existing_database(demo_url):
    upgrade(demo_url, "0011_dust_readings_no_fk")
    upgrade(demo_url)
    assert _check(demo_url) == []
    with read_scope(demo_url) as session:
        assert int(compliance_daily.daily(session, TZ, None, None)["inspections"].sum()) > 1000


@pytest.mark.parametrize("township", [None, "first"])
def test_the_analysis_time_view_from_the_counts_equals_the_raw_records(demo_url, township):
    from dashboard.analytics import analysis

    first, last = dt.date(2025, 9, 20), dt.date(2025, 12, 11)
    with read_scope(demo_url) as session:
        town = None if township is None else int(analysis.townships(session)["id"].iloc[0])
        tl = analysis.timeline(session, demo_url, TZ, first, last, town)
        results = raw.results_frame(session, first - dt.timedelta(days=analysis.ROLLING_DAYS - 1), last, TZ)
        period = analysis.resolve_period(session, TZ)
        quad = analysis.quadrant(session, demo_url, TZ, period)
        around = raw.results_frame(session, min(period.before[0], period.first), period.last, TZ)
    if town is not None:
        results = results[results["township_id"] == town]
    since = results[pd.to_datetime(results["date"]) >= pd.Timestamp(first)]
    pd.testing.assert_frame_equal(tl.checks, analysis.daily_checks(since, first, last))
    pd.testing.assert_frame_equal(tl.rolling, analysis.rolling_rate(results, first, last))
    _same_frames(tl.weekly, analysis.weekly_rate(results, first, last),
                 ["week", "passed", "failed", "na", "applicable", "rate", "partial"])
    assert int(tl.checks["applicable"].sum()) > 0
    for point in quad.points.itertuples():
        own = around[around["township_id"] == point.township_id]
        dates = pd.to_datetime(own["date"])
        part = own[(dates >= pd.Timestamp(period.first)) & (dates <= pd.Timestamp(period.last))]
        assert point.applicable == int(part["result"].isin(["pass", "fail"]).sum())
        assert point.rate == pytest.approx(measures.compliance_rate(part))


def test_the_backlog_from_the_bounded_rectifications_equals_the_whole_list(demo_url):
    from dashboard.analytics import analysis
    from dashboard.store import clock
    from dashboard.store import rectifications as rectification_store

    first, last = dt.date(2025, 10, 15), dt.date(2025, 12, 11)
    with read_scope(demo_url) as session:
        tl = analysis.timeline(session, demo_url, TZ, first, last)
        every = rectification_store.rectifications_frame(session, clock.today(session, TZ), tz=TZ)
    pd.testing.assert_frame_equal(tl.backlog, analysis.daily_backlog(every, first, last, TZ))
    assert tl.backlog["open"].max() > 0


def test_the_alert_list_kept_on_the_versions_follows_a_write(demo_url):
    """An inspection recorded during an ended alert changes its counts at once (the list's rows
    of ended alerts are kept on the data versions)."""
    from dashboard.analytics import alerts

    with read_scope(demo_url) as session:
        listing, _now = alerts.alert_list(session, TZ)
    ended = listing[~listing["active"]].iloc[0]
    day = ended["starts_at"].tz_convert(TZ) + pd.Timedelta(hours=1)
    with session_scope(demo_url) as session:
        checked = set(alerts.alert_report(session, TZ, int(ended["id"])).checked["site_id"])
        site = session.scalar(select(Site.id).where(Site.status == "active", Site.id.not_in(checked)).limit(1))
        save(session, data(session, site, day.to_pydatetime()))
    with read_scope(demo_url) as session:
        after, _now = alerts.alert_list(session, TZ)
        alerts._ENDED.clear()
        alerts._SITES.clear()
        fresh, _now = alerts.alert_list(session, TZ)
    row = after.set_index("id").loc[ended["id"]]
    assert row["checked_sites"] == ended["checked_sites"] + 1
    assert row["unchecked_sites"] == ended["unchecked_sites"] - 1
    pd.testing.assert_frame_equal(after, fresh)


def test_the_scorecard_kept_on_the_ledger_version_follows_a_status_change(demo_url, tmp_path):
    from dashboard.analytics import meetings, scorecard
    from dashboard.services import ledger
    from dashboard.services.access import Actor
    from dashboard.store import clock
    from dashboard.store.models import ActionItem

    settings = make_settings(tmp_path, database_url=demo_url)
    with read_scope(demo_url) as session:
        today = clock.today(session, TZ)
        before = scorecard.scorecard(session, today, TZ)
        item = session.scalar(select(ActionItem).where(ActionItem.status == "open").order_by(ActionItem.id).limit(1))
        item_id, version, unit = item.id, item.version, item.responsible_unit_id
    ledger.set_status(settings, Actor.system(), item_id, "done", expected_version=version)
    with read_scope(demo_url) as session:
        after = scorecard.scorecard(session, today, TZ)
        fresh = meetings.scorecard(session, today, TZ)
    pd.testing.assert_frame_equal(after, fresh)
    closed = lambda frame: int(frame.set_index("unit_id").loc[unit, "closed"])  # noqa: E731
    assert closed(after) == closed(before) + 1


def _component(value, wanted: str):
    """The component with id ``wanted`` in a parsed layout (None if absent)."""
    if isinstance(value, dict):
        if value.get("props", {}).get("id") == wanted:
            return value
        return next((found for v in value.values() if (found := _component(v, wanted)) is not None), None)
    if isinstance(value, list):
        return next((found for v in value if (found := _component(v, wanted)) is not None), None)
    return None


def test_the_kept_pages_show_a_new_inspection_at_once(demo):
    """/compliance and /analysis keep their views on the data versions: an inspection saved in
    between is on the next view, in every worker (the version is in the database)."""
    from dashboard.services.access import Actor
    from dashboard.services.inspections import save_inspection
    from tests.conftest import TEST_PASSWORDS
    from tests.dash_http import log_in, page_layout

    app, settings = demo
    client = app.server.test_client()
    log_in(client, "admin", TEST_PASSWORDS["admin"])

    def seen() -> tuple[int, str]:
        compliance_page = page_layout(client, "/compliance").get_json()
        count = _component(compliance_page, "compliance-kpi-inspections")["props"]["children"]
        analysis_page = page_layout(client, "/analysis").get_json()
        return int(count), json.dumps(_component(analysis_page, "analysis-combined"))

    before = seen()
    assert seen() == before  # a second view, from the cache, is the same
    with read_scope(settings.database_url) as session:
        site = quiet_site(session)
        payload = data(session, site, at(10, 8), {"cover": "未覆盖"})
    save_inspection(settings, Actor.system(), payload, submit=True)
    after = seen()
    assert after[0] == before[0] + 1 and after[1] != before[1]
