"""A submit resent after a dropped connection saves one inspection (the form's idempotency key)."""

from __future__ import annotations

import threading
import uuid
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from dashboard.domain.errors import CodedError
from dashboard.services import inspections as service
from dashboard.services.access import Actor
from dashboard.store.db import session_scope
from dashboard.store.models import Inspection, Rectification, User
from dashboard.store.overview import township_id_by_name
from tests.conftest import make_settings
from tests.integration.inspection_db import copy_demo
from tests.integration.test_inspections import at, data, quiet_site


@pytest.fixture
def demo_url(tmp_path_factory, tmp_path):
    yield from copy_demo(tmp_path_factory, tmp_path)


@pytest.fixture
def setup(demo_url, tmp_path):
    settings = make_settings(tmp_path, database_url=demo_url)
    with session_scope(demo_url) as s:
        houzhai = township_id_by_name(s, "侯寨乡")
        user_id = s.scalar(select(User.id).where(User.username == "inspector"))
        site = quiet_site(s)
        payload = data(s, site, at(11, 9), fails={"cover": "裸土未覆盖"})
    actor = Actor(user_id, "inspector", township_id=houzhai)
    return settings, actor, replace(payload, client_key=str(uuid.uuid4()))


def counts(url: str, site_id: int) -> tuple[int, int]:
    with session_scope(url) as s:
        return (s.scalar(select(func.count()).select_from(Inspection).where(Inspection.site_id == site_id)),
                s.scalar(select(func.count()).select_from(Rectification).where(Rectification.site_id == site_id)))


def test_a_resent_submit_saves_one_inspection(setup):
    settings, actor, payload = setup
    before = counts(settings.database_url, payload.site_id)
    first = service.save_inspection(settings, actor, payload, submit=True)
    again = service.save_inspection(settings, actor, payload, submit=True)
    assert first.action == "submit" and not first.replayed and len(first.outcome.opened) == 1
    assert again.replayed and again.inspection_id == first.inspection_id and again.version == first.version
    assert counts(settings.database_url, payload.site_id) == (before[0] + 1, before[1] + 1)


def test_a_submit_after_a_lost_draft_answer_submits_that_draft(setup):
    settings, actor, payload = setup
    before = counts(settings.database_url, payload.site_id)[0]
    draft = service.save_inspection(settings, actor, payload, submit=False)
    # The answer to the draft save never reached the phone: its form still says "new", same key.
    done = service.save_inspection(settings, actor, replace(payload, note="补充说明"), submit=True)
    assert done.inspection_id == draft.inspection_id and done.action == "submit" and not done.replayed
    with session_scope(settings.database_url) as s:
        row = s.get(Inspection, draft.inspection_id)
        assert (row.status, row.note) == ("submitted", "补充说明")
    assert counts(settings.database_url, payload.site_id)[0] == before + 1


def test_sends_at_the_same_moment_make_one_inspection(setup):
    settings, actor, payload = setup
    before = counts(settings.database_url, payload.site_id)[0]
    results, errors = [], []

    def send():
        try:
            results.append(service.save_inspection(settings, actor, payload, submit=True))
        except Exception as exc:  # noqa: BLE001 - the test reports any failure below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len({r.inspection_id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert counts(settings.database_url, payload.site_id)[0] == before + 1


def test_someone_elses_key_or_a_malformed_key_is_refused(setup):
    settings, actor, payload = setup
    service.save_inspection(settings, actor, payload, submit=True)
    with session_scope(settings.database_url) as s:
        editor = s.scalar(select(User.id).where(User.username == "editor"))
    with pytest.raises(CodedError, match="client_key_invalid"):
        service.save_inspection(settings, Actor(editor, "editor"), payload, submit=True)
    with pytest.raises(CodedError, match="client_key_invalid"):
        service.save_inspection(settings, actor, replace(payload, client_key="x'; DROP"), submit=True)
