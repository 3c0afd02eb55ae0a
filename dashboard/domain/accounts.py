"""Account rules: what makes a password acceptable. Pure functions, shared by the CLI and admin pages."""

from __future__ import annotations

TOO_SHORT = "too_short"
SAME_AS_USERNAME = "same_as_username"


def password_problems(password: str, username: str, min_length: int) -> list[str]:
    """Reason codes why ``password`` may not be ``username``'s password; empty when it may.

    ``too_short``: fewer than ``min_length`` characters; ``same_as_username``: the user name
    itself, ignoring case and surrounding spaces. Messages: ``account.password.<code>`` in the
    i18n catalogs (``min_length`` is their placeholder).
    """
    problems = []
    if len(password) < min_length:
        problems.append(TOO_SHORT)
    if password.strip().casefold() == username.strip().casefold():
        problems.append(SAME_AS_USERNAME)
    return problems
