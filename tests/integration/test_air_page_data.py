"""The air page's data on a real database: its cache follows the stored readings, and the page
without any reading says so (moved from tests/unit: unit tests make no database, so that the
PostgreSQL pass can leave tests/unit out)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dashboard.analytics import air
from tests.unit.test_air_analytics import _hours


def test_cache_follows_the_data(sqlite_url):
    from dashboard.store import air as store
    from dashboard.store.db import session_scope, upgrade
    from dashboard.store.models import Reading, Station

    upgrade(sqlite_url)
    with session_scope(sqlite_url) as session:
        session.add(Station(id=1, code="1316A", name="烟厂", in_district=True))
        session.flush()
        for h in _hours(dt.date(2025, 12, 1), dt.date(2025, 12, 1)):
            session.add(Reading(station_id=1, pollutant="PM2.5", time=h.to_pydatetime(), value=40.0, source="manual"))
    first = air.load_air_data(sqlite_url, dt.date(2025, 12, 1), dt.date(2025, 12, 1))
    assert air.load_air_data(sqlite_url, dt.date(2025, 12, 1), dt.date(2025, 12, 1)).hourly_view is first.hourly_view
    with session_scope(sqlite_url) as session:
        first_hour = _hours(dt.date(2025, 12, 1), dt.date(2025, 12, 1))[0].to_pydatetime()
        reading = session.get(Reading, (1, "PM2.5", first_hour))
        reading.value = 300.0
        lo, hi = air.period_bounds(dt.date(2025, 12, 1), dt.date(2025, 12, 1))
        assert store.hourly_readings(session, lo, hi)["value"].max() == 300.0
    again = air.load_air_data(sqlite_url, dt.date(2025, 12, 1), dt.date(2025, 12, 1))
    assert again.hourly_view is not first.hourly_view and again.hourly_view["PM2.5"].max() == 300.0



# --------------------------------------------------------------------------- the page
@pytest.fixture
def air_client(tmp_path):
    from dashboard.app import create_app
    from dashboard.store.db import session_scope
    from dashboard.store.users import upsert_user
    from tests.conftest import make_settings

    settings = make_settings(tmp_path)
    app = create_app(settings)
    with session_scope(settings.database_url) as session:
        upsert_user(session, "vera", "viewer-pass", "viewer")
    return app.server.test_client(), settings


def _login(client, username, password):
    from tests.dash_http import csrf_header, log_in

    log_in(client, username, password)
    return csrf_header(client)["X-CSRFToken"]


def test_page_without_readings_says_so(air_client):
    from tests.dash_http import text_of

    client, _ = air_client
    token = _login(client, "vera", "viewer-pass")
    layout = client.post("/_dash-update-component", headers={"X-CSRFToken": token}, json={
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/air"},
                   {"id": "_pages_location", "property": "search", "value": ""}],
        "changedPropIds": ["_pages_location.pathname"], "state": [],
    })
    assert layout.status_code == 200 and "air-stations" in json.dumps(layout.get_json())
    # The year against its targets, even with no reading at all (the whole year's budget); only
    # admins get the link to change them (tests/integration/test_admin_rules.py).
    assert "年攻坚目标进度" in text_of(layout)
    assert "个污染天（AQI > 100）" in text_of(layout) and "优良天数比例 70% 的目标" in text_of(layout)
    assert "air-targets-admin" not in json.dumps(layout.get_json())
    response = client.post("/_dash-update-component", headers={"X-CSRFToken": token}, json={
        "output": "..air-content.children...air-summary.children..",
        "outputs": [{"id": "air-content", "property": "children"}, {"id": "air-summary", "property": "children"}],
        "inputs": [{"id": "air-stations", "property": "value", "value": ["district"]},
                   {"id": "air-pollutant", "property": "value", "value": "AQI"},
                   {"id": "air-period", "property": "value", "value": ["2025-11-01", "2025-11-30"]},
                   {"id": "air-tabs", "property": "value", "value": "series"}],
        "changedPropIds": [], "state": [],
    })
    assert response.status_code == 200
    assert "2025年11月1日 至 2025年11月30日 没有监测数据" in text_of(response)
