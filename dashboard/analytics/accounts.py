"""User accounts as the admin pages and the command line list them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dashboard.store import users as store


def user_list(session: Session):
    """Every user, by user name."""
    return store.list_users(session)


def print_account(session: Session, username: str | None) -> int | None:
    """The id of the account a printed page is rendered for: ``username`` if active, else the
    first active administrator; None when there is none."""
    if username:
        user = store.find_user(session, username)
        return user.id if user is not None and user.active else None
    admins = [u for u in store.list_users(session) if u.active and u.role == "admin"]
    return min(admins, key=lambda u: u.id).id if admins else None
