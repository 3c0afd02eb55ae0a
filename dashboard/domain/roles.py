"""Roles and township scope: who may act on what.

Roles are ranked viewer < inspector < editor < admin. Editors and admins act district-wide; a
user tied to a township (an inspector, usually) acts only on that township's records, and one
without a township is district-wide.
"""

from __future__ import annotations

ROLES = ("viewer", "inspector", "editor", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}


def at_least(role: str | None, minimum: str) -> bool:
    return role in ROLE_RANK and ROLE_RANK[role] >= ROLE_RANK[minimum]


def in_scope(role: str | None, user_township_id: int | None, township_id: int | None) -> bool:
    """Whether a user may act on a record of ``township_id`` as far as township scope goes."""
    return at_least(role, "editor") or user_township_id is None or user_township_id == township_id
