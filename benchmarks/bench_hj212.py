"""HJ 212 receiver throughput: frames parsed, stored and answered per second, answer latency.

Goal (issue 13): at least 2,000 frames/s sustained with the 9014 answer's p99 latency at most
100 ms, with hundreds of monitors connected at once, on this 2-core machine. The receiver runs
as its own process (``python -m dashboard hj212 serve``) on a fresh database; this process
plays the monitors (one TCP connection each) with minute frames (2051, 14 values each, Flag=5),
every frame new data, and times each answer from just before its frame is written. An answer
comes only after the frame's transaction has committed, so an answered frame is on disk.

Two loads per run: **paced**, frames spread evenly over the monitors at ``--rate`` frames/s for
``--seconds`` (the sustained goal: achieved rate and latency), and **saturation**, each monitor
sending its next frame as soon as the last is answered (the ceiling). The baseline, measured
in the same run, is parsing alone (``domain.hj212.parse_frame`` on the same frames, one core):
the work no receiver can skip. Every run reports min/median/max over ``--runs`` runs, and the
rows in the database are counted at the end (nothing lost).

    python benchmarks/bench_hj212.py [--monitors 500] [--rate 2000] [--seconds 10] [--runs 3]
    python benchmarks/bench_hj212.py --pg postgresql://user@host/postgres   # a throwaway database
    python benchmarks/bench_hj212.py --only-pg --pg URL --receivers 2      # two receivers, one database
    (or TEST_DATABASE_URL_PG set: PostgreSQL after SQLite)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard.domain import hj212  # noqa: E402
from dashboard.receiver.simulator import _cp, minute_values  # noqa: E402

START = dt.datetime(2025, 12, 1, 0, 0, tzinfo=hj212.BEIJING)
VALUES_PER_FRAME = 14


def frames_for(mn: str, password: str, first_minute: int, count: int) -> list[tuple[str, bytes]]:
    """``count`` minute frames of one monitor (QN, bytes), each a new minute."""
    values = minute_values(mn, START)
    out = []
    for k in range(first_minute, first_minute + count):
        when = START + dt.timedelta(minutes=k)
        qn = hj212.qn_for(when)
        segment = hj212.build_segment(qn=qn, st="22", cn=2051, pw=password, mn=mn, flag=5,
                                      cp=_cp(when, values, {"a34002", "a34004", "a34001"}))
        out.append((qn, hj212.encode_frame(segment)))
    return out


class Link:
    """One monitor's connection: sends frames, matches answers by QN."""

    def __init__(self, reader, writer, latencies: list[float]):
        self.reader, self.writer, self.latencies = reader, writer, latencies
        self.sent: dict[str, float] = {}
        self.answered = asyncio.Event()
        self.acked = 0
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        deframer = hj212.Deframer()
        while data := await self.reader.read(65536):
            now = time.perf_counter()
            for raw in deframer.feed(data):
                if isinstance(raw, bytes):
                    qn = raw[raw.index(b"QN=") + 3:raw.index(b";")].decode()
                    start = self.sent.pop(qn, None)
                    if start is not None:
                        self.latencies.append(now - start)
                        self.acked += 1
                        self.answered.set()

    def send(self, qn: str, frame: bytes) -> None:
        self.sent[qn] = time.perf_counter()
        self.writer.write(frame)


async def _load(ports: list[int], plan: dict[str, list[tuple[str, bytes]]], rate: float) -> dict[str, float]:
    latencies: list[float] = []
    links = {}
    for k, mn in enumerate(plan):  # the monitors spread over the receivers
        reader, writer = await asyncio.open_connection("127.0.0.1", ports[k % len(ports)])
        links[mn] = Link(reader, writer, latencies)
    total = sum(len(f) for f in plan.values())
    t0 = time.perf_counter()

    async def paced(mn: str, frames, phase: float) -> None:
        link, period = links[mn], len(plan) / rate
        for k, (qn, frame) in enumerate(frames):
            wait = t0 + phase + k * period - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            link.send(qn, frame)

    async def closed(mn: str, frames) -> None:
        link = links[mn]
        for qn, frame in frames:
            link.answered.clear()
            link.send(qn, frame)
            await asyncio.wait_for(link.answered.wait(), 30)

    rng = random.Random(1)
    if rate > 0:
        await asyncio.gather(*(paced(mn, f, rng.random() * len(plan) / rate) for mn, f in plan.items()))
    else:
        await asyncio.gather(*(closed(mn, f) for mn, f in plan.items()))
    deadline = time.perf_counter() + 30
    while sum(link.acked for link in links.values()) < total and time.perf_counter() < deadline:
        await asyncio.sleep(0.005)
    elapsed = (max(time.perf_counter(), t0) - t0)
    acked = sum(link.acked for link in links.values())
    for link in links.values():
        link.writer.close()
        link.task.cancel()
    latencies.sort()
    return {"frames": total, "acked": acked, "elapsed": elapsed, "rate": acked / elapsed,
            "p50": latencies[len(latencies) // 2] * 1000 if latencies else float("nan"),
            "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000 if latencies else float("nan")}


def _prepare(database_url: str, tmp: Path, monitors: int) -> list[tuple[str, str]]:
    from dashboard.services.access import Actor
    from dashboard.services.site_dust import monitor_secrets, register_demo_monitors
    from dashboard.settings import Settings
    from dashboard.store.db import session_scope, upgrade
    from dashboard.store.models import Site, Township

    settings = Settings(data_dir=tmp, database_url=database_url, secret_key="bench", upload_dir=tmp / "uploads")
    upgrade(database_url)
    with session_scope(database_url) as session:
        township = Township(code="t001", name="侯寨乡", kind="township")
        session.add(township)
        session.flush()
        session.add_all(Site(code=f"GD-{i:04d}", name=f"工地{i}", township_id=township.id, site_type="housing")
                        for i in range(1, monitors + 1))
    register_demo_monitors(settings, Actor.system(), monitors)
    return monitor_secrets(settings, Actor.system())


def _serve(database_url: str, tmp: Path) -> tuple[subprocess.Popen, int]:
    env = {**os.environ, "DATABASE_URL": database_url, "DASHBOARD_DATA_DIR": str(tmp), "SECRET_KEY": "bench",
           "PYTHONPATH": str(ROOT)}
    # BENCH_PROFILE="-m cProfile -o FILE" runs the receiver under a profiler.
    server = subprocess.Popen([sys.executable, *os.environ.get("BENCH_PROFILE", "").split(),
                               "-m", "dashboard", "hj212", "serve", "--port", "0",
                               "--stats-every", "3600"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    assert server.stdout is not None
    for line in server.stdout:
        if "listening on" in line:
            return server, int(line.rsplit(":", 1)[1])
    raise RuntimeError("the receiver did not start")


def _cpu(pid: int) -> float:
    """CPU seconds a process and its children (the writer process) have used (user + system,
    all threads; Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            total += _cpu(int(child))
    return total


def _cpus(servers: list[tuple[subprocess.Popen, int]]) -> float:
    return sum(_cpu(server.pid) for server, _ in servers)


def _count(database_url: str) -> int:
    from dashboard.store.db import read_scope
    from dashboard.store.site_dust import reading_count

    with read_scope(database_url) as session:
        return reading_count(session)


def _spread(values: list[float], fmt: str) -> str:
    low, mid, high = (fmt.format(v) for v in (min(values), statistics.median(values), max(values)))
    return f"min {low} / median {mid} / max {high}"


def bench(label: str, database_url: str, tmp: Path, args) -> None:
    pairs = _prepare(database_url, tmp, args.monitors)
    per_monitor = max(1, round(args.rate * args.seconds / len(pairs)))
    burst = max(1, args.saturation_frames // len(pairs))
    minute = 0
    paced, saturated, parse_rates = [], [], []
    servers = [_serve(database_url, tmp) for _ in range(args.receivers)]
    ports = [port for _, port in servers]
    try:
        for run in range(args.runs):
            plan = {}
            for mn, pw in pairs:
                plan[mn] = frames_for(mn, pw, minute, per_monitor)
            minute += per_monitor
            # Baseline: parsing alone, the same frames, this process, one core.
            flat = [frame for frames in plan.values() for _, frame in frames]
            t = time.perf_counter()
            for frame in flat:
                hj212.parse_frame(frame)
            parse_rates.append(len(flat) / (time.perf_counter() - t))
            # The monitors' side must not pause itself: its collector's full passes over the
            # frames held here would add to the answers' measured latency.
            gc.collect()
            gc.freeze()
            cpu = _cpus(servers)
            paced.append(asyncio.run(_load(ports, plan, args.rate)))
            paced[-1]["cpu_us"] = (_cpus(servers) - cpu) / paced[-1]["frames"] * 1e6
            plan = {mn: frames_for(mn, pw, minute, burst) for mn, pw in pairs}
            minute += burst
            cpu = _cpus(servers)
            saturated.append(asyncio.run(_load(ports, plan, 0)))
            saturated[-1]["cpu_us"] = (_cpus(servers) - cpu) / saturated[-1]["frames"] * 1e6
            p, s = paced[-1], saturated[-1]
            print(f"  run {run + 1}: paced {p['acked']}/{p['frames']} answered, {p['rate']:.0f} frames/s, "
                  f"p50 {p['p50']:.1f} ms, p99 {p['p99']:.1f} ms; saturation {s['acked']}/{s['frames']} answered, "
                  f"{s['rate']:.0f} frames/s, p99 {s['p99']:.1f} ms; parse only {parse_rates[-1]:.0f} frames/s; "
                  f"receiver CPU {p['cpu_us']:.0f} / {s['cpu_us']:.0f} µs per frame",
                  flush=True)
    finally:
        for server, _ in servers:
            server.terminate()
        for server, _ in servers:
            server.wait(timeout=30)
    sent = sum(p["frames"] for p in paced) + sum(s["frames"] for s in saturated)
    stored = _count(database_url)
    print(f"{label}: {len(pairs)} monitors, {args.receivers} receiver(s), {args.runs} runs; "
          f"paced at {args.rate:g} frames/s for {args.seconds:g} s")
    print(f"  sustained (paced) answered frames/s: {_spread([p['rate'] for p in paced], '{:.0f}')}")
    print(f"  answer latency p50 ms: {_spread([p['p50'] for p in paced], '{:.1f}')}")
    print(f"  answer latency p99 ms: {_spread([p['p99'] for p in paced], '{:.1f}')}")
    print(f"  saturation answered frames/s: {_spread([s['rate'] for s in saturated], '{:.0f}')}"
          f" (p99 {_spread([s['p99'] for s in saturated], '{:.0f}')} ms)")
    print(f"  receiver CPU per frame (with its writer), paced: {_spread([p['cpu_us'] for p in paced], '{:.0f}')} µs")
    print(f"  baseline, parse only (one core, same frames): {_spread(parse_rates, '{:.0f}')} frames/s; "
          f"sustained = {statistics.median([p['rate'] for p in paced]) / statistics.median(parse_rates):.2f}× "
          f"of parse-only")
    print(f"  stored: {stored} values of {sent} frames × {VALUES_PER_FRAME} = {sent * VALUES_PER_FRAME} "
          f"({'nothing lost' if stored == sent * VALUES_PER_FRAME else 'MISSING ROWS'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--monitors", type=int, default=500)
    parser.add_argument("--rate", type=float, default=2000.0, help="paced load, frames/s")
    parser.add_argument("--seconds", type=float, default=10.0, help="paced load, seconds per run")
    parser.add_argument("--saturation-frames", type=int, default=10_000, help="frames per saturation run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--receivers", type=int, default=1,
                        help="receivers side by side on the same database, the monitors spread over them")
    parser.add_argument("--pg", default=os.environ.get("TEST_DATABASE_URL_PG"),
                        help="PostgreSQL server URL: a throwaway database is created on it")
    parser.add_argument("--only-pg", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-hj212-") as tmp:
        if not args.only_pg:
            bench("SQLite", f"sqlite:///{tmp}/dashboard.db", Path(tmp), args)
        if args.pg:
            from sqlalchemy import create_engine, text
            from sqlalchemy.engine import make_url

            admin = create_engine(make_url(args.pg).set(drivername="postgresql+psycopg"),
                                  isolation_level="AUTOCOMMIT")
            name = f"bench_hj212_{uuid.uuid4().hex[:8]}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            url = make_url(args.pg).set(database=name).render_as_string(hide_password=False)
            try:
                bench("PostgreSQL", url, Path(tmp), args)
            finally:
                from dashboard.store.db import engine_for

                engine_for(url).dispose()
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
