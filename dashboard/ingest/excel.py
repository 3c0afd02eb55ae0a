"""Reading an uploaded .xlsx sheet with Chinese headers, shared by the sites, inspections and
ledger readers: the sheet's rows, and cells as the text people typed.

Each reader keeps its own headers, checks and messages (they name file, row and column in
their own words); this module only opens the workbook and reads cells the same way for all.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, BinaryIO
from zipfile import BadZipFile


class NotAnExcelFile(Exception):
    """The file cannot be opened as an .xlsx workbook; ``reason`` is openpyxl's error class."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def sheet_rows(source: str | Path | bytes | BinaryIO, sheet: str | None = None) -> list[tuple]:
    """Every row of a sheet as cell values (header first).

    ``sheet`` names the sheet to read, falling back to the first one when the workbook has no
    sheet of that name; ``None`` reads the sheet the workbook opens on. Raises ``NotAnExcelFile``.
    """
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(source) if isinstance(source, bytes) else source,
                                 read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        # openpyxl's many ways of saying "not an .xlsx file"
        raise NotAnExcelFile(exc.__class__.__name__) from None
    try:
        if sheet is None:
            worksheet = workbook.active
        else:
            worksheet = workbook[sheet] if sheet in workbook.sheetnames else workbook.worksheets[0]
        return list(worksheet.iter_rows(values_only=True))
    finally:
        workbook.close()


def cell_text(value: Any) -> str:
    """A cell as stripped text; whole numbers Excel stores as floats lose their ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def is_blank(value: Any) -> bool:
    """An empty cell, or one holding only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())
