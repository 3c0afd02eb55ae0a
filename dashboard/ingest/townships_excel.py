"""The township list in Excel (乡镇办): reading and checking an upload, writing the export.

One sheet, Chinese headers on row 1, one township per row from row 2:

| 表头 | field | required | values |
|---|---|---|---|
| 编码 | code | | letters, digits, - and _; blank: matched by name, or a new code (t001, …) |
| 名称 | name | yes | unique in the district |
| 英文名称 | name_en | | |
| 类型 | kind | yes | 街道 / 镇 / 乡 / 管委会 (or street / town / township / zone) |
| 顺序 | position | | 1, 2, …; blank keeps a township's place (new ones go last) |
| 状态 | active | | 在用 / 已撤销 (or active / retired); blank keeps it (new ones are in use) |

A blank 英文名称, 顺序 or 状态 leaves what is stored alone. The header may hold only these columns,
each once; a value under no header or a repeated header row refuses the file. This module checks
the file on its own (format, vocabulary, names and codes repeated within it); what only the
database knows (a name held by a township not in the file) is checked by the service, which
reports it in the same form. No SQL here.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from dashboard.domain.district import POSITION_MAX, TOWNSHIP_KINDS, check_township
from dashboard.i18n import t
from dashboard.ingest.excel import cell_text, checked_sheet, is_blank
from dashboard.ingest.formulas import neutralise
from dashboard.ingest.report import Problem, clip

#: (Chinese header, field) in file order.
COLUMNS: list[tuple[str, str]] = [
    ("编码", "code"),
    ("名称", "name"),
    ("英文名称", "name_en"),
    ("类型", "kind"),
    ("顺序", "position"),
    ("状态", "active"),
]
HEADERS = [h for h, _ in COLUMNS]
HEADER_OF = {f: h for h, f in COLUMNS}
REQUIRED_HEADERS = ("名称", "类型")
SHEET = "乡镇办"
WIDTHS = {"编码": 18, "名称": 26, "英文名称": 40, "类型": 10, "顺序": 8, "状态": 10}
STATES = {True: "active", False: "retired"}


@dataclass(frozen=True)
class TownshipRow:
    """One checked row: ``code`` "" when blank; ``position`` and ``active`` None when blank."""

    row: int
    code: str
    name: str
    name_en: str | None
    kind: str
    position: int | None
    active: bool | None


@dataclass
class TownshipsFile:
    """A checked file: its rows (only when there is no problem) and the problems."""

    file: str
    rows: list[TownshipRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _header_key(text: Any) -> str:
    return re.sub(r"\s+", "", "" if text is None else str(text))


def _vocabulary(prefix: str, keys: Iterable[Any], names: dict[Any, str]) -> dict[str, Any]:
    """Label (zh, en) or key → value, for a vocabulary column."""
    out: dict[str, Any] = {}
    for key in keys:
        name = names[key]
        out[name.lower()] = key
        for lang in ("zh", "en"):
            out[t(f"{prefix}.{name}", lang).lower()] = key
    return out


_KIND_OF = _vocabulary("district.kind", TOWNSHIP_KINDS, {k: k for k in TOWNSHIP_KINDS})
_ACTIVE_OF = _vocabulary("district.state", (True, False), STATES)


def _position(value: Any) -> tuple[int | None, bool]:
    """(position, ok): a whole number 1..POSITION_MAX; blank is (None, True)."""
    if is_blank(value):
        return None, True
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        text = value.strip()
        # isdigit() is also true of "²" and "١", which int() refuses or reads
        value = int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= POSITION_MAX:
        return None, False
    return value, True




def read_townships(source: str | Path | bytes | BinaryIO, file: str | None = None, lang: str = "zh") -> TownshipsFile:
    """Read and check a township workbook; every problem names file, row, column and reason."""
    name = file or (str(source) if isinstance(source, (str, Path)) else "upload.xlsx")
    report = TownshipsFile(file=name)

    def problem(row: int | None, column: str | None, key: str, **params: Any) -> None:
        report.problems.append(Problem(name, row, column, t(key, lang, **params)))

    checked = checked_sheet(source, SHEET, headers=HEADERS, required=REQUIRED_HEADERS, header_key=_header_key,
                            prefix="district.import", problem=problem, lang=lang,
                            note=lambda text: report.problems.append(Problem(name, None, None, text)),
                            expected="、".join(HEADERS))
    if checked is None:
        return report
    rows, position = checked

    names: dict[str, int] = {}
    codes: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        cells = {f: (row[position[h]] if h in position and position[h] < len(row) else None) for h, f in COLUMNS}
        if all(is_blank(v) for v in cells.values()):
            continue
        texts = {f: cell_text(cells[f]) for f in ("code", "name", "name_en", "kind")}
        kind = _KIND_OF.get(texts["kind"].lower(), texts["kind"])
        clean, issues = check_township({**texts, "kind": kind}, taken_names=set(), taken_codes=set())
        for issue in issues:
            problem(number, HEADER_OF[issue.field], issue.key, **{k: clip(v) if isinstance(v, str) else v
                                                                   for k, v in issue.params.items()})
        order, ok = _position(cells["position"])
        if not ok:
            problem(number, "顺序", "district.import.bad_position", limit=POSITION_MAX)
        state = cell_text(cells["active"])
        active = _ACTIVE_OF.get(state.lower()) if state else None
        if state and active is None:
            problem(number, "状态", "district.import.unknown_state", value=clip(state))
        if texts["name"] in names:
            problem(number, "名称", "district.import.duplicate_name", name=clip(texts["name"]),
                    first=names[texts["name"]])
        elif texts["name"]:
            names[texts["name"]] = number
        if texts["code"] in codes:
            problem(number, "编码", "district.import.duplicate_code", code=clip(texts["code"]),
                    first=codes[texts["code"]])
        elif texts["code"]:
            codes[texts["code"]] = number
        if clean is not None:
            report.rows.append(TownshipRow(number, texts["code"], clean.name, clean.name_en or None, clean.kind,
                                           order, active))
    if not report.rows and not report.problems:
        problem(2, None, "district.import.empty")
    if report.problems:
        report.rows = []
    return report


def export_rows(townships: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored townships (code, name, name_en, kind, position, active) → file rows."""
    return [{f: township.get(f) for _h, f in COLUMNS} for township in townships]


def write_townships(rows: Iterable[dict[str, Any]], dest: str | Path | BinaryIO | None = None) -> bytes | None:
    """Write file rows (fields of ``COLUMNS``; kind as key, active as bool) to ``dest``; bytes if None.

    With no rows this is the import template: the header alone.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E6F4F1")
    for row in rows:
        values = []
        for _header, f in COLUMNS:
            value = row.get(f)
            if f == "kind" and value:
                value = t(f"district.kind.{value}", "zh")
            elif f == "active" and value is not None:
                value = t(f"district.state.{STATES[bool(value)]}", "zh")
            values.append(neutralise(value))
        sheet.append(values)
    for index, header in enumerate(HEADERS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS[header]
    sheet.freeze_panes = "A2"
    if dest is None:
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    workbook.save(dest)
    return None
