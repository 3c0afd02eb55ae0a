"""Briefing PDF speed: ``python -m dashboard briefing --meeting 27`` on the demo district.

Goal (issue 10): under 10 s, as a whole process (interpreter start-up, imports, building the app,
Chromium, the page's queries and charts). The baseline, measured in the same run, is the fixed
cost of the renderer alone: the same Chromium printing a one-line local HTML page to PDF with
the same flags. The ratio says how much the dashboard adds to what any Chromium PDF costs.

    python benchmarks/bench_briefing_pdf.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dashboard.printing import A4_WINDOW, RENDER_BUDGET_MS, chromium

GOAL_SECONDS = 10.0


def _timed(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory(prefix="bench-briefing-") as tmp:
        env = {**os.environ, "DASHBOARD_DATA_DIR": tmp, "SECRET_KEY": "bench"}
        env.pop("DATABASE_URL", None)
        subprocess.run([sys.executable, "-m", "dashboard", "demo"], env=env, check=True, capture_output=True)
        page = Path(tmp) / "blank.html"
        page.write_text("<!doctype html><meta charset='utf-8'><p>第27次调度会</p>", encoding="utf-8")
        renderer = [chromium(), "--headless", "--disable-gpu", "--no-first-run", "--no-pdf-header-footer",
                    f"--window-size={A4_WINDOW[0]},{A4_WINDOW[1]}", f"--virtual-time-budget={RENDER_BUDGET_MS}",
                    f"--user-data-dir={Path(tmp) / 'profile'}", f"--print-to-pdf={Path(tmp) / 'blank.pdf'}",
                    page.as_uri()]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            renderer.insert(1, "--no-sandbox")
        command = [sys.executable, "-m", "dashboard", "briefing", "--meeting", "27", "--out",
                   str(Path(tmp) / "briefing.pdf")]
        baseline = [_timed(renderer, env) for _ in range(repeat)]
        briefing = [_timed(command, env) for _ in range(repeat)]
    b, r = statistics.median(briefing), statistics.median(baseline)
    print(f"briefing PDF of meeting 27 (demo district): median {b:.2f} s over {repeat} runs "
          f"(min {min(briefing):.2f}, max {max(briefing):.2f})")
    print(f"baseline, Chromium printing a one-line page: median {r:.2f} s")
    print(f"ratio {b / r:.1f}x the renderer alone; goal under {GOAL_SECONDS:.0f} s: "
          f"{'met' if b < GOAL_SECONDS else 'NOT met'}")


if __name__ == "__main__":
    main()
