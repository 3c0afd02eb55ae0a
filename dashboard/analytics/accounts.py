"""User accounts as the admin pages and the command line list them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dashboard.store import users as store


def user_list(session: Session):
    """Every user, by user name."""
    return store.list_users(session)
