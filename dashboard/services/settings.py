"""Rules the staff tune, kept in the database: the campaign's air-quality targets, the plate
rules and the rectification rules. Admins only; every change is audited with before and after.

What a change does to what is already recorded:

- targets (the original two, and each year's own, ``set_year_targets``): only how pages colour
  and mark the figures and the polluted-day budget; nothing stored changes.
- plate rules: every active site is re-rated under the new rules at once, in the same
  transaction (``services.sites.refresh_plate``: a plate change is recorded with its reason, as
  after an inspection), so that the plates on every page agree with the rules shown. Suspended
  and completed sites keep the plate they stopped with, as they always do.
- rectification rules: a new deadline applies to rectifications opened from now on; those
  already open keep the deadline they were given (the site was told it). The escalation levels
  of open rectifications are recomputed under the new ladder at once
  (``services.rectifications.escalate_open``); closed ones keep the level they closed at.
- photo evidence limits (distance from the site, hours from the inspection): only which photos
  the pages flag; photos and their EXIF facts are kept as they were, so every photo, old or new,
  is judged under the limits in force when it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from dashboard.domain.compliance import PlateRules
from dashboard.domain.errors import CodedError
from dashboard.domain.photo_evidence import PhotoRules
from dashboard.domain.rectification import RectificationRules
from dashboard.domain.rules import check_photo_rules, check_plate_rules, check_rectification_rules
from dashboard.domain.site_dust_rules import LIMITS_KEY, DustLimits
from dashboard.domain.site_dust_rules import check_limits as check_dust_limits
from dashboard.domain.targets import YearTargets, check_targets, check_year, check_year_targets
from dashboard.services.access import Actor, require
from dashboard.services.rectifications import escalate_open
from dashboard.services.sites import refresh_plate
from dashboard.settings import Settings
from dashboard.store import air as air_store
from dashboard.store import clock
from dashboard.store import display as display_store
from dashboard.store import photos as photo_store
from dashboard.store import rectifications as rectification_store
from dashboard.store import site_dust_reads as dust_store
from dashboard.store import sites as site_store
from dashboard.store.db import session_scope
from dashboard.store.users import audit


def set_targets(settings: Settings, actor: Actor, *, good_day_share: object, pm25: object) -> dict[str, float]:
    """Save the good-day share (0..1) and the PM2.5 target (µg/m³); admins only. Returns them."""
    require(actor, "admin")
    clean = check_targets({"target_good_day_share": good_day_share, "target_pm25": pm25})
    with session_scope(settings.database_url) as session:
        before = air_store.targets(session)
        saved = air_store.set_targets(session, clean)
        audit(session, actor.user_id, "update", "app_settings", "targets", {"before": before, "after": saved})
    return saved


@dataclass(frozen=True)
class YearTargetsSaved:
    """The year's targets now in force, and whether anything was written."""

    year: int
    targets: YearTargets
    changed: bool


def set_year_targets(settings: Settings, actor: Actor, year: object,
                     values: Mapping[str, object]) -> YearTargetsSaved:
    """Save one calendar year's targets (PM2.5 and PM10 annual means in µg/m³, the good-day
    share 0..1, heavy-pollution days); admins only. The audit entry holds the year's targets
    before (its own, or the defaults it ran on) and after. Targets equal to the year's own
    write nothing.

    Raises ``InvalidTarget`` (the field and the reason) or ``Forbidden``; nothing is written then.
    """
    require(actor, "admin")
    with session_scope(settings.database_url) as session:
        year = check_year(year, clock.today(session, settings.tz))
        clean = check_year_targets(values)
        before = air_store.targets_of_year(session, year)
        if before == clean:
            return YearTargetsSaved(year, before, changed=False)
        saved = air_store.set_year_targets(session, year, clean)
        audit(session, actor.user_id, "update", "app_settings", f"air_targets.{year}",
              {"year": year, "before": before.as_dict(), "before_own": before.own, "after": saved.as_dict()})
    return YearTargetsSaved(year, saved, changed=True)


@dataclass(frozen=True)
class PlateRulesSaved:
    """The rules now in force, and the plates that changed: site id → (old plate, new plate)."""

    rules: PlateRules
    changed: bool
    plates: dict[int, tuple[str, str]] = field(default_factory=dict)


def set_plate_rules(settings: Settings, actor: Actor, values: Mapping[str, object]) -> PlateRulesSaved:
    """Save the plate rules (``domain.rules.check_plate_rules``) and re-rate every active site
    under them, in one transaction; admins only. Rules equal to those in force write nothing.

    Raises ``InvalidRule`` or ``Forbidden``; nothing is written then.
    """
    require(actor, "admin")
    rules = check_plate_rules(values)
    with session_scope(settings.database_url) as session:
        before = site_store.plate_rules(session)
        if rules == before:
            return PlateRulesSaved(rules, changed=False)
        site_store.set_plate_rules(session, rules)
        session.flush()
        today = clock.today(session, settings.tz)
        plates: dict[int, tuple[str, str]] = {}
        for site_id, old in site_store.active_site_plates(session).items():
            new = refresh_plate(session, site_id, today, settings.tz)
            if new != old:
                plates[site_id] = (old, new)
        audit(session, actor.user_id, "update", "app_settings", site_store.PLATE_RULES_KEY,
              {"before": before.as_dict(), "after": rules.as_dict(), "day": today.isoformat(),
               "plates": {str(k): list(v) for k, v in plates.items()}})
    return PlateRulesSaved(rules, changed=True, plates=plates)


@dataclass(frozen=True)
class RectificationRulesSaved:
    """The rules now in force, and the open rectifications whose level changed: (id, old, new)."""

    rules: RectificationRules
    changed: bool
    levels: list[tuple[int, int, int]] = field(default_factory=list)


def set_rectification_rules(settings: Settings, actor: Actor, values: Mapping[str, object]) -> RectificationRulesSaved:
    """Save the rectification rules (``domain.rules.check_rectification_rules``) and bring the
    levels of open rectifications up to date under them, in one transaction; admins only.
    Deadlines already given stay. Rules equal to those in force write nothing.

    Raises ``InvalidRule`` or ``Forbidden``; nothing is written then.
    """
    require(actor, "admin")
    rules = check_rectification_rules(values)
    with session_scope(settings.database_url) as session:
        before = rectification_store.load_rules(session)
        if rules == before:
            return RectificationRulesSaved(rules, changed=False)
        rectification_store.set_rules(session, rules)
        session.flush()
        today = clock.today(session, settings.tz)
        levels = escalate_open(session, today, settings.tz)
        audit(session, actor.user_id, "update", "app_settings", rectification_store.RULES_KEY,
              {"before": before.as_dict(), "after": rules.as_dict(), "day": today.isoformat(),
               "levels": [list(change) for change in levels]})
    return RectificationRulesSaved(rules, changed=True, levels=levels)


def set_photo_rules(settings: Settings, actor: Actor, values: Mapping[str, object]) -> tuple[PhotoRules, bool]:
    """Save how far from the site (metres) and from the inspection time (hours) a photo may be
    taken before it is flagged; admins only. Returns the limits in force and whether they changed.

    Raises ``InvalidRule`` or ``Forbidden``; nothing is written then.
    """
    require(actor, "admin")
    rules = check_photo_rules(values)
    with session_scope(settings.database_url) as session:
        before = photo_store.load_rules(session)
        if rules == before:
            return rules, False
        photo_store.set_rules(session, rules)
        audit(session, actor.user_id, "update", "app_settings", photo_store.RULES_KEY,
              {"before": before.as_dict(), "after": rules.as_dict()})
    return rules, True


class InvalidStaleLimit(CodedError):
    """``bad_stale_minutes``: not a whole number of minutes from 10 to one week."""


STALE_MINUTES_RANGE = (10, 7 * 24 * 60)


def set_wall_stale_minutes(settings: Settings, actor: Actor, minutes: object) -> int:
    """How old the newest reading may be (minutes) before the wall shows it in red; admins only."""
    require(actor, "admin")
    lo, hi = STALE_MINUTES_RANGE
    if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or minutes != minutes:
        raise InvalidStaleLimit("bad_stale_minutes", min=lo, max=hi)
    if int(minutes) != minutes or not lo <= minutes <= hi:
        raise InvalidStaleLimit("bad_stale_minutes", min=lo, max=hi)
    value = int(minutes)
    with session_scope(settings.database_url) as session:
        before = display_store.stale_minutes(session)
        if before == value:
            return value
        display_store.set_stale_minutes(session, value)
        audit(session, actor.user_id, "update", "app_settings", display_store.STALE_MINUTES_KEY,
              {"before": before, "after": value})
    return value


def set_dust_limits(settings: Settings, actor: Actor, values: Mapping[str, object]) -> DustLimits:
    """Save the site dust monitors' health limits (minutes of silence before a monitor is
    offline, identical PM10 values in a row before it is stuck); admins only, audited with
    before and after. Only how the dust views judge monitors changes; nothing stored does.

    Raises ``InvalidRule`` (the field and the reason) or ``Forbidden``; nothing is written then.
    """
    require(actor, "admin")
    limits = check_dust_limits(values)
    with session_scope(settings.database_url) as session:
        before = dust_store.dust_limits(session)
        if before == limits:
            return limits
        dust_store.set_dust_limits(session, limits)
        audit(session, actor.user_id, "update", "app_settings", LIMITS_KEY,
              {"before": before.as_dict(), "after": limits.as_dict()})
    return limits
