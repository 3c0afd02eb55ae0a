"""``python -m dashboard briefing``: the briefing of the demo district as an A4 PDF through Chromium."""

from __future__ import annotations

import io

import pytest
from click.testing import CliRunner

from tests.conftest import CHROMIUM, need


def _env(settings, **extra) -> dict[str, str]:
    return {"DATABASE_URL": settings.database_url, "DASHBOARD_DATA_DIR": str(settings.data_dir),
            "SECRET_KEY": settings.secret_key, **extra}


@pytest.fixture
def chromium():
    if not CHROMIUM:
        need("browser", "Chromium not found: apt-get install chromium fonts-wqy-microhei")


def test_the_pdf_of_meeting_27_is_a4_with_its_number_and_pm25(chromium, demo_settings, tmp_path):
    from pypdf import PdfReader

    from dashboard.analytics import briefing
    from dashboard.cli import main
    from dashboard.store.db import session_scope

    out = tmp_path / "briefing-27.pdf"
    result = CliRunner(env=_env(demo_settings)).invoke(main, ["briefing", "--meeting", "27", "--out", str(out)])
    assert result.exit_code == 0, result.output
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    assert len(reader.pages) >= 2
    for page in reader.pages:  # A4 portrait, in points
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    text = "\n".join(page.extract_text() for page in reader.pages)
    with session_scope(demo_settings.database_url) as session:
        facts = briefing.briefing(session, demo_settings.database_url, demo_settings.tz, 27)
    pm25 = f"{facts.headline_of('pm25').now:.1f}"
    assert "第27次" in text and pm25 in text
    # The running header names the meeting on every page, with the page numbers at the foot.
    assert all("第27次调度会" in page.extract_text().replace(" ", "") for page in reader.pages)
    assert f"1 / {len(reader.pages)}" in text


def test_the_english_pdf_of_the_next_meeting(chromium, demo_settings, tmp_path):
    from pypdf import PdfReader

    from dashboard.cli import main

    out = tmp_path / "next.pdf"
    result = CliRunner(env=_env(demo_settings)).invoke(main, ["briefing", "--lang", "en", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(out.read_bytes())).pages)
    assert "Briefing for dispatch meeting No. 28" in text


def test_without_chromium_it_says_what_to_install(demo_settings, tmp_path):
    from dashboard.cli import main

    out = tmp_path / "x.pdf"
    runner = CliRunner(env=_env(demo_settings, DASHBOARD_CHROMIUM="/nonexistent/chromium"))
    result = runner.invoke(main, ["briefing", "--meeting", "27", "--out", str(out)])
    assert result.exit_code != 0 and not out.exists()
    assert "DASHBOARD_CHROMIUM" in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_an_unknown_meeting_is_refused(chromium, demo_settings, tmp_path):
    from dashboard.cli import main

    result = CliRunner(env=_env(demo_settings)).invoke(main, ["briefing", "--meeting", "999", "--out",
                                                              str(tmp_path / "x.pdf")])
    assert result.exit_code != 0 and "999" in result.output


def test_the_print_login_works_once_and_only_where_it_was_granted(demo_settings):
    from dashboard.app import create_app
    from dashboard.auth import ONE_TIME_PARAM, grant_one_login, new_one_time_token
    from dashboard.store.db import session_scope
    from dashboard.store.users import find_user

    with session_scope(demo_settings.database_url) as session:
        viewer = find_user(session, "viewer").id
    token = new_one_time_token()
    # An app that granted nothing ignores the parameter: the login form, as for anyone.
    plain = create_app(demo_settings).server.test_client()
    response = plain.get(f"/briefing?{ONE_TIME_PARAM}={token}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]

    app = create_app(demo_settings)
    grant_one_login(app.server, viewer, token, "en")
    first = app.server.test_client()
    response = first.get(f"/briefing?{ONE_TIME_PARAM}={token}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/briefing")
    assert first.get("/briefing").status_code == 200  # logged in as the viewer now
    # Spent: another browser with the same token is sent to the login form; so is a wrong token.
    for given in (token, new_one_time_token()):
        again = app.server.test_client().get(f"/briefing?{ONE_TIME_PARAM}={given}")
        assert again.status_code == 302 and "/login" in again.headers["Location"]
