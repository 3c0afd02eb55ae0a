"""The wall display's tokens and its one tuned rule (how old the newest reading may be)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.store.models import AppSetting, DisplayToken, User, utcnow

STALE_MINUTES_KEY = "wall.stale_minutes"
DEFAULT_STALE_MINUTES = 120
# last_used_at is rewritten at most this often: a wall refreshes every minute, all day long.
USE_RESOLUTION = dt.timedelta(minutes=10)


def find_token(session: Session, name: str) -> DisplayToken | None:
    return session.scalar(select(DisplayToken).where(DisplayToken.name == name))


def token_by_hash(session: Session, token_hash: str) -> DisplayToken | None:
    return session.scalar(select(DisplayToken).where(DisplayToken.token_hash == token_hash))


def add_token(session: Session, name: str, token_hash: str, created_by_id: int | None) -> DisplayToken:
    token = DisplayToken(name=name, token_hash=token_hash, created_by_id=created_by_id)
    session.add(token)
    session.flush()
    return token


def tokens(session: Session) -> list[tuple[DisplayToken, str | None]]:
    """Every token, oldest first, with the user name of whoever created it (None: the command
    line, or a user since deleted)."""
    rows = session.execute(select(DisplayToken, User.username)
                           .outerjoin(User, User.id == DisplayToken.created_by_id)
                           .order_by(DisplayToken.created_at, DisplayToken.id)).all()
    return [(token, username) for token, username in rows]


def note_use(session: Session, token_id: int, now: dt.datetime | None = None) -> None:
    now = now or utcnow()
    token = session.get(DisplayToken, token_id)
    if token is not None and (token.last_used_at is None or now - token.last_used_at >= USE_RESOLUTION):
        token.last_used_at = now


def stale_minutes(session: Session) -> int:
    """The age of the newest reading, in minutes, after which the wall shows it as stale;
    a stored value that cannot be read counts as the default."""
    row = session.get(AppSetting, STALE_MINUTES_KEY)
    try:
        value = int(row.value) if row is not None else DEFAULT_STALE_MINUTES
    except ValueError:
        return DEFAULT_STALE_MINUTES
    return value if 1 <= value <= 7 * 24 * 60 else DEFAULT_STALE_MINUTES


def set_stale_minutes(session: Session, minutes: int) -> int:
    row = session.get(AppSetting, STALE_MINUTES_KEY)
    if row is None:
        session.add(AppSetting(key=STALE_MINUTES_KEY, value=str(minutes)))
    else:
        row.value = str(minutes)
    return minutes
