"""Site dust monitors' exceedances that start work: the rules, the hourly values they read,
and when an episode opens a 待核查 (to be checked) task. Pure: no SQL, no clock.

The rules are data (``app_settings`` key ``dust.rules``, edited on the admin rules tab), one
per kind:

``pm10_above``  the site's hourly PM10 above ``limit`` µg/m³ for ``hours`` consecutive hours.
                Default 150 for 2 h: 150 µg/m³ is GB 3095-2012's grade II 24-hour PM10 limit
                and the IAQI 100 breakpoint, where 轻度污染 begins; a monitor on a site fence
                reads the site's own dust on top of the city's, so an hourly mean above it for
                two full hours is not one truck passing but a working practice (uncovered
                stockpile, dry earthwork) that an inspector can see.
``pm10_excess`` the site's hourly PM10 at least ``margin`` µg/m³ above the same hour at the
                nearest national station for ``hours`` consecutive hours. Default 80 for 3 h:
                the station carries the regional haze the site sits in, so the excess is the
                site's own share; site monitors (light scattering) read some 30 % off the
                reference method in humid winter haze, about 30-50 µg/m³ at a typical 100-150
                background, and 80 lies well beyond that; three hours because an excess is
                judged against another instrument and a short mismatch proves little.
``offline``     no frame from an active monitor for more than ``minutes``. Default 60: a
                monitor sends minute data every 1-10 minutes and hourly data every hour, so an
                hour of silence has already lost an hourly value, and a monitor switched off
                is how dust is hidden.

Hourly values (``hourly_pm10``): an hour is labelled by its start (HJ 212's DataTime). The
monitor's own hourly data (CN 2061, a34002-Avg) is used where it was sent, and is valid only
with flag N. Without it, the mean of the hour's valid (flag N) minute data (CN 2051,
a34002-Avg) is used when they cover at least 45 minutes (HJ 663-2013's rule for an hourly
mean: at least 45 minutes of data), i.e. at least ceil(45 / interval) values, the interval
being the monitor's usual spacing of minute data in the window (1, 5, 10… minutes). A hour
without a valid value neither breaches nor continues a run.

Episodes: a run of consecutive breaching hours. A run of at least ``hours`` opens a task
unless the site already has an open task of that kind (one task per site and kind at a time;
the run is then added to it) or the run continues the episode of the latest task (no break
of an hour since its last breaching hour; this holds after the task was closed too, so one
episode never opens two tasks). An offline episode is one silence, from the last frame (or
from the monitor's registration, if it never sent one).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dashboard.domain.coords import distance_km
from dashboard.domain.rules import InvalidRule, whole_number

PM10 = "a34002"
VALID_FLAG = "N"
HOUR = dt.timedelta(hours=1)
#: HJ 663-2013: an hourly mean needs at least 45 minutes of data.
MIN_MINUTES_PER_HOUR = 45
#: A station farther than this says nothing about a site (as for a township's stations).
MAX_STATION_KM = 20.0

KINDS = ("pm10_above", "pm10_excess", "offline")
#: The number fields of each kind, in the order the admin form shows them.
FIELDS: dict[str, tuple[str, ...]] = {"pm10_above": ("limit", "hours"), "pm10_excess": ("margin", "hours"),
                                      "offline": ("minutes",)}
#: Whole numbers only. A limit below 50 would open tasks on clean days (IAQI 50 is 优);
#: runs longer than a day are no longer an episode an inspection answers; an offline limit
#: under 10 minutes would fire between two 10-minute frames.
BOUNDS: dict[str, tuple[int, int]] = {"limit": (50, 1000), "margin": (10, 500), "hours": (1, 24),
                                      "minutes": (10, 7 * 24 * 60)}


@dataclass(frozen=True)
class DustRule:
    kind: str
    enabled: bool = True
    limit: int | None = None    # pm10_above, µg/m³
    margin: int | None = None   # pm10_excess, µg/m³ above the station
    hours: int | None = None    # pm10_*: consecutive hours
    minutes: int | None = None  # offline

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "enabled": self.enabled,
                **{name: getattr(self, name) for name in FIELDS[self.kind]}}


DEFAULT_RULES: tuple[DustRule, ...] = (
    DustRule("pm10_above", limit=150, hours=2),
    DustRule("pm10_excess", margin=80, hours=3),
    DustRule("offline", minutes=60),
)


def default_rule(kind: str) -> DustRule:
    return next(r for r in DEFAULT_RULES if r.kind == kind)


def check_rule(entry: object) -> DustRule:
    """One rule from a form's ``{kind, enabled, <fields>}``, or ``InvalidRule`` (``field`` is
    ``<kind>.<name>``)."""
    if not isinstance(entry, Mapping) or entry.get("kind") not in KINDS:
        raise InvalidRule("unknown_kind", field="kind")
    kind = str(entry["kind"])
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise InvalidRule("missing", field=f"{kind}.enabled")
    numbers = {name: whole_number(entry.get(name), f"{kind}.{name}", *BOUNDS[name]) for name in FIELDS[kind]}
    return DustRule(kind, enabled, **numbers)


def check_dust_rules(values: object) -> tuple[DustRule, ...]:
    """The rules from a form (a list of ``{kind, enabled, <fields>}``), or ``InvalidRule`` for
    the first bad one. Every kind must be there exactly once."""
    if not isinstance(values, (list, tuple)):
        raise InvalidRule("missing", field="rules")
    seen: dict[str, DustRule] = {}
    for entry in values:
        rule = check_rule(entry)
        if rule.kind in seen:
            raise InvalidRule("duplicate_kind", field=rule.kind)
        seen[rule.kind] = rule
    for kind in KINDS:
        if kind not in seen:
            raise InvalidRule("missing", field=kind)
    return tuple(seen[kind] for kind in KINDS)


def rules_from_stored(stored: object) -> tuple[DustRule, ...]:
    """The rules in force from the stored JSON value: each kind's stored rule when it passes
    the checks, its default otherwise, so a bad stored value never breaks the receiver."""
    found: dict[str, DustRule] = {}
    for entry in stored if isinstance(stored, list) else []:
        try:
            rule = check_rule(entry)
        except InvalidRule:
            continue
        found.setdefault(rule.kind, rule)
    return tuple(found.get(kind) or default_rule(kind) for kind in KINDS)


# --------------------------------------------------------------------------- hourly values
@dataclass(frozen=True)
class Sample:
    """One stored a34002-Avg value: its DataTime (aware), value and flag."""

    time: dt.datetime
    value: float
    flag: str | None


def hour_of(when: dt.datetime) -> dt.datetime:
    return when.replace(minute=0, second=0, microsecond=0)


def minute_interval(times: Iterable[dt.datetime]) -> int:
    """The monitor's usual spacing of minute data in minutes: the most common gap between
    consecutive DataTimes (ties to the smaller), 1 when there is no gap to measure."""
    ordered = sorted(set(times))
    gaps = Counter(round((b - a).total_seconds() / 60) for a, b in zip(ordered, ordered[1:], strict=False))
    gaps.pop(0, None)
    if not gaps:
        return 1
    best = max(gaps.values())
    return max(1, min(60, min(g for g, n in gaps.items() if n == best)))


def minutes_needed(interval: int) -> int:
    """Valid minute values an hour needs at that spacing to cover ``MIN_MINUTES_PER_HOUR``."""
    return math.ceil(MIN_MINUTES_PER_HOUR / max(1, interval))


def hourly_pm10(hourly: Iterable[Sample], minutes: Iterable[Sample]) -> dict[dt.datetime, float | None]:
    """Hour start -> the hour's PM10 (None: not valid), for every hour that has any data."""
    minutes = list(minutes)
    result: dict[dt.datetime, float | None] = {}
    for sample in hourly:
        result[hour_of(sample.time)] = sample.value if sample.flag == VALID_FLAG else None
    need = minutes_needed(minute_interval(s.time for s in minutes))
    by_hour: dict[dt.datetime, list[float]] = {}
    for sample in minutes:
        values = by_hour.setdefault(hour_of(sample.time), [])
        if sample.flag == VALID_FLAG:
            values.append(sample.value)
    for hour, values in by_hour.items():
        if hour in result:
            continue  # the monitor's own hourly value wins, valid or not
        result[hour] = sum(values) / len(values) if len(values) >= need else None
    return result


# --------------------------------------------------------------------------- runs
@dataclass(frozen=True)
class Run:
    """Consecutive breaching hours ``first``..``last`` (hour starts, inclusive)."""

    first: dt.datetime
    last: dt.datetime
    peak: float  # the site's highest hourly PM10 in the run
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def hours(self) -> int:
        return int((self.last - self.first) / HOUR) + 1


def breaching_runs(values: Mapping[dt.datetime, float | None], breaches: Callable[[dt.datetime, float], bool],
                   excess: Mapping[dt.datetime, float] | None = None) -> list[Run]:
    """Maximal runs of consecutive hours whose value breaches; a missing or invalid hour
    breaks a run. ``excess`` (hour -> excess over the station) adds the run's peak excess."""
    groups: list[list[tuple[dt.datetime, float]]] = []
    for hour in sorted(values):
        value = values[hour]
        if value is None or not breaches(hour, value):
            continue
        if groups and hour - groups[-1][-1][0] == HOUR:
            groups[-1].append((hour, value))
        else:
            groups.append([(hour, value)])
    runs = []
    for group in groups:
        detail = {}
        if excess:
            detail["peak_excess"] = round(max(excess[h] for h, _ in group if h in excess), 1)
        runs.append(Run(group[0][0], group[-1][0], round(max(v for _, v in group), 1), detail))
    return runs


def pm10_above_runs(hourly: Mapping[dt.datetime, float | None], rule: DustRule) -> list[Run]:
    assert rule.limit is not None
    limit = rule.limit
    return breaching_runs(hourly, lambda _hour, value: value > limit)


def pm10_excess_runs(hourly: Mapping[dt.datetime, float | None], station: Mapping[dt.datetime, float],
                     rule: DustRule) -> list[Run]:
    """``station``: the station's PM10 by the *site's* hour start (the caller shifts CNEMC's
    hour-ending labels). An hour the station has no value for cannot be judged: it breaks a run."""
    assert rule.margin is not None
    margin = rule.margin
    excess = {h: v - station[h] for h, v in hourly.items() if v is not None and h in station}
    return breaching_runs(hourly, lambda hour, _value: hour in excess and excess[hour] >= margin, excess)


# --------------------------------------------------------------------------- decisions
@dataclass(frozen=True)
class LatestTask:
    """The site's latest task of one kind: its episode's first and last breaching hour."""

    id: int
    first_hour: dt.datetime
    last_hour: dt.datetime
    open: bool


@dataclass(frozen=True)
class Decision:
    """``open`` a task for ``run``, or ``extend`` task ``task_id``'s episode to ``run``
    (``peak`` only while the task is open: a closed task keeps what it was closed on)."""

    action: str
    run: Run
    task_id: int | None = None
    peak: bool = True


def decide(runs: Sequence[Run], latest: LatestTask | None, min_hours: int) -> list[Decision]:
    """What the runs of one site and kind do, oldest first.

    Runs that end at or before the latest task's last hour are already accounted for. A run
    joined to the latest task's episode (starting at most an hour after its last breaching
    hour) extends it; so does any run while that task is open (one open task per site and
    kind). Otherwise a run of at least ``min_hours`` opens a task, which is then the latest.
    """
    decisions: list[Decision] = []
    for run in sorted(runs, key=lambda r: r.first):
        if latest is not None and run.last <= latest.last_hour:
            continue
        joined = latest is not None and run.first <= latest.last_hour + HOUR
        if latest is not None and (joined or latest.open):
            decisions.append(Decision("extend", run, latest.id, peak=latest.open))
            latest = LatestTask(latest.id, latest.first_hour, run.last, latest.open)
        elif run.hours >= min_hours:
            decisions.append(Decision("open", run))
            latest = LatestTask(-1, run.first, run.last, True)
    return decisions


def offline_since(last_seen: dt.datetime | None, registered: dt.datetime) -> dt.datetime:
    """When the monitor's current silence began."""
    return last_seen if last_seen is not None else registered


def offline_decision(silent_since: dt.datetime, now: dt.datetime, rule: DustRule,
                     latest: LatestTask | None) -> Decision | None:
    """Whether this silence opens a task (or extends the open one that is about it).

    The run's ``peak`` is the minutes of silence so far; ``first`` the silence's start."""
    assert rule.minutes is not None
    silent = now - silent_since
    if silent <= dt.timedelta(minutes=rule.minutes):
        return None
    run = Run(silent_since, silent_since, float(int(silent.total_seconds() // 60)))
    if latest is not None and latest.first_hour == silent_since:
        return Decision("extend", run, latest.id) if latest.open else None
    if latest is not None and (latest.open or latest.first_hour > silent_since):
        return None
    return Decision("open", run)


# --------------------------------------------------------------------------- stations
@dataclass(frozen=True)
class Station:
    code: str
    name: str
    longitude: float | None
    latitude: float | None
    is_background: bool = False


def nearest_station(longitude: float | None, latitude: float | None,
                    stations: Iterable[Station]) -> tuple[Station, float] | None:
    """The nearest station that is not a background station (对照点, chosen to be clean) and
    within ``MAX_STATION_KM``, with its distance; equal distances go to the smaller code."""
    if longitude is None or latitude is None:
        return None
    best: tuple[float, str, Station] | None = None
    for station in stations:
        if station.is_background or station.longitude is None or station.latitude is None:
            continue
        km = distance_km(longitude, latitude, station.longitude, station.latitude)
        if km <= MAX_STATION_KM and (best is None or (km, station.code) < best[:2]):
            best = (km, station.code, station)
    return (best[2], best[0]) if best else None
