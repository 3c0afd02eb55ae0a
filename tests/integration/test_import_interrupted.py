"""``import cnemc`` killed mid-way (SIGKILL, as the OOM killer or a pulled plug would) leaves a
database that opens, holds each file's day whole or not at all, and a re-run completes with the
counts of an import that was never interrupted. Each file is one transaction: verified here on a
real process, not assumed. On the PostgreSQL pass the first test runs there too (a killed client's
open transaction must be rolled back by the server)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import inspect, text

from dashboard.store.db import engine_for
from tests.conftest import ROOT, new_database_url, shared_data

FILES = 20


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """Twenty real 2019 files (a folder of the user's, so copied)."""
    source = shared_data("cnemc", "zhengzhou_wide_2019")
    target = tmp_path_factory.mktemp("cnemc") / "files"
    target.mkdir()
    for path in sorted(source.glob("china_sites_*.csv"))[:FILES]:
        shutil.copy(path, target / path.name)
    return target


def environment(db: str, folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DASHBOARD_", "DATABASE_URL"))}
    return env | {"DATABASE_URL": db, "DASHBOARD_DATA_DIR": str(folder / "data"),
                  "SECRET_KEY": "test", "PYTHONUNBUFFERED": "1"}


def import_folder(folder: Path, db: str, data: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard", "import", "cnemc", str(folder)], cwd=ROOT,
                          env=environment(db, data), capture_output=True, text=True, timeout=300)


def day_counts(db: str) -> dict[str, int]:
    """Readings per Beijing day (a file's day: its hours 0–23 all fall on it)."""
    with engine_for(db).connect() as conn:
        times = pd.Series([t for (t,) in conn.execute(text("SELECT time FROM readings"))], dtype=object)
    days = (pd.to_datetime(times, utc=True) + pd.Timedelta(hours=8)).dt.strftime("%Y%m%d")
    return days.value_counts().to_dict()


def table_counts(db: str) -> dict[str, int]:
    engine = engine_for(db)
    with engine.connect() as conn:
        return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()
                for t in inspect(engine).get_table_names()}


def readings(db: str) -> set[tuple]:
    with engine_for(db).connect() as conn:
        return {tuple(r) for r in conn.execute(text("SELECT s.code, r.pollutant, r.time, r.value FROM readings r "
                                                    "JOIN stations s ON s.id = r.station_id"))}


def opens_whole(db: str) -> None:
    """The database opens and, on SQLite, passes its integrity check."""
    with engine_for(db).connect() as conn:
        if db.startswith("sqlite"):
            assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
        else:
            assert conn.execute(text("SELECT count(*) FROM readings")).scalar_one() >= 0


@pytest.fixture(scope="module")
def uninterrupted(folder, tmp_path_factory) -> str:
    data = tmp_path_factory.mktemp("whole")
    db = new_database_url(data)
    result = import_folder(folder, db, data)
    assert result.returncode == 0, result.stderr
    assert f"{FILES} file(s): {FILES} imported, 0 refused" in result.stdout
    return db


@pytest.mark.parametrize("summaries", [1, 5], ids=["after the first file", "after five files"])
def test_a_killed_import_leaves_whole_files_and_a_rerun_completes(summaries, folder, uninterrupted, tmp_path):
    db = new_database_url(tmp_path)
    process = subprocess.Popen([sys.executable, "-m", "dashboard", "import", "cnemc", str(folder)], cwd=ROOT,
                               env=environment(db, tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = 0
    try:
        for line in process.stdout:
            seen += "values read" in line  # one summary line per file, printed after its commit
            if seen == summaries:
                process.send_signal(signal.SIGKILL)
                break
    finally:
        process.kill()
        process.wait(timeout=60)
        process.stdout.close()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL and seen == summaries

    opens_whole(db)
    whole, partial = day_counts(uninterrupted), day_counts(db)
    assert summaries <= len(partial) < FILES  # killed part-way through the folder
    assert {day: n for day, n in partial.items() if n != whole[day]} == {}  # no day half there

    again = import_folder(folder, db, tmp_path)
    assert again.returncode == 0, again.stderr
    assert f"{FILES} file(s): {FILES} imported, 0 refused" in again.stdout
    assert table_counts(db) == table_counts(uninterrupted)
    assert readings(db) == readings(uninterrupted)


@pytest.mark.sqlite_only(reason="times its kill by the growth of SQLite's write-ahead log file")
def test_a_kill_inside_a_files_transaction_leaves_none_of_that_file(folder, uninterrupted, tmp_path):
    """The national file (207,153 values) takes seconds to insert: the kill lands once its
    insert has spilled pages into SQLite's write-ahead log, before the commit."""
    national = shared_data("cnemc", "original_full_day", "china_sites_20191205.csv")
    two = tmp_path / "files"
    two.mkdir()
    shutil.copy(folder / "china_sites_20191101.csv", two)
    shutil.copy(national, two)
    db = new_database_url(tmp_path)
    wal = Path(f"{db.removeprefix('sqlite:///')}-wal")
    process = subprocess.Popen([sys.executable, "-m", "dashboard", "import", "cnemc", str(two)], cwd=ROOT,
                               env=environment(db, tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "values read" in process.stdout.readline()  # the first file is committed
        committed = wal.stat().st_size
        deadline = time.monotonic() + 60
        while wal.stat().st_size < committed + 2**20 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        rest = process.stdout.read()
    finally:
        process.kill()
        process.stdout.close()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL and "values read" not in rest  # killed before the commit

    opens_whole(db)
    assert day_counts(db) == {"20191101": day_counts(uninterrupted)["20191101"]}
    again = import_folder(two, db, tmp_path)
    assert again.returncode == 0, again.stderr
    assert "2 file(s): 2 imported, 0 refused" in again.stdout
    assert table_counts(db)["readings"] > 200_000
