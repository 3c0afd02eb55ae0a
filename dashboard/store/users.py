"""Users, roles and the audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard.store.models import AuditEntry, User, utcnow

ROLES = ("viewer", "inspector", "editor", "admin")


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None. Records the login time."""
    user = find_user(session, username)
    if user is None or not user.active or not check_password_hash(user.password_hash, password):
        return None
    user.last_login_at = utcnow()
    return user


def upsert_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    township_id: int | None = None,
) -> User:
    """Create the user, or reset an existing one's password, role and name."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, not {role!r}")
    user = find_user(session, username)
    if user is None:
        user = User(username=username)
        session.add(user)
    user.password_hash = generate_password_hash(password)
    user.role = role
    user.display_name = display_name or username
    user.township_id = township_id
    user.active = True
    session.flush()
    return user


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
