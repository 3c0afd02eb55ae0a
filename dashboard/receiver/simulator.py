"""A simulator of site dust monitors speaking HJ 212-2017 to a receiver.

Each monitor keeps one TCP connection and sends, like a real data logger, minute data (CN
2051) every ``interval`` minutes and hourly data (CN 2061) at each full hour: PM10, PM2.5,
TSP, wind speed and direction, temperature, humidity and noise, each with its data flag,
Flag=5 (HJ 212-2017, answer wanted) and a valid CRC. It waits for each frame's 9014 answer
and sends the frame again when none comes (``retries`` times), as a logger does.

Values are made up but plausible for a winter construction site (deterministic per MN and
time): particulates with a morning and evening peak around a level of the site's own, PM2.5
about half of PM10 and TSP about 1.6 times, a daily temperature cycle with humidity moving
against it, louder days than nights. About one minute in two hundred carries another flag
than N (maintenance, calibration, fault, comms). Times are labelled by the start of their
period (minute data of 08:00-08:01 has DataTime 08:00:00; hourly data of 08:00-09:00 08:00:00).

``speed`` compresses time: 60 sends an hour's data in a minute; 0 sends as fast as the
answers come back.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import math
import random
import time
import zlib
from dataclasses import dataclass, field

from dashboard.domain import hj212

ST_DUST = "22"  # 空气质量监测 (Table 5): what site dust monitors commonly send
MINUTE_FIELDS = ("a34002", "a34004", "a34001")  # with Min/Avg/Max; the rest Avg only
FLAG_NOISE = ("M", "C", "D", "B")


@dataclass
class SimReport:
    monitors: int = 0
    sent: int = 0
    acked: int = 0
    resent: int = 0
    failed: int = 0
    connect_errors: int = 0
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0

    def summary(self) -> str:
        lat = sorted(self.latencies)
        p50 = lat[len(lat) // 2] * 1000 if lat else float("nan")
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else float("nan")
        rate = self.acked / self.elapsed if self.elapsed else 0.0
        return (f"{self.monitors} monitors: {self.sent} frames sent, {self.acked} answered, {self.resent} resent, "
                f"{self.failed} never answered, {self.connect_errors} connection errors; {self.elapsed:.1f} s "
                f"({rate:.0f} frames/s), answer latency p50 {p50:.1f} ms, p99 {p99:.1f} ms")


def _rng(mn: str, minute: int) -> random.Random:
    return random.Random(zlib.crc32(mn.encode()) * 1_000_003 + minute)


@dataclass(frozen=True)
class Episode:
    """A dust episode played on purpose: monitor ``mn``'s PM10 (and TSP) times ``factor`` from
    ``start`` until ``end``, e.g. to watch an exceedance open a 待核查 task."""

    mn: str
    start: dt.datetime
    end: dt.datetime
    factor: float = 3.5

    def boost(self, mn: str, when: dt.datetime) -> float:
        return self.factor if mn == self.mn and self.start <= when < self.end else 1.0


def minute_values(mn: str, when: dt.datetime, episode: Episode | None = None,
                  ) -> dict[str, tuple[float, float, float, str]]:
    """Code -> (min, avg, max, flag) of one minute of monitor ``mn`` starting at ``when``."""
    local = when.astimezone(hj212.BEIJING)
    minute = int(when.timestamp() // 60)
    site = random.Random(zlib.crc32(mn.encode()))
    level = site.uniform(55, 140)
    rng = _rng(mn, minute)
    hour = local.hour + local.minute / 60
    # Morning (8 h) and evening (20 h) peaks, a clean afternoon.
    diurnal = 1 + 0.35 * math.exp(-((hour - 8) ** 2) / 6) + 0.45 * math.exp(-((hour - 20.5) ** 2) / 8) \
        - 0.2 * math.exp(-((hour - 15) ** 2) / 6)
    pm10 = max(5.0, level * diurnal * (1 + 0.12 * rng.gauss(0, 1)))
    pm25 = pm10 * site.uniform(0.45, 0.65) * (1 + 0.05 * rng.gauss(0, 1))
    # Construction dust is coarse: an episode raises PM10 and TSP, hardly PM2.5.
    boost = episode.boost(mn, when) if episode is not None else 1.0
    pm10 *= boost
    tsp = pm10 * site.uniform(1.45, 1.85) * (1 + 0.05 * rng.gauss(0, 1))
    temp = 3 + 5 * math.sin((hour - 9) / 24 * 2 * math.pi) + rng.gauss(0, 0.3)
    humidity = min(98.0, max(15.0, 62 - 4 * (temp - 3) + rng.gauss(0, 2)))
    wind = max(0.0, 1.8 + 1.2 * math.sin((hour - 6) / 24 * 2 * math.pi) + rng.gauss(0, 0.5))
    direction = (site.uniform(0, 360) + rng.gauss(0, 25)) % 360
    working = 7 <= local.hour < 22
    noise = (62 if working else 46) + rng.gauss(0, 3)
    flag = "N" if rng.random() > 0.005 else rng.choice(FLAG_NOISE)

    def spread(value: float, rel: float) -> tuple[float, float, float]:
        return value * (1 - rel * rng.random()), value, value * (1 + rel * rng.random())

    values = {
        "a34002": (*spread(pm10, 0.2), flag),
        "a34004": (*spread(pm25, 0.2), flag),
        "a34001": (*spread(tsp, 0.2), flag),
        "a01007": (*spread(wind, 0.3), "N"),
        "a01008": (direction, direction, direction, "N"),
        "a01001": (*spread(temp, 0.0), "N"),
        "a01002": (*spread(humidity, 0.0), "N"),
        "LA": (*spread(noise, 0.05), "N"),
    }
    return values


def _cp(when: dt.datetime, values: dict[str, tuple[float, float, float, str]], full: set[str]) -> str:
    groups = [f"DataTime={hj212.format_data_time(when)}"]
    for code, (low, avg, high, flag) in values.items():
        if code in full:
            groups.append(f"{code}-Min={low:.1f},{code}-Avg={avg:.1f},{code}-Max={high:.1f},{code}-Flag={flag}")
        else:
            groups.append(f"{code}-Avg={avg:.1f},{code}-Flag={flag}")
    return ";".join(groups)


def minute_frame(mn: str, password: str, when: dt.datetime, sent_at: dt.datetime,
                 episode: Episode | None = None) -> tuple[bytes, str]:
    """The 2051 frame of the minute starting at ``when`` and its QN."""
    qn = hj212.qn_for(sent_at)
    segment = hj212.build_segment(qn=qn, st=ST_DUST, cn=2051, pw=password, mn=mn, flag=5,
                                  cp=_cp(when, minute_values(mn, when, episode), set(MINUTE_FIELDS)))
    return hj212.encode_frame(segment), qn


def hourly_frame(mn: str, password: str, hour_start: dt.datetime, interval: int,
                 sent_at: dt.datetime, episode: Episode | None = None) -> tuple[bytes, str]:
    """The 2061 frame of the hour starting at ``hour_start``, summed up from the minute data
    the monitor sent (valid N minutes only; flag N when there are any)."""
    samples = [minute_values(mn, hour_start + dt.timedelta(minutes=m), episode) for m in range(0, 60, interval)]
    values: dict[str, tuple[float, float, float, str]] = {}
    for code in samples[0]:
        valid = [s[code] for s in samples if s[code][3] == "N"] or [s[code] for s in samples]
        flag = "N" if valid[0][3] == "N" else valid[0][3]
        if code == "a01008":  # a direction is averaged as a vector
            rad = [math.radians(v[1]) for v in valid]
            avg = math.degrees(math.atan2(sum(map(math.sin, rad)), sum(map(math.cos, rad)))) % 360
            values[code] = (min(v[1] for v in valid), avg, max(v[1] for v in valid), flag)
        else:
            values[code] = (min(v[0] for v in valid), sum(v[1] for v in valid) / len(valid),
                            max(v[2] for v in valid), flag)
    qn = hj212.qn_for(sent_at + dt.timedelta(milliseconds=1))
    segment = hj212.build_segment(qn=qn, st=ST_DUST, cn=2061, pw=password, mn=mn, flag=5,
                                  cp=_cp(hour_start, values, set(values) - {"a01008"}))
    return hj212.encode_frame(segment), qn


async def _await_ack(reader: asyncio.StreamReader, deframer: hj212.Deframer, qn: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        for item in deframer.feed(b""):
            if isinstance(item, bytes):
                with contextlib.suppress(hj212.FrameError):
                    answer = hj212.parse_frame(item)
                    if answer.cn == hj212.DATA_ACK_CN and answer.qn == qn:
                        return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        try:
            data = await asyncio.wait_for(reader.read(4096), left)
        except TimeoutError:
            return False
        if not data:
            raise ConnectionError("closed by the receiver")
        deframer.buffer += data


async def _monitor(host: str, port: int, mn: str, password: str, start: dt.datetime, minutes: int,
                   interval: int, speed: float, t0: float, report: SimReport, ack_timeout: float,
                   retries: int, episode: Episode | None) -> None:
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        report.connect_errors += 1
        report.failed += len(range(0, minutes, interval)) + minutes // 60
        return
    deframer = hj212.Deframer()

    async def send(frame: bytes, qn: str) -> None:
        for attempt in range(retries + 1):
            sent = time.perf_counter()
            writer.write(frame)
            await writer.drain()
            report.sent += 1
            report.resent += attempt > 0
            if await _await_ack(reader, deframer, qn, ack_timeout):
                report.acked += 1
                report.latencies.append(time.perf_counter() - sent)
                return
        report.failed += 1

    try:
        for step in range(0, minutes, interval):
            when = start + dt.timedelta(minutes=step)
            due = when + dt.timedelta(minutes=interval)  # a period's data is sent when it ends
            if speed > 0:
                wait = t0 + (due - start).total_seconds() / speed - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
            frame, qn = minute_frame(mn, password, when, due, episode)
            await send(frame, qn)
            if due.astimezone(hj212.BEIJING).minute == 0 and due - dt.timedelta(hours=1) >= start:
                frame, qn = hourly_frame(mn, password, due - dt.timedelta(hours=1), interval, due, episode)
                await send(frame, qn)
    except (ConnectionError, OSError):
        report.connect_errors += 1
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def simulate(host: str, port: int, monitors: list[tuple[str, str]], *, start: dt.datetime,
                   minutes: int = 60, interval: int = 1, speed: float = 60.0, ack_timeout: float = 10.0,
                   retries: int = 3, episode: Episode | None = None) -> SimReport:
    """Play ``monitors`` ((MN, password) pairs) for ``minutes`` simulated minutes from ``start``."""
    if interval < 1 or 60 % interval:
        raise ValueError("interval must divide an hour (1, 2, 3, 5, 10, 15, 20, 30 or 60 minutes)")
    report = SimReport(monitors=len(monitors))
    t0 = time.monotonic()
    await asyncio.gather(*(_monitor(host, port, mn, pw, start, minutes, interval, speed, t0, report,
                                    ack_timeout, retries, episode) for mn, pw in monitors))
    report.elapsed = time.monotonic() - t0
    return report
