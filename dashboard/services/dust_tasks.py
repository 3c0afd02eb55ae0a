"""待核查 tasks from site dust monitors: evaluating the rules, opening and closing tasks, and
editing the rules.

Who calls what:

- the HJ 212 receiver, after stored batches (``evaluate_completed`` with the hours that
  ``services.site_dust.store_frames`` reports, in a worker of its own so that answers never
  wait for it): only the monitors whose frames completed an hour (an hourly 2061 frame, or the
  first minute frame of the next hour) are evaluated, over the few hours the rules need, in
  one read and (when something breached) one short write;
- ``python -m dashboard monitors check`` and the receiver's background loop (every minute):
  every active monitor, for the offline rule (a dead monitor sends nothing that could trigger
  anything) and the last hours of PM10 as a safety net;
- ``services.inspections.record``: a submitted inspection of a site closes the site's open
  tasks whose episode had begun by the time of the visit (``close_for_inspection``), in the
  inspection's transaction. A visit before the episode began (a paper inspection entered
  late) did not check it and closes nothing.

Task openings are audited as the acting receiver or command line; extending an open episode
(a later hour, a higher peak) is machine data and is not. Reads and writes are separate
transactions: the rules are read without holding SQLite's write lock, and the write relies
on the partial unique index for "one open task per site and kind" when two evaluations race.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from dashboard.domain import dust_tasks as rules
from dashboard.domain.dust_tasks import HOUR, DustRule
from dashboard.domain.site_dust_rules import reference_time
from dashboard.services.access import Actor, require
from dashboard.settings import Settings
from dashboard.store import clock
from dashboard.store import dust_tasks as store
from dashboard.store.db import read_scope, session_scope
from dashboard.store.models import Inspection, utcnow
from dashboard.store.users import audit

log = logging.getLogger("dashboard.dust_tasks")

HOURLY_CN, MINUTE_CN = 2061, 2051


@dataclass
class Evaluation:
    """What one evaluation did: tasks opened (ids), episodes extended, monitors looked at."""

    monitors: int = 0
    opened: list[int] = field(default_factory=list)
    extended: int = 0


@dataclass(frozen=True)
class _Planned:
    site_id: int
    monitor_id: int
    kind: str
    decision: rules.Decision
    detail: dict[str, Any]


# --------------------------------------------------------------------------- the receiver's hook
def completed_hours(marks: Iterable[tuple[int, int, dt.datetime | None]]) -> dict[int, set[dt.datetime]]:
    """Monitor id -> the hours a batch completed, from its stored frames' (monitor id, CN,
    DataTime): an hourly frame's own hour; for minute data, the hour before a frame at minute 0
    (every interval that divides an hour sends one)."""
    done: dict[int, set[dt.datetime]] = {}
    for monitor_id, cn, when in marks:
        if when is None:
            continue
        if cn == HOURLY_CN:
            done.setdefault(monitor_id, set()).add(rules.hour_of(when))
        elif cn == MINUTE_CN and when.minute == 0:
            done.setdefault(monitor_id, set()).add(rules.hour_of(when) - HOUR)
    return done


def evaluate_completed(settings: Settings, actor: Actor, hours: Mapping[int, Collection[dt.datetime]],
                       now: dt.datetime | None = None) -> Evaluation | None:
    """Evaluate the PM10 rules for the hours that stored frames completed (``completed_hours``).
    Never raises: the readings are stored whatever happens here, and ``monitors check`` catches up."""
    if not hours:
        return None
    try:
        return evaluate(settings, actor, hours, now=now, kinds=("pm10_above", "pm10_excess"))
    except Exception:  # noqa: BLE001 - the receiver must go on; the next check evaluates again
        log.exception("evaluating the dust rules for %d monitor(s) failed", len(hours))
        return None


def check_monitors(settings: Settings, actor: Actor, now: dt.datetime | None = None,
                   kinds: Collection[str] = rules.KINDS) -> Evaluation:
    """Every active monitor: offline for longer than the rule allows, and PM10 over the last
    complete hours before ``now``."""
    now = now or utcnow()
    return evaluate(settings, actor, None, now=now, kinds=kinds)


# --------------------------------------------------------------------------- evaluation
def _pm10_span(rule_set: Iterable[DustRule]) -> int:
    """Hours before an hour that the PM10 rules need to see: a whole run and the hour before it."""
    return max((r.hours or 1 for r in rule_set if r.kind != "offline" and r.enabled), default=0) + 1


def evaluate(settings: Settings, actor: Actor, hours: Mapping[int, Collection[dt.datetime]] | None, *,
             now: dt.datetime | None = None, kinds: Collection[str] = rules.KINDS) -> Evaluation:
    """Evaluate the rules for the monitors in ``hours`` (monitor id -> hours to look at), or
    for every active monitor over the hours before ``now`` (``hours`` None), and open or
    extend tasks. Admin rights (the receiver and the command line act as the system)."""
    require(actor, "admin")
    now = now or utcnow()
    result = Evaluation()
    with read_scope(settings.database_url) as session:
        rule_set = {r.kind: r for r in store.load_rules(session) if r.enabled and r.kind in kinds}
        if not rule_set:
            return result
        points = store.monitor_points(session, None if hours is None else list(hours))
        result.monitors = len(points)
        if not points:
            return result
        latest = store.latest_tasks(session, {p.site_id for p in points})
        planned: list[_Planned] = []
        span = _pm10_span(rule_set.values())
        if span > 1:
            planned += _pm10_plans(session, points, hours, now, span, rule_set, latest)
        offline = rule_set.get("offline")
        if offline is not None:
            # Silence is measured to the dashboard's now, as the monitors' health is: on the demo,
            # whose clock is pinned, its monitors are not offline for the year since; a monitor
            # heard after that moment (a live one) is measured to the wall clock.
            app_now = clock.now(session, settings.tz)
            for p in points:
                since = rules.offline_since(p.last_seen_at, p.created_at)
                judged = reference_time(app_now, now, p.last_seen_at)
                decision = rules.offline_decision(since, judged, offline, latest.get((p.site_id, "offline")))
                if decision is not None:
                    planned.append(_Planned(p.site_id, p.monitor_id, "offline", decision, offline.as_dict()))
    if planned:
        _write(settings, actor, planned, now, result)
    return result


def _pm10_plans(session: Session, points: list[store.MonitorPoint], hours: Mapping[int, Collection[dt.datetime]] | None,
                now: dt.datetime, span: int, rule_set: dict[str, DustRule],
                latest: dict[tuple[int, str], rules.LatestTask]) -> list[_Planned]:
    if hours is None:
        last = rules.hour_of(now) - HOUR  # the last complete hour
        wanted = {p.monitor_id: (last, last) for p in points}
    else:
        wanted = {p.monitor_id: (min(hours[p.monitor_id]), max(hours[p.monitor_id])) for p in points}
    first = min(lo for lo, _ in wanted.values()) - span * HOUR
    before = max(hi for _, hi in wanted.values()) + HOUR
    samples = store.pm10_samples(session, list(wanted), first, before)
    nearest: dict[int, tuple[rules.Station, float]] = {}
    station_values: dict[str, dict[dt.datetime, float]] = {}
    if "pm10_excess" in rule_set:
        known = store.stations(session)
        for p in points:
            found = rules.nearest_station(p.longitude, p.latitude, known)
            if found is not None:
                nearest[p.monitor_id] = found
        station_values = store.station_pm10(session, {s.code for s, _ in nearest.values()}, first, before)
    planned: list[_Planned] = []
    for p in points:
        lo, hi = wanted[p.monitor_id]
        hourly = rules.hourly_pm10(*samples[p.monitor_id])
        hourly = {h: v for h, v in hourly.items() if lo - span * HOUR <= h <= hi}
        if not hourly:
            continue
        runs_by_kind: dict[str, tuple[list[rules.Run], dict[str, Any]]] = {}
        above = rule_set.get("pm10_above")
        if above is not None:
            runs_by_kind["pm10_above"] = (rules.pm10_above_runs(hourly, above), above.as_dict())
        excess = rule_set.get("pm10_excess")
        if excess is not None and p.monitor_id in nearest:
            station, km = nearest[p.monitor_id]
            runs = rules.pm10_excess_runs(hourly, station_values.get(station.code, {}), excess)
            runs_by_kind["pm10_excess"] = (runs, excess.as_dict() | {"station": station.code,
                                                                     "station_name": station.name,
                                                                     "km": round(km, 1)})
        for kind, (runs, detail) in runs_by_kind.items():
            rule = rule_set[kind]
            assert rule.hours is not None
            for decision in rules.decide(runs, latest.get((p.site_id, kind)), rule.hours):
                planned.append(_Planned(p.site_id, p.monitor_id, kind, decision, detail))
    return planned


def _write(settings: Settings, actor: Actor, planned: list[_Planned], now: dt.datetime, result: Evaluation) -> None:
    with session_scope(settings.database_url) as session:
        opened: dict[tuple[int, str], int | None] = {}
        for plan in planned:
            decision, key = plan.decision, (plan.site_id, plan.kind)
            if decision.action == "open":
                detail = plan.detail | decision.run.detail
                task_id = store.open_task(session, plan.site_id, plan.monitor_id, plan.kind, decision.run, detail, now)
                opened[key] = task_id
                if task_id is None:
                    continue
                result.opened.append(task_id)
                audit(session, actor.user_id, "open", "dust_task", task_id,
                      {"site_id": plan.site_id, "monitor_id": plan.monitor_id, "kind": plan.kind,
                       "first_hour": decision.run.first.isoformat(), "last_hour": decision.run.last.isoformat(),
                       "peak": decision.run.peak, "rule": plan.detail, "by": actor.name})
            else:
                # A run after one opened in this same evaluation extends that new task.
                task_id = opened.get(key) if decision.task_id == -1 else decision.task_id
                if task_id is not None and store.extend_task(session, task_id, decision.run, peak=decision.peak):
                    result.extended += 1


# --------------------------------------------------------------------------- closing
def close_for_inspection(session: Session, actor: Actor, inspection: Inspection) -> list[int]:
    """Close the site's open tasks whose episode had begun by the time of this submitted
    inspection, in the caller's transaction (``services.inspections.record``); their ids."""
    ids = store.open_tasks_of_site(session, inspection.site_id, inspection.inspected_at)
    if ids and store.close_tasks(session, ids, inspection.id, utcnow()):
        for task_id in ids:
            audit(session, actor.user_id, "close", "dust_task", task_id,
                  {"site_id": inspection.site_id, "inspection_id": inspection.id})
    return ids


# --------------------------------------------------------------------------- the rules
@dataclass(frozen=True)
class DustRulesSaved:
    rules: tuple[DustRule, ...]
    changed: bool


def set_dust_rules(settings: Settings, actor: Actor, values: object) -> DustRulesSaved:
    """Save the rules (``domain.dust_tasks.check_dust_rules``); admins only, audited with before
    and after. Open tasks keep the rule they opened under (their text says it); evaluations
    from now on use the new rules. Rules equal to those in force write nothing.

    Raises ``InvalidRule`` or ``Forbidden``; nothing is written then."""
    require(actor, "admin")
    new = rules.check_dust_rules(values)
    with session_scope(settings.database_url) as session:
        before = store.load_rules(session)
        if before == new:
            return DustRulesSaved(new, changed=False)
        store.set_rules(session, new)
        audit(session, actor.user_id, "update", "app_settings", store.RULES_KEY,
              {"before": [r.as_dict() for r in before], "after": [r.as_dict() for r in new]})
    return DustRulesSaved(new, changed=True)
