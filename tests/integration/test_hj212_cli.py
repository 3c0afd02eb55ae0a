"""The command line of site dust monitors: ``monitors add|remove|list``, ``import hj212``,
``export site-dust``, and ``hj212 serve`` + ``hj212 simulate`` as separate processes."""

from __future__ import annotations

import csv
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from dashboard.cli import main
from dashboard.domain import hj212
from dashboard.receiver.simulator import hourly_frame, minute_frame
from dashboard.store.db import session_scope
from dashboard.store.models import AuditEntry, DustReading, Site
from tests.conftest import make_settings
from tests.integration.test_hj212_receiver import START, district

ROOT = Path(__file__).resolve().parents[2]
MN, PW = "410103DUST00000000000001", "654321"


def _env(settings) -> dict[str, str]:
    return {"DATABASE_URL": settings.database_url, "DASHBOARD_DATA_DIR": str(settings.data_dir), "SECRET_KEY": "x"}


def _cli(settings, *args):
    return CliRunner(env=_env(settings)).invoke(main, [str(a) for a in args])


@pytest.fixture
def settings(tmp_path):
    settings = make_settings(tmp_path)
    district(settings, 2)
    return settings


def _rows(settings) -> int:
    with session_scope(settings.database_url) as session:
        return session.scalar(select(func.count()).select_from(DustReading))


def test_monitors_add_list_remove_through_audited_services(settings):
    added = _cli(settings, "monitors", "add", MN, "--site", "GD-0001", "--password", PW)
    assert added.exit_code == 0, added.output
    assert _cli(settings, "monitors", "add", MN, "--site", "GD-0002", "--password", PW).exit_code != 0
    assert "no site" in _cli(settings, "monitors", "add", "X1", "--site", "NOPE", "--password", PW).output
    assert _cli(settings, "monitors", "add", "bad-mn!", "--site", "GD-0001", "--password", PW).exit_code != 0
    assert _cli(settings, "monitors", "add", "X2", "--site", "GD-0001", "--password", "a;b").exit_code != 0
    listed = _cli(settings, "monitors", "list").output
    assert MN in listed and "GD-0001" in listed and "active" in listed and "never" in listed
    assert PW not in listed  # never the password
    assert _cli(settings, "monitors", "remove", MN).exit_code == 0
    assert "removed" in _cli(settings, "monitors", "list").output
    assert "already" in _cli(settings, "monitors", "remove", MN).output
    assert _cli(settings, "monitors", "remove", "NOBODY").exit_code != 0
    # A removed monitor comes back at its own site only (an MN names one monitoring point).
    assert _cli(settings, "monitors", "add", MN, "--site", "GD-0002", "--password", PW).exit_code != 0
    assert "reactivated" in _cli(settings, "monitors", "add", MN, "--site", "GD-0001", "--password", PW).output
    with session_scope(settings.database_url) as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "dust_monitor")).all()
    assert actions == ["create", "deactivate", "reactivate"]


def _log(tmp_path: Path) -> tuple[Path, int]:
    """A recorded log: 3 good minute frames and an hourly one, with bad lines among them."""
    good = [minute_frame(MN, PW, START + dt.timedelta(minutes=m), START)[0] for m in range(3)]
    hourly = hourly_frame(MN, PW, START, 1, START + dt.timedelta(hours=1))[0]
    broken = bytearray(good[1])
    broken[50] ^= 1
    lines = [good[0], b"", good[1].rstrip(b"\r\n"), bytes(broken), b"hello", good[2],
             minute_frame("NOBODY", PW, START, START)[0], minute_frame(MN, "000000", START, START)[0],
             b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
             b"CP=&&RtdInterval=30&&1C80", hourly, b"#" * 5000]
    path = tmp_path / "frames.log"
    path.write_bytes(b"\n".join(line.rstrip(b"\r\n") for line in lines) + b"\n")
    values = 3 * (3 * 3 + 5) + (7 * 3 + 1)
    return path, values


def test_import_hj212_reports_refused_lines_and_lands_idempotently(settings, tmp_path):
    assert _cli(settings, "monitors", "add", MN, "--site", "GD-0001", "--password", PW).exit_code == 0
    # The standard's example monitor, so that its line is refused for its CN (1062, a request).
    _cli(settings, "monitors", "add", "010000A8900016F000169DC0", "--site", "GD-0002", "--password", "100000")
    path, values = _log(tmp_path)
    first = _cli(settings, "import", "hj212", path)
    assert first.exit_code == 0, first.output
    assert "line 4: CRC does not match" in first.output
    assert "line 5: does not start with ##" in first.output
    assert "line 7: MN is not a registered monitor" in first.output
    assert "line 8: PW does not match" in first.output
    assert "line 9: CN=1062 is not data" in first.output
    assert "line 11: line longer than any frame" in first.output
    assert "10 lines, 4 frames stored" in first.output and "6 refused" in first.output
    assert _rows(settings) == values
    again = _cli(settings, "import", "hj212", path)
    assert "4 frames stored (0 new values)" in again.output and _rows(settings) == values
    with session_scope(settings.database_url) as session:
        imports = session.scalars(select(AuditEntry).where(AuditEntry.entity == "dust_readings")).all()
    assert len(imports) == 1 and imports[0].detail["added"] == values  # the re-import added nothing


def test_export_site_dust(settings, tmp_path):
    with session_scope(settings.database_url) as session:  # a code that would run as a formula
        session.scalars(select(Site).where(Site.code == "GD-0002")).one().code = "=HYPERLINK(1)"
    _cli(settings, "monitors", "add", MN, "--site", "GD-0001", "--password", PW)
    _cli(settings, "monitors", "add", "OTHER1", "--site", "=HYPERLINK(1)", "--password", PW)
    path, _ = _log(tmp_path)
    _cli(settings, "import", "hj212", path)
    other = tmp_path / "other.log"
    other.write_bytes(minute_frame("OTHER1", PW, START, START)[0])
    _cli(settings, "import", "hj212", other)

    out = tmp_path / "dust.csv"
    result = _cli(settings, "export", "site-dust", "--kind", "minute", "--out", out)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0]) == ["site_code", "mn", "time", "pollutant", "value", "flag"]
    assert len(rows) == 4 * 8  # four minute frames of eight pollutants (averages only)
    first = next(r for r in rows if r["mn"] == MN and r["pollutant"] == "a34002")
    assert first["time"] == "2025-12-10T08:00:00+08:00" and first["flag"] in hj212.FLAGS
    sent = hj212.parse_frame(minute_frame(MN, PW, START, START)[0])
    assert float(first["value"]) == next(v.value for v in sent.values if v.pollutant == "a34002" and v.field == "Avg")
    assert {r["site_code"] for r in rows} == {"GD-0001", "'=HYPERLINK(1)"}  # neutralised

    only = tmp_path / "one.csv"
    assert _cli(settings, "export", "site-dust", "--site", "GD-0001", "--from", "2025-12-10", "--to", "2025-12-10",
                "--out", only).exit_code == 0
    hourly = list(csv.DictReader(only.open(encoding="utf-8")))
    assert len(hourly) == 8 and {r["time"] for r in hourly} == {"2025-12-10T08:00:00+08:00"}
    empty = tmp_path / "none.csv"
    assert _cli(settings, "export", "site-dust", "--from", "2025-12-11", "--out", empty).exit_code == 0
    assert empty.read_text(encoding="utf-8").strip() == "site_code,mn,time,pollutant,value,flag"
    assert _cli(settings, "export", "site-dust", "--site", "NOPE", "--out", empty).exit_code != 0


def test_serve_and_simulate_as_two_processes(tmp_path):
    """What a new user runs: the receiver, then the simulator registering demo monitors."""
    settings = make_settings(tmp_path)
    district(settings, 3)
    env = {**os.environ, **_env(settings), "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-m", "dashboard", "hj212", "serve", "--port", "0"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        port = None
        deadline = time.monotonic() + 30
        while port is None and time.monotonic() < deadline:
            line = server.stdout.readline()
            if "listening on" in line:
                port = int(line.rsplit(":", 1)[1])
        assert port, "the receiver did not start"
        sim = subprocess.run([sys.executable, "-m", "dashboard", "hj212", "simulate", "--to", f"127.0.0.1:{port}",
                              "--register-demo", "3", "--speed", "0", "--minutes", "60", "--interval", "10",
                              "--start", "2025-12-10T08:00"], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=60)
        assert sim.returncode == 0, sim.stdout + sim.stderr
        assert "3 demo monitor(s) registered" in sim.stdout and "21 answered" in sim.stdout
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=20)
    assert "stopped:" in out and "answers 21" in out
    assert _rows(settings) == 3 * (6 * (3 * 3 + 5) + 7 * 3 + 1)
    listed = _cli(settings, "monitors", "list").output
    assert listed.count("410103DUST") == 3 and "never" not in listed


def test_an_episode_raises_pm10_at_its_monitor_and_hours_only():
    from dashboard.receiver.simulator import Episode, minute_values

    start = dt.datetime(2025, 12, 12, 1, tzinfo=hj212.BEIJING)
    episode = Episode(MN, start, start + dt.timedelta(hours=2))
    inside, before = start + dt.timedelta(minutes=30), start - dt.timedelta(minutes=30)
    for when, other, factor in ((inside, MN, 3.5), (before, MN, 1.0), (inside, "410103DUST00000000000002", 1.0)):
        plain, played = minute_values(other, when), minute_values(other, when, episode)
        assert played["a34002"][1] == pytest.approx(plain["a34002"][1] * factor)
        assert played["a34004"][1] == plain["a34004"][1]  # construction dust is coarse


def test_on_the_demo_the_simulator_starts_where_the_demos_history_ends(settings):
    from zoneinfo import ZoneInfo

    from dashboard.cli.site_dust import _default_start
    from dashboard.store.models import AppSetting

    tz = ZoneInfo("Asia/Shanghai")
    real = _default_start(settings, tz)
    assert abs((real - dt.datetime.now(tz)).total_seconds()) < 120
    with session_scope(settings.database_url) as session:
        session.merge(AppSetting(key="frozen_today", value="2025-12-11"))
    assert _default_start(settings, tz) == dt.datetime(2025, 12, 12, 0, tzinfo=tz)
