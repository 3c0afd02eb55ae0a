"""The receiver's background check of the dust rules (``services.dust_tasks.check_monitors``).

A dead monitor sends nothing, so nothing that arrives can notice it: every ``every`` seconds
the offline rule is evaluated for every active monitor. The PM10 rules run on arrival; the
check goes over the last complete hours once an hour as well (a few minutes past it, when
late frames are in), for an hour that no arriving frame completed. Runs in the receiver's
rules worker (a process of its own; a thread when none is given), so the event loop keeps
reading and answering; a failure is logged and the next round tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from concurrent.futures import Executor

from dashboard.services import dust_tasks
from dashboard.services.access import Actor
from dashboard.settings import Settings

log = logging.getLogger("dashboard.hj212")

#: Minutes past the hour after which the hourly PM10 check runs.
PM10_AFTER_MINUTES = 5


def _round(settings: Settings, actor: Actor, pm10_done: dt.datetime | None) -> dt.datetime | None:
    now = dt.datetime.now(dt.UTC)
    hour = now.replace(minute=0, second=0, microsecond=0)
    pm10_due = pm10_done != hour and now.minute >= PM10_AFTER_MINUTES
    kinds = ("offline", "pm10_above", "pm10_excess") if pm10_due else ("offline",)
    result = dust_tasks.check_monitors(settings, actor, now, kinds)
    if result.opened:
        log.info("dust rules: %d task(s) opened (%s)", len(result.opened), ", ".join(map(str, result.opened)))
    return hour if pm10_due else pm10_done


async def check_every(settings: Settings, actor: Actor, every: float, stop: asyncio.Event, *,
                      executor: Executor | None = None) -> None:
    """Check until ``stop`` is set, in ``executor`` (None: the event loop's default threads)."""
    loop = asyncio.get_running_loop()
    pm10_done: dt.datetime | None = None
    while not stop.is_set():
        try:
            pm10_done = await loop.run_in_executor(executor, _round, settings, actor, pm10_done)
        except Exception:  # noqa: BLE001 - the receiver must live on
            log.exception("checking the dust monitors failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
