"""Logging in and out: the attempt limits, the audit of every attempt, ending sessions.

Failures are counted from the audit log, so that every worker (and every server) sees the same
ones. A name is locked after ``login_max_failures`` failures within ``login_window`` since its
last successful login, an address after ``login_max_failures_per_address`` for any names. A
refused attempt is recorded too: whoever keeps guessing keeps the name locked. Two workers
checking at the same instant may each let one more attempt through.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from dashboard.services.access import Actor
from dashboard.settings import Settings
from dashboard.store import users as store
from dashboard.store.db import session_scope
from dashboard.store.models import User, utcnow
from dashboard.store.users import audit


@dataclass(frozen=True)
class LoginOutcome:
    """The user who logged in (detached, loaded), or why not: ``locked_until`` or bad credentials."""

    user: User | None
    locked_until: dt.datetime | None = None


def _locked_until(session: Session, settings: Settings, username: str, address: str) -> dt.datetime | None:
    since = utcnow() - settings.login_window
    user = store.find_user(session, username)
    name_since = max(since, user.last_login_at) if user is not None and user.last_login_at else since
    ends = []
    for limit, start, key in ((settings.login_max_failures, name_since, {"username": username}),
                              (settings.login_max_failures_per_address, since, {"address": address})):
        at = store.nth_latest_failed_login(session, limit, start, **key)
        if at is not None:
            ends.append(at + settings.login_window)
    return max(ends, default=None)


def log_in(settings: Settings, username: str, password: str, address: str) -> LoginOutcome:
    """Check a login attempt from ``address`` and audit it, whatever its outcome."""
    with session_scope(settings.database_url) as session:
        locked_until = _locked_until(session, settings, username, address)
        user = None if locked_until else store.authenticate(session, username, password)
        if user is not None:
            audit(session, user.id, "login", "user", user.id, {"address": address})
        else:
            store.record_failed_login(session, username, address, "locked" if locked_until else "credentials")
    return LoginOutcome(user, locked_until)


def log_out(settings: Settings, actor: Actor) -> None:
    """End every session of the actor: a copy of this browser's cookie must not outlive it."""
    if actor.user_id is None:
        return
    with session_scope(settings.database_url) as session:
        user = store.get_user(session, actor.user_id)
        if user is not None:
            store.end_sessions(user)
            audit(session, user.id, "logout", "user", user.id)
