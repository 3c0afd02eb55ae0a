"""Rules of the site dust views: a monitor's health, PM10 above the nearest national station,
and the wind rose's bins. Pure: the analytics hand in frames and times, nothing is read here.

Health. A registered, active monitor is

- ``never``: no frame stored yet;
- ``offline``: the last stored frame is older than ``offline_minutes``;
- ``stuck``: its newest PM10 values (of its finest kind of data) are one identical value
  ``stuck_count`` times or more in a row; a real PM10 sensor jitters from one reading to the
  next, so a flat line is a frozen sensor or a logger repeating its last value;
- ``abnormal``: at least ``ABNORMAL_SHARE`` of its PM10 readings of the last ``HEALTH_HOURS``
  carry another flag than N (maintenance, calibration, fault, …): its numbers say little;
- ``online`` otherwise. A removed monitor is ``removed``. The first state that holds wins, in
  this order: an offline monitor is offline before it is stuck.

Two clocks. The dashboard's "now" is ``clock.now``: the wall clock, or the end of the pinned day
of a demo database. The receiver stamps ``last_seen_at`` with the wall clock. A monitor last seen
after the app's "now" can only be a live monitor talking to a pinned (demo) database; judged
against the pinned moment it would look online for ever, so it is judged against the wall clock
(``reference_time``). In a real database both clocks are the same.

Excess over the nearest station. For each hour both the site and its station have a valid value,
the difference site − station; the site's excess is the mean of those differences, with the
number of hours counted. HJ 212 labels an hour by its start (08:00 = 08:00–09:00) and CNEMC by
its end (09:00 = 08:00–09:00): the caller aligns them before this.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from dashboard.domain.rules import whole_number

VALID_FLAG = "N"
LIMITS_KEY = "site_dust.limits"
#: Bounds of the limits an admin may set: below 5 minutes a monitor sending every minute
#: would flicker offline on one late frame; above a week "offline" no longer means anything.
LIMIT_BOUNDS: dict[str, tuple[int, int]] = {"offline_minutes": (5, 7 * 24 * 60), "stuck_count": (3, 500)}
#: Share of non-N PM10 readings over the last HEALTH_HOURS from which a monitor is "abnormal".
ABNORMAL_SHARE = 0.2
HEALTH_HOURS = 24
STATUSES = ("online", "offline", "stuck", "abnormal", "never", "removed")


@dataclass(frozen=True)
class DustLimits:
    # 30 minutes: a monitor sends minute data every minute and its hour at each full hour, so
    # half an hour of silence is a fault, not a late frame.
    offline_minutes: int = 30
    # 8 identical values in a row: minute data at one decimal repeats by chance about never.
    stuck_count: int = 8

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def parse_limits(text: str | None) -> DustLimits:
    """The stored limits (JSON); a missing, unreadable or out-of-range value counts as its default."""
    try:
        stored = json.loads(text) if text else {}
    except ValueError:
        stored = {}
    if not isinstance(stored, dict):
        stored = {}
    values: dict[str, int] = {}
    for f in fields(DustLimits):
        low, high = LIMIT_BOUNDS[f.name]
        value = stored.get(f.name)
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            values[f.name] = value
    return DustLimits(**values)


def dump_limits(limits: DustLimits) -> str:
    return json.dumps(limits.as_dict(), sort_keys=True)


def check_limits(values: Mapping[str, Any]) -> DustLimits:
    """The limits from a form's values, or ``InvalidRule`` naming the first bad field."""
    return DustLimits(**{name: whole_number(values.get(name), name, *bounds) for name, bounds in LIMIT_BOUNDS.items()})


# --------------------------------------------------------------------------- health
def reference_time(app_now: dt.datetime, wall_now: dt.datetime, last_seen: dt.datetime | None) -> dt.datetime:
    """The moment a monitor's silence is measured to (see the module's "Two clocks")."""
    if last_seen is not None and last_seen > app_now:
        return wall_now
    return app_now


def trailing_run(values: Sequence[float]) -> int:
    """How many of the last values are equal to the very last one, in a row."""
    run = 0
    last = None
    for value in reversed(list(values)):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            break
        if last is None:
            last = value
        elif value != last:
            break
        run += 1
    return run


def monitor_status(*, active: bool, last_seen: dt.datetime | None, app_now: dt.datetime, wall_now: dt.datetime,
                   limits: DustLimits, stuck_run: int, abnormal_share: float | None) -> str:
    """One of ``STATUSES`` (see the module's docstring for the order)."""
    if not active:
        return "removed"
    if last_seen is None:
        return "never"
    silent = reference_time(app_now, wall_now, last_seen) - last_seen
    if silent > dt.timedelta(minutes=limits.offline_minutes):
        return "offline"
    if stuck_run >= limits.stuck_count:
        return "stuck"
    if abnormal_share is not None and abnormal_share >= ABNORMAL_SHARE:
        return "abnormal"
    return "online"


# --------------------------------------------------------------------------- hours
def hourly_from_parts(hourly: pd.DataFrame, finer: pd.DataFrame) -> pd.DataFrame:
    """Hourly values per key from the device's own hours (CN 2061) and, for hours it has not
    sent (the hour still running, a logger that sends minute data only), the mean of its valid
    minute or real-time values in that hour.

    Both frames: ``key`` (a monitor or a site), ``data_time`` (UTC, start of the period),
    ``value``, ``flag``. Only N values count. Returns key, hour (UTC start), value, source
    ("hour" or "minute"), n (values behind it).
    """
    columns = ["key", "hour", "value", "source", "n"]
    parts = []
    own = hourly[hourly["flag"] == VALID_FLAG]
    if not own.empty:
        parts.append(pd.DataFrame({"key": own["key"].to_numpy(), "hour": own["data_time"].to_numpy(),
                                   "value": own["value"].astype(float).to_numpy(), "source": "hour", "n": 1}))
    fine = finer[finer["flag"] == VALID_FLAG]
    if not fine.empty:
        fine = fine.assign(hour=pd.to_datetime(fine["data_time"], utc=True).dt.floor("h"))
        grouped = fine.groupby(["key", "hour"], as_index=False).agg(value=("value", "mean"), n=("value", "size"))
        grouped["source"] = "minute"
        if parts:
            have = set(zip(parts[0]["key"], pd.to_datetime(parts[0]["hour"], utc=True), strict=True))
            grouped = grouped[[(k, h) not in have for k, h in zip(grouped["key"], grouped["hour"], strict=True)]]
        parts.append(grouped[columns])
    if not parts:
        return pd.DataFrame({"key": pd.Series(dtype="int64"), "hour": pd.Series(dtype="datetime64[us, UTC]"),
                             "value": pd.Series(dtype=float), "source": pd.Series(dtype=str),
                             "n": pd.Series(dtype="int64")})
    out = pd.concat([p for p in parts if not p.empty] or parts[:1], ignore_index=True)
    out["hour"] = pd.to_datetime(out["hour"], utc=True)
    return out.sort_values(["key", "hour"]).reset_index(drop=True)[columns]


def excess(site: pd.Series, station: pd.Series) -> tuple[float | None, int]:
    """(mean of site − station over the hours both have, hours counted); (None, 0) without any.
    Both Series are indexed by the same hour labels."""
    both = pd.concat([site.rename("site"), station.rename("station")], axis=1, join="inner").dropna()
    if both.empty:
        return None, 0
    return float((both["site"] - both["station"]).mean()), int(len(both))


# --------------------------------------------------------------------------- wind rose
SECTORS = 16
SECTOR_WIDTH = 360 / SECTORS
#: Wind speed classes (m/s, lower bounds): calm air up to 1 m/s to a strong breeze above 5.
SPEED_CLASSES = (0.0, 1.0, 2.0, 3.0, 5.0)


def sector_of(direction: np.ndarray) -> np.ndarray:
    """The 16-point sector (0 = N, 4 = E, …) of directions in degrees the wind comes from."""
    return (np.floor(((np.asarray(direction, dtype=float) % 360) + SECTOR_WIDTH / 2) / SECTOR_WIDTH) % SECTORS) \
        .astype(int)


def wind_rose_bins(direction: Sequence[float], speed: Sequence[float]) -> pd.DataFrame:
    """Share (%) of observations by sector and speed class: sector, centre (degrees), speed_class
    (index into ``SPEED_CLASSES``), count, share. Pairs with a missing value are left out; every
    sector × class appears (count 0), so the rose keeps its shape."""
    d = np.asarray(direction, dtype=float)
    s = np.asarray(speed, dtype=float)
    ok = np.isfinite(d) & np.isfinite(s) & (s >= 0)
    d, s = d[ok], s[ok]
    sector = sector_of(d)
    klass = np.searchsorted(np.asarray(SPEED_CLASSES), s, side="right") - 1
    counts = np.zeros((SECTORS, len(SPEED_CLASSES)), dtype=int)
    np.add.at(counts, (sector, klass), 1)
    total = max(int(ok.sum()), 1)
    grid = np.indices(counts.shape).reshape(2, -1)
    return pd.DataFrame({
        "sector": grid[0], "centre": grid[0] * SECTOR_WIDTH, "speed_class": grid[1],
        "count": counts.reshape(-1), "share": counts.reshape(-1) / total * 100,
    })
