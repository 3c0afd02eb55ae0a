"""Wall-display tokens: created, revoked and checked here; admins only for the writes.

A token is a principal of its own (role ``display``), not a user: it opens the wall and nothing
else (``dashboard.auth`` confines it), never expires with a session, and ends only when revoked.
The secret is shown once, at creation; only its SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from dashboard.domain.errors import CodedError
from dashboard.services.access import Actor, require
from dashboard.settings import Settings
from dashboard.store import display as store
from dashboard.store.db import read_scope, session_scope
from dashboard.store.models import utcnow
from dashboard.store.users import audit

DISPLAY_ROLE = "display"
NAME_LENGTH = 64


class InvalidToken(CodedError):
    """``bad_name`` (blank, longer than 64 or with spaces), ``name_taken`` or ``not_found``."""


@dataclass(frozen=True)
class DisplayPrincipal:
    """Who a request with a valid display token is: the token's name, nothing more."""

    token_id: int
    name: str
    role: str = DISPLAY_ROLE


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _clean_name(name: object) -> str:
    text = str(name or "").strip()
    if not text or len(text) > NAME_LENGTH or any(ch.isspace() for ch in text):
        raise InvalidToken("bad_name")
    return text


def create_token(settings: Settings, actor: Actor, name: object) -> str:
    """A new token called ``name``; returns its secret (the only time anyone sees it)."""
    require(actor, "admin")
    clean = _clean_name(name)
    secret = secrets.token_urlsafe(32)
    with session_scope(settings.database_url) as session:
        if store.find_token(session, clean) is not None:
            raise InvalidToken("name_taken", name=clean)
        token = store.add_token(session, clean, token_hash(secret), actor.user_id)
        audit(session, actor.user_id, "create", "display_token", token.id, {"name": clean})
    return secret


def revoke_token(settings: Settings, actor: Actor, name: object) -> bool:
    """Revoke the token ``name`` at once (the next request of its wall is refused); False when
    it was already revoked."""
    require(actor, "admin")
    clean = str(name or "").strip()
    with session_scope(settings.database_url) as session:
        token = store.find_token(session, clean)
        if token is None:
            raise InvalidToken("not_found", name=clean[:NAME_LENGTH])
        if token.revoked_at is not None:
            return False
        token.revoked_at = utcnow()
        audit(session, actor.user_id, "revoke", "display_token", token.id, {"name": clean})
    return True


def authenticate(settings: Settings, secret: str | None) -> DisplayPrincipal | None:
    """The principal of a valid, unrevoked token, or None."""
    if not secret or len(secret) > 256:
        return None
    digest = token_hash(secret)
    with read_scope(settings.database_url) as session:
        token = store.token_by_hash(session, digest)
        if token is None or not secrets.compare_digest(token.token_hash, digest) or token.revoked_at is not None:
            return None
        principal = DisplayPrincipal(token.id, token.name)
        needs_note = token.last_used_at is None or (utcnow() - token.last_used_at) >= store.USE_RESOLUTION
    if needs_note:
        with session_scope(settings.database_url) as session:
            store.note_use(session, principal.token_id)
    return principal


@dataclass(frozen=True)
class TokenRow:
    name: str
    created_at: object
    revoked_at: object
    last_used_at: object
    created_by: str | None = None
    id: int | None = None


def list_tokens(settings: Settings) -> list[TokenRow]:
    """Every token without its secret (which is not stored anyway)."""
    with read_scope(settings.database_url) as session:
        return [TokenRow(t.name, t.created_at, t.revoked_at, t.last_used_at, by, t.id)
                for t, by in store.tokens(session)]
