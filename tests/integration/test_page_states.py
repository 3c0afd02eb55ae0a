"""Every page, and every callback it starts with, in the states a real district goes through.

The states are built here, not borrowed from the demo: ``nothing`` (a new database: no township,
no site, no reading), ``one_site`` (one township and one site never inspected), ``monitor`` (a
site with a dust monitor that has sent nothing yet), and ``readings``
(the real Zhengzhou CNEMC files of January–February 2025 with the official station list, and no
site at all). For every role, each page's layout is fetched the way the browser does, then every
server callback is called with the values the layout put on the page; none may fail (the error
handler's "server error" notice counts as a failure).
"""

from __future__ import annotations

import dash
import pytest
from click.testing import CliRunner

from dashboard.services.access import Actor
from dashboard.services.sites import save_site
from dashboard.store.db import session_scope
from dashboard.store.models import Township
from dashboard.store.users import upsert_user
from tests.conftest import copy_database, make_settings, new_database_url, shared_data
from tests.dash_http import callback_body, csrf_header, log_in, page_layout, text_of, texts

FAILED = "服务器出错"
ROLES = ("viewer", "inspector", "editor", "admin")


def _nothing(settings) -> int | None:
    return None


def _one_site(settings) -> int | None:
    with session_scope(settings.database_url) as session:
        session.add(Township(id=1, code="houzhai", name="侯寨乡", kind="township", position=1))
    return save_site(settings, Actor(None, "editor"), {"code": "GD-0001", "name": "新工地", "township_id": 1,
                                                        "site_type": "road", "area_m2": 100, "status": "active"}).id


def _monitor(settings) -> int | None:
    from dashboard.services.site_dust import add_monitor

    with session_scope(settings.database_url) as session:
        session.add(Township(id=1, code="houzhai", name="侯寨乡", kind="township", position=1))
    site = save_site(settings, Actor(None, "editor"), {"code": "GD-0001", "name": "有设备的工地", "township_id": 1,
                                                        "site_type": "road", "area_m2": 100, "status": "active",
                                                        "longitude": 113.6, "latitude": 34.7}).id
    add_monitor(settings, Actor.system(), "410103DUST00000000000001", "GD-0001", "123456")
    return site


def _readings(settings) -> int | None:
    """The real 2025 files through the command line, as a district would load them."""
    from dashboard.cli import main

    env = {"DATABASE_URL": settings.database_url, "DASHBOARD_DATA_DIR": str(settings.data_dir), "SECRET_KEY": "x"}
    runner = CliRunner(env=env)
    listing = shared_data("cnemc", "station_lists", "站点列表-2022.02.13起.csv")
    for args in (["import", "stations", str(listing)],
                 ["import", "cnemc", str(shared_data("cnemc", "zhengzhou_wide_2025"))]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.output
    return None


STATES = {"nothing": _nothing, "one_site": _one_site, "monitor": _monitor, "readings": _readings}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Each state's database, built once (copied per test: the readings import takes seconds)."""
    from dashboard.store.db import upgrade

    out = {}
    for name, build in STATES.items():
        folder = tmp_path_factory.mktemp(name)
        settings = make_settings(folder)
        upgrade(settings.database_url)
        out[name] = (settings.database_url, build(settings))
    return out


@pytest.fixture(params=[(state, role) for state in STATES for role in ROLES], ids=lambda p: f"{p[0]}-{p[1]}")
def state(request, built, tmp_path):
    from dashboard.app import create_app

    name, role = request.param
    template, site_id = built[name]
    settings = make_settings(tmp_path, database_url=copy_database(template, tmp_path))
    with session_scope(settings.database_url) as session:
        township = session.get(Township, 1)
        upsert_user(session, "someone", "some-pass-1", role,
                    township_id=township.id if township is not None and role == "inspector" else None)
    app = create_app(settings)
    client = app.server.test_client()
    log_in(client, "someone", "some-pass-1")
    return app, client, site_id


def page(client, path: str) -> dict:
    response = page_layout(client, path)
    assert response.status_code == 200, path
    assert FAILED not in text_of(response), path
    return response.get_json()


def values_on(tree) -> dict[str, object]:
    """"id.property" → value of every component with a plain id in a layout's JSON."""
    found: dict[str, object] = {}

    def walk(node):
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            props = node.get("props")
            if isinstance(props, dict) and isinstance(props.get("id"), str):
                for key, value in props.items():
                    found[f"{props['id']}.{key}"] = value
            for value in node.values():
                walk(value)

    walk(tree)
    return found


def paths(site_id: int | None) -> list[str]:
    plain = [p["path"] for p in dash.page_registry.values() if "<" not in p["path"]]
    return [*plain, f"/sites/{site_id or 1}", "/meetings/1", "/inspections/1", "/briefing/1"]


def test_every_page_and_its_callbacks_work_in_every_state_for_every_role(state):
    app, client, site_id = state
    failures, called = [], 0
    for path in paths(site_id):
        values = values_on(page(client, path))
        ids = {key.split(".")[0] for key in values}
        for key, entry in app.callback_map.items():
            if "{" in key or "callback" not in entry or key.startswith(".._pages"):
                continue
            inputs = [f"{d['id']}.{d['property']}" for d in entry["inputs"]]
            if not inputs or inputs[0].split(".")[0] not in ids:
                continue  # a callback of another page
            first = entry["output"][0] if isinstance(entry["output"], list) else entry["output"]
            body = callback_body(app, f"{first.component_id}.{first.component_property.split('@')[0]}", values)
            response = client.post("/_dash-update-component", headers=csrf_header(client), json=body)
            called += 1
            if response.status_code >= 500 or (response.status_code == 200 and FAILED in text_of(response)):
                failures.append(f"{path}: {key}")
    assert called > 20  # the walk found the pages' callbacks
    assert not failures, failures


def test_a_page_view_cannot_write(tmp_path):
    """The sessions of page views refuse a flush and a DML statement alike."""
    from sqlalchemy import update

    from dashboard.analytics import reading
    from dashboard.store.db import ReadOnlySession, upgrade
    from dashboard.store.models import Site

    url = new_database_url(tmp_path, "ro.db")
    upgrade(url)
    with session_scope(url) as session:
        session.add(Township(id=1, code="houzhai", name="侯寨乡", kind="township", position=1))
    with pytest.raises(ReadOnlySession), reading(url) as session:
        session.get(Township, 1).name = "改名"
        session.flush()
    with pytest.raises(ReadOnlySession), reading(url) as session:
        session.execute(update(Site).values(name="x"))
    with session_scope(url) as session:
        assert session.get(Township, 1).name == "侯寨乡"


def test_the_home_page_tells_a_new_district_what_to_do_next(built, tmp_path):
    from dashboard.app import create_app

    said = {}
    for name in ("nothing", "readings"):
        (tmp_path / name).mkdir()
        settings = make_settings(tmp_path / name, database_url=copy_database(built[name][0], tmp_path / name))
        with session_scope(settings.database_url) as session:
            upsert_user(session, "boss", "boss-pass-1", "admin")
        client = create_app(settings).server.test_client()
        log_in(client, "boss", "boss-pass-1")
        said[name] = "\n".join(texts(page(client, "/")))
    assert "开始使用" in said["nothing"] and "/admin?tab=district" in said["nothing"]
    assert "python -m dashboard import stations" in said["nothing"]
    # With readings imported, the district figure waits for its stations, and says so.
    assert "尚未选定构成全区数值的站点" in said["readings"]
    assert "import stations" not in said["readings"]  # done: no longer shown as a command


def test_the_dust_views_before_any_reading(built, tmp_path):
    """The site's 扬尘监测 section and /dust with a monitor that has sent nothing yet, and /dust
    on a new database: they say so instead of drawing empty charts."""
    from dashboard.app import create_app
    from tests.dash_http import call

    said = {}
    for name in ("nothing", "monitor"):
        (tmp_path / name).mkdir()
        settings = make_settings(tmp_path / name, database_url=copy_database(built[name][0], tmp_path / name))
        with session_scope(settings.database_url) as session:
            upsert_user(session, "someone", "some-pass-1", "viewer")
        app = create_app(settings)
        client = app.server.test_client()
        log_in(client, "someone", "some-pass-1")
        dust = call(client, app, "dust-summary.children", {"dust-township.value": "all", "dust-window.value": "7d"})
        said[name] = text_of(dust)
        if name == "monitor":
            site_id = built[name][1]
            assert "扬尘监测" in "\n".join(texts(page(client, f"/sites/{site_id}")))
            section = call(client, app, "site-dust-facts.children",
                           {"site-dust-window.value": "24h", "site-dust-site.data": site_id})
            assert section.status_code == 200
            said["site"] = text_of(section)
    assert "还没有扬尘监测设备" in said["nothing"]
    assert "1 台设备" in said["monitor"] and "从未上报 1" in said["monitor"]
    assert "还没有有效的 PM10 数据" in said["site"] and "从未上报" in said["site"]
    assert "这段时间没有有效的 PM10 数据" in said["site"]  # the chart's own message
