"""综合研判 on a district small enough to work by hand, and the page's URL state over HTTP.

Two townships, one site and one station each (a site stands on its station, so each township's
air is that station's); meetings 1-3 on 1, 8 and 15 December 2025; today pinned to 18 December.
Meeting 2 reviews 1-7 December and is compared with 24-30 November.

    township   checks 1-7 Dec (pass/fail)        PM10 1-7 Dec   checks 24-30 Nov        PM10 24-30 Nov
    A (id 1)   2 Dec p,f · 4 Dec p,p  → 3/4      100            26 Nov f,f · 27 Nov p,na → 1/3   60
    B (id 2)   3 Dec p,p              → 2/2       40            25 Nov p,f               → 1/2   80

District, 1-7 December: 5 passed of 6 applicable; PM10 the mean of both stations, (100 + 40) / 2.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from dashboard.analytics import analysis
from dashboard.store import clock
from dashboard.store.db import session_scope, upgrade
from dashboard.store.models import (
    AppSetting,
    ChecklistItem,
    ChecklistVersion,
    Inspection,
    InspectionResult,
    Meeting,
    Reading,
    Rectification,
    Site,
    Station,
    Township,
)
from dashboard.store.users import upsert_user
from tests.conftest import make_settings
from tests.dash_http import call, csrf_header, log_in, text_of

TZ = ZoneInfo("Asia/Shanghai")
STATIONS = {"1001A": (113.60, 34.70), "1002A": (113.70, 34.80)}
PM10 = {"1001A": {"period": 100, "before": 60}, "1002A": {"period": 40, "before": 80}}
CHECKS = {  # site -> [(day, results)]
    1: [("2025-12-02", ("pass", "fail")), ("2025-12-04", ("pass", "pass")),
        ("2025-11-26", ("fail", "fail")), ("2025-11-27", ("pass", "na"))],
    2: [("2025-12-03", ("pass", "pass")), ("2025-11-25", ("pass", "fail"))],
}


def _at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), TZ)


@pytest.fixture
def small_district(tmp_path):
    settings = make_settings(tmp_path)
    url = settings.database_url
    upgrade(url)
    with session_scope(url) as session:
        session.add(AppSetting(key=clock.FROZEN_TODAY, value="2025-12-18"))
        for number, day in ((1, "2025-12-01"), (2, "2025-12-08"), (3, "2025-12-15")):
            held = _at(day, 9)
            session.add(Meeting(number=number, held_at=held, chair_title="区长", created_at=held, updated_at=held))
        stations = {}
        for n, (code, (lon, lat)) in enumerate(STATIONS.items(), start=1):
            stations[code] = Station(code=code, name=f"站{n}", longitude=lon, latitude=lat, in_district=True)
            session.add(stations[code])
            township = Township(id=n, code=f"t{n}", name=f"乡{n}", name_en=f"Town {n}", kind="township", position=n)
            session.add(township)
            session.add(Site(id=n, code=f"GD-{n}", name=f"工地{n}", township_id=n, site_type="road",
                             longitude=lon, latitude=lat))
        session.flush()
        # Hour labels 01:00 .. 24:00 of each Beijing day from 24 November to 7 December.
        for code, station in stations.items():
            for offset in range(14 * 24):
                label = _at("2025-11-24", 1) + dt.timedelta(hours=offset)
                day = (label - dt.timedelta(hours=1)).date()
                value = PM10[code]["period" if day >= dt.date(2025, 12, 1) else "before"]
                session.add(Reading(station_id=station.id, pollutant="PM10", time=label, value=value, source="manual"))
        version = ChecklistVersion(code="v", name="清单", valid_from=dt.date(2025, 1, 1))
        session.add(version)
        session.flush()
        items = [ChecklistItem(version_id=version.id, key=k, position=i, label=k)
                 for i, k in enumerate(("hoarding", "cover"))]
        session.add_all(items)
        session.flush()
        for site_id, visits in CHECKS.items():
            for day, results in visits:
                inspection = Inspection(site_id=site_id, checklist_version_id=version.id, inspected_at=_at(day),
                                        status="submitted")
                session.add(inspection)
                session.flush()
                for item, result in zip(items, results, strict=True):
                    row = InspectionResult(inspection_id=inspection.id, item_id=item.id, result=result)
                    session.add(row)
                    session.flush()
                    if day == "2025-12-02" and result == "fail":
                        # Open from 2 December, closed on 5 December.
                        session.add(Rectification(site_id=site_id, item_key=item.key, opened_by_id=row.id,
                                                  opened_at=_at(day), deadline=dt.date(2025, 12, 9),
                                                  status="closed", closed_at=_at("2025-12-05")))
        upsert_user(session, "viewer", "viewer-pass-1", "viewer")
        upsert_user(session, "insp", "insp-pass-12", "inspector", township_id=2)
    return settings


def test_a_meeting_period_and_the_one_it_is_compared_with(small_district):
    with session_scope(small_district.database_url) as session:
        period = analysis.resolve_period(session, TZ, "2")
        assert (period.key, period.first, period.last, period.before, period.number) == (
            "2", dt.date(2025, 12, 1), dt.date(2025, 12, 7), (dt.date(2025, 11, 24), dt.date(2025, 11, 30)), 2)
        since = analysis.resolve_period(session, TZ, "since")
        assert (since.first, since.last, since.before) == (
            dt.date(2025, 12, 15), dt.date(2025, 12, 17), (dt.date(2025, 12, 8), dt.date(2025, 12, 14)))
        # Unknown or not held: since the last meeting.
        assert analysis.resolve_period(session, TZ, "99") == since
        custom = analysis.resolve_period(session, TZ, None, dt.date(2025, 12, 10), dt.date(2025, 12, 1))
        assert (custom.key, custom.first, custom.last, custom.before) == (
            "custom", dt.date(2025, 12, 1), dt.date(2025, 12, 10), (dt.date(2025, 11, 21), dt.date(2025, 11, 30)))
        assert [(c.key, c.number, c.held_on) for c in analysis.period_choices(session, TZ)] == [
            ("since", None, None), ("3", 3, dt.date(2025, 12, 15)), ("2", 2, dt.date(2025, 12, 8)),
            ("1", 1, dt.date(2025, 12, 1))]


def test_the_quadrant_places_each_township_and_where_it_stood_before(small_district):
    url = small_district.database_url
    with session_scope(url) as session:
        q = analysis.quadrant(session, url, TZ, analysis.resolve_period(session, TZ, "2"))
    points = q.points.set_index("township_id")
    assert points.loc[1, "rate"] == pytest.approx(3 / 4) and points.loc[1, "applicable"] == 4
    assert points.loc[1, "pm10"] == 100
    assert points.loc[1, "rate_before"] == pytest.approx(1 / 3) and points.loc[1, "applicable_before"] == 3
    assert points.loc[1, "pm10_before"] == 60
    assert (points.loc[2, "rate"], points.loc[2, "pm10"]) == (1.0, 40)
    assert (points.loc[2, "rate_before"], points.loc[2, "pm10_before"]) == (0.5, 80)
    assert q.district_rate == pytest.approx(5 / 6)
    assert q.district_pm10 == 70
    assert q.missing.empty


def test_a_townships_time_view_is_its_own_sites_and_stations(small_district):
    url = small_district.database_url
    with session_scope(url) as session:
        one = analysis.timeline(session, url, TZ, dt.date(2025, 12, 1), dt.date(2025, 12, 7), 1, "pm10")
        district = analysis.timeline(session, url, TZ, dt.date(2025, 12, 1), dt.date(2025, 12, 7), None, "pm10")
    assert one.stations == ("1001A",)
    assert one.air["value"].tolist() == [100.0] * 7
    assert district.air["value"].tolist() == [70.0] * 7
    # PM10 100 is category 2 (良), 70 too; the bars carry the pollutant's own category.
    assert set(one.air["category"]) == {2.0}
    checks = one.checks.set_index("date")
    assert checks.loc[pd.Timestamp("2025-12-02"), ["passed", "failed"]].tolist() == [1, 1]
    assert int(district.checks["applicable"].sum()) == 6
    # The 7-day rate on 4 December reaches back to 28 November: only township A's Dec checks.
    rolling = one.rolling.set_index("date")
    assert rolling.loc[pd.Timestamp("2025-12-04"), "rate"] == pytest.approx(3 / 4)
    backlog = one.backlog.set_index("date")["open"]
    assert backlog[pd.Timestamp("2025-12-01")] == 0
    assert backlog[pd.Timestamp("2025-12-02"):pd.Timestamp("2025-12-04")].tolist() == [1, 1, 1]
    assert backlog[pd.Timestamp("2025-12-05")] == 0
    assert [int(n) for n in one.meetings["number"]] == [1, 2, 3]


# --------------------------------------------------------------------------- the page over HTTP
def _layout(client, search: str) -> dict:
    response = client.post("/_dash-update-component", headers=csrf_header(client), json={
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/analysis"},
                   {"id": "_pages_location", "property": "search", "value": search}],
        "changedPropIds": ["_pages_location.pathname"], "state": []})
    assert response.status_code == 200 and "服务器出错" not in text_of(response)
    return response.get_json()


def _values(tree: dict) -> dict:
    from tests.integration.test_page_states import values_on

    return values_on(tree)


def test_the_query_sets_the_controls_and_a_control_change_writes_the_query(small_district):
    from dashboard.app import create_app

    app = create_app(small_district)
    client = app.server.test_client()
    log_in(client, "viewer", "viewer-pass-1")
    values = _values(_layout(client, "?period=2&township=1&measure=pm25"))
    assert values["analysis-period.value"] == "2"
    assert values["analysis-township.value"] == "1"
    assert values["analysis-measure.value"] == "pm25"
    assert values["analysis-dates.value"] == ["2025-12-01", "2025-12-07"]
    # Nonsense in the query is the default view, not an error.
    values = _values(_layout(client, "?period=x&township=99&measure=so2&from=nope"))
    assert (values["analysis-period.value"], values["analysis-township.value"],
            values["analysis-measure.value"]) == ("since", "all", "pm10")
    custom = _values(_layout(client, "?from=2025-12-01&to=2025-12-10"))
    assert custom["analysis-period.value"] == "custom"

    response = call(client, app, "analysis-content.children", {
        "analysis-period.value": "2", "analysis-dates.value": ["2025-12-15", "2025-12-17"],
        "analysis-township.value": "2", "analysis-measure.value": "aqi"}, changed=["analysis-period.value"])
    sent = response.get_json()["response"]
    assert sent["analysis-url"]["search"] == "?period=2&township=2&measure=aqi"
    assert sent["analysis-dates"]["value"] == ["2025-12-01", "2025-12-07"]
    response = call(client, app, "analysis-content.children", {
        "analysis-period.value": "2", "analysis-dates.value": ["2025-12-02", "2025-12-05"],
        "analysis-township.value": "all", "analysis-measure.value": "pm10"}, changed=["analysis-dates.value"])
    sent = response.get_json()["response"]
    assert sent["analysis-url"]["search"] == "?from=2025-12-02&to=2025-12-05&measure=pm10"
    assert sent["analysis-period"]["value"] == "custom"


def test_a_click_on_a_meeting_marker_opens_that_meeting(small_district):
    from dashboard.app import create_app

    app = create_app(small_district)
    client = app.server.test_client()
    log_in(client, "viewer", "viewer-pass-1")
    response = call(client, app, "analysis-nav.href",
                    {"analysis-combined.clickData": {"points": [{"customdata": ["meeting", 2]}]}})
    assert response.get_json()["response"]["analysis-nav"]["href"] == "/meetings/2"
    # A click on a bar is not a meeting.
    response = call(client, app, "analysis-nav.href",
                    {"analysis-combined.clickData": {"points": [{"customdata": ["12月2日", "良", "75"]}]}})
    assert response.status_code == 204


def test_an_inspector_opens_on_their_township_and_can_still_see_the_district(small_district):
    from dashboard.app import create_app

    app = create_app(small_district)
    client = app.server.test_client()
    log_in(client, "insp", "insp-pass-12")
    assert _values(_layout(client, ""))["analysis-township.value"] == "2"
    assert _values(_layout(client, "?township=all"))["analysis-township.value"] == "all"
    response = call(client, app, "analysis-content.children", {
        "analysis-period.value": "since", "analysis-dates.value": ["2025-12-15", "2025-12-17"],
        "analysis-township.value": "all", "analysis-measure.value": "pm10"}, changed=["analysis-township.value"])
    assert response.get_json()["response"]["analysis-url"]["search"] == "?period=since&township=all&measure=pm10"
