"""analytics.targets.year_progress on a small database with readings put in by hand, on an empty
one, and on the real 2025 Zhengzhou readings (against what the air page's analytics give)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from dashboard.analytics import air
from dashboard.analytics.targets import year_progress
from dashboard.domain.targets import YearTargets
from dashboard.store import air as air_store
from dashboard.store.db import read_scope, session_scope, upgrade
from dashboard.store.models import Reading, Station
from tests.conftest import make_settings, real_district

TZ = ZoneInfo("Asia/Shanghai")
# Daily PM2.5 means → HJ 633-2012 IAQI: 30 → 43 (优), 80 → 107 (轻度), 160 → 210 (重度), 40 → 57, 20 → 29.
PM25 = {1: 30.0, 2: 80.0, 3: 160.0, 4: 40.0, 5: 20.0}


def hours(day: dt.date, n: int = 24) -> list[dt.datetime]:
    # Day D is the hour labels D 01:00 … D+1 00:00 (each label ends its hour).
    first = pd.Timestamp(dt.datetime.combine(day, dt.time(1)), tz=TZ)
    return [t.tz_convert("UTC").to_pydatetime() for t in pd.date_range(first, periods=n, freq="h")]


@pytest.fixture
def small_db(sqlite_url):
    upgrade(sqlite_url)
    with session_scope(sqlite_url) as session:
        session.add(Station(id=1, code="1316A", name="烟厂", in_district=True))
        session.flush()
        for d, pm25 in PM25.items():
            for time in hours(dt.date(2025, 1, d)):
                session.add(Reading(station_id=1, pollutant="PM2.5", time=time, value=pm25, source="manual"))
                session.add(Reading(station_id=1, pollutant="PM10", time=time, value=50.0, source="manual"))
        for time in hours(dt.date(2025, 1, 6), 10):  # too few hours: no valid day (HJ 663: ≥ 20)
            session.add(Reading(station_id=1, pollutant="PM2.5", time=time, value=300.0, source="manual"))
        air_store.set_year_targets(session, 2025, YearTargets(45.0, 75.0, 0.7, 8))
    return sqlite_url


def progress(url: str, year: int, today: dt.date):
    with read_scope(url) as session:
        return year_progress(session, url, year, today, TZ)


def test_a_few_days_worked_by_hand(small_db):
    p = progress(small_db, 2025, dt.date(2025, 1, 8))
    assert p.through == dt.date(2025, 1, 7) and p.targets.own
    b = p.budget
    # 7 days gone, 5 valid (3 good, 2 polluted, 1 heavy), 2 without a valid day; 358 to come.
    assert (b.valid_days, b.good_days, b.remaining_days, p.missing_days) == (5, 3, 358, 2)
    # N = 363, 0.7 × 363 = 254.1 → 255 good days needed; 363 − 255 − 2 = 106.
    assert (b.year_valid_days, b.good_days_needed, b.remaining) == (363, 255, 106)
    pm25, pm10, share, heavy = (p.progress[k] for k in ("pm25", "pm10", "good_day_share", "heavy_days"))
    assert pm25.value == pytest.approx(66.0) and pm25.met is False and pm25.days == 5 and not pm25.complete
    assert pm10.value == pytest.approx(50.0) and pm10.met is True
    assert share.value == pytest.approx(0.6) and share.met is False
    assert heavy.value == 1 and heavy.met is True and p.heavy_left == 7
    january = p.months.iloc[0]
    assert (january["valid"], january["good"], january["polluted"], january["heavy"], january["missing"],
            january["to_come"]) == (5, 3, 2, 1, 2, 24)
    assert p.months["pace"].sum() == 106 and p.months["to_come"].sum() == 358
    # The path: the mean of the valid days so far, day by day.
    path = p.path.set_index("date")
    assert path.loc["2025-01-02", "pm25"] == pytest.approx(55.0)
    assert path.loc["2025-01-03", "heavy_days"] == 1
    assert path.loc["2025-01-05", "good_share"] == pytest.approx(0.6)


def test_the_year_before_and_after(small_db):
    before = progress(small_db, 2025, dt.date(2024, 12, 20))
    assert not before.started and before.budget.remaining == 365 - 256 and before.path.empty
    after = progress(small_db, 2025, dt.date(2026, 1, 5))
    assert after.finished and after.budget.remaining_days == 0
    # A finished year: 5 valid days, 3 good, 4 needed (0.7 × 5 = 3.5 → 4): missed by one.
    assert after.budget.good_days_needed == 4 and after.budget.remaining == -1
    assert progress(small_db, 2026, dt.date(2026, 1, 5)).targets.own is False


def test_an_empty_database(sqlite_url):
    upgrade(sqlite_url)
    p = progress(sqlite_url, 2025, dt.date(2025, 12, 11))
    assert not p.has_data and p.missing_days == 344 and p.budget.remaining_days == 21
    # 21 days to come, all of them could be good: 0.7 × 21 = 14.7 → 15 needed, 6 allowed.
    assert p.budget.remaining == 6
    assert all(pr.value is None and pr.met is None for pr in p.progress.values())


def test_the_real_2025_readings_agree_with_the_air_page(tmp_path):
    settings = make_settings(tmp_path)
    real_district(settings)
    url = settings.database_url
    p = progress(url, 2025, dt.date(2025, 2, 16))  # the files end on 15 February
    data = air.load_air_data(url, dt.date(2025, 1, 1), dt.date(2025, 2, 15))
    summary = air.good_day_summary(data.daily, air.DISTRICT, dt.date(2025, 1, 1), dt.date(2025, 2, 15))
    assert p.budget.valid_days == summary["n_valid"] >= 40
    assert p.budget.good_days == summary["n_good"]
    assert p.progress["good_day_share"].value == pytest.approx(summary["good_share"])
    assert p.progress["pm25"].value == pytest.approx(summary["pm25"])
    monthly = data.monthly[data.monthly["series"] == air.DISTRICT].set_index("month")
    for month in (1, 2):
        row = p.months.iloc[month - 1]
        stats = monthly.loc[pd.Timestamp(2025, month, 1)]
        assert (row["valid"], row["good"]) == (stats["n_valid"], stats["n_good"])
    district = data.daily[data.daily["series"] == air.DISTRICT]
    heavy = int((district["aqi"].astype("Float64") > 200).fillna(False).sum())
    assert p.progress["heavy_days"].value == heavy
    assert p.budget.remaining_days == 365 - 46
