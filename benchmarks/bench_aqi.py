"""Hourly AQI speed: ``dashboard.domain.aqi.hourly_aqi`` on ≥ 1,000,000 station-hours against
python-aqi's per-row ``aqi.to_aqi`` (its China/MEP algorithm) on the same rows.

python-aqi is a speed reference only (it truncates concentrations and is not the platform's
rule: see DOMAIN.md §4); it is timed on a sample and scaled per row. Rows are real Zhengzhou
2019 station-hours with all six pollutants, repeated to the requested size (synthetic ones
when the sample data is absent). Goal: ratio ≥ 100.

    pip install -e '.[bench]'
    python benchmarks/bench_aqi.py [--rows 1000000] [--sample 20000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.domain.aqi import hourly_aqi

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cnemc" / "zhengzhou_wide_2019"
POLLUTANTS = ["PM2.5", "PM10", "O3", "NO2", "SO2", "CO"]


def real_rows() -> pd.DataFrame:
    files = sorted(DATA.glob("china_sites_*.csv"))
    if not files:
        rng = np.random.default_rng(1)
        n = 10_000
        return pd.DataFrame({"PM2.5": rng.integers(1, 300, n), "PM10": rng.integers(1, 500, n),
                             "O3": rng.integers(1, 300, n), "NO2": rng.integers(1, 200, n),
                             "SO2": rng.integers(1, 100, n), "CO": rng.integers(1, 50, n) / 10})
    wide = pd.concat([pd.read_csv(f, dtype={"date": str}) for f in files], ignore_index=True)
    wide = wide[wide["type"].isin(POLLUTANTS)]
    frame = wide.set_index(["date", "hour", "type"]).rename_axis(columns="station").stack().unstack("type")
    return frame[POLLUTANTS].dropna().reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000, help="rows timed with python-aqi")
    args = parser.parse_args()
    try:
        import aqi
        from aqi.constants import POLLUTANT_CO_1H
    except ImportError:
        sys.exit("python-aqi is not installed: pip install -e '.[bench]'")

    base = real_rows()
    frame = pd.DataFrame(np.resize(base.to_numpy(), (args.rows, len(POLLUTANTS))), columns=POLLUTANTS)
    # one hour label per row (about 110 years of hours for 10^6 rows, crossing the 2026 switch):
    # the engine must pick the standard per row, as it does for stored readings
    frame["time"] = pd.date_range("1990-01-01", periods=args.rows, freq="h", tz="Asia/Shanghai")

    def best(call) -> float:
        call(frame.head(1000))  # warm-up
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            out = call(frame)
            runs.append(time.perf_counter() - t0)
        assert out["aqi"].notna().all()
        return min(runs)

    ours = best(hourly_aqi)
    ours_fixed = best(lambda f: hourly_aqi(f, standard="HJ 633-2012"))

    keys = [aqi.POLLUTANT_PM25, aqi.POLLUTANT_PM10, aqi.POLLUTANT_O3_1H, aqi.POLLUTANT_NO2_1H,
            aqi.POLLUTANT_SO2_1H, POLLUTANT_CO_1H]
    sample = frame[POLLUTANTS].head(args.sample).to_numpy()
    rows = [[(k, str(v)) for k, v in zip(keys, row)] for row in sample]  # its API takes strings
    runs = []
    for _ in range(2):
        t0 = time.perf_counter()
        for row in rows:
            aqi.to_aqi(row, algo="aqi.algos.mep")
        runs.append(time.perf_counter() - t0)
    per_row = min(runs) / len(rows)
    theirs = per_row * args.rows

    print(f"hourly AQI of {args.rows:,} station-hours ({len(base):,} distinct real rows repeated)")
    print(f"  hourly_aqi, standard per row from time : {ours:7.3f} s  "
          f"({ours / args.rows * 1e9:5.0f} ns/row, best of 3)")
    print(f"  hourly_aqi, standard='HJ 633-2012'     : {ours_fixed:7.3f} s  "
          f"({ours_fixed / args.rows * 1e9:5.0f} ns/row, best of 3)")
    print(f"  python-aqi to_aqi (mep), row by row    : {theirs:7.3f} s  ({per_row * 1e6:5.1f} µs/row, "
          f"{args.sample:,} rows timed, best of 2, scaled)")
    print(f"  ratio (per-row times)                  : {theirs / ours:7.0f}x  (goal >= 100)")
    print(f"  ratio (fixed standard)                 : {theirs / ours_fixed:7.0f}x")


if __name__ == "__main__":
    main()
