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
    """``bad_role``, ``unknown_township``, ``bad_username``, ``username_taken``, ``bad_language``,
    ``bad_password`` (``problems``: the ``domain.accounts`` reason codes), ``password_required``,
    ``not_found`` or ``self_lockout`` (an admin may not disable or demote their own account)."""


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


def _state(user) -> dict:
    return {"username": user.username, "display_name": user.display_name, "role": user.role,
            "township_id": user.township_id, "active": user.active}


def save_user(settings: Settings, actor: Actor, *, user_id: int | None, username: str, display_name: str,
              role: str, township_id: int | None, active: bool, password: str = "") -> int:
    """Create a user (``user_id`` None; a password is required) or change one; admins only.

    A blank password keeps the old one. A password, role, township or active change ends the
    user's sessions. Returns the user's id.
    """
    require(actor, "admin")
    username, display_name = (username or "").strip(), (display_name or "").strip()
    if not username or len(username) > 64 or len(display_name) > 96:
        raise InvalidUser("bad_username")
    if role not in ROLES:
        raise InvalidUser("bad_role", role=role)
    if password:
        problems = password_problems(password, username, settings.password_min_length)
        if problems:
            raise InvalidUser("bad_password", problems=problems, min_length=settings.password_min_length)
    elif user_id is None:
        raise InvalidUser("password_required")
    if user_id is not None and user_id == actor.user_id and (not active or role != "admin"):
        raise InvalidUser("self_lockout")
    with session_scope(settings.database_url) as session:
        found = store.get_user(session, user_id) if user_id is not None else None
        kept = found is not None and found.township_id == township_id
        if township_id is not None and township_id not in store.township_ids(session, active_only=not kept):
            raise InvalidUser("unknown_township")
        other = store.find_user(session, username)
        if other is not None and other.id != user_id:
            raise InvalidUser("username_taken", username=username)
        before = None
        if user_id is None:
            user = store.upsert_user(session, username, password, role, display_name, township_id)
        elif found is None:
            raise InvalidUser("not_found")
        else:
            user, before = found, _state(found)
            user.username, user.display_name = username, display_name or username
            store.set_role(session, user.id, role, township_id)
            if password:
                store.set_password(session, user.id, password)
        store.set_active(session, user.id, active)
        audit(session, actor.user_id, "create" if before is None else "update", "user", user.id,
              {"before": before, "after": _state(user), "password_changed": bool(password)})
        return user.id
