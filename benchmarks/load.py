"""Load test: gunicorn with several workers, concurrent users looping over the main pages (issue 14, part 5).

    python benchmarks/load.py [--database-url URL] [--workers 4] [--users 20] [--duration 60]
        [--pages /,/air,/compliance,/ledger] [--cache-dir DIR]

Starts ``gunicorn --workers N dashboard.wsgi:server`` on a free local port against
``--database-url`` (default: a private copy of the cached five-year SQLite of
``benchmarks/pages.py``; the database is upgraded and a ``bench-admin`` user is set on it), then
``--users`` threads, each its own logged-in browser session (``requests``, already a dependency),
loop over the pages for ``--duration`` seconds, each load replayed as ``pages.py`` replays it (the
page, ``/_dash-layout``, ``/_dash-dependencies`` and every server callback fired at load, one
after another as the renderer's chain requires). At the end it prints the requests made, the
errors (HTTP status other than 200/204, exceptions), p50/p95/max latency of single requests and of
whole page loads, and each worker's resident memory (VmRSS, and VmHWM: its peak) from /proc.

The users run in this process on the same machine: their own CPU (parsing answers, mostly) is
taken from the workers' two cores, as a load generator on the server would.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks import pages as bench  # noqa: E402

ROOT = bench.ROOT
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


class _Answer:
    """A ``requests`` response with the test client's reading methods, for ``pages.Replay``."""

    def __init__(self, response: requests.Response) -> None:
        self.status_code = response.status_code
        self._response = response

    def get_data(self) -> bytes:
        return self._response.content

    def get_json(self):
        return self._response.json()


class _Cookie:
    def __init__(self, value: str) -> None:
        self.value = value


class HttpClient:
    """What ``pages.Replay`` needs of a client, over real HTTP; records each request's latency."""

    def __init__(self, base: str, latencies: list[float], errors: list[str]) -> None:
        self.base = base
        self.session = requests.Session()
        self.latencies = latencies
        self.errors = errors

    def _do(self, method: str, path: str, **kwargs) -> _Answer:
        started = time.perf_counter()
        response = self.session.request(method, self.base + path, timeout=120, allow_redirects=False, **kwargs)
        self.latencies.append(time.perf_counter() - started)
        if response.status_code not in (200, 204, 302):
            self.errors.append(f"{method} {path}: HTTP {response.status_code}")
        return _Answer(response)

    def get(self, path: str, headers=None) -> _Answer:
        return self._do("GET", path, headers=headers)

    def post(self, path: str, headers=None, json=None, data=None) -> _Answer:
        return self._do("POST", path, headers=headers, json=json, data=data)

    def get_cookie(self, name: str):
        value = self.session.cookies.get(name)
        return _Cookie(value) if value else None

    def log_in(self) -> None:
        page = self.get("/login").get_data().decode()
        token = _CSRF_FIELD.search(page).group(1)  # type: ignore[union-attr]
        answer = self.post("/login", data={"csrf_token": token, "username": bench.BENCH_USER,
                                           "password": bench.BENCH_PASSWORD, "next": "/"})
        if answer.status_code != 302:
            raise RuntimeError(f"login refused ({answer.status_code})")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker_pids(master: int) -> list[int]:
    try:
        text = Path(f"/proc/{master}/task/{master}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def memory_of(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) in KiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields.get("VmRSS", 0), fields.get("VmHWM", 0)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_gunicorn(url: str, workers: int, port: int, data_dir: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-load-secret", "DASHBOARD_DATA_DIR": str(data_dir)}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen([str(gunicorn), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
                                "--timeout", "300", "dashboard.wsgi:server"],
                               cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited ({process.returncode}); see {log}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200 \
                    and len(worker_pids(process.pid)) == workers:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.5)
    process.terminate()
    raise SystemExit("gunicorn did not answer /health within 180 s")


def percentile(values: list[float], q: float) -> float:
    return bench.nearest_rank(values, q) if values else float("nan")


def run(url: str, data_dir: Path, args) -> int:
    bench.prepare(url, data_dir)
    bench._dispose(url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = data_dir / "gunicorn.log"
    print(f"gunicorn --workers {args.workers} on {base}, database {url.split('@')[-1]}", flush=True)
    started = time.perf_counter()
    master = start_gunicorn(url, args.workers, port, data_dir, log)
    print(f"   ready in {time.perf_counter() - started:.1f} s; {args.users} users for {args.duration:.0f} s "
          f"over {', '.join(args.pages)}", flush=True)
    cpu_before = {pid: cpu_seconds(pid) for pid in worker_pids(master.pid)}
    latencies: list[float] = []
    loads: list[tuple[str, float]] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + args.duration

    def user(n: int) -> None:
        own_lat: list[float] = []
        own_err: list[str] = []
        own_loads: list[tuple[str, float]] = []
        client = HttpClient(base, own_lat, own_err)
        try:
            client.log_in()
            deps = client.get("/_dash-dependencies").get_json()
            i = n  # users start on different pages
            while time.monotonic() < stop_at:
                path = args.pages[i % len(args.pages)]
                i += 1
                replay = bench.Replay(client, deps)
                replay.base = base
                load = replay.page(path)
                own_loads.append((path, load.seconds))
                own_err.extend(load.errors)
        except Exception as exc:  # a broken connection is an error of the run, not a crash
            own_err.append(f"{type(exc).__name__}: {exc}")
        with lock:
            latencies.extend(own_lat)
            errors.extend(own_err)
            loads.extend(own_loads)

    threads = [threading.Thread(target=user, args=(n,)) for n in range(args.users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    memory = {pid: memory_of(pid) for pid in worker_pids(master.pid)}
    cpu_used = sum(cpu_seconds(pid) - cpu_before.get(pid, 0.0) for pid in memory)
    master.send_signal(signal.SIGTERM)
    try:
        master.wait(timeout=30)
    except subprocess.TimeoutExpired:
        master.kill()

    ms = 1000.0
    print(f"\nrequests {len(latencies)}, page loads {len(loads)}, errors {len(errors)}")
    for e in sorted(set(errors))[:10]:
        print(f"   error: {e} (×{errors.count(e)})")
    print(f"request latency: p50 {percentile(latencies, 0.5) * ms:.0f} ms, "
          f"p95 {percentile(latencies, 0.95) * ms:.0f} ms, max {max(latencies, default=float('nan')) * ms:.0f} ms")
    print(f"page load (all its requests): p50 {percentile([s for _, s in loads], 0.5) * ms:.0f} ms, "
          f"p95 {percentile([s for _, s in loads], 0.95) * ms:.0f} ms, "
          f"max {max((s for _, s in loads), default=float('nan')) * ms:.0f} ms")
    for path in args.pages:
        mine = [s for p, s in loads if p == path]
        if mine:
            print(f"   {path:14} {len(mine):4d} loads, median {statistics.median(mine) * ms:6.0f} ms, "
                  f"p95 {percentile(mine, 0.95) * ms:6.0f} ms, max {max(mine) * ms:6.0f} ms")
    print(f"workers' CPU time during the run: {cpu_used:.0f} s of {args.duration * os.cpu_count():.0f} s "
          f"the machine's {os.cpu_count()} cores had (others' work included in the wall clock)")
    print("worker memory (from /proc): " + ", ".join(
        f"pid {pid} RSS {rss / 1024:.0f} MB (peak {hwm / 1024:.0f} MB)" for pid, (rss, hwm) in memory.items()))
    print(f"load: {len(latencies)} requests, {len(errors)} errors, "
          f"p95 {percentile(latencies, 0.95) * ms:.0f} ms, max RSS "
          f"{max((r for r, _ in memory.values()), default=0) / 1024:.0f} MB ({elapsed:.0f} s in all)")
    return 1 if errors else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", default=None, help="default: a copy of the cached five-year SQLite")
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--duration", type=float, default=60.0, help="seconds")
    p.add_argument("--pages", default="/,/air,/compliance,/ledger")
    p.add_argument("--cache-dir", type=Path, default=None)
    args = p.parse_args(argv)
    args.pages = args.pages.split(",")
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp_text:
        tmp = Path(tmp_text)
        url = args.database_url or bench.working_copy(
            bench.cached_scale(args.cache_dir or bench.default_cache_dir(), False), tmp)
        return run(url, tmp, args)


if __name__ == "__main__":
    raise SystemExit(main())
