"""User accounts: creating and resetting them, and what a user chooses for themselves."""

from __future__ import annotations

from dashboard.domain.accounts import password_problems
from dashboard.domain.errors import CodedError
from dashboard.i18n import LANGUAGES
from dashboard.services.access import ROLES, Actor, require
from dashboard.settings import Settings
from dashboard.store import users as store
from dashboard.store.db import session_scope
from dashboard.store.overview import township_id_by_name
from dashboard.store.users import audit


class InvalidUser(CodedError):
    """``bad_role``, ``unknown_township``, ``bad_username``, ``bad_language`` or ``bad_password``
    (``problems``: the ``domain.accounts`` reason codes)."""


def set_language(settings: Settings, actor: Actor, language: str) -> None:
    """Remember the actor's own language choice (any logged-in user)."""
    require(actor, "viewer")
    if actor.user_id is None:
        return  # the command line has no profile to remember it in
    if language not in LANGUAGES:
        raise InvalidUser("bad_language", language=language)
    with session_scope(settings.database_url) as session:
        store.set_language(session, actor.user_id, language)


def set_user(settings: Settings, actor: Actor, username: str, *, password: str, role: str,
             display_name: str = "", township: str | None = None) -> None:
    """Create a user, or reset an existing one's password, role, name and township; admins only.

    The password must meet ``domain.accounts.password_problems``; every session the user had ends.
    """
    require(actor, "admin")
    username = (username or "").strip()
    if not username or len(username) > 64:
        raise InvalidUser("bad_username")
    if role not in ROLES:
        raise InvalidUser("bad_role", role=role)
    problems = password_problems(password, username, settings.password_min_length)
    if problems:
        raise InvalidUser("bad_password", problems=problems, min_length=settings.password_min_length)
    with session_scope(settings.database_url) as session:
        township_id = None
        if township:
            township_id = township_id_by_name(session, township)
            if township_id is None:
                raise InvalidUser("unknown_township", township=township)
        existing = store.find_user(session, username)
        before = None if existing is None else {"role": existing.role, "township_id": existing.township_id,
                                                "active": existing.active}
        user = store.upsert_user(session, username, password, role, display_name, township_id)
        audit(session, actor.user_id, "create" if existing is None else "reset", "user", user.id,
              {"username": username, "before": before,
               "after": {"role": role, "township_id": township_id, "active": True}})
