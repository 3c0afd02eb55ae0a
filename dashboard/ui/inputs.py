"""Checks of what a callback receives: values our pages send, never trusted as such.

A crafted or stale request can put anything in a callback's inputs; these helpers turn what is
malformed into ``BadInput``, which every callback's error handler shows as a clear message.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from dashboard.domain.errors import CodedError


class BadInput(CodedError):
    """A callback received values no page of ours sends."""

    def __init__(self, what: str):
        super().__init__("bad_input", what=what)


def upload_bytes(contents: Any) -> bytes:
    """The file of a dcc.Upload's ``data:<type>;base64,<data>`` contents."""
    if not isinstance(contents, str) or "," not in contents:
        raise BadInput("upload")
    try:
        return base64.b64decode(contents.partition(",")[2], validate=True)
    except (binascii.Error, ValueError):
        raise BadInput("upload") from None


def int_or_none(value: Any) -> int | None:
    """An id or number sent as int or digit string; None for blank; ``BadInput`` otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadInput("number")
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    # Ids and counts: the database's 64-bit integers, no more.
    if isinstance(value, int) and -(2**63) <= value < 2**63:
        return value
    raise BadInput("number")


def period(value: Any) -> tuple[dt.date, dt.date] | None:
    """A date-range picker's [start, end] (ISO dates) in order; None while the user is still
    picking the end date; ``BadInput`` for anything else."""
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > 2:
        raise BadInput("period")
    if len(value) < 2 or not value[0] or not value[1]:
        return None
    try:
        start, end = (dt.date.fromisoformat(str(v)[:10]) for v in value)
    except ValueError:
        raise BadInput("period") from None
    return (start, end) if start <= end else (end, start)


def rows(value: Any) -> list[dict]:
    """Grid rows (a list of objects); None is no rows."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise BadInput("rows")
    return value


def ids(value: Any) -> list[int]:
    """A multi-select of ids (ints or digit strings); None is none."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadInput("ids")
    out = [int_or_none(v) for v in value]
    return [v for v in out if v is not None]


def strings(value: Any, allowed: tuple[str, ...] | None = None) -> list[str]:
    """A multi-select of keys (of ``allowed`` when given); None is none."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadInput("keys")
    if allowed is not None and not set(value) <= set(allowed):
        raise BadInput("keys")
    return value


def choice(value: Any, allowed: tuple[str, ...], default: str | None = None) -> str | None:
    """One key of ``allowed`` (``default`` for None)."""
    if value is None:
        return default
    if value not in allowed:
        raise BadInput("choice")
    return value
