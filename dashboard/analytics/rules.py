"""The rules the staff tune, as they are in force (the admin page's rules tab shows and edits them)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from dashboard.domain.compliance import PlateRules
from dashboard.domain.photo_evidence import PhotoRules
from dashboard.domain.rectification import RectificationRules
from dashboard.domain.site_dust_rules import DustLimits
from dashboard.store import air as air_store
from dashboard.store import display as display_store
from dashboard.store import photos as photo_store
from dashboard.store import rectifications as rectification_store
from dashboard.store import site_dust_reads as dust_store
from dashboard.store import sites as site_store


@dataclass(frozen=True)
class RulesInForce:
    targets: dict[str, float]  # target_good_day_share (0..1), target_pm25 (µg/m³)
    plates: PlateRules
    rectification: RectificationRules
    wall_stale_minutes: int  # the newest reading older than this shows red on the wall
    photos: PhotoRules = PhotoRules()  # how far and how long from the inspection a photo may be
    dust: DustLimits = DustLimits()  # when a site dust monitor counts as offline or stuck


def rules_in_force(session: Session) -> RulesInForce:
    """The targets, plate rules, rectification rules, the wall's stale-data limit, the photo
    evidence limits and the dust monitors' health limits, with defaults for what is unset or
    unreadable."""
    return RulesInForce(air_store.targets(session), site_store.plate_rules(session),
                        rectification_store.load_rules(session), display_store.stale_minutes(session),
                        photo_store.load_rules(session), dust_store.dust_limits(session))
