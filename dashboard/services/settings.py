"""Rules the staff tune, kept in the database: the campaign's air-quality targets."""

from __future__ import annotations

from dashboard.domain.targets import check_targets
from dashboard.services.access import Actor, require
from dashboard.settings import Settings
from dashboard.store import air as air_store
from dashboard.store.db import session_scope
from dashboard.store.users import audit


def set_targets(settings: Settings, actor: Actor, *, good_day_share: object, pm25: object) -> dict[str, float]:
    """Save the good-day share (0..1) and the PM2.5 target (µg/m³); editors only. Returns them."""
    require(actor, "editor")
    clean = check_targets({"target_good_day_share": good_day_share, "target_pm25": pm25})
    with session_scope(settings.database_url) as session:
        before = air_store.targets(session)
        saved = air_store.set_targets(session, clean)
        audit(session, actor.user_id, "update", "app_settings", "targets", {"before": before, "after": saved})
    return saved
