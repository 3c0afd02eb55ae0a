"""Text a spreadsheet would run as a formula (OWASP's "CSV injection"), made inert in exports.

Excel, WPS and LibreOffice take a cell starting with =, +, - or @ as a formula, also after a
tab or carriage return, in a CSV file and in an .xlsx alike (openpyxl stores text starting
with "=" as a formula). A site named ``=HYPERLINK("http://…","详情")`` or a ledger task
``=cmd|' /C calc'!A0`` would become a live link or a command in the hands of whoever opens the
export. Every writer passes its cells through ``neutralise``, which puts a single quote in
front of such text, as OWASP recommends; numbers, dates and blanks are left alone, so a
negative number stays a number. The readers take the quote off again (``unneutralise``, in
``excel.cell_text``), so an export imports back unchanged.
"""

from __future__ import annotations

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """``value`` safe for a spreadsheet cell: text starting like a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and headers are ``neutralise``d; numeric, boolean
    and date columns are kept as they are."""
    out = frame.copy()
    for position in range(len(out.columns)):
        values = out.iloc[:, position]
        if values.dtype.kind not in "biufcmM":
            out.isetitem(position, values.map(neutralise, na_action="ignore"))
    out.columns = [neutralise(c) for c in out.columns]
    return out


def unneutralise(text: str) -> str:
    """Text read back from an export, without the quote ``neutralise`` put in front."""
    return text[1:] if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_START) else text
