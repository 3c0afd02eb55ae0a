"""Daily air values kept by the writes (``air_daily``): after an import, a re-import, a correction
and a change of the district group they equal a recomputation from the readings, on SQLite and
PostgreSQL; ``db check`` reports a corrupted row; the pages' figures from them equal those from
the hourly readings."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from dashboard.analytics import air, air_daily
from dashboard.analytics import meetings as meetings_analytics
from dashboard.cli import main
from dashboard.ingest.report import ImportReport
from dashboard.services.district import set_station_group
from dashboard.services.imports import import_readings
from dashboard.store import air_daily as daily_store
from dashboard.store.db import read_scope, session_scope, upgrade
from dashboard.store.models import AirDaily, Reading, Station
from tests.conftest import POSTGRES_CASE, SQLITE_CASE, make_settings, real_district


@pytest.fixture(params=[SQLITE_CASE, POSTGRES_CASE])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'air.db'}"
    return request.getfixturevalue("pg_url")


def _check(url: str) -> list:
    with read_scope(url) as session:
        return air_daily.check(session)


def _version(url: str) -> int:
    with read_scope(url) as session:
        return daily_store.version(session)


def _rows(url: str, series: str) -> pd.DataFrame:
    with read_scope(url) as session:
        rows = daily_store.read(session, series=[series])
    return rows.set_index("date")


def _admin():
    from dashboard.cli.groups import system_actor

    return system_actor()


def test_import_reimport_correction_and_group_keep_aggregates(database_url, tmp_path):
    settings = make_settings(tmp_path, database_url=database_url)
    real_district(settings)  # the real 2025 Zhengzhou files, through the command line
    assert _check(database_url) == []
    district = _rows(database_url, air.DISTRICT)
    assert len(district) >= 45 and district["aqi"].notna().sum() >= 40
    version = _version(database_url)
    assert version > 0

    # The same files again add nothing: nothing to refresh, the version stays.
    runner = CliRunner(env={"DATABASE_URL": database_url, "DASHBOARD_DATA_DIR": str(tmp_path), "SECRET_KEY": "x"})
    from tests.conftest import shared_data

    result = runner.invoke(main, ["import", "cnemc", str(shared_data("cnemc", "zhengzhou_wide_2025"))])
    assert result.exit_code == 0, result.output
    assert _version(database_url) == version and _check(database_url) == []

    # A correction through the ORM (one hour of one station) moves that station's day and the district's.
    day = dt.date(2025, 1, 10)
    lo, hi = air.period_bounds(day, day)
    with session_scope(database_url) as session:
        sid = session.scalar(select(Station.id).where(Station.code == "1322A"))
        readings = session.scalars(select(Reading).where(Reading.station_id == sid, Reading.pollutant == "PM2.5",
                                                         Reading.time > lo, Reading.time <= hi)).all()
        for r in readings:
            r.value = r.value + 240.0
    after = _rows(database_url, "1322A")
    assert after.loc[pd.Timestamp(day), "PM2.5"] > _rows(database_url, "1323A").loc[pd.Timestamp(day), "PM2.5"] + 100
    assert _version(database_url) > version and _check(database_url) == []

    # A re-published file replacing values (--on-conflict update) through the import service.
    frame = pd.DataFrame({"station_code": "1323A", "pollutant": "PM10",
                          "time": pd.date_range(lo + dt.timedelta(hours=1), hi, freq="h"), "value": 999.0})
    report = import_readings(settings, _admin(), frame, ImportReport(file="revised"), "cnemc", on_conflict="update")
    assert report.refused is None and report.conflicts == 24
    assert _rows(database_url, "1323A").loc[pd.Timestamp(day), "PM10"] == 999.0
    assert _check(database_url) == []

    # The district group changes: the district's rows follow (1322A alone now).
    before = _rows(database_url, air.DISTRICT).loc[pd.Timestamp(day), "PM2.5"]
    set_station_group(settings, _admin(), district=["1322A"], background=["1324A"])
    alone = _rows(database_url, air.DISTRICT).loc[pd.Timestamp(day), "PM2.5"]
    assert alone == after.loc[pd.Timestamp(day), "PM2.5"] and alone != before
    assert _check(database_url) == []


def test_db_check_reports_a_corrupted_row_and_repairs_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'air.db'}"
    settings = make_settings(tmp_path, database_url=url)
    real_district(settings)
    with session_scope(url) as session:  # Core, as a stray script would: nothing follows it
        session.execute(update(AirDaily).where(AirDaily.series == "1322A", AirDaily.date == dt.date(2025, 1, 20))
                        .values(pm25=AirDaily.pm25 + 7))
    runner = CliRunner(env={"DATABASE_URL": url, "DASHBOARD_DATA_DIR": str(tmp_path), "SECRET_KEY": "x"})
    result = runner.invoke(main, ["db", "check"])
    assert result.exit_code == 1, result.output
    assert "air_daily 1322A 2025-01-20 PM2.5" in result.output and "1 difference(s)" in result.output
    repaired = runner.invoke(main, ["db", "check", "--repair"])
    assert repaired.exit_code == 0 and "rebuilt" in repaired.output
    clean = runner.invoke(main, ["db", "check"])
    assert clean.exit_code == 0 and "0 difference(s)" in clean.output, clean.output


def test_migration_backfills_an_existing_database(demo):
    _app, settings = demo
    url = settings.database_url
    upgrade(url, "0009_dust_tasks")
    upgrade(url)
    assert _check(url) == []
    with read_scope(url) as session:
        assert len(daily_store.read(session)) > 500


def test_pages_figures_from_aggregates_equal_those_from_readings(demo_settings):
    url = demo_settings.database_url
    assert _check(url) == []
    start, end = dt.date(2025, 9, 1), dt.date(2025, 12, 11)
    from_daily = air.load_air_data(url, start, end)
    from_hours = air.from_readings(url, start, end)
    for name in ("daily", "monthly", "stations"):
        pd.testing.assert_frame_equal(getattr(from_daily, name), getattr(from_hours, name))
    assert from_daily.district_codes == from_hours.district_codes
    assert from_daily.last_day == from_hours.last_day and not from_daily.empty
    pd.testing.assert_frame_equal(air.latest_station_aqi(from_daily.recent_hourly_view, from_daily.stations),
                                  air.latest_station_aqi(from_hours.hourly_view, from_hours.stations))
    for choice, series in (("PM2.5", [air.DISTRICT]), ("AQI", [air.DISTRICT, "1316A"]), ("O3", ["1324A"])):
        pd.testing.assert_frame_equal(air.profiles(from_daily.profile_hours(choice, series), choice, series),
                                      air.profiles(from_hours.hourly_view, choice, series))

    # A meeting's air record (the same days as the frozen ones) from the aggregates and from the hours.
    with read_scope(url) as session:
        daily, stations = meetings_analytics._load_daily(session, dt.date(2025, 11, 1), dt.date(2025, 11, 30))
        lo, hi = air.period_bounds(dt.date(2025, 11, 1), dt.date(2025, 11, 30))
        from dashboard.store import air as air_store

        raw = meetings_analytics.daily_frame(air_store.hourly_readings(session, lo, hi), stations)
    now = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
    period, before = (dt.date(2025, 11, 17), dt.date(2025, 11, 23)), (dt.date(2025, 11, 10), dt.date(2025, 11, 16))
    assert meetings_analytics.air_quality_record(daily, stations, period, before, now) == \
        meetings_analytics.air_quality_record(raw, stations, period, before, now)


def test_a_batch_left_pending_is_caught_up_by_the_next_refresh(tmp_path):
    """A batch import notes the station-days in each file's transaction; if it dies before its
    final refresh, the days stay listed (and ``db check`` sees them) until a refresh runs."""
    from dashboard.services.imports import refresh_air_daily
    from dashboard.store.models import AirDailyPending

    url = f"sqlite:///{tmp_path / 'air.db'}"
    settings = make_settings(tmp_path, database_url=url)
    real_district(settings)
    day = dt.date(2025, 2, 20)
    lo, hi = air.period_bounds(day, day)
    frame = pd.DataFrame({"station_code": "1322A", "pollutant": "PM2.5",
                          "time": pd.date_range(lo + dt.timedelta(hours=1), hi, freq="h"), "value": 88.0})
    version = _version(url)
    report = import_readings(settings, _admin(), frame, ImportReport(file="late"), "cnemc", defer_daily=True)
    assert report.added == 24 and _version(url) > version  # the hourly views see it at once
    with read_scope(url) as session:
        assert session.scalar(select(AirDailyPending.date).where(AirDailyPending.station_code == "1322A")) == day
    assert {(d.series, d.date, d.column) for d in _check(url)} >= {("1322A", day, "row"), (air.DISTRICT, day, "row")}
    assert refresh_air_daily(settings, _admin()) >= 1
    assert _check(url) == [] and _rows(url, "1322A").loc[pd.Timestamp(day), "PM2.5"] == 88.0
    assert refresh_air_daily(settings, _admin()) == 0


def test_unfrozen_meeting_summaries_from_aggregates_equal_those_from_readings(demo_settings):
    """Meetings recorded without figures: the list page's district summaries (from ``air_daily``,
    cached on the data version) equal ``period_summary`` of daily values computed from the hours."""
    from dashboard.domain import meetings as calendar
    from dashboard.store import air as air_store
    from dashboard.store import clock

    url = demo_settings.database_url
    tz = demo_settings.tz
    with read_scope(url) as session:
        meetings = meetings_analytics.all_meetings(session)
        yesterday = clock.today(session, tz) - dt.timedelta(days=1)
        stations = air_store.stations(session)
        lo, hi = air.period_bounds(dt.date(2025, 8, 1), yesterday)
        raw = meetings_analytics.daily_frame(air_store.hourly_readings(session, lo, hi), stations)
    for m in meetings:
        m.air_quality = {}  # detached: never written back
    with read_scope(url) as session:
        summaries = meetings_analytics.air_summaries(session, url, meetings, tz)
    times = [m.held_at for m in meetings]
    checked = 0
    for m in meetings:
        prev = max((t for t in times if t < m.held_at), default=None)
        span = calendar.review_period(m.held_at.astimezone(tz).date(), prev.astimezone(tz).date() if prev else None,
                                      yesterday)
        expected = meetings_analytics.period_summary(raw, air.DISTRICT, *span)
        assert summaries[m.number] == {**expected, "frozen": False}, m.number
        checked += expected["n_valid"] > 0
    assert checked >= 5


def test_db_check_spans_months_without_readings(tmp_path):
    """Readings in December 2019 and in 2025, none in between: the months with nothing on either
    side compare as equal, they do not stop the check."""
    from tests.conftest import shared_data

    settings = make_settings(tmp_path)
    real_district(settings)
    runner = CliRunner(env={"DATABASE_URL": settings.database_url, "DASHBOARD_DATA_DIR": str(tmp_path),
                            "SECRET_KEY": "x"})
    december = shared_data("cnemc", "zhengzhou_wide_2019", "china_sites_20191231.csv")
    assert runner.invoke(main, ["import", "cnemc", str(december)]).exit_code == 0
    checked = runner.invoke(main, ["db", "check"])
    assert checked.exit_code == 0 and "0 difference(s)" in checked.output, checked.output
