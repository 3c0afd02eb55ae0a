"""Reading an uploaded .xlsx sheet with Chinese headers, shared by the sites, inspections and
ledger readers: the sheet's rows, and cells as the text people typed.

Each reader keeps its own headers, checks and messages (they name file, row and column in
their own words); this module only opens the workbook and reads cells the same way for all.

An upload is bounded before openpyxl parses it: the file's size, the size of the zip's table
of contents, what its members declare they unpack to (zipfile never inflates a member beyond
its declared size) and each member's compression ratio. A zip bomb, a few hundred KB that
unpack to gigabytes of sheet XML, is refused in milliseconds instead of costing a server worker
a minute of CPU and half a GB. Reading stops at ``MAX_ROWS`` rows and ``MAX_COLUMNS`` columns.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from zipfile import BadZipFile, ZipFile

from dashboard.i18n import t
from dashboard.ingest.formulas import unneutralise
from dashboard.ingest.report import clip

# Sites, inspections and ledger workbooks are tens of KB (a few hundred rows): 10 MB is a
# hundred times that and still parses in seconds.
MAX_FILE_BYTES = 10 * 2**20
# The zip's table of contents: zipfile reads it whole before anything else. A workbook has a
# few dozen parts (about 100 bytes each); a 10 MB table lists 200,000 and costs a second.
MAX_DIRECTORY_BYTES = 256 * 2**10
# openpyxl holds the shared strings and styles in memory and reads every sheet part; a
# workbook of MAX_ROWS full rows unpacks to about 30 MB.
MAX_UNPACKED_BYTES = 100 * 2**20
# Apache POI's default (ZipSecureFile's minimum inflate ratio 0.01): sheet XML compresses 5 to
# 30 times, a zip bomb a thousand. Parts smaller than MAX_RATIO_FREE_BYTES are exempt, as in
# POI: a small part of repeated text may compress far and costs nothing.
MAX_RATIO = 100
MAX_RATIO_FREE_BYTES = 2**20
# Two orders of magnitude above a real file (a district has a few hundred sites, a batch of
# paper inspections or a ledger a few hundred rows) and well inside the memory of a worker.
MAX_ROWS = 20_000
# The widest sheet is the inspections template: 3 + 2 × 8 items = 19 columns.
MAX_COLUMNS = 200

# openpyxl's many ways of saying "not an .xlsx file", from opening to the last row: bad zip
# data, malformed XML (SyntaxError covers both XML parsers), wrong types, dates out of range,
# zip features zipfile lacks (RuntimeError: encryption, NotImplementedError: methods, versions).
_BROKEN = (BadZipFile, zlib.error, EOFError, KeyError, IndexError, OSError, ValueError, TypeError, AttributeError,
           SyntaxError, ArithmeticError, RuntimeError)


class NotAnExcelFile(Exception):
    """The file cannot be read as an .xlsx workbook; ``reason`` says why, in English."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class WorkbookTooLarge(NotAnExcelFile):
    """The workbook exceeds one of this module's limits; ``message(lang)`` says which."""

    def __init__(self, key: str, **params: object):
        self.key, self.params = key, params
        super().__init__(t(key, "en", **params))

    def message(self, lang: str) -> str:
        return t(self.key, lang, **self.params)


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f}"


def _bounded_bytes(source: str | Path | bytes | BinaryIO) -> bytes:
    """The upload's bytes, once its size and its zip's declared sizes are within the limits."""
    if isinstance(source, bytes):
        data = source
    elif isinstance(source, (str, Path)):
        try:
            size = Path(source).stat().st_size
            if size > MAX_FILE_BYTES:
                raise WorkbookTooLarge("ingest.excel.file_size", size=_megabytes(size),
                                       limit=_megabytes(MAX_FILE_BYTES))
            data = Path(source).read_bytes()
        except OSError as exc:
            raise NotAnExcelFile(exc.__class__.__name__) from None
    else:
        data = source.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise WorkbookTooLarge("ingest.excel.file_size", size=f"> {_megabytes(MAX_FILE_BYTES)}",
                               limit=_megabytes(MAX_FILE_BYTES))
    # The end-of-directory record (last 22 bytes plus a comment of up to 64 KB) gives the size
    # of the table zipfile would parse.
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 0xFFFF))
    if end < 0 or len(data) < end + 22:
        raise NotAnExcelFile("BadZipFile")
    directory = int.from_bytes(data[end + 12:end + 16], "little")
    if directory > MAX_DIRECTORY_BYTES:
        raise WorkbookTooLarge("ingest.excel.directory", size=directory // 1024, limit=MAX_DIRECTORY_BYTES // 1024)
    try:
        with ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except _BROKEN as exc:
        raise NotAnExcelFile(exc.__class__.__name__) from None
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_UNPACKED_BYTES:
        raise WorkbookTooLarge("ingest.excel.unpacked", size=_megabytes(unpacked), limit=_megabytes(MAX_UNPACKED_BYTES))
    for member in members:
        if member.file_size > MAX_RATIO_FREE_BYTES and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise WorkbookTooLarge("ingest.excel.ratio", member=member.filename[:60],
                                   ratio=member.file_size // max(member.compress_size, 1), limit=MAX_RATIO)
    return data


def sheet_rows(source: str | Path | bytes | BinaryIO, sheet: str | None = None) -> list[tuple]:
    """Every row of a sheet as cell values (header first), without trailing empty cells.

    ``sheet`` names the sheet to read, falling back to the first one when the workbook has no
    sheet of that name; ``None`` reads the sheet the workbook opens on. Raises
    ``NotAnExcelFile``, or ``WorkbookTooLarge`` for a file beyond this module's limits.
    """
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    data = _bounded_bytes(source)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, *_BROKEN) as exc:
        raise NotAnExcelFile(exc.__class__.__name__) from None
    rows: list[tuple] = []
    try:
        if sheet is None:
            worksheet = workbook.active
        else:
            worksheet = workbook[sheet] if sheet in workbook.sheetnames else workbook.worksheets[0]
        # The sheet's own <dimension> would pad every row to its width: A1:XFD1 makes each row
        # 16,384 cells. Without it a row is as wide as its last cell.
        worksheet.reset_dimensions()
        for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
            if number > MAX_ROWS:
                raise WorkbookTooLarge("ingest.excel.rows", limit=MAX_ROWS)
            if len(row) > MAX_COLUMNS:
                beyond = row[MAX_COLUMNS:]  # count() in C: a row can be 16,384 cells of one formatted
                if beyond.count(None) != len(beyond):
                    raise WorkbookTooLarge("ingest.excel.columns", row=number, limit=MAX_COLUMNS)
                row = row[:MAX_COLUMNS]
            width = len(row)
            while width and row[width - 1] is None:  # formatted but empty cells
                width -= 1
            rows.append(tuple(row[:width]))
    except WorkbookTooLarge:
        raise
    except _BROKEN as exc:
        raise NotAnExcelFile(exc.__class__.__name__) from None
    finally:
        workbook.close()
    return rows


@dataclass(frozen=True)
class ShapeIssue:
    """A problem of the sheet's layout: ``row`` is the sheet row (header = 1), ``column`` the
    0-based column, ``key`` an i18n key (``ingest.excel.*``) with its ``params``."""

    row: int
    column: int
    key: str
    params: dict[str, object] = field(default_factory=dict)


def shape_issues(rows: list[tuple], header_key: Callable[[Any], str]) -> list[ShapeIssue]:
    """What makes a sheet's rows not line up with its header, found before any row is read.

    A header named twice (compared by ``header_key``, each reader's own spelling rules), a
    value in a column without a header (once per column: the rows are shifted or a column was
    added), and the header row repeated further down (a pasted second table).
    """
    if not rows:
        return []
    header = [header_key(h) for h in rows[0]]
    issues = []
    first: dict[str, int] = {}
    for i, name in enumerate(header):
        if name and name in first:
            issues.append(ShapeIssue(1, i, "ingest.excel.header_twice", {"header": name, "first": first[name] + 1}))
        first.setdefault(name, i)
    named = [name for name in header if name]
    gaps = [i for i, name in enumerate(header) if not name]
    reported: set[int] = set()
    for number, row in enumerate(rows[1:], start=2):
        for i in [*gaps, *range(len(header), len(row))]:
            if i < len(row) and i not in reported and not is_blank(row[i]):
                reported.add(i)
                issues.append(ShapeIssue(number, i, "ingest.excel.no_header"))
        values = [v for v in row if not is_blank(v)]
        if named and len(values) == len(named) and all(header_key(v) == n for v, n in zip(values, named)):
            issues.append(ShapeIssue(number, 0, "ingest.excel.header_repeated"))
    return sorted(issues, key=lambda issue: (issue.row, issue.column))


def cell_text(value: Any) -> str:
    """A cell as stripped text; whole numbers Excel stores as floats lose their ".0", and text
    an export neutralised (``formulas``) loses the quote in front."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unneutralise(str(value).strip()).strip()


def is_blank(value: Any) -> bool:
    """An empty cell, or one holding only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def column_name(header: tuple, index: int) -> str:
    """A column as messages name it: its header, or its letter when it has none."""
    from openpyxl.utils import get_column_letter

    text = cell_text(header[index]) if index < len(header) else ""
    return clip(text) if text else get_column_letter(index + 1)


def checked_sheet(source, sheet: str, *, headers: Sequence[str], required: Sequence[str],
                  header_key: Callable[[Any], str], prefix: str, problem: Callable[..., None],
                  note: Callable[[str], None], lang: str,
                  **unknown_params: Any) -> tuple[list[tuple], dict[str, int]] | None:
    """A template-shaped sheet's rows and where each known header stands, once the file opens
    and its header is right; None when not, every problem reported through ``problem(row,
    column, key, **params)`` (keys ``<prefix>.not_xlsx``, ``.empty``, ``.unknown_column``,
    ``.missing_column``, and the shape keys) or ``note(text)`` (a workbook over the limits)."""
    try:
        rows = sheet_rows(source, sheet)
    except WorkbookTooLarge as exc:
        note(exc.message(lang))
        return None
    except NotAnExcelFile:
        problem(None, None, f"{prefix}.not_xlsx")
        return None
    if not rows:
        problem(1, None, f"{prefix}.empty")
        return None
    wanted = {header_key(h): h for h in headers}
    bad = False
    for issue in shape_issues(rows, header_key):
        problem(issue.row, column_name(rows[0], issue.column), issue.key, **issue.params)
        bad = True
    for index, cell in enumerate(rows[0]):
        if header_key(cell) and header_key(cell) not in wanted:
            problem(1, column_name(rows[0], index), f"{prefix}.unknown_column", **unknown_params)
            bad = True
    if bad:
        return None
    position: dict[str, int] = {}
    for index, cell in enumerate(rows[0]):
        header = wanted.get(header_key(cell))
        if header is not None and header not in position:
            position[header] = index
    missing = [h for h in required if h not in position]
    for header in missing:
        problem(1, header, f"{prefix}.missing_column")
    return None if missing else (rows, position)
