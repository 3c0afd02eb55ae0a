"""The HJ 212-2017 receiver: an asyncio TCP server for site dust monitors.

One task per connection cuts the byte stream into frames (``domain.hj212.Deframer``: frames
split over reads, glued together, garbage between them, a bounded buffer) and queues them for
the writer. One writer task takes what is queued and, in the writer's process, checks each
frame (CRC, data segment), stores the good ones in one transaction (``services.site_dust.store_frames``, in a process of
its own, or a thread, so the event loop keeps reading), and only then answers: an accepted upload whose
Flag asks for an answer gets its 9014 data answer after its batch is committed, so an answer
means the frame is on disk (group commit: while one batch commits, the next one gathers). The dust rules for the hours
the stored frames completed are evaluated apart, in a worker of their own (a process beside the
writer's), with the periodic check of every monitor: an evaluation over hundreds of monitors
takes up to a second, and answers must not wait for it.

A malformed frame, a wrong MN/PW pair, an idle connection or a database error is logged
(rate-limited) and counted; none of them stops the server. A frame that is refused or could
not be stored gets no answer, so the device sends it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import gc
import logging
import multiprocessing
import signal
import sys
from collections import Counter
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import NamedTuple

from dashboard.domain import hj212
from dashboard.receiver import checks
from dashboard.services import dust_tasks, site_dust
from dashboard.services.access import Actor
from dashboard.settings import Settings
from dashboard.store.db import checkpoint_apart

log = logging.getLogger("dashboard.hj212")

READ_SIZE = 1 << 16
#: A monitor sends at least every 10 minutes (minute data) or every hour; a connection silent
#: for longer than this is dead (NAT timeouts leave half-open sockets behind).
IDLE_TIMEOUT = 900.0
#: Frames per transaction at most.
BATCH_MAX = 1000
#: Log the first few of each kind of problem, then every n-th, so that one broken device
#: cannot fill the disk.
LOG_FIRST, LOG_EVERY = 20, 1000


@dataclass
class Stats:
    """What the receiver has done since it started."""

    connections: int = 0
    open_connections: int = 0
    frames: int = 0          # well-formed frames received
    stored: int = 0          # frames whose batch was committed (resent ones included)
    rows_added: int = 0
    acks: int = 0
    batches: int = 0
    evaluations: int = 0     # rule evaluations for the hours that stored frames completed
    idle_timeouts: int = 0
    garbage_bytes: int = 0
    malformed: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    db_errors: int = 0

    def summary(self) -> str:
        malformed = ", ".join(f"{k} {v}" for k, v in sorted(self.malformed.items())) or "none"
        refused = ", ".join(f"{k} {v}" for k, v in sorted(self.refused.items())) or "none"
        return (f"connections {self.connections} ({self.open_connections} open), frames {self.frames}, "
                f"stored {self.stored} ({self.rows_added} new values, {self.batches} transactions), "
                f"answers {self.acks}, rule evaluations {self.evaluations}, "
                f"malformed {sum(self.malformed.values())} ({malformed}), "
                f"refused {sum(self.refused.values())} ({refused}), idle timeouts {self.idle_timeouts}, "
                f"garbage bytes {self.garbage_bytes}, database errors {self.db_errors}")


# --- the writer's side: in a process of its own (``writer="process"``) or a thread -------------
@dataclass
class _WriterState:
    settings: Settings
    actor: Actor
    directory: site_dust.MonitorDirectory


def _writer_state_for(settings: Settings) -> _WriterState:
    return _WriterState(settings, site_dust.receiver_actor(), site_dust.MonitorDirectory(settings))


# The writer process's state, set when it starts (a thread writer passes its receiver's own).
_process_state: list[_WriterState] = []


def _writer_start(settings: Settings) -> None:
    checkpoint_apart(settings.database_url)
    _process_state[:] = [_writer_state_for(settings)]
    _freeze_garbage_collector()


def _freeze_garbage_collector() -> None:
    """Leave the objects of start-up (the imported libraries: hundreds of thousands) out of the
    collector's full passes: with them, a gen-2 collection stopped the event loop for 130 ms in
    the middle of the load, and answers with it."""
    gc.collect()
    gc.freeze()


def _writer_ready() -> bool:
    return True


class Result(NamedTuple):
    """What became of one frame in the writer; small, as it crosses back from its process."""

    status: str  # an ``Outcome`` status, or "malformed"
    added: int = 0
    answer: bytes | None = None  # the 9014 answer to send (an accepted upload that asked for one)
    what: str = ""  # malformed: the error's code; refused: "MN=… CN=…"
    detail: str = ""  # malformed: the error in words

    @property
    def accepted(self) -> bool:
        return self.status in site_dust.ACCEPTED


def _store_batch(raws: list[bytes], received: dt.datetime,
                 state: _WriterState | None = None) -> tuple[list[Result], dict[int, set[dt.datetime]]]:
    """Check each frame (CRC, data segment) and store the good ones in one transaction (raises
    if it fails). The event loop only cuts frames from the stream: parsing here, in the
    writer's process, leaves it the CPU it needs to read and answer."""
    from dashboard.ingest.hj212 import describe

    state = state or _process_state[0]
    frames: list[hj212.Frame] = []
    results: list[Result | None] = []
    for raw in raws:
        try:
            frames.append(hj212.parse_frame(raw))
            results.append(None)
        except hj212.FrameError as exc:
            results.append(Result("malformed", what=exc.code, detail=describe(exc)))
    batch = site_dust.store_frames(state.settings, state.actor, frames, state.directory, received)
    stored = iter(zip(frames, batch.outcomes, strict=True))
    out = []
    for result in results:
        if result is None:
            frame, outcome = next(stored)
            if outcome.accepted:
                result = Result(outcome.status, outcome.added, hj212.data_ack(frame) if frame.needs_data_ack else None)
            else:
                result = Result(outcome.status, what=f"MN={frame.mn} CN={frame.cn}")
        out.append(result)
    return out, batch.completed


def _store_each(raws: list[bytes], received: dt.datetime,
                state: _WriterState | None = None) -> tuple[list[Result | None], dict[int, set[dt.datetime]]]:
    """After a failed batch: each frame alone, so one bad frame cannot sink the others (None:
    this frame could not be stored; the reason is logged here, where the exception is)."""
    results: list[Result | None] = []
    completed: dict[int, set[dt.datetime]] = {}
    for raw in raws:
        try:
            stored, done = _store_batch([raw], received, state)
        except Exception as exc:  # noqa: BLE001
            log.error("frame %s… not stored: %s", raw[:60].decode("latin-1"), exc.__class__.__name__)
            results.append(None)
            continue
        results += stored
        _merge_hours(completed, done)
    return results, completed


def _merge_hours(into: dict[int, set[dt.datetime]], more: dict[int, set[dt.datetime]]) -> None:
    for monitor_id, hours in more.items():
        into.setdefault(monitor_id, set()).update(hours)


class Receiver:
    """The server. ``await start()``, then ``await wait_closed()`` or ``await stop()``.

    ``writer="process"`` stores in a process of its own: the event loop then has a core and the
    GIL to itself for reading and answering, and the inserts run on the other core (what lets
    2,000 frames/s be answered quickly on a 2-core machine). ``"thread"`` keeps one process
    (the tests, which replace the store to simulate failures, use it)."""

    def __init__(self, settings: Settings, host: str = "127.0.0.1", port: int = 8212, *,
                 idle_timeout: float = IDLE_TIMEOUT, batch_max: int = BATCH_MAX, linger: float = 0.0,
                 writer: str = "thread"):
        self.settings, self.host, self.port = settings, host, port
        self.idle_timeout, self.batch_max, self.linger = idle_timeout, batch_max, linger
        self.stats = Stats()
        self._queue: asyncio.Queue[tuple[bytes, asyncio.Future[Result]]] = asyncio.Queue()
        self._db: Executor
        self.rules: Executor  # the dust rules' worker (``evaluate_completed``, ``checks``)
        self._state: _WriterState | None = None
        if writer == "process":
            # spawn: a fresh interpreter, nothing of the event loop's state (sockets, threads) forked.
            spawn = multiprocessing.get_context("spawn")
            self._db = ProcessPoolExecutor(max_workers=1, mp_context=spawn,
                                           initializer=_writer_start, initargs=(settings,))
            self.rules = ProcessPoolExecutor(max_workers=1, mp_context=spawn)
        elif writer == "thread":
            self._state = _writer_state_for(settings)
            self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hj212-writer")
            self.rules = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hj212-rules")
        else:
            raise ValueError(f"writer must be 'process' or 'thread', not {writer!r}")
        self._due_hours: dict[int, set[dt.datetime]] = {}
        self._due_at: dt.datetime | None = None
        self._rules_task: asyncio.Task[None] | None = None
        self._server: asyncio.base_events.Server | None = None
        self._writer_task: asyncio.Task[None] | None = None
        self._clients: set[asyncio.Task[None]] = set()
        self._logged: Counter[str] = Counter()

    # ----------------------------------------------------------------------- lifecycle
    async def start(self) -> tuple[str, int]:
        """Listen; returns the address actually bound (port 0 picks a free one)."""
        # A writer process starts at its first task: start it now, not with the first frame.
        await asyncio.get_running_loop().run_in_executor(self._db, _writer_ready)
        self._writer_task = asyncio.create_task(self._writer(), name="hj212-writer")
        self._server = await asyncio.start_server(self._client, self.host, self.port, limit=READ_SIZE,
                                                  backlog=1024)
        host, port = self._server.sockets[0].getsockname()[:2]
        self.port = port
        return host, port

    async def stop(self) -> None:
        """Stop listening, close the connections, store what is queued, stop the writer."""
        if self._server is not None:
            self._server.close()
        for task in list(self._clients):
            task.cancel()
        if self._clients:
            await asyncio.gather(*self._clients, return_exceptions=True)
        while not self._queue.empty():
            await asyncio.sleep(0.01)
        if self._writer_task is not None:
            self._writer_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer_task
        self._db.shutdown(wait=True)
        if self._rules_task is not None:  # what the stored frames made due is evaluated
            await self._rules_task
        self.rules.shutdown(wait=True)

    # ----------------------------------------------------------------------- connections
    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._clients.add(task)
        peer = writer.get_extra_info("peername")
        where = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        self.stats.connections += 1
        self.stats.open_connections += 1
        deframer = hj212.Deframer()
        try:
            while True:
                try:
                    # asyncio.timeout, not wait_for: wait_for wraps every read in a task of its own.
                    async with asyncio.timeout(self.idle_timeout):
                        data = await reader.read(READ_SIZE)
                except TimeoutError:
                    self.stats.idle_timeouts += 1
                    self._note("idle", f"{where}: idle for {self.idle_timeout:g} s, closed")
                    break
                if not data:
                    break
                garbage = deframer.garbage_bytes
                pending = self._take(deframer.feed(data), where)
                self.stats.garbage_bytes += deframer.garbage_bytes - garbage
                if pending and await self._answer(pending, writer, where):
                    await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            self._note("connection", f"{where}: {exc.__class__.__name__}")
        except asyncio.CancelledError:
            pass
        finally:
            self.stats.open_connections -= 1
            self._clients.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    def _take(self, items: list[bytes | hj212.FrameError], where: str) -> list[asyncio.Future[Result]]:
        """Queue each frame cut from the stream for the writer."""
        loop = asyncio.get_running_loop()
        pending = []
        for item in items:
            if isinstance(item, hj212.FrameError):
                from dashboard.ingest.hj212 import describe

                self._malformed(item.code, describe(item), where)
                continue
            future: asyncio.Future[Result] = loop.create_future()
            self._queue.put_nowait((item, future))
            pending.append(future)
        return pending

    async def _answer(self, pending: list[asyncio.Future[Result]], writer: asyncio.StreamWriter, where: str) -> bool:
        """Wait for each frame's batch, then answer those that asked (in their order)."""
        wrote = False
        for future in pending:
            try:
                result = await future
            except Exception:  # the batch could not be stored: no answer, the device resends
                continue
            if result.status == "malformed":
                self._malformed(result.what, result.detail, where)
                continue
            self.stats.frames += 1
            if not result.accepted:
                self.stats.refused[result.status] += 1
                self._note(result.status, f"{where}: {result.what} refused: {result.status}")
                continue
            if result.answer is not None:
                writer.write(result.answer)
                self.stats.acks += 1
                wrote = True
        return wrote

    def _malformed(self, code: str, detail: str, where: str) -> None:
        self.stats.malformed[code] += 1
        self._note(code, f"{where}: malformed frame: {detail}")

    def _note(self, key: str, message: str) -> None:
        self._logged[key] += 1
        n = self._logged[key]
        if n <= LOG_FIRST or n % LOG_EVERY == 0:
            suffix = f" ({n} so far)" if n > LOG_FIRST else ""
            log.warning("%s%s", message, suffix)

    # ----------------------------------------------------------------------- the writer
    async def _writer(self) -> None:
        loop = asyncio.get_running_loop()
        queue = self._queue
        while True:
            batch = [await queue.get()]
            if self.linger:
                await asyncio.sleep(self.linger)
            while len(batch) < self.batch_max and not queue.empty():
                batch.append(queue.get_nowait())
            raws = [raw for raw, _ in batch]
            received = dt.datetime.now(dt.UTC)
            outcomes: list[Result | None]
            try:
                stored, completed = await self._run(loop, _store_batch, raws, received)
                outcomes = list(stored)
                self.stats.batches += 1
            except Exception as exc:  # noqa: BLE001 - the server must live on
                self.stats.db_errors += 1
                log.error("storing a batch of %d frames failed: %s: %s", len(raws), exc.__class__.__name__,
                          str(exc).splitlines()[0][:300] if str(exc) else "")
                outcomes, completed = await self._run(loop, _store_each, raws, received)
                self.stats.batches += sum(o is not None for o in outcomes)
                self.stats.db_errors += sum(o is None for o in outcomes)
            if completed:
                self._rules_due(completed, received)
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if outcome is not None and outcome.status == "stored":
                    self.stats.stored += 1
                    self.stats.rows_added += outcome.added
                if future.done():
                    continue
                if outcome is None:
                    future.set_exception(RuntimeError("not stored"))
                    future.exception()  # retrieved: a cancelled client must not warn
                else:
                    future.set_result(outcome)

    # ----------------------------------------------------------------------- the rules
    def _rules_due(self, completed: dict[int, set[dt.datetime]], received: dt.datetime) -> None:
        """Note hours to evaluate; one evaluation runs at a time, and what comes due meanwhile
        is evaluated together after it (hundreds of monitors completing an hour at once)."""
        _merge_hours(self._due_hours, completed)
        self._due_at = received
        if self._rules_task is None or self._rules_task.done():
            self._rules_task = asyncio.create_task(self._evaluate_due(), name="hj212-rules")

    async def _evaluate_due(self) -> None:
        loop = asyncio.get_running_loop()
        while self._due_hours:
            hours, self._due_hours = self._due_hours, {}
            try:
                await loop.run_in_executor(self.rules, dust_tasks.evaluate_completed, self.settings,
                                           site_dust.receiver_actor(), hours, self._due_at)
                self.stats.evaluations += 1
            except Exception as exc:  # noqa: BLE001 - the periodic check catches up
                log.error("evaluating the dust rules for %d monitor(s) failed: %s", len(hours),
                          exc.__class__.__name__)

    async def _run(self, loop, function, *args):
        """Database work in the writer (its own process or thread): a slow commit (a lock held
        by an import) must not stop the event loop from reading and answering the other monitors."""
        if self._state is not None:
            function = functools.partial(function, state=self._state)
        return await loop.run_in_executor(self._db, function, *args)


async def serve(settings: Settings, host: str, port: int, *, idle_timeout: float = IDLE_TIMEOUT,
                stats_every: float = 60.0, check_every: float = 60.0, ready=None, writer: str = "process") -> Stats:
    """Run a receiver until SIGINT or SIGTERM; log the counts every ``stats_every`` seconds and
    check the monitors against the dust rules every ``check_every`` (``receiver.checks``)."""
    if writer == "thread":
        # The event loop and the writer thread share the GIL; a shorter switch interval than the
        # default 5 ms keeps a thread that wants it (to answer, to read) from waiting that long.
        sys.setswitchinterval(0.001)
    receiver = Receiver(settings, host, port, idle_timeout=idle_timeout, writer=writer)
    bound = await receiver.start()
    _freeze_garbage_collector()
    if ready is not None:
        ready(bound)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    checker = asyncio.create_task(checks.check_every(settings, site_dust.receiver_actor(), check_every, stop,
                                                     executor=receiver.rules), name="dust-checks")
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), stats_every)
            log.info("%s", receiver.stats.summary())
    finally:
        stop.set()
        await checker
        await receiver.stop()
    return receiver.stats
