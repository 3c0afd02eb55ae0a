"""The HJ 212 receiver over real TCP on 127.0.0.1 (an ephemeral port): what it stores, what it
answers, what it refuses, and that nothing stops it. Each test runs its own event loop."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random

import pandas as pd
import pytest
from sqlalchemy import func, select

from dashboard.domain import hj212
from dashboard.receiver.server import Receiver
from dashboard.receiver.simulator import minute_frame, simulate
from dashboard.services import site_dust
from dashboard.services.access import Actor
from dashboard.store.db import session_scope, upgrade
from dashboard.store.models import DustMonitor, DustReading, Site, Township
from tests.conftest import make_settings

MN, PW = "010000A8900016F000169DC0", "100000"
START = dt.datetime(2025, 12, 10, 8, 0, tzinfo=hj212.BEIJING)


def district(settings, sites: int = 1) -> None:
    """A township and ``sites`` sites GD-0001…, straight into the tables (the site services
    are tested elsewhere)."""
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        township = Township(code="t001", name="侯寨乡", kind="township")
        session.add(township)
        session.flush()
        for i in range(1, sites + 1):
            session.add(Site(code=f"GD-{i:04d}", name=f"工地{i}", township_id=township.id, site_type="housing"))


@pytest.fixture
def settings(tmp_path):
    settings = make_settings(tmp_path)
    district(settings)
    site_dust.add_monitor(settings, Actor.system(), MN, "GD-0001", PW)
    return settings


def count(settings) -> int:
    with session_scope(settings.database_url) as session:
        return session.scalar(select(func.count()).select_from(DustReading))


def frame_at(minute: int, *, mn: str = MN, pw: str = PW) -> bytes:
    when = START + dt.timedelta(minutes=minute)
    return minute_frame(mn, pw, when, when + dt.timedelta(minutes=1))[0]


VALUES_PER_MINUTE = 3 * 3 + 5  # PM10, PM2.5, TSP with Min/Avg/Max; wind ×2, temperature, humidity, noise


async def _with_receiver(settings, body, **options):
    receiver = Receiver(settings, "127.0.0.1", 0, **options)
    host, port = await receiver.start()
    try:
        return await body(receiver, host, port)
    finally:
        await receiver.stop()


def run(settings, body, **options):
    return asyncio.run(_with_receiver(settings, body, **options))


async def answers(reader, n: int, timeout: float = 5.0) -> list[hj212.Frame]:
    """Read until ``n`` answers came (or the timeout)."""
    deframer, got = hj212.Deframer(), []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(got) < n:
        try:
            data = await asyncio.wait_for(reader.read(4096), max(0.0, deadline - loop.time()))
        except TimeoutError:
            break
        if not data:
            break
        got += [hj212.parse_frame(raw) for raw in deframer.feed(data) if isinstance(raw, bytes)]
    return got


async def no_answer(reader, wait: float = 0.3) -> bool:
    try:
        data = await asyncio.wait_for(reader.read(4096), wait)
    except TimeoutError:
        return True
    return data == b""


def test_a_frame_is_stored_and_answered_after_it_is_committed(settings):
    frame = frame_at(0)

    async def body(receiver, host, port):
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(frame)
        got = await answers(reader, 1)
        # The answer means "on disk": the rows are there the moment it arrives.
        stored = count(settings)
        writer.close()
        return got, stored

    got, stored = run(settings, body)
    request = hj212.parse_frame(frame)
    assert [(a.cn, a.st, a.qn, a.flag) for a in got] == [(9014, "91", request.qn, 4)]
    assert stored == VALUES_PER_MINUTE
    with session_scope(settings.database_url) as session:
        # Found by an equality on its time: stored exactly as SQLAlchemy writes and compares times.
        row = session.scalars(select(DustReading).where(DustReading.pollutant == "a34002", DustReading.field == "Avg",
                                                        DustReading.data_time == START)).one()
        monitor = session.scalars(select(DustMonitor)).one()
    assert row.cn == 2051 and row.data_time == START.astimezone(dt.UTC) and row.flag in hj212.FLAGS
    assert monitor.last_seen_at is not None


def test_one_changed_byte_fails_the_crc_and_stores_nothing(settings):
    broken = bytearray(frame_at(0))
    broken[40] = ord("9") if broken[40] != ord("9") else ord("8")

    async def body(receiver, host, port):
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(bytes(broken))
        silent = await no_answer(reader)
        writer.close()
        return silent, receiver.stats

    silent, stats = run(settings, body)
    assert silent and stats.malformed["bad_crc"] == 1 and stats.frames == 0
    assert count(settings) == 0


def test_split_glued_and_resent_frames_are_each_stored_once(settings):
    split, glued = frame_at(0), [frame_at(m) for m in (1, 2, 3)]

    async def body(receiver, host, port):
        reader, writer = await asyncio.open_connection(host, port)
        for part in (split[:5], split[5:200], split[200:]):  # one frame in three reads
            writer.write(part)
            await writer.drain()
            await asyncio.sleep(0.05)
        first = await answers(reader, 1)
        after_split = count(settings)
        writer.write(b"".join(glued))  # three frames in one read
        second = await answers(reader, 3)
        after_glued = count(settings)
        writer.write(split + glued[0])  # sent again: answered again, stored once
        third = await answers(reader, 2)
        writer.close()
        return first, after_split, second, after_glued, third

    first, after_split, second, after_glued, third = run(settings, body)
    assert len(first) == 1 and after_split == VALUES_PER_MINUTE
    assert [a.qn for a in second] == [hj212.parse_frame(f).qn for f in glued]
    assert after_glued == 4 * VALUES_PER_MINUTE
    assert len(third) == 2 and count(settings) == 4 * VALUES_PER_MINUTE


def test_a_wrong_password_an_unknown_or_removed_monitor_is_refused(settings):
    site_dust.add_monitor(settings, Actor.system(), "OTHER01", "GD-0001", "222222")
    site_dust.remove_monitor(settings, Actor.system(), "OTHER01")

    async def body(receiver, host, port):
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(frame_at(0, pw="999999") + frame_at(1, mn="NOBODY") + frame_at(2, mn="OTHER01", pw="222222"))
        silent = await no_answer(reader, 0.5)
        writer.close()
        return silent, receiver.stats

    silent, stats = run(settings, body)
    assert silent and count(settings) == 0
    assert stats.refused == {"bad_password": 1, "unknown_mn": 1, "inactive": 1}


def test_200_monitors_over_a_compressed_hour_lose_nothing(tmp_path):
    settings = make_settings(tmp_path)
    district(settings, 200)
    made = site_dust.register_demo_monitors(settings, Actor.system(), 200)
    assert len(made) == 200
    pairs = site_dust.monitor_secrets(settings, Actor.system())

    async def body(receiver, host, port):
        return await simulate(host, port, pairs, start=START, minutes=60, interval=5, speed=0)

    report = run(settings, body)
    frames = 200 * (12 + 1)  # 12 five-minute frames and one hourly frame each
    assert (report.sent, report.acked, report.failed, report.connect_errors) == (frames, frames, 0, 0)
    hourly_values = 7 * 3 + 1  # wind direction is sent as an average only
    assert count(settings) == 200 * (12 * VALUES_PER_MINUTE + hourly_values)
    with session_scope(settings.database_url) as session:
        per_kind = dict(session.execute(select(DustReading.cn, func.count()).group_by(DustReading.cn)).all())
    assert per_kind == {2051: 200 * 12 * VALUES_PER_MINUTE, 2061: 200 * hourly_values}


def garbage(rng: random.Random, good: bytes) -> bytes:
    """One of many kinds of broken frame."""
    kind = rng.randrange(8)
    if kind == 0:
        return os.urandom(rng.randrange(1, 300))
    if kind == 1:  # a byte changed
        broken = bytearray(good)
        i = rng.randrange(6, len(good) - 6)
        broken[i] = (broken[i] + 1) % 128
        return bytes(broken)
    if kind == 2:
        return b"##9999" + os.urandom(50)
    if kind == 3:
        return b"##" + b"x" * 4 + b"\r\n"
    if kind == 4:  # cut short, then a new frame begins
        return good[:rng.randrange(7, len(good) - 3)]
    if kind == 5:  # a valid CRC over a broken segment
        return hj212.encode_frame("QN=1;ST=22;CN=2051;CP=&&&&")
    if kind == 6:
        return hj212.encode_frame(f"ST=22;CN=2051;PW={PW};MN={MN};Flag=5;CP=&&DataTime=20251399000000&&")
    return b"#" * rng.randrange(1, 5) + b"\r\n"


def test_the_receiver_survives_1000_garbage_frames_and_then_stores_a_good_one(settings):
    rng = random.Random(212)
    template = frame_at(30)
    junk = [garbage(rng, template) for _ in range(1000)]
    good = frame_at(0)

    async def body(receiver, host, port):
        reader, writer = await asyncio.open_connection(host, port)
        for i in range(0, 1000, 50):
            writer.write(b"".join(junk[i:i + 50]))
            await writer.drain()
        writer.write(b"\x00" * 300_000)  # oversize garbage: the buffer stays bounded
        writer.write(good)
        got = await answers(reader, 1, timeout=10)
        writer.close()
        # Another monitor can still connect and be answered.
        reader2, writer2 = await asyncio.open_connection(host, port)
        writer2.write(frame_at(1))
        got2 = await answers(reader2, 1)
        writer2.close()
        return got, got2, receiver.stats

    got, got2, stats = run(settings, body)
    assert [a.qn for a in got] == [hj212.parse_frame(good).qn] and len(got2) == 1
    assert count(settings) == 2 * VALUES_PER_MINUTE
    assert sum(stats.malformed.values()) >= 900 and stats.garbage_bytes >= 300_000


def test_an_idle_connection_is_closed(settings):
    async def body(receiver, host, port):
        reader, writer = await asyncio.open_connection(host, port)
        data = await asyncio.wait_for(reader.read(10), 5)
        writer.close()
        return data, receiver.stats.idle_timeouts

    data, timeouts = run(settings, body, idle_timeout=0.2)
    assert data == b"" and timeouts == 1


def test_a_database_error_answers_nothing_and_the_receiver_lives_on(settings, monkeypatch):
    calls = {"n": 0}
    real = site_dust.store_frames

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] <= 2:  # the batch and its retry alone
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(site_dust, "store_frames", flaky)

    async def body(receiver, host, port):
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(frame_at(0))
        silent = await no_answer(reader, 0.5)
        writer.write(frame_at(0))  # the device sends it again
        got = await answers(reader, 1)
        writer.close()
        return silent, got, receiver.stats.db_errors

    silent, got, errors = run(settings, body)
    assert silent and len(got) == 1 and errors == 2 and count(settings) == VALUES_PER_MINUTE


@pytest.mark.postgres
def test_on_postgresql_resent_and_repeated_frames_store_once(pg_url, tmp_path):
    settings = make_settings(tmp_path, database_url=pg_url)
    district(settings)
    site_dust.add_monitor(settings, Actor.system(), MN, "GD-0001", PW)
    frames = [frame_at(0), frame_at(0), frame_at(1)]

    async def body(receiver, host, port):
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"".join(frames))  # the same frame twice in one batch
        first = await answers(reader, 3)
        writer.write(frames[0])
        second = await answers(reader, 1)
        writer.close()
        return first, second

    first, second = run(settings, body)
    assert len(first) == 3 and len(second) == 1
    assert count(settings) == 2 * VALUES_PER_MINUTE
    directory = site_dust.MonitorDirectory(settings)
    parsed = [hj212.parse_frame(f) for f in frames]
    outcomes = site_dust.receive_frames(settings, site_dust.receiver_actor(), parsed, directory)
    assert [o.status for o in outcomes] == ["stored"] * 3 and sum(o.added for o in outcomes) == 0


@pytest.mark.postgres
def test_two_receivers_side_by_side_on_postgresql_store_each_frame_once(pg_url, tmp_path):
    """Several receivers may share one PostgreSQL database (behind a load balancer, a monitor
    resends to whichever answers): every frame is stored once, whichever receiver took it. One
    of the two stores in its own process, as ``hj212 serve`` does."""
    settings = make_settings(tmp_path, database_url=pg_url)
    district(settings)
    site_dust.add_monitor(settings, Actor.system(), MN, "GD-0001", PW)
    frames = [frame_at(minute) for minute in range(30)]

    async def both():
        one, two = (Receiver(settings, "127.0.0.1", 0), Receiver(settings, "127.0.0.1", 0, writer="process"))
        ports = [(await r.start())[1] for r in (one, two)]
        try:
            async def send(port, batch):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(b"".join(batch))
                got = await answers(reader, len(batch), timeout=20)
                writer.close()
                return got

            # Each receiver gets 20 of the 30 frames: the middle 10 go to both.
            return await asyncio.gather(send(ports[0], frames[:20]), send(ports[1], frames[10:]))
        finally:
            for receiver in (one, two):
                await receiver.stop()

    first, second = asyncio.run(both())
    assert len(first) == 20 and len(second) == 20
    assert count(settings) == 30 * VALUES_PER_MINUTE


@pytest.mark.postgres
def test_on_postgresql_the_copy_insert_counts_new_rows_and_keeps_every_value(pg_url, tmp_path):
    """PostgreSQL inserts readings by COPY through a temporary table: it stores each row as given
    (an int value, no flag), counts only new rows, twice in one transaction too."""
    from dashboard.store import site_dust as store

    settings = make_settings(tmp_path, database_url=pg_url)
    district(settings)
    site_dust.add_monitor(settings, Actor.system(), MN, "GD-0001", PW)
    with session_scope(pg_url) as session:
        monitor_id = store.find_monitor(session, MN).id
    base = START.astimezone(dt.UTC)
    rows = [(monitor_id, base + dt.timedelta(minutes=k), 2051, "a34002", "Avg", 60 if k == 0 else k + 0.5,
             None if k % 3 else "N") for k in range(20)]
    with session_scope(pg_url) as session:
        assert store.insert_readings(session, rows) == 20
    with session_scope(pg_url) as session:
        assert store.insert_readings(session, rows[10:] + [(*rows[0][:1], base - dt.timedelta(minutes=1),
                                                            *rows[0][2:])]) == 1
        assert store.insert_readings(session, rows[:5]) == 0
    with session_scope(pg_url) as session:
        frame = store.readings_frame(session, site_code="GD-0001")
    assert len(frame) == 21
    first = frame[frame["data_time"] == base].iloc[0]
    assert first["value"] == 60.0 and first["flag"] == "N"
    assert pd.isna(frame[frame["data_time"] == base + dt.timedelta(minutes=1)].iloc[0]["flag"])


def test_readings_of_an_unknown_monitor_are_not_stored(tmp_path):
    """The readings table has no foreign key (speed): the insert itself refuses rows whose monitor
    does not exist, on either database, and stores the others."""
    from dashboard.store import site_dust as store

    settings = make_settings(tmp_path)
    district(settings)
    site_dust.add_monitor(settings, Actor.system(), MN, "GD-0001", PW)
    with session_scope(settings.database_url) as session:
        monitor_id = store.find_monitor(session, MN).id
    when = START.astimezone(dt.UTC)
    rows = [(monitor_id, when, 2051, "a34002", "Avg", 61.5, "N"),
            (monitor_id + 99, when, 2051, "a34002", "Avg", 70.0, "N")]
    with session_scope(settings.database_url) as session:
        assert store.insert_readings(session, rows) == 1
    with session_scope(settings.database_url) as session:
        assert store.reading_count(session) == 1
