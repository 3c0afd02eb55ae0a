"""The air page from the daily rows and the period's hours (``analytics.air.load_air_data``)
shows what the definition shows (``from_readings``: everything recomputed from the hourly readings
of the period's whole months): every tab's figures and the KPIs, byte for byte, for periods shown
hourly and daily, on the demo, on an empty database and on sparse data, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from plotly.utils import PlotlyJSONEncoder

from dashboard.analytics import air
from dashboard.domain.targets import DEFAULTS, targets_for_year
from dashboard.store.db import session_scope, upgrade
from dashboard.store.models import Alert, Reading, Station
from tests.unit.test_air_analytics import _hours

TARGETS = targets_for_year({}, 2025, DEFAULTS)


def _same_frames(fast: air.AirData, slow: air.AirData) -> None:
    for name in ("daily", "monthly", "stations"):
        a, b = getattr(fast, name), getattr(slow, name)
        if a.empty and b.empty:  # no row to show: the columns' types may differ
            assert list(a.columns) == list(b.columns), name
        else:
            pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(fast.alerts, slow.alerts)
    assert (fast.district_codes, fast.district_fallback) == (slow.district_codes, slow.district_fallback)
    assert (fast.empty, fast.last_day, fast.resolution) == (slow.empty, slow.last_day, slow.resolution)
    if fast.resolution == "hourly":
        pd.testing.assert_frame_equal(fast.hourly_view.reset_index(drop=True),
                                      slow.hourly_view.reset_index(drop=True))


def _page(data: air.AirData, tab: str, selected: list[str], choice: str, settings) -> str:
    """What the page's render callback answers for these controls, as JSON."""
    from dashboard.ui.pages import air as page

    names = data.series_names("全区")
    content = page._content(tab, data, selected, choice, names, TARGETS, "zh", settings)
    summary = page._summary(data, selected[0], names.get(selected[0], selected[0]), TARGETS, "zh")
    return json.dumps([content, summary], cls=PlotlyJSONEncoder, sort_keys=True)


def _assert_same_page(url: str, settings, start: dt.date, end: dt.date, selections: list[list[str]]) -> None:
    fast, slow = air.load_air_data(url, start, end), air.from_readings(url, start, end)
    _same_frames(fast, slow)
    if slow.empty:
        return  # the page says so and draws nothing
    for n, selected in enumerate(selections):
        for tab in ("calendar", "monthly"):
            assert _page(fast, tab, selected, "AQI", settings) == _page(slow, tab, selected, "AQI", settings), \
                (start, end, tab, selected)
        # Every pollutant for the first selection; the others differ in the series drawn, not in
        # how a pollutant is read, so AQI and PM2.5 show it (and keep the suite's time down).
        for choice in ("AQI", "PM2.5", "O3", "CO") if n == 0 else ("AQI", "PM2.5"):
            for tab in ("series", "profiles", "compare"):
                assert _page(fast, tab, selected, choice, settings) == _page(slow, tab, selected, choice, settings), \
                    (start, end, tab, selected, choice)


@pytest.mark.parametrize("start, end", [
    (dt.date(2025, 12, 1), dt.date(2025, 12, 7)),  # hourly, alerts inside
    (dt.date(2025, 11, 27), dt.date(2025, 12, 10)),  # 14 days: hourly, across a month
    (dt.date(2025, 11, 26), dt.date(2025, 12, 10)),  # 15 days: daily
    (dt.date(2025, 11, 11), dt.date(2025, 12, 10)),  # the page's default month
    (dt.date(2025, 8, 20), dt.date(2025, 9, 5)),  # the first readings inside the period
    (dt.date(2025, 12, 5), dt.date(2025, 12, 20)),  # the last readings inside the period
    (dt.date(2025, 6, 1), dt.date(2025, 12, 11)),  # the whole range and before
    (dt.date(2025, 3, 1), dt.date(2025, 3, 31)),  # before any reading
])
def test_demo_page_from_daily_rows_equals_the_definition(demo_app, demo_settings, start, end):
    _assert_same_page(demo_settings.database_url, demo_settings, start, end, [[air.DISTRICT], [air.DISTRICT, "1316A"]])


def test_empty_database(demo_app, sqlite_url, tmp_path):
    from tests.conftest import make_settings

    upgrade(sqlite_url)
    for start, end in ((dt.date(2025, 12, 1), dt.date(2025, 12, 3)), (dt.date(2025, 11, 1), dt.date(2025, 11, 30)),
                       (dt.date(2021, 1, 1), dt.date(2025, 12, 11))):
        fast = air.load_air_data(sqlite_url, start, end)
        assert fast.empty and fast.last_day is None and fast.daily.empty and fast.monthly.empty
        _assert_same_page(sqlite_url, make_settings(tmp_path, database_url=sqlite_url), start, end, [[air.DISTRICT]])


def test_sparse_data(demo_app, sqlite_url, tmp_path):
    """Two district stations and a background one, a few days apart over two months, some
    pollutants only, one station silent for weeks, an alert still in force: written through the
    ORM, so the listeners keep ``air_daily``."""
    from tests.conftest import make_settings

    upgrade(sqlite_url)
    with session_scope(sqlite_url) as session:
        session.add_all([
            Station(id=1, code="1316A", name="甲", in_district=True, longitude=113.6, latitude=34.7),
            Station(id=2, code="1317A", name="乙", in_district=True, longitude=113.7, latitude=34.8),
            Station(id=3, code="1324A", name="对照", in_district=False, is_background=True,
                    longitude=113.5, latitude=34.9),
        ])
        session.flush()
        spans = {
            1: [(dt.date(2025, 10, 3), dt.date(2025, 10, 4), {"PM2.5": 80.0, "PM10": 120.0}),
                (dt.date(2025, 11, 20), dt.date(2025, 11, 20), {"PM2.5": 160.0, "O3": 90.0, "CO": 1.2})],
            2: [(dt.date(2025, 10, 3), dt.date(2025, 10, 3), {"PM2.5": 30.0}),
                (dt.date(2025, 11, 19), dt.date(2025, 11, 21), {"PM2.5": 40.0, "NO2": 60.0, "SO2": 9.0})],
            3: [(dt.date(2025, 10, 28), dt.date(2025, 10, 28), {"PM2.5": 12.0, "O3": 150.0})],
        }
        for sid, parts in spans.items():
            for first, last, values in parts:
                hours = _hours(first, last)
                for i, h in enumerate(hours):
                    if i % 7 == 3:
                        continue  # gaps within the days
                    for pollutant, value in values.items():
                        session.add(Reading(station_id=sid, pollutant=pollutant, time=h.to_pydatetime(),
                                            value=value + i % 5, source="manual"))
        session.add(Alert(level="orange", starts_at=dt.datetime(2025, 11, 19, 4, tzinfo=dt.UTC), ends_at=None))
    settings = make_settings(tmp_path, database_url=sqlite_url)
    both = [[air.DISTRICT], [air.DISTRICT, "1316A", "1324A"], ["1317A"]]
    for start, end in ((dt.date(2025, 11, 19), dt.date(2025, 11, 22)),  # hourly
                       (dt.date(2025, 10, 1), dt.date(2025, 10, 14)),  # hourly, one station silent after day 3
                       (dt.date(2025, 10, 20), dt.date(2025, 11, 25)),  # daily, across the months
                       (dt.date(2025, 9, 1), dt.date(2025, 12, 31)),  # daily, past the data on both sides
                       (dt.date(2025, 11, 1), dt.date(2025, 11, 15))):  # between the readings: empty
        _assert_same_page(sqlite_url, settings, start, end, both)
