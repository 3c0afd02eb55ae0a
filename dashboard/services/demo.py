"""The demo district: generated data loaded in place of everything else, and one login per role."""

from __future__ import annotations

import secrets

from dashboard.demo.generate import generate_district
from dashboard.services.access import Actor, require
from dashboard.settings import Settings
from dashboard.store.db import session_scope
from dashboard.store.demo_load import load_demo
from dashboard.store.overview import township_id_by_name
from dashboard.store.users import audit, upsert_user

# (user name, role, display name); the inspector works in 侯寨乡, like the seed page's site.
DEMO_USERS = [
    ("admin", "admin", "系统管理员"),
    ("editor", "editor", "区环境攻坚办"),
    ("inspector", "inspector", "侯寨乡巡查员"),
    ("viewer", "viewer", "区长（查看）"),
]


def build_demo(settings: Settings, actor: Actor, seed: int = 2025) -> tuple[dict[str, int], list[tuple[str, str, str]]]:
    """Replace the database's content with the demo district; admins only.

    Returns the row counts per table and (user, role, password) of the new demo logins
    (passwords are new on every build).
    """
    require(actor, "admin")
    district = generate_district(seed)
    logins = []
    with session_scope(settings.database_url) as session:
        counts = load_demo(session, district)
        inspector_township = township_id_by_name(session, "侯寨乡")
        for username, role, name in DEMO_USERS:
            password = secrets.token_urlsafe(9)
            upsert_user(session, username, password, role, display_name=name,
                        township_id=inspector_township if role == "inspector" else None)
            logins.append((username, role, password))
        audit(session, actor.user_id, "build_demo", "database", None, {"seed": seed, "counts": counts})
    return counts, logins
