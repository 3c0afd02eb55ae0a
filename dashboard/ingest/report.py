"""What an import did: counts, and every skipped cell or refused file with its exact place."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# A summary lists this many problems one by one; the rest are counted (a broken sensor can
# produce thousands of identical lines that would bury the useful ones).
SHOWN_PROBLEMS = 50
# A value quoted in a message is cut to this many characters: a file can hold a 10 MB cell.
SHOWN_CHARS = 40
# Never part of a name: PostgreSQL refuses NUL in text, and escapes would reach every page.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clip(value: object, limit: int = SHOWN_CHARS) -> str:
    """A value from a file as a message may show it: cut to ``limit`` characters with "…",
    and line breaks, terminal escapes and other invisible characters escaped as repr does."""
    text = "" if value is None else str(value)
    if len(text) > limit:
        text = text[:limit] + "…"
    return repr(text)[1:-1]


@dataclass(frozen=True)
class Problem:
    """One thing that was not imported. ``row`` is the 1-based line of the file (header = 1)."""

    file: str
    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.reason}"


class RefusedError(Exception):
    """A whole file (or response) is refused: nothing of it may be saved."""

    def __init__(self, file: str, reason: str, row: int | None = None, column: str | None = None):
        self.problem = Problem(str(file), row, column, reason)
        super().__init__(str(self.problem))


@dataclass
class ImportReport:
    """Counts of one imported file and the problems found in it.

    ``rows_read`` values (non-blank cells of the kept types) = ``added`` + ``skipped`` (already
    stored with the same value, or a bad cell listed in ``problems``) + ``conflicts``.
    """

    file: str
    rows_read: int = 0
    added: int = 0
    skipped: int = 0
    conflicts: int = 0
    problems: list[Problem] = field(default_factory=list)
    refused: Problem | None = None

    def problem(self, row: int | None, column: str | None, reason: str) -> None:
        self.problems.append(Problem(self.file, row, column, reason))

    @property
    def ok(self) -> bool:
        return self.refused is None

    def summary(self) -> str:
        """One line of counts, then one line per problem (the first ``SHOWN_PROBLEMS``)."""
        if self.refused is not None:
            head = f"REFUSED {self.refused}"
        else:
            head = (f"{self.file}: {self.rows_read} values read, {self.added} added, "
                    f"{self.skipped} already stored or skipped")
            if self.conflicts:  # a kept report with conflicts ran with on_conflict="update"
                head += f", {self.conflicts} stored value(s) replaced"
            if self.problems:
                head += f", {len(self.problems)} problem(s)"
        lines = [head]
        ordered = sorted(self.problems, key=lambda p: (p.row is None, p.row or 0))
        lines += [f"  skipped {p}" for p in ordered[:SHOWN_PROBLEMS]]
        if len(self.problems) > SHOWN_PROBLEMS:
            lines.append(f"  … and {len(self.problems) - SHOWN_PROBLEMS} more problem(s)")
        return "\n".join(lines)
