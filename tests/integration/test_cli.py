"""The command line, run as a user would (click's runner, real databases)."""

import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from dashboard.cli import main
from dashboard.store.db import current_revisions, head_revisions, session_scope
from dashboard.store.users import authenticate
from tests.conftest import new_database_url


@pytest.fixture
def env(tmp_path, monkeypatch):
    url = new_database_url(tmp_path, "cli.db")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DASHBOARD_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return url


def test_db_upgrade_creates_the_schema(env):
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert current_revisions(env) == head_revisions()


def test_users_set_and_list(env):
    runner = CliRunner()
    result = runner.invoke(main, ["users", "set", "wang", "--role", "inspector", "--township", "侯寨乡",
                                  "--password", "pw-1234567"])
    assert result.exit_code != 0 and "no township named" in result.output  # empty database: no townships yet
    for weak, reason in (("pw-123", "at least 10 characters"), ("WANG", "must not be the user name")):
        result = runner.invoke(main, ["users", "set", "wang", "--role", "editor", "--password", weak])
        assert result.exit_code != 0 and reason in result.output, result.output
    result = runner.invoke(main, ["users", "set", "wang", "--role", "editor", "--name", "王工",
                                  "--password", "pw-1234567"])
    assert result.exit_code == 0, result.output
    assert "wang" in runner.invoke(main, ["users", "list"]).output
    with session_scope(env) as session:
        assert authenticate(session, "wang", "pw-1234567").role == "editor"


def test_demo_builds_the_district_and_prints_working_logins(env):
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    logins = re.findall(r"(\w+)\s+user (\w+)\s+password (\S+)", result.output)
    assert {role for role, _, _ in logins} == {"viewer", "inspector", "editor", "admin"}
    with session_scope(env) as session:
        for _role, username, password in logins:
            assert authenticate(session, username, password) is not None
    # Rebuilding replaces the district instead of adding to it.
    first = re.search(r"sites: (\d+)", result.output).group(1)
    again = CliRunner().invoke(main, ["demo"])
    assert again.exit_code == 0 and re.search(r"sites: (\d+)", again.output).group(1) == first


def test_unreachable_database_is_a_clear_error_not_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:9/none")
    monkeypatch.setenv("DASHBOARD_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(main, ["users", "list"])
    assert result.exit_code == 1
    assert "cannot open the database" in result.output and "Traceback" not in result.output


def test_module_entry_point_and_help():
    out = subprocess.run([sys.executable, "-m", "dashboard", "--help"], capture_output=True, text=True,
                         check=True).stdout
    for command in ("serve", "demo", "db", "users"):
        assert command in out


def test_serve_answers_health(env):
    """`serve` really listens: start it as a process and ask /health."""
    import socket
    import time

    import requests

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "dashboard", "serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        assert response.status_code == 200
        assert requests.get(f"http://127.0.0.1:{port}/", allow_redirects=False, timeout=5).status_code == 302
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_database_error_is_a_message_not_a_traceback(env, monkeypatch, tmp_path):
    from sqlalchemy.exc import OperationalError

    from dashboard.services import imports

    def locked(*_args, **_kwargs):
        raise OperationalError("INSERT INTO stations", {}, Exception("database is locked"))

    monkeypatch.setattr(imports.store, "upsert_stations", locked)
    listing = tmp_path / "站点列表-2019.08.01起.csv"
    listing.write_text("监测点编码,监测点名称,城市,经度,纬度\n1316A,烟厂,郑州,113.6,34.75\n", encoding="utf-8-sig")
    result = CliRunner().invoke(main, ["import", "stations", str(listing)])
    assert result.exit_code == 1 and "database error" in result.output and "database is locked" in result.output
    assert "Traceback" not in result.output


def test_setup_makes_a_new_district_ready_and_refuses_to_run_twice(env):
    from dashboard.store.models import AppSetting, ChecklistVersion, Station, User
    from tests.conftest import shared_data

    listing = shared_data("cnemc", "station_lists", "站点列表-2022.02.13起.csv")
    result = CliRunner().invoke(main, ["setup", "--district", "二七区", "--admin", "boss",
                                       "--password", "boss-pass-123", "--station-list", str(listing),
                                       "--stations", "1322A,1323A", "--background", "1324A"])
    assert result.exit_code == 0, result.output
    with session_scope(env) as session:
        assert session.get(AppSetting, "district.name").value == "二七区"
        assert authenticate(session, "boss", "boss-pass-123").role == "admin"
        assert session.query(ChecklistVersion).count() == 3
        group = {s.code for s in session.query(Station).filter(Station.in_district.is_(True))}
        assert group == {"1322A", "1323A"}
        assert session.query(Station).filter_by(code="1324A").one().is_background
        assert session.query(User).count() == 1
    again = CliRunner().invoke(main, ["setup", "--district", "别的区", "--admin", "eve", "--password", "eve-pass-1234"])
    assert again.exit_code != 0 and "already has users" in again.output


def test_setup_refuses_a_weak_password_and_unknown_stations_clearly(env):
    weak = CliRunner().invoke(main, ["setup", "--district", "二七区", "--admin", "boss", "--password", "short"])
    assert weak.exit_code != 0 and "at least 10 characters" in weak.output and "Traceback" not in weak.output
    unknown = CliRunner().invoke(main, ["setup", "--district", "二七区", "--admin", "ann",
                                        "--password", "ann-pass-1234", "--stations", "9999Z"])
    assert unknown.exit_code != 0 and "the station group" in unknown.output and "Traceback" not in unknown.output
