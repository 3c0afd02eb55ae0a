"""Import speed: ``python -m dashboard import cnemc`` against a bare pandas + sqlite3 script.

Both run as whole processes (interpreter start-up and imports count), each on a fresh SQLite
file with the same pragmas (WAL, synchronous=NORMAL), one transaction per file, and store the
same rows (the six hourly pollutants, blank cells dropped) in a table with the same primary key
and time index. The dashboard additionally validates every file, creates its schema with
Alembic and reports what it skipped. Goal: ratio ≤ 3.

Then the national day file (1641 stations) is imported and the child's peak memory printed.

    python benchmarks/bench_import.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "cnemc"
ZHENGZHOU = DATA / "zhengzhou_wide_2019"
NATIONAL = DATA / "original_full_day" / "china_sites_20191205.csv"

BASELINE = r'''
import sqlite3, sys
from pathlib import Path
import pandas as pd

KEEP = ["PM2.5", "PM10", "SO2", "NO2", "O3", "CO"]
db = sqlite3.connect(sys.argv[1])
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=NORMAL")
db.execute("CREATE TABLE readings (station TEXT, pollutant TEXT, time TEXT, value REAL, "
           "PRIMARY KEY (station, pollutant, time))")
db.execute("CREATE INDEX ix_readings_time ON readings (time)")
db.commit()
rows = 0
for path in sorted(Path(sys.argv[2]).glob("china_sites_*.csv")):
    wide = pd.read_csv(path, dtype={"date": str})
    wide = wide[wide["type"].isin(KEEP)]
    long = wide.melt(id_vars=["date", "hour", "type"], var_name="station").dropna(subset=["value"])
    # one label per hour of the day, not per row: the baseline should be as quick as it can be
    day = pd.Timestamp(wide["date"].iloc[0]) - pd.Timedelta(hours=8)
    labels = {h: (day + pd.Timedelta(hours=h)).strftime("%Y-%m-%d %H:%M:%S.%f") for h in range(24)}
    time = long["hour"].map(labels)
    db.executemany("INSERT INTO readings VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                   zip(long["station"], long["type"], time, long["value"]))
    db.commit()
    rows += len(long)
print(rows)
'''


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) of the child, stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    # ru_maxrss of children is the max over all waited-for children: only meaningful when it grew
    peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
    return elapsed, peak, proc.stdout


def dashboard_env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = f"sqlite:///{tmp / 'dashboard.db'}"
    env["DASHBOARD_DATA_DIR"] = str(tmp / "data")
    env["SECRET_KEY"] = "benchmark"
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (min, median, max reported)")
    args = parser.parse_args()
    if not ZHENGZHOU.is_dir():
        sys.exit(f"CNEMC sample data not found at {ZHENGZHOU}")
    files = sorted(ZHENGZHOU.glob("china_sites_*.csv"))

    ours, base = [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            t, _, out = run([sys.executable, "-c", BASELINE, str(tmp / "bare.db"), str(ZHENGZHOU)], dict(os.environ))
            base.append(t)
            rows = int(out.strip())
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            t, _, out = run([sys.executable, "-m", "dashboard", "import", "cnemc", str(ZHENGZHOU)], dashboard_env(tmp))
            ours.append(t)
            summary = out.strip().splitlines()[-1]
    ratios = [o / b for o, b in zip(ours, base, strict=True)]  # each run's pair, back to back

    def spread(values: list[float], fmt: str) -> str:
        return " / ".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))

    print(f"Zhengzhou 2019: {len(files)} files, {rows} readings ({args.repeat} runs, whole processes; "
          f"min / median / max)")
    print(f"  dashboard import cnemc : {spread(ours, '{:.2f}')} s   ({summary})")
    print(f"  bare pandas + sqlite3  : {spread(base, '{:.2f}')} s")
    print(f"  ratio                  : {spread(ratios, '{:.2f}')}x   (goal: median <= 3)")

    if NATIONAL.is_file():
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            # a fresh interpreter for the measurement, so the peak is this import's alone
            probe = (
                "import resource, subprocess, sys;"
                "p = subprocess.run(sys.argv[1:]);"
                "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024);"
                "sys.exit(p.returncode)"
            )
            cmd = [sys.executable, "-c", probe, sys.executable, "-m", "dashboard", "import", "cnemc", str(NATIONAL)]
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, env=dashboard_env(tmp), capture_output=True, text=True)
            elapsed = time.perf_counter() - t0
            if proc.returncode != 0:
                sys.exit(f"national import failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
            lines = proc.stdout.strip().splitlines()
            print(f"National day file (1641 station columns): {elapsed:.2f} s, peak memory {float(lines[-1]):.0f} MiB")
            print(f"  {lines[-2]}")
    else:
        print(f"national file not found at {NATIONAL}: skipped")


if __name__ == "__main__":
    main()
