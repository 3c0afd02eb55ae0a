"""Who is acting, and what they may do (``domain.roles``), checked by every service.

The command line acts as ``Actor.system()``; a Dash callback as the logged-in user.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.domain import roles
from dashboard.domain.errors import CodedError
from dashboard.domain.roles import ROLES

__all__ = ["ROLES", "Actor", "Forbidden", "require", "require_township"]


class Forbidden(CodedError):
    """The actor may not do this: ``forbidden`` (role) or ``not_your_township`` (scope)."""


@dataclass(frozen=True)
class Actor:
    """The user a service acts for (a plain value: no database session behind it)."""

    user_id: int | None
    role: str | None
    township_id: int | None = None
    name: str = ""

    @classmethod
    def system(cls, name: str = "command line") -> Actor:
        """The operator of the command line: full rights, no user row."""
        return cls(user_id=None, role="admin", name=name)

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(user_id=None, role=None)

    def at_least(self, role: str) -> bool:
        return roles.at_least(self.role, role)


def require(actor: Actor, role: str) -> None:
    """Raise ``Forbidden`` unless the actor's role is at least ``role``."""
    if not actor.at_least(role):
        raise Forbidden("forbidden", role=role)


def require_township(actor: Actor, township_id: int | None) -> None:
    """Raise ``Forbidden`` when a township-bound actor reaches outside their township."""
    if not roles.in_scope(actor.role, actor.township_id, township_id):
        raise Forbidden("not_your_township")
