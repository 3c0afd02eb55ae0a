"""附近工地 through the callback endpoint: the form's picker ordered by distance keeps an
inspector to their township's sites and never chooses over a site already chosen."""

from __future__ import annotations

from sqlalchemy import select

from dashboard.store.db import session_scope
from dashboard.store.models import Site, Township
from tests.conftest import TEST_PASSWORDS
from tests.dash_http import callback_body, csrf_header, log_in


def _near(client, app, position, chosen=None) -> dict:
    response = client.post("/_dash-update-component", headers=csrf_header(client), json=callback_body(
        app, "insp-site.data", {"insp-near-position.data": position, "insp-site.value": chosen}))
    assert response.status_code == 200
    return response.get_json()["response"]


def test_near_me_orders_only_the_inspectors_township_and_keeps_a_chosen_site(demo):
    app, settings = demo
    with session_scope(settings.database_url) as s:
        site = s.execute(select(Site.id, Site.longitude, Site.latitude).join(Township).where(
            Township.name == "侯寨乡", Site.status == "active").order_by(Site.code.desc())).first()
        houzhai = {str(i) for i in s.scalars(select(Site.id).join(Township).where(
            Township.name == "侯寨乡", Site.status == "active"))}
    here = {"lon": site.longitude, "lat": site.latitude, "accuracy": 10}
    client = app.server.test_client()
    log_in(client, "inspector", TEST_PASSWORDS["inspector"])

    answer = _near(client, app, here)
    options = [o["value"] for o in answer["insp-site"]["data"]]
    assert set(options) == houzhai
    assert options[0] == str(site.id)
    # A site already chosen (by hand, or ?site=) stays chosen.
    assert "value" not in _near(client, app, here, chosen=options[-1]).get("insp-site", {})
    # Without a position (ordering turned off, or refused) the usual order comes back, nothing chosen.
    plain = _near(client, app, {"error": "denied", "at": 1})
    assert [o["value"] for o in plain["insp-site"]["data"]] != options
    assert set(o["value"] for o in plain["insp-site"]["data"]) == houzhai
    assert "value" not in plain["insp-site"]
    assert "未获准使用位置" in plain["insp-near-message"]["children"]
