"""The refusal that writers raise: a reason code the page translates, and what it concerns."""

from __future__ import annotations

from typing import Any


class CodedError(ValueError):
    """A refused input or write; ``code`` names the reason (the page looks up its text in the
    catalogs), ``details`` are what the message mentions (a number, a position...)."""

    def __init__(self, code: str, **details: Any):
        self.code, self.details = code, details
        super().__init__(f"{code} {details}" if details else code)
