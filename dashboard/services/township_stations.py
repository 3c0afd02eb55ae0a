"""Which stations speak for each township: recompute them from coordinates, set them by hand,
reset a township to the computed ones. Admins only; each call is one transaction and one audit
entry (entity ``township_stations``) with the stations before and after.

The rule is ``domain.township_stations``. An admin's choice survives every recompute until the
admin resets that township. A save or a reset carries the fingerprint of the rows the page
showed (``seen``): when another admin (or a recompute) changed that township since, the save is
refused with ``AssignmentConflict`` instead of silently replacing their choice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dashboard.domain import township_stations as rule
from dashboard.domain.errors import CodedError
from dashboard.services.access import Actor, require
from dashboard.services.district import InvalidDistrict, NotFound
from dashboard.settings import Settings
from dashboard.store import district as district_store
from dashboard.store import township_stations as store
from dashboard.store.db import session_scope
from dashboard.store.models import utcnow
from dashboard.store.users import audit

__all__ = ["AssignmentConflict", "InvalidDistrict", "NotFound", "recompute_township_stations",
           "reset_township_stations", "set_township_stations"]

ENTITY = "township_stations"


class AssignmentConflict(CodedError):
    """The township's stations changed since the page showed them; ``details``: the stations
    now stored (``current``), their ``source``, who set them (``by``) and when (``at``)."""


def _state(rows: list[store.StoredRow]) -> dict[str, Any]:
    return {"stations": [r.station_code for r in rows],
            "source": rule.ADMIN if any(r.source == rule.ADMIN for r in rows) else (rule.COMPUTED if rows else None)}


def _checked_township(session: Session, township_id: Any) -> int:
    if isinstance(township_id, bool) or not isinstance(township_id, int) \
            or district_store.get_township(session, township_id) is None:
        raise NotFound("not_found")
    return township_id


def _check_seen(rows: list[store.StoredRow], seen: Any) -> None:
    if not isinstance(seen, str) or not seen:
        raise CodedError("version_missing")
    if rule.assignment_token((r.station_code, r.source, r.set_at) for r in rows) != seen:
        latest = max(rows, key=lambda r: r.set_at) if rows else None
        raise AssignmentConflict("conflict", current=[r.station_code for r in rows], source=_state(rows)["source"],
                                 by=latest.set_by if latest else "", at=latest.set_at if latest else None)


def _computed(session: Session) -> dict[int, rule.Computed]:
    points = [s.point for s in store.stations(session)]
    return rule.compute_assignment(store.site_points(session), points)


def set_township_stations(settings: Settings, actor: Actor, township_id: Any, codes: Any, *,
                          seen: Any) -> list[str]:
    """Make ``codes`` the stations of a township, as an admin's choice that recomputes keep;
    admins only. ``seen``: the fingerprint of the rows the page showed (``assignment_token``).
    Returns the stored codes. Raises ``InvalidDistrict`` (no station, too many, unknown or
    background stations), ``NotFound`` and ``AssignmentConflict``."""
    require(actor, "admin")
    with session_scope(settings.database_url) as session:
        township_id = _checked_township(session, township_id)
        stations = store.stations(session)
        chosen, issues = rule.check_choice(codes, {s.code for s in stations},
                                           {s.code for s in stations if s.is_background})
        if issues:
            raise InvalidDistrict(issues)
        store.lock_townships(session, township_id)
        before = store.stored_rows(session, township_id)
        _check_seen(before, seen)
        if _state(before) == {"stations": sorted(chosen), "source": rule.ADMIN}:
            return sorted(chosen)
        store.replace(session, township_id, sorted(chosen), rule.ADMIN, utcnow(), actor.user_id)
        audit(session, actor.user_id, "update", ENTITY, township_id,
              {"before": _state(before), "after": {"stations": sorted(chosen), "source": rule.ADMIN}})
        return sorted(chosen)


def reset_township_stations(settings: Settings, actor: Actor, township_id: Any, *, seen: Any) -> list[str]:
    """Give a township back to the rule: its computed stations are stored as such (none when
    the rule gives none, and the township follows the rule on the fly); admins only. Returns
    the computed codes."""
    require(actor, "admin")
    with session_scope(settings.database_url) as session:
        township_id = _checked_township(session, township_id)
        store.lock_townships(session, township_id)
        before = store.stored_rows(session, township_id)
        _check_seen(before, seen)
        result = _computed(session).get(township_id)
        wanted = list(result.stations) if result is not None else []
        after = {"stations": wanted, "source": rule.COMPUTED if wanted else None}
        if _state(before) != after:
            store.replace(session, township_id, wanted, rule.COMPUTED, utcnow(), actor.user_id)
            audit(session, actor.user_id, "reset", ENTITY, township_id, {"before": _state(before), "after": after})
        return wanted


def recompute_township_stations(settings: Settings, actor: Actor) -> dict[str, list[int]]:
    """Store the computed stations of every township whose stations no admin set; admins only.

    Returns township ids: ``changed`` (stored anew; a township the rule now gives nothing has
    its stale rows removed), ``kept`` (an admin's choice, left alone) and ``unchanged``.
    """
    require(actor, "admin")
    with session_scope(settings.database_url) as session:
        store.lock_townships(session)
        rows = store.stored_rows(session)
        stored: dict[int, list[store.StoredRow]] = {}
        for row in rows:
            stored.setdefault(row.township_id, []).append(row)
        computed = _computed(session)
        plan = rule.recompute_plan({tid: [(r.station_code, r.source) for r in own] for tid, own in stored.items()},
                                   computed)
        now = utcnow()
        changes = []
        for township_id, wanted in plan.items():
            store.replace(session, township_id, wanted, rule.COMPUTED, now, actor.user_id)
            changes.append({"township_id": township_id, "before": _state(stored.get(township_id, [])),
                            "after": {"stations": list(wanted), "source": rule.COMPUTED if wanted else None}})
        kept = sorted(tid for tid, own in stored.items() if any(r.source == rule.ADMIN for r in own))
        if changes:
            audit(session, actor.user_id, "recompute", ENTITY, None, {"changes": changes, "kept": kept})
        touched = set(plan) | set(kept)
        return {"changed": sorted(plan), "kept": kept,
                "unchanged": sorted(tid for tid in set(stored) | set(computed) if tid not in touched)}

