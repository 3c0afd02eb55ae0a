"""The meeting pages' bounded reads give what the definitions give (issue 14).

The meeting and briefing pages read only what they can show: a meeting's ledger reads the items
that can be on it (not the closed items of older meetings), the next meeting's ledger the open
items, the agenda's escalations the open rectifications and those closed since the last meeting,
and a meeting's air summaries are computed for all stations in one pass. Each is compared here
with its definition (the whole ledger, every rectification, one station at a time) on the demo,
on the demo after a round of edits, on sparse data (most items and rectifications gone) and on
an empty database.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from dashboard.analytics import air as air_analytics
from dashboard.analytics import meetings as analytics
from dashboard.analytics import rectifications as rectification_analytics
from dashboard.domain import ledger as rules
from dashboard.services import ledger as ledger_service
from dashboard.services.access import Actor
from dashboard.store import clock
from dashboard.store import ledger as ledger_store
from dashboard.store import meetings as meeting_store
from dashboard.store.db import read_scope, session_scope, upgrade
from dashboard.store.models import ActionItem, Rectification
from tests.conftest import copy_database, make_settings, new_database_url

EDITOR = Actor(None, "editor")


@pytest.fixture(scope="module")
def edited(demo_settings, tmp_path_factory):
    """The demo after a round of ledger edits: items closed, reopened and verified."""
    tmp = tmp_path_factory.mktemp("edited")
    settings = make_settings(tmp, copy_database(demo_settings.database_url, tmp))
    with read_scope(settings.database_url) as session:
        items = ledger_store.items_frame(session)
    closed = items[items["status"] == "done"].head(3)
    opened = items[items["status"].isin(rules.OPEN_STATUSES)].head(3)
    for r in closed.itertuples():  # reopened: closed once, open again now
        ledger_service.set_status(settings, EDITOR, int(r.id), "open", expected_version=int(r.version),
                                  reason="整改不到位，重新打开")
    for r in opened.itertuples():
        saved = ledger_service.set_status(settings, EDITOR, int(r.id), "done", expected_version=int(r.version))
        ledger_service.set_status(settings, EDITOR, int(r.id), "verified", expected_version=saved.version)
    return settings


@pytest.fixture(scope="module")
def sparse(demo_settings, tmp_path_factory):
    """The demo with four in five ledger items and rectifications gone."""
    tmp = tmp_path_factory.mktemp("sparse")
    settings = make_settings(tmp, copy_database(demo_settings.database_url, tmp))
    with session_scope(settings.database_url) as session:
        for n, item in enumerate(session.scalars(select(ActionItem).order_by(ActionItem.id))):
            if n % 5:
                session.delete(item)
        for n, rect in enumerate(session.scalars(select(Rectification).order_by(Rectification.id))):
            if n % 5:
                session.delete(rect)
    return settings


@pytest.fixture(scope="module")
def empty(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("empty")
    settings = make_settings(tmp, new_database_url(tmp))
    upgrade(settings.database_url)
    return settings


@pytest.fixture(params=["demo_settings", "edited", "sparse", "empty"])
def db(request):
    """(state, settings) of each database state."""
    return request.param, request.getfixturevalue(request.param)


def test_a_meetings_ledger_read_bounded_equals_the_whole_ledgers(db):
    state, db = db
    tz = db.tz
    with read_scope(db.database_url) as session:
        today = clock.today(session, tz)
        meetings = analytics.all_meetings(session)
        checked = 0
        for meeting in meetings:
            fast = analytics.meeting_ledger(session, meeting, tz, today)
            whole = analytics.meeting_ledger(session, meeting, tz, today, everything=True)
            pd.testing.assert_frame_equal(_missing_as_none(fast), _missing_as_none(whole), check_dtype=False,
                                          obj=f"meeting {meeting.number}")
            checked += int((whole["kind"] == "carried").sum()) if not whole.empty else 0
    if state in ("demo_settings", "edited"):
        assert checked > 0  # the demo's meetings carry items: the bounded read kept them


def _missing_as_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing as None whatever the column's dtype (a column of ids holding a gap is float with
    NaN in a frame of many rows, object with None in a frame of a few)."""
    return frame.astype(object).where(frame.notna(), None)


def test_the_open_ledger_read_alone_equals_the_open_rows_of_the_whole_ledger(db):
    _, db = db
    tz = db.tz
    with read_scope(db.database_url) as session:
        today = clock.today(session, tz)
        whole = analytics.ledger_table(session, today, tz)
        fast = analytics.ledger_table(session, today, tz, open_only=True)
    expected = whole[~whole["status"].isin(rules.CLOSED_STATUSES)].reset_index(drop=True) if not whole.empty else whole
    pd.testing.assert_frame_equal(_missing_as_none(fast.reset_index(drop=True)), _missing_as_none(expected),
                                  check_dtype=False)


def test_escalations_read_bounded_equal_the_filter_over_every_rectification(db):
    state, db = db
    tz = db.tz
    with read_scope(db.database_url) as session:
        today = clock.today(session, tz)
        every = rectification_analytics.rectifications(session, today, tz)
        times = [m.held_at for m in meeting_store.all_meetings(session)] or [clock.now(session, tz)]
        escalated = 0
        for since in [times[0], times[len(times) // 2], times[-1], times[-1] + dt.timedelta(days=400)]:
            for level in (1, 2):
                fast = rectification_analytics.escalated(session, since, today, tz, min_level=level)
                if every.empty:
                    assert fast.empty
                    continue
                keep = (every["escalation_level"] >= level) & (
                    (every["status"] == "open") | (every["closed_at"] >= since))
                expected = every[keep].sort_values(["escalation_level", "days_overdue", "id"],
                                                   ascending=[False, False, True]).reset_index(drop=True)
                pd.testing.assert_frame_equal(_missing_as_none(fast), _missing_as_none(expected), check_dtype=False,
                                              obj=f"since {since} level {level}")
                escalated += len(expected)
    if state == "demo_settings":
        assert escalated > 0  # the demo has escalated rectifications: the bounded read kept them


def _one_at_a_time(daily, stations, period, before):
    """``air_quality_record``'s summaries by its definition: ``period_summary`` per series."""
    district = (analytics.period_summary(daily, analytics.DISTRICT, *period),
                analytics.period_summary(daily, analytics.DISTRICT, *before))
    per_station = {st.code: (analytics.period_summary(daily, st.code, *period),
                             analytics.period_summary(daily, st.code, *before)) for st in stations.itertuples()}
    return district, per_station


def _check_record(daily, stations, period, before) -> int:
    now = dt.datetime(2025, 12, 11, tzinfo=dt.UTC)
    record = analytics.air_quality_record(daily, stations, period, before, now)
    district, per_station = _one_at_a_time(daily, stations, period, before)
    assert record["district"] == district[0]
    assert record["district_before"] == district[1]
    shown = {s["code"]: s for s in record["stations"]}
    for code, (a, b) in per_station.items():
        if not a["n_valid"] and not b["n_valid"]:
            assert code not in shown
            continue
        row = shown[code]
        assert {k: row[k] for k in ("pm25", "pm10", "n_valid", "n_good", "good_share")} == \
            {k: a[k] for k in ("pm25", "pm10", "n_valid", "n_good", "good_share")}
        assert row["pm25_before"] == b["pm25"]
        assert row["change"] == analytics._change(a, b)
    return district[0]["n_valid"]


def test_air_summaries_in_one_pass_equal_those_one_station_at_a_time(demo_settings):
    url, tz = demo_settings.database_url, demo_settings.tz
    rng = np.random.default_rng(14)
    with read_scope(url) as session:
        meetings = analytics.all_meetings(session)
        stations = analytics.air_store.stations(session)
        spans = [analytics.periods_for(session, m.held_at, tz) for m in meetings]
    first = min(b[0] for _, b in spans)
    last = max(p[1] for p, _ in spans)
    daily, _ = air_analytics.daily_frame(url, first, last)
    daily = daily.assign(date=pd.to_datetime(daily["date"]))
    # Sparse: a third of the days gone, one station without a day, some values missing.
    sparse = daily.sample(frac=0.66, random_state=14).sort_index()
    sparse = sparse[sparse["series"] != stations["code"].iloc[0]].copy()
    holes = rng.random(len(sparse)) < 0.2
    sparse.loc[holes, "CO"] = np.nan
    valid = 0
    for period, before in spans:
        valid += _check_record(daily, stations, period, before)
        _check_record(sparse, stations, period, before)
        _check_record(daily.iloc[:0], stations, period, before)
        _check_record(pd.DataFrame(), stations, period, before)
    assert valid > 50  # the demo's meetings have air figures to compare


def test_a_period_mean_is_the_mean_its_summary_reports(demo_settings):
    """The quadrant reads PM10 means alone (``period_mean``): the same figure as a meeting's summary."""
    url, tz = demo_settings.database_url, demo_settings.tz
    with read_scope(url) as session:
        stations = analytics.air_store.stations(session)
        spans = [analytics.periods_for(session, m.held_at, tz) for m in analytics.all_meetings(session)]
    daily, _ = air_analytics.daily_frame(url, min(b[0] for _, b in spans), max(p[1] for p, _ in spans))
    daily = daily.assign(date=pd.to_datetime(daily["date"]))
    sparse = daily.sample(frac=0.5, random_state=3).sort_index()
    compared = 0
    for frame in (daily, sparse, daily.iloc[:0], pd.DataFrame()):
        for series in (analytics.DISTRICT, *stations["code"], "nowhere"):
            for period, before in spans[::4]:
                for first, last in (period, before):
                    summary = analytics.period_summary(frame, series, first, last, composite=False)
                    for column, key in (("PM10", "pm10"), ("PM2.5", "pm25")):
                        assert analytics.period_mean(frame, series, first, last, column) == summary[key]
                        compared += summary[key] is not None
    assert compared > 100


# --------------------------------------------------------------------------- the new meeting's form
def _components(value, found: dict | None = None) -> dict:
    """Every component with an id in a layout: id (dict ids as JSON text) -> its props."""
    import json

    found = {} if found is None else found
    if isinstance(value, list):
        for v in value:
            _components(v, found)
    elif isinstance(value, dict):
        props = value.get("props") if "type" in value and "namespace" in value else None
        if isinstance(props, dict):
            if "id" in props:
                key = props["id"]
                found[json.dumps(key, sort_keys=True, ensure_ascii=False) if isinstance(key, dict) else key] = props
            for v in props.values():
                _components(v, found)
        else:
            for v in value.values():
                _components(v, found)
    return found


def test_the_new_meeting_form_lists_the_most_overdue_items_and_each_rows_township_sites(demo_app, demo_settings,
                                                                                       monkeypatch):
    from dashboard.ui.pages import meeting_new
    from tests.conftest import TEST_PASSWORDS
    from tests.dash_http import csrf_header, log_in, page_layout, texts

    monkeypatch.setattr(meeting_new, "PREP_SHOWN_ITEMS", 3)
    client = demo_app.server.test_client()
    log_in(client, "editor", TEST_PASSWORDS["editor"])
    found = _components(page_layout(client, "/meetings/new").get_json())
    with read_scope(demo_settings.database_url) as session:
        draft = analytics.draft_next_meeting(session, demo_settings.tz)
        sites = meeting_store.sites(session)
    assert len(draft.open_items) > 3
    body = found["prep-open-items"]["children"][1]  # thead, tbody
    shown = texts(body)
    assert len(body["props"]["children"]) == 3
    for r in draft.open_items.head(3).itertuples():
        assert r.task in shown
    assert draft.open_items["task"].iloc[3] not in shown
    more = " ".join(texts(found["prep-open-items-more"]))
    assert "前3项" in more and f"全部{len(draft.open_items)}项" in more

    by_township: dict[str, set[str]] = {}
    for s in sites:
        by_township.setdefault(str(s.township_id), set()).add(str(s.id))
    rows = [k for k in found if '"mf-problem-row"' in k]
    assert rows
    for key in rows:
        index = key.split('"index": ')[1].rstrip("}").strip('"')
        township = found[key.replace("mf-problem-row", "mf-problem-township")]["value"]
        site = found[key.replace("mf-problem-row", "mf-problem-site")]
        assert township
        assert {o["value"] for o in site["data"]} == by_township[township], index
        assert site["value"] is None or site["value"] in by_township[township]

    # Another township: its sites, and a site of the first one cleared; none: every site.
    first, other = sorted(by_township)[:2]
    pick = next(iter(by_township[first]))
    key = next(k for k in demo_app.callback_map if "mf-problem-site" in k and ".data" in k)
    for township, expect_options, expect_value in ((other, by_township[other], None),
                                                   (first, by_township[first], pick),
                                                   (None, {str(s.id) for s in sites}, pick)):
        answer = client.post("/_dash-update-component", headers=csrf_header(client), json={
            "output": key,
            "outputs": [{"id": {"index": "p0", "type": "mf-problem-site"}, "property": "data"},
                        {"id": {"index": "p0", "type": "mf-problem-site"}, "property": "value"}],
            "inputs": [{"id": {"index": "p0", "type": "mf-problem-township"}, "property": "value", "value": township}],
            "state": [{"id": {"index": "p0", "type": "mf-problem-site"}, "property": "value", "value": pick},
                      {"id": "mf-deadline-default", "property": "data", "value": "2025-12-19"}],
            "changedPropIds": ['{"index":"p0","type":"mf-problem-township"}.value'],
        })
        assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
        props = answer.get_json()["response"]['{"index":"p0","type":"mf-problem-site"}']
        assert {o["value"] for o in props["data"]} == expect_options
        assert props["value"] == expect_value


def test_a_meetings_page_lists_its_new_items_and_the_most_overdue_carried_ones(demo_app, demo_settings, monkeypatch):
    from dashboard.ui.pages import meeting_detail
    from tests.conftest import TEST_PASSWORDS
    from tests.dash_http import log_in, page_layout, texts

    monkeypatch.setattr(meeting_detail, "SHOWN_CARRIED", 2)
    client = demo_app.server.test_client()
    log_in(client, "viewer", TEST_PASSWORDS["viewer"])
    with read_scope(demo_settings.database_url) as session:
        meeting = analytics.get_meeting(session, 27)
        ledger = analytics.meeting_ledger(session, meeting, demo_settings.tz, clock.today(session, demo_settings.tz))
    new, carried = ledger[ledger["kind"] == "new"], ledger[ledger["kind"] == "carried"]
    assert len(new) and len(carried) > 2
    found = _components(page_layout(client, "/meetings/27").get_json())
    body = found["meeting-ledger-table"]["children"][1]
    shown = texts(body)
    assert len(body["props"]["children"]) == len(new) + 2
    most_overdue = carried.sort_values("days_overdue", ascending=False, kind="stable")
    assert most_overdue["days_overdue"].iloc[1] >= most_overdue["days_overdue"].iloc[2]
    for r in [*new.itertuples(), *carried.head(2).itertuples()]:
        assert r.task in shown
    assert list(carried["days_overdue"].head(2)) == list(most_overdue["days_overdue"].head(2))
    assert f"结转任务共{len(carried)}项" in " ".join(texts(found["meeting-ledger-more"]))


# --------------------------------------------------------------------------- the records version and the cache
def test_writes_of_records_bump_the_records_version_in_their_transaction(demo_settings, tmp_path):
    from dashboard.store.versions import records_version

    settings = make_settings(tmp_path, copy_database(demo_settings.database_url, tmp_path))
    url = settings.database_url

    def version() -> int:
        with read_scope(url) as session:
            return records_version(session)

    start = version()
    with read_scope(url) as session:  # a page view writes nothing
        analytics.ledger_table(session, clock.today(session, settings.tz), settings.tz)
    assert version() == start
    with read_scope(url) as session:
        item = ledger_store.items_frame(session, statuses=["open"]).iloc[0]
    ledger_service.set_status(settings, EDITOR, int(item["id"]), "in_progress", expected_version=int(item["version"]))
    assert version() == start + 1  # one write, one bump
    with pytest.raises(ledger_service.LedgerConflict):  # refused: nothing written, nothing bumped
        ledger_service.set_status(settings, EDITOR, int(item["id"]), "done", expected_version=int(item["version"]))
    assert version() == start + 1
    with session_scope(url) as session:  # a bulk statement counts too
        from sqlalchemy import update

        session.execute(update(ActionItem).where(ActionItem.id == int(item["id"])).values(measures="加密巡查"))
    assert version() == start + 2


def test_a_cached_briefing_follows_every_write_and_equals_the_one_computed_now(demo_settings, tmp_path):
    from dashboard.analytics import briefing as briefing_analytics
    from dashboard.services import settings as settings_service

    settings = make_settings(tmp_path, copy_database(demo_settings.database_url, tmp_path))
    url, tz = settings.database_url, settings.tz

    def pages(number):
        with read_scope(url) as session:
            return (briefing_analytics.briefing_page(session, url, tz, number),
                    briefing_analytics.compute_briefing_page(session, url, tz, number))

    def same(cached, now) -> None:
        a, b = cached.briefing, now.briefing
        assert (a.headline, a.air, a.air_before, a.period, a.previous) == (b.headline, b.air, b.air_before,
                                                                          b.period, b.previous)
        for name in ("categories", "townships", "worst_sites", "units", "overdue_items", "alerts"):
            pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)
        _assert_equal(cached.year, now.year, "year")

    first, _ = pages(None)
    again, now = pages(None)
    assert again is first  # nothing written: the same page, not computed again
    same(again, now)

    # A ledger item closed: the next meeting's units change, and so does the cached page.
    with read_scope(url) as session:
        items = analytics.ledger_table(session, clock.today(session, tz), tz, open_only=True)
    item = items.sort_values("days_overdue", ascending=False).iloc[0]
    ledger_service.set_status(settings, EDITOR, int(item["id"]), "done", expected_version=int(item["version"]))
    after, now = pages(None)
    assert after is not first
    same(after, now)
    assert after.briefing.units["overdue"].sum() == first.briefing.units["overdue"].sum() - 1

    # The year's targets changed: the year's progress follows.
    held, _ = pages(27)
    settings_service.set_targets(settings, Actor(None, "admin"), good_day_share=0.9, pm25=20)
    moved, now = pages(27)
    assert moved is not held
    same(moved, now)


def _assert_equal(a, b, where: str) -> None:
    """Dataclasses field by field, frames and series with pandas, the rest with ==."""
    import dataclasses

    if dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            _assert_equal(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, obj=where)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, obj=where)
    else:
        assert a == b, where


def test_the_new_meetings_air_cached_on_the_air_version_follows_a_correction_of_readings(demo_settings, tmp_path):
    from dashboard.store.models import Reading

    settings = make_settings(tmp_path, copy_database(demo_settings.database_url, tmp_path))
    url, tz = settings.database_url, settings.tz

    def drafted():
        with read_scope(url) as session:
            draft = analytics.draft_next_meeting(session, tz)
            now = clock.now(session, tz)
            return draft, analytics.compute_air_quality(session, draft.held_at, tz, now), now

    draft, expected, now = drafted()
    assert draft.air == expected
    assert draft.air["district"]["n_valid"] > 0
    again, _, _ = drafted()
    assert again.air == expected
    # PM2.5 of the period doubled (a correction): the draft shows the corrected figures.
    first = dt.date.fromisoformat(expected["period"]["start"])
    start = dt.datetime.combine(first, dt.time(), tz)
    with session_scope(url) as session:
        for reading in session.scalars(select(Reading).where(Reading.pollutant == "PM2.5", Reading.time > start)):
            reading.value *= 2
    corrected, expected_now, _ = drafted()
    assert corrected.air == expected_now
    assert corrected.air["district"]["pm25"] > 1.5 * expected["district"]["pm25"]


def test_levels_of_the_day_from_the_failures_in_their_window_equal_those_from_every_failure(db):
    from dashboard.domain.rectification import level_as_of
    from dashboard.store import rectifications as rect_store

    _, db = db
    tz = db.tz
    with read_scope(db.database_url) as session:
        today = clock.today(session, tz)
        frame = rect_store.rectifications_frame(session, today, tz=tz)
        fast = rectification_analytics.with_levels_of_the_day(session, frame, today, tz)
        if frame.empty:
            assert fast.empty
            return
        rules_now = rect_store.load_rules(session)
        every = rect_store.failures_at(session, zip(frame["site_id"], frame["item_key"]))
    expected = [level_as_of(int(r.opened_by_result), r.opened_at, r.deadline,
                            None if pd.isna(r.closed_at) else r.closed_at, every.get((r.site_id, r.item_key), []),
                            today, tz, rules_now) for r in frame.itertuples()]
    assert list(fast["escalation_level"]) == expected
    assert max(expected) >= 1


def test_an_unfrozen_meetings_air_from_the_cache_equals_the_one_computed_now(demo_settings):
    url, tz = demo_settings.database_url, demo_settings.tz
    checked = 0
    with read_scope(url) as session:
        meetings = analytics.all_meetings(session)
        session.expunge_all()
        for meeting in meetings:
            meeting.air_quality = {}  # as recorded before this system (detached: never written back)
            shown = analytics.meeting_air_quality(session, url, meeting, tz)
            again = analytics.meeting_air_quality(session, url, meeting, tz)
            now = clock.now(session, tz)
            expected = analytics.compute_air_quality(session, meeting.held_at, tz, now)
            assert not shown.frozen
            assert {**shown.record, "computed_at": None} == {**expected, "computed_at": None}, meeting.number
            assert again.record == shown.record
            checked += expected["district"]["n_valid"] > 0
    assert checked >= 5


def test_the_agendas_escalations_cached_on_the_records_version_follow_a_write(demo_settings, tmp_path):
    settings = make_settings(tmp_path, copy_database(demo_settings.database_url, tmp_path))
    url, tz = settings.database_url, settings.tz

    def both(since):
        with read_scope(url) as session:
            today = clock.today(session, tz)
            return (analytics.escalations(session, since, today, tz),
                    rectification_analytics.escalated(session, since, today, tz, min_level=analytics.ESCALATION_LEVEL))

    with read_scope(url) as session:
        since = meeting_store.latest_meeting(session).held_at
    cached, now = both(since)
    assert len(now) >= 2
    pd.testing.assert_frame_equal(cached, now)
    assert both(since)[0] is cached  # nothing written: not computed again
    # One of them deleted (as an inspection corrected away would): the agenda no longer counts it.
    gone = int(now["id"].iloc[0])
    with session_scope(url) as session:
        session.delete(session.get(Rectification, gone))
    cached, now = both(since)
    pd.testing.assert_frame_equal(cached, now)
    assert gone not in set(cached["id"])


def test_the_ledger_page_kept_between_blocks_follows_a_status_change(demo_settings, tmp_path):
    """The ledger page's table is kept while nothing changes (each block of rows the grid asks
    for reads it again), and a status saved through the ledger shows on the next block."""
    settings = make_settings(tmp_path, copy_database(demo_settings.database_url, tmp_path))
    url, tz = settings.database_url, settings.tz

    def now():
        with read_scope(url) as session:
            today = clock.today(session, tz)
            return analytics.ledger_now(session, today, tz), analytics.ledger_table(session, today, tz)

    kept, fresh = now()
    pd.testing.assert_frame_equal(kept, fresh)
    assert now()[0] is kept  # nothing written: not computed again
    item = kept[kept["status"] == "open"].iloc[0]
    ledger_service.set_status(settings, EDITOR, int(item["id"]), "in_progress", expected_version=int(item["version"]))
    kept, fresh = now()
    pd.testing.assert_frame_equal(kept, fresh)
    assert kept.set_index("id").loc[int(item["id"]), "status"] == "in_progress"
