"""Wall refresh cost: one refresh of /wall (every server callback it makes) on the demo district.

Goal (issue 11): a refresh costs the server a bounded amount of work whatever the length of the
history. Measured over HTTP in-process (Flask's test client, the display token's own path through
the login guard), steady state (caches warm, as on a wall that refreshes every minute), against
a baseline measured in the same run: the home page's layout, which reads the last 24 hours.

    python benchmarks/bench_wall.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

# The HTTP helpers of the test suite speak the renderer's protocol; they live beside this folder.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    repeat = parser.parse_args().repeat

    from dashboard.app import create_app
    from dashboard.demo.generate import generate_district
    from dashboard.services.access import Actor
    from dashboard.services.display import create_token
    from dashboard.settings import Settings
    from dashboard.store.db import session_scope, upgrade
    from dashboard.store.demo_load import load_demo
    from dashboard.store.users import upsert_user
    from tests.dash_http import callback_body, csrf_header, log_in, page_layout

    with tempfile.TemporaryDirectory(prefix="bench-wall-") as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=f"sqlite:///{tmp}/dashboard.db", secret_key="bench",
                            upload_dir=Path(tmp) / "uploads")
        upgrade(settings.database_url)
        with session_scope(settings.database_url) as session:
            load_demo(session, generate_district())
            upsert_user(session, "viewer", "viewer-pass-1", "viewer")
        secret = create_token(settings, Actor.system(), "bench")
        app = create_app(settings)

        wall = app.server.test_client()
        assert wall.get(f"/wall?token={secret}").status_code == 200
        body = callback_body(app, "wall-fresh.children", {"wall-refresh.n_intervals": 1,
                                                          "wall-config.data": {"lang": "zh"}})

        def refresh() -> None:
            answer = wall.post("/_dash-update-component", json=body, headers=csrf_header(wall))
            assert answer.status_code == 200, answer.status_code

        person = app.server.test_client()
        log_in(person, "viewer", "viewer-pass-1")

        def home() -> None:
            assert page_layout(person, "/").status_code == 200

        def timed(fn) -> list[float]:
            fn()  # warm
            runs = []
            for _ in range(repeat):
                started = time.perf_counter()
                fn()
                runs.append(time.perf_counter() - started)
            return runs

        wall_s, home_s = timed(refresh), timed(home)
    def spread(runs: list[float]) -> str:
        return " / ".join(f"{v * 1000:.0f}" for v in (min(runs), statistics.median(runs), max(runs)))

    print(f"one wall refresh (all server callbacks): {spread(wall_s)} ms (min / median / max of {repeat})")
    print(f"baseline, the home page's layout:       {spread(home_s)} ms")
    print(f"ratio of the medians: {statistics.median(wall_s) / statistics.median(home_s):.1f}x")


if __name__ == "__main__":
    main()
