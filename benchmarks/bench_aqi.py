"""Hourly AQI speed: ``dashboard.domain.aqi.hourly_aqi`` on ≥ 1,000,000 station-hours against
python-aqi's per-row ``aqi.to_aqi`` (its China/MEP algorithm) on the same rows.

python-aqi is a speed reference only (it truncates concentrations and is not the platform's
rule: see DOMAIN.md §4); it is timed on a sample and scaled per row. Rows are real Zhengzhou
2019 station-hours with all six pollutants, repeated to the requested size (synthetic ones
when the sample data is absent). Goal: ratio ≥ 100.

    pip install -e '.[bench]'
    python benchmarks/bench_aqi.py [--rows 1000000] [--sample 20000] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
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
    parser.add_argument("--runs", type=int, default=5, help="rounds, each timing both")
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

    keys = [aqi.POLLUTANT_PM25, aqi.POLLUTANT_PM10, aqi.POLLUTANT_O3_1H, aqi.POLLUTANT_NO2_1H,
            aqi.POLLUTANT_SO2_1H, POLLUTANT_CO_1H]
    sample = frame[POLLUTANTS].head(args.sample).to_numpy()
    rows = [[(k, str(v)) for k, v in zip(keys, row)] for row in sample]  # its API takes strings

    def timed(call) -> float:
        t0 = time.perf_counter()
        out = call()
        elapsed = time.perf_counter() - t0
        if out is not None:
            assert out["aqi"].notna().all()
        return elapsed

    def theirs_per_row() -> None:
        for row in rows:
            aqi.to_aqi(row, algo="aqi.algos.mep")

    hourly_aqi(frame.head(1000))  # warm-up
    ours, fixed, theirs, ratios, ratios_fixed = [], [], [], [], []
    # Each round times all three back to back, so a ratio compares like with like when the
    # machine's speed drifts; the figures are min / median / max over the rounds.
    for _ in range(args.runs):
        ours.append(timed(lambda: hourly_aqi(frame)))
        fixed.append(timed(lambda: hourly_aqi(frame, standard="HJ 633-2012")))
        theirs.append(timed(theirs_per_row) / len(rows) * args.rows)
        ratios.append(theirs[-1] / ours[-1])
        ratios_fixed.append(theirs[-1] / fixed[-1])

    def spread(values: list[float], fmt: str) -> str:
        return " / ".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))

    print(f"hourly AQI of {args.rows:,} station-hours ({len(base):,} distinct real rows repeated), "
          f"{args.runs} rounds; min / median / max")
    print(f"  hourly_aqi, standard per row from time : {spread(ours, '{:.3f}')} s")
    print(f"  hourly_aqi, standard='HJ 633-2012'     : {spread(fixed, '{:.3f}')} s")
    print(f"  python-aqi to_aqi (mep), row by row    : {spread(theirs, '{:.2f}')} s "
          f"({args.sample:,} rows timed a round, scaled)")
    print(f"  ratio (per-row times)                  : {spread(ratios, '{:.0f}')}x  (goal: median >= 100)")
    print(f"  ratio (fixed standard)                 : {spread(ratios_fixed, '{:.0f}')}x")


if __name__ == "__main__":
    main()
