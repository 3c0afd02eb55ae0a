"""Lists that grow with history answer a block at a time (issue 14, bounded responses).

Each list is asked as the browser's grid asks (``getRowsRequest``): the first answer holds one
block and the number of rows the filters select; the page's own filters, the grid's column
filters and its sort are applied on the server (the row asked for arrives); an empty database
answers no rows, not an error. /alerts reads every alert's checks in one query.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, func, select

from dashboard.store.db import engine_for, session_scope
from dashboard.store.models import ActionItem, Inspection, Rectification, Site, Township
from dashboard.store.users import upsert_user
from dashboard.ui.components.datagrid import BLOCK_SIZE, serve_rows
from tests.conftest import TEST_PASSWORDS, make_settings
from tests.dash_http import call, log_in, page_layout, text_of


def _request(start: int = 0, end: int = BLOCK_SIZE, sort=None, filters=None) -> dict:
    return {"startRow": start, "endRow": end, "sortModel": sort or [], "filterModel": filters or {}}


def _block(response, grid: str) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()["response"][grid]["getRowsResponse"]


@pytest.fixture(scope="module")
def demo(demo_settings):
    from dashboard.app import create_app

    app = create_app(demo_settings)
    client = app.server.test_client()
    log_in(client, "editor", TEST_PASSWORDS["editor"])
    return app, client, demo_settings


def _count(settings, query) -> int:
    with session_scope(settings.database_url) as session:
        return session.scalar(query)


# --------------------------------------------------------------------------- ledger
def test_ledger_answers_one_block_with_the_count_and_filters_and_sorts_on_the_server(demo):
    app, client, settings = demo
    total = _count(settings, select(func.count()).select_from(ActionItem))
    assert total > BLOCK_SIZE  # more rows than a block: the point of the test
    layout = page_layout(client, "/ledger")
    assert layout.status_code == 200 and "ledger-grid" in layout.get_data(as_text=True)
    response = call(client, app, "ledger-grid.getRowsResponse", {"ledger-grid.getRowsRequest": _request()})
    block = _block(response, "ledger-grid")
    assert len(block["rowData"]) == BLOCK_SIZE and block["rowCount"] == total
    assert f"共{total}项" in text_of(response)

    # The earliest deadline arrives first when the grid sorts by it.
    with session_scope(settings.database_url) as session:
        earliest = session.scalar(select(func.min(ActionItem.deadline)))
        task = session.scalar(select(ActionItem.task).order_by(ActionItem.id.desc()).limit(1))
        done = session.scalar(select(func.count()).select_from(ActionItem).where(ActionItem.status == "done"))
    sorted_block = _block(call(client, app, "ledger-grid.getRowsResponse", {
        "ledger-grid.getRowsRequest": _request(sort=[{"colId": "deadline", "sort": "asc"}])}), "ledger-grid")
    assert sorted_block["rowData"][0]["deadline"] == earliest.isoformat()
    # A column filter on the task text finds the last item, wherever it sorted.
    found = _block(call(client, app, "ledger-grid.getRowsResponse", {"ledger-grid.getRowsRequest": _request(
        filters={"task": {"filterType": "text", "type": "equals", "filter": task}})}), "ledger-grid")
    assert found["rowCount"] >= 1 and all(r["task"] == task for r in found["rowData"])
    # The page's own status filter.
    only_done = _block(call(client, app, "ledger-grid.getRowsResponse", {
        "ledger-grid.getRowsRequest": _request(), "ledger-filter-status.value": "done"}), "ledger-grid")
    assert only_done["rowCount"] == done and {r["status"] for r in only_done["rowData"]} == {"done"}
    # The next block follows on.
    second = _block(call(client, app, "ledger-grid.getRowsResponse", {
        "ledger-grid.getRowsRequest": _request(BLOCK_SIZE, 2 * BLOCK_SIZE)}), "ledger-grid")
    assert len(second["rowData"]) == total - BLOCK_SIZE
    first_ids = {r["id"] for r in block["rowData"]}
    assert not first_ids & {r["id"] for r in second["rowData"]}


def test_the_ledger_export_still_holds_every_row_the_filters_select(demo):
    app, client, settings = demo
    total = _count(settings, select(func.count()).select_from(ActionItem))
    response = call(client, app, "ledger-download.data", {"ledger-export.n_clicks": 1})
    assert response.status_code == 200
    import base64
    from io import BytesIO

    import openpyxl
    content = base64.b64decode(response.get_json()["response"]["ledger-download"]["data"]["content"])
    sheet = openpyxl.load_workbook(BytesIO(content)).active
    rows = [r for r in sheet.iter_rows(values_only=True) if any(v is not None for v in r)]
    assert len(rows) - 1 >= total > BLOCK_SIZE  # a header (and perhaps a title) above every item


# --------------------------------------------------------------------------- rectifications
def test_rectifications_answer_one_block_and_search_on_the_server(demo):
    app, client, settings = demo
    total = _count(settings, select(func.count()).select_from(Rectification))
    assert total > BLOCK_SIZE
    response = call(client, app, "rect-grid.getRowsResponse", {
        "rect-grid.getRowsRequest": _request(), "rect-f-status.value": "all"})
    block = _block(response, "rect-grid")
    assert len(block["rowData"]) == BLOCK_SIZE and block["rowCount"] == total
    with session_scope(settings.database_url) as session:
        code, opened = session.execute(
            select(Site.code, func.count()).join(Rectification, Rectification.site_id == Site.id)
            .group_by(Site.code).order_by(func.count().desc()).limit(1)).one()
        earliest = session.scalar(select(func.min(Rectification.deadline)))
    searched = _block(call(client, app, "rect-grid.getRowsResponse", {
        "rect-grid.getRowsRequest": _request(), "rect-f-status.value": "all", "rect-f-search.value": code}),
        "rect-grid")
    assert searched["rowCount"] == opened and all(r["site_label"].startswith(code) for r in searched["rowData"])
    by_deadline = _block(call(client, app, "rect-grid.getRowsResponse", {
        "rect-grid.getRowsRequest": _request(sort=[{"colId": "deadline", "sort": "asc"}]),
        "rect-f-status.value": "all"}), "rect-grid")
    assert by_deadline["rowData"][0]["deadline"] == earliest.isoformat()
    # The phone's cards show the first rows of the same selection, and say how many there are.
    cards = call(client, app, "rect-cards.children", {"rect-f-status.value": "all", "rect-f-search.value": code,
                                                      "rect-phone.data": True})
    assert code in text_of(cards)
    # On a wider screen the cards are hidden: they are not built.
    assert code not in text_of(call(client, app, "rect-cards.children", {
        "rect-f-status.value": "all", "rect-f-search.value": code, "rect-phone.data": False}))


def test_the_rectifications_counts_need_not_read_the_closed_ones(demo):
    app, client, settings = demo
    open_count = _count(settings, select(func.count()).select_from(Rectification)
                        .where(Rectification.status == "open"))
    layout = page_layout(client, "/rectifications").get_json()["response"]["_pages_content"]["children"]
    found = {}

    def walk(node):
        if isinstance(node, dict):
            props = node.get("props", {})
            if props.get("id") == "rect-kpi-open":
                found["open"] = props.get("children")
            for v in (props.values() if "props" in node else node.values()):
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(layout)
    assert found["open"] == str(open_count)


# --------------------------------------------------------------------------- inspections
def test_inspections_list_answers_one_block_sorted_and_filtered_on_the_server(demo):
    app, client, settings = demo
    period = ["2025-01-01", "2025-12-31"]
    tz = settings.tz
    start = dt.datetime(2025, 1, 1, tzinfo=tz)
    end = dt.datetime(2026, 1, 1, tzinfo=tz)
    with session_scope(settings.database_url) as session:
        in_year = select(Inspection).where(Inspection.status == "submitted", Inspection.inspected_at >= start,
                                           Inspection.inspected_at < end)
        total = session.scalar(select(func.count()).select_from(in_year.subquery()))
        first = session.scalars(in_year.order_by(Inspection.inspected_at, Inspection.id).limit(1)).one()
        first_id, first_site = first.id, first.site.code
    assert total > BLOCK_SIZE
    block = _block(call(client, app, "insp-grid.getRowsResponse", {
        "insp-grid.getRowsRequest": _request(sort=[{"colId": "time", "sort": "asc"}]),
        "insp-f-period.value": period, "insp-f-result.value": "all"}), "insp-grid")
    assert len(block["rowData"]) == BLOCK_SIZE and block["rowCount"] == total
    assert block["rowData"][0]["id"] == str(first_id)
    by_site = _block(call(client, app, "insp-grid.getRowsResponse", {
        "insp-grid.getRowsRequest": _request(filters={"site": {"filterType": "text", "type": "startsWith",
                                                               "filter": first_site}}),
        "insp-f-period.value": period, "insp-f-result.value": "all"}), "insp-grid")
    assert 0 < by_site["rowCount"] < total
    assert all(r["site_label"].startswith(first_site) for r in by_site["rowData"])


# --------------------------------------------------------------------------- one site
def test_site_page_pages_its_history_and_bounds_its_heat_map(demo):
    app, client, settings = demo
    with session_scope(settings.database_url) as session:
        site_id, checks = session.execute(
            select(Inspection.site_id, func.count()).where(Inspection.status == "submitted")
            .group_by(Inspection.site_id).order_by(func.count().desc()).limit(1)).one()
    layout = page_layout(client, f"/sites/{site_id}")
    assert layout.status_code == 200 and "site-history" in layout.get_data(as_text=True)
    block = _block(call(client, app, "site-history.getRowsResponse", {
        "site-history.getRowsRequest": _request(0, 5), "site-ref.data": site_id}), "site-history")
    assert len(block["rowData"]) == min(5, checks) and block["rowCount"] == checks
    newest_first = [r["when"] for r in block["rowData"]]
    assert newest_first == sorted(newest_first, reverse=True)
    narrow = call(client, app, "site-heatmap.figure", {"site-heat-weeks.value": "13", "site-ref.data": site_id})
    wide = call(client, app, "site-heatmap.figure", {"site-heat-weeks.value": "52", "site-ref.data": site_id})
    columns = [len(r.get_json()["response"]["site-heatmap"]["figure"]["data"][0]["x"]) for r in (narrow, wide)]
    assert 0 < columns[0] <= columns[1] <= checks
    refused = call(client, app, "site-heatmap.figure", {"site-heat-weeks.value": "9999", "site-ref.data": site_id})
    assert refused.status_code == 200 and "site-heatmap" not in (refused.get_json() or {}).get("response", {})


# --------------------------------------------------------------------------- alerts
def test_the_alerts_list_reads_every_alert_in_a_fixed_number_of_queries(demo_settings):
    from dashboard.analytics.alerts import alert_list, alert_report

    tz = demo_settings.tz
    engine = engine_for(demo_settings.database_url)
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with session_scope(demo_settings.database_url) as session:
            listing, _now = alert_list(session, tz)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(listing) >= 3 and len(statements) <= 8  # not a query (or three) per alert
    with session_scope(demo_settings.database_url) as session:
        for row in listing.itertuples():
            report = alert_report(session, tz, int(row.id))
            assert (row.checked_sites, row.violations, row.unchecked_sites) == (
                len(report.checked), len(report.violations), len(report.unchecked))


# --------------------------------------------------------------------------- the paging itself
def test_serve_rows_caps_a_block_and_keeps_blanks_last():
    rows = [{"n": i % 7 if i % 5 else None, "t": f"row {i}"} for i in range(5000)]
    block = serve_rows(rows, {"startRow": 0, "endRow": 10**9, "sortModel": [{"colId": "n", "sort": "desc"}]})
    assert len(block["rowData"]) == 10 * BLOCK_SIZE and block["rowCount"] == 5000
    assert block["rowData"][0]["n"] == 6
    tail = serve_rows(rows, {"startRow": 4990, "endRow": 5000, "sortModel": [{"colId": "n", "sort": "desc"}]})
    assert all(r["n"] is None for r in tail["rowData"])
    for crafted in (None, "x", [], {"filterModel": "x", "sortModel": {}}, {"startRow": "nan", "endRow": -3}):
        assert serve_rows(rows, crafted)["rowCount"] == 5000
    either = serve_rows(rows, {"filterModel": {"t": {"filterType": "text", "operator": "OR", "conditions": [
        {"type": "equals", "filter": "row 1"}, {"type": "equals", "filter": "ROW 2"}]}}})
    assert [r["t"] for r in either["rowData"]] == ["row 1", "row 2"]


# --------------------------------------------------------------------------- an empty district
def test_every_paged_list_answers_no_rows_on_an_empty_database(tmp_path):
    from dashboard.app import create_app

    settings = make_settings(tmp_path)
    app = create_app(settings)
    with session_scope(settings.database_url) as session:
        session.add(Township(id=1, code="houzhai", name="侯寨乡", kind="township", position=1))
        upsert_user(session, "ada", "admin-pass-1", "admin")
    client = app.server.test_client()
    log_in(client, "ada", "admin-pass-1")
    try:
        for path in ("/ledger", "/rectifications", "/inspections", "/alerts", "/sites/1", "/sites", "/meetings"):
            response = page_layout(client, path)
            assert response.status_code == 200 and "出错" not in text_of(response), path
        for grid, extra in (("ledger-grid", {}), ("rect-grid", {"rect-f-status.value": "all"}),
                            ("insp-grid", {}), ("site-history", {"site-ref.data": 1}), ("sites-grid", {})):
            block = _block(call(client, app, f"{grid}.getRowsResponse",
                                {f"{grid}.getRowsRequest": _request(), **extra}), grid)
            assert block == {"rowData": [], "rowCount": 0}, grid
    finally:
        engine_for(settings.database_url).dispose()


# --------------------------------------------------------------------------- sites registry
def test_sites_registry_answers_one_block_and_filters_sorts_and_exports_on_the_server(demo):
    import base64
    import io

    from openpyxl import load_workbook

    app, client, settings = demo
    total = _count(settings, select(func.count()).select_from(Site))
    assert total > BLOCK_SIZE
    response = call(client, app, "sites-grid.getRowsResponse", {"sites-grid.getRowsRequest": _request()})
    block = _block(response, "sites-grid")
    assert len(block["rowData"]) == BLOCK_SIZE and block["rowCount"] == total
    assert f"显示 {total} / 共 {total} 个工地" in text_of(response)
    with session_scope(settings.database_url) as session:
        last_code = session.scalar(select(func.max(Site.code)))
    by_code = _block(call(client, app, "sites-grid.getRowsResponse", {
        "sites-grid.getRowsRequest": _request(sort=[{"colId": "code", "sort": "desc"}])}), "sites-grid")
    assert by_code["rowData"][0]["code"] == last_code
    searched = call(client, app, "sites-grid.getRowsResponse", {"sites-grid.getRowsRequest": _request(),
                                                                "sites-search.value": "绿地城"})
    assert [r["name"] for r in _block(searched, "sites-grid")["rowData"]] == ["绿地城二期"]
    assert f"显示 1 / 共 {total} 个工地" in text_of(searched)
    low = {"rate": {"filterType": "number", "type": "lessThan", "filter": 80}}
    below = _block(call(client, app, "sites-grid.getRowsResponse", {
        "sites-grid.getRowsRequest": _request(filters=low)}), "sites-grid")
    assert 0 < below["rowCount"] < total and all(r["rate"] < 80 for r in below["rowData"])
    # The export is a download of every row the filters select, not the block the grid holds.
    sent = call(client, app, "sites-download.data", {"sites-export-xlsx.n_clicks": 1},
                changed=["sites-export-xlsx.n_clicks"]).get_json()["response"]["sites-download"]["data"]
    sheet = load_workbook(io.BytesIO(base64.b64decode(sent["content"]))).active
    assert sheet.max_row - 1 == total
    sent = call(client, app, "sites-download.data", {"sites-export-csv.n_clicks": 1, "sites-grid.filterModel": low},
                changed=["sites-export-csv.n_clicks"]).get_json()["response"]["sites-download"]["data"]
    lines = base64.b64decode(sent["content"]).decode("utf-8-sig").strip().splitlines()
    assert len(lines) - 1 == below["rowCount"]
    # A phone's cards: the first sites of the same selection.
    cards = call(client, app, "sites-cards.children", {"sites-search.value": "绿地城", "sites-phone.data": True})
    assert "绿地城二期" in text_of(cards)


# --------------------------------------------------------------------------- meetings
def test_meetings_list_shows_a_page_of_meetings_newest_first(demo):
    from dashboard.ui.pages.meetings import PAGE_SIZE

    app, client, settings = demo
    from dashboard.store.models import Meeting

    newest = _count(settings, select(func.max(Meeting.number)))
    assert newest > PAGE_SIZE
    first = page_layout(client, "/meetings").get_data(as_text=True)
    assert f"meeting-link-{newest}" in first and f"meeting-link-{newest - PAGE_SIZE}" not in first
    assert "meetings-pages" in first
    second = call(client, app, "meetings-rows.children", {"meetings-pages.value": 2}).get_data(as_text=True)
    assert f"meeting-link-{newest - PAGE_SIZE}" in second and f"meeting-link-{newest}\"" not in second
    by_url = page_layout(client, "/meetings", "?page=2").get_data(as_text=True)
    assert f"meeting-link-{newest - PAGE_SIZE}" in by_url
    # Past the last page: the last one, whose oldest meeting has none before it.
    last = call(client, app, "meetings-rows.children", {"meetings-pages.value": 999}).get_data(as_text=True)
    assert "meeting-link-1\"" in last and "出错" not in last


def test_a_page_of_meetings_reads_its_own_counts_as_the_whole_list_has_them(demo):
    from dashboard.analytics import meetings as analytics

    _app, _client, settings = demo
    with session_scope(settings.database_url) as session:
        every = analytics.meeting_counts(session).set_index("number").sort_index()
        shown, before, count = analytics.meetings_page(session, 2, 5)
        assert count == len(every) and [m.number for m in shown] == list(every.index[::-1][5:10])
        assert before is not None and before.number == shown[-1].number - 1
        page = analytics.meeting_counts(session, [m.id for m in shown]).set_index("number").sort_index()
    assert page.equals(every.loc[page.index]) and len(page) == 5
    assert (page[["problems", "decisions", "actions"]].to_numpy().sum()) > 0
