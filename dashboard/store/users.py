"""Users, roles, failed logins and the audit log."""

from __future__ import annotations

import datetime as dt
import secrets
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard.domain.roles import ROLES
from dashboard.store.models import AuditEntry, Township, User, utcnow

LOGIN_FAILED = "login_failed"
# users.username and audit_log.entity_id are both 64 characters: no longer name can exist.
_NAME_LENGTH = 64


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


@cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None. Records the login time.

    A password hash is checked whether or not the name exists or the user is active, so that
    the answer takes as long for a name that does not exist as for one that does.
    """
    user = find_user(session, username)
    valid = check_password_hash(user.password_hash if user is not None else _dummy_hash(), password)
    if user is None or not user.active or not valid:
        return None
    user.last_login_at = utcnow()
    return user


def record_failed_login(session: Session, username: str, address: str, reason: str) -> None:
    """Audit a refused login: the name tried (whether or not it exists), the client address, why."""
    name = username[:_NAME_LENGTH]
    user = find_user(session, name)
    audit(session, user.id if user is not None else None, LOGIN_FAILED, "user", name,
          {"username": name, "address": address, "reason": reason})


def nth_latest_failed_login(
    session: Session, n: int, since: dt.datetime, *, username: str | None = None, address: str | None = None
) -> dt.datetime | None:
    """When the ``n``-th most recent failed login after ``since`` for this name or address was."""
    query = select(AuditEntry.at).where(AuditEntry.action == LOGIN_FAILED, AuditEntry.at > since)
    if username is not None:
        query = query.where(AuditEntry.entity_id == username[:_NAME_LENGTH])
    if address is not None:
        query = query.where(AuditEntry.detail["address"].as_string() == address)
    return session.scalar(query.order_by(AuditEntry.at.desc()).offset(n - 1).limit(1))


def end_sessions(user: User) -> None:
    """End every session of a stored ``user``: each carries the version it logged in with.

    An SQL increment, so that two changes at once still both move the version on.
    """
    user.session_version = User.session_version + 1


def upsert_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    township_id: int | None = None,
) -> User:
    """Create the user, or reset an existing one's password, role and name (ending their sessions).

    The password rules (``dashboard.domain.accounts.password_problems``) are the caller's to
    apply, with the configured minimum: fixtures made through this function have shorter
    passwords than a person's must be (the tests' "pw-insp-1" has 9 characters).
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, not {role!r}")
    user = find_user(session, username)
    if user is None:
        user = User(username=username)
        session.add(user)
    else:
        end_sessions(user)
    user.password_hash = generate_password_hash(password)
    user.role = role
    user.display_name = display_name or username
    user.township_id = township_id
    user.active = True
    session.flush()
    return user


def set_role(session: Session, user_id: int, role: str, township_id: int | None) -> User:
    """Change a user's role and township; a change ends their sessions.

    The role is read afresh on every request anyway, but pages open in their browser were built
    for the old one: they log in again and get pages for the new.
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, not {role!r}")
    user = session.get(User, user_id)
    if user is None:
        raise LookupError(f"no user {user_id}")
    if (user.role, user.township_id) != (role, township_id):
        user.role, user.township_id = role, township_id
        end_sessions(user)
    session.flush()
    return user


def set_active(session: Session, user_id: int, active: bool) -> User:
    """Enable or disable a user; disabling ends their sessions at once."""
    user = session.get(User, user_id)
    if user is None:
        raise LookupError(f"no user {user_id}")
    if user.active != active:
        user.active = active
        end_sessions(user)
    session.flush()
    return user


def set_password(session: Session, user_id: int, password: str) -> User:
    """A new password (checked by the caller); every session of the user ends."""
    user = session.get(User, user_id)
    if user is None:
        raise LookupError(f"no user {user_id}")
    user.password_hash = generate_password_hash(password)
    end_sessions(user)
    session.flush()
    return user


def township_ids(session: Session, active_only: bool = False) -> set[int]:
    query = select(Township.id)
    return set(session.scalars(query.where(Township.active.is_(True)) if active_only else query))


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def set_language(session: Session, user_id: int, language: str) -> None:
    user = session.get(User, user_id)
    if user is not None:
        user.language = language


def audit(
    session: Session,
    user_id: int | None,
    action: str,
    entity: str,
    entity_id: object = None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEntry(
            user_id=user_id,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            detail=detail or {},
        )
    )
