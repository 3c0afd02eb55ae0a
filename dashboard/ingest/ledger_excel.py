"""The task ledger as the Excel file staff already keep (任务台账.xlsx): write it, read it back.

Columns, in this order: 序号, 会议, 问题/任务, 整改措施, 责任单位, 牵头部门, 完成时限, 状态, 超期天数,
结转次数. 会议 is "第N次调度会", 状态 one of the Chinese labels of ``domain.ledger``. On import
超期天数 and 结转次数 are ignored: the dashboard computes them from the deadline and the meetings.

Reading checks the header first (only these columns, each once; no value under no header, no
repeated header row), then every row, and collects every problem with its file, row (the
Excel row number, header = 1), column and reason, so a file is refused as a whole with a list
of everything to fix. 序号 runs from 1 to ``domain.limits.LEDGER_SEQ_MAX`` and 完成时限 lies in
the plausible era of records.
Resolving meetings and units against the database is ``resolve`` (given lookups), so this module
does no SQL; the store saves a resolved file in one transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from dashboard.domain.ledger import STATUS_LABELS_ZH
from dashboard.domain.limits import LEDGER_SEQ_MAX, RECORDS_FROM, records_until
from dashboard.domain.meetings import meeting_label, parse_meeting_label
from dashboard.i18n import t
from dashboard.ingest.excel import NotAnExcelFile, WorkbookTooLarge, cell_text, is_blank, shape_issues, sheet_rows
from dashboard.ingest.formulas import neutralise
from dashboard.ingest.report import Problem, clip

COLUMNS = ("序号", "会议", "问题/任务", "整改措施", "责任单位", "牵头部门", "完成时限", "状态", "超期天数", "结转次数")
WIDTHS = {
    "序号": 7,
    "会议": 15,
    "问题/任务": 42,
    "整改措施": 52,
    "责任单位": 22,
    "牵头部门": 18,
    "完成时限": 13,
    "状态": 10,
    "超期天数": 10,
    "结转次数": 10,
}
REQUIRED = ("序号", "会议", "问题/任务", "责任单位", "完成时限")
STATUS_BY_LABEL = {label: code for code, label in STATUS_LABELS_ZH.items()}
SHEET_TITLE = "任务台账"
_DATE_TEXT = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")


@dataclass(frozen=True)
class LedgerRow:
    """One valid line of an imported ledger (units still by name)."""

    row: int
    meeting_number: int
    seq: int
    task: str
    measures: str
    responsible_unit: str
    lead_department: str | None
    deadline: dt.date
    status: str | None  # None: the file does not say


@dataclass(frozen=True)
class ResolvedRow:
    row: LedgerRow
    meeting_id: int
    responsible_unit_id: int
    lead_department_id: int | None


class LedgerFileError(Exception):
    """The file is refused: ``problems`` lists every row, column and reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# --------------------------------------------------------------------------- writing
def export_rows(frame) -> list[dict[str, Any]]:
    """Rows for the file from ``analytics.meetings.ledger_table`` (ordered by meeting and 序号)."""
    rows = []
    for r in frame.sort_values(["meeting_number", "seq"]).itertuples():
        rows.append(
            {
                "序号": int(r.seq),
                "会议": meeting_label(int(r.meeting_number)),
                "问题/任务": r.task,
                "整改措施": r.measures or "",
                "责任单位": r.responsible_unit,
                "牵头部门": r.lead_department if isinstance(r.lead_department, str) else "",
                "完成时限": r.deadline,
                "状态": STATUS_LABELS_ZH[r.status],
                "超期天数": int(r.days_overdue),
                "结转次数": int(r.carried),
            }
        )
    return rows


def write_ledger(rows: list[dict[str, Any]], target: str | Path | IO[bytes]) -> None:
    """An .xlsx with a formatted, frozen header row, column widths and a filter on the header."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    ws.append(list(COLUMNS))
    thin = Side(style="thin", color="9AA5B1")
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F6F66")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
    for row in rows:
        ws.append([neutralise(row.get(c)) for c in COLUMNS])
    wrap = Alignment(vertical="top", wrap_text=True)
    for r in ws.iter_rows(min_row=2):
        for cell in r:
            cell.alignment = wrap
            if isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    for i, name in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = WIDTHS[name]
    ws.row_dimensions[1].height = 22
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(1, ws.max_row)}"
    wb.save(target)


# --------------------------------------------------------------------------- reading
def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    match = _DATE_TEXT.match(cell_text(value))
    if not match:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def _seq(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        text = cell_text(value)
        # isdigit() is also true of "²" and "١", which int() refuses or reads
        value = int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None
    return value if value is not None and 1 <= value <= LEDGER_SEQ_MAX else None


def read_ledger(path: str | Path) -> tuple[list[LedgerRow], list[Problem]]:
    """The file's valid rows and the problems of the others; raises ``LedgerFileError`` only
    when the file as a whole cannot be read (not an .xlsx, no header, columns missing)."""
    name = Path(path).name
    try:
        rows = sheet_rows(path)
    except WorkbookTooLarge as exc:
        raise LedgerFileError([Problem(name, None, None, exc.reason)]) from None
    except NotAnExcelFile as exc:
        raise LedgerFileError([Problem(name, None, None, f"not a readable .xlsx file ({exc.reason})")]) from None
    if not rows:
        raise LedgerFileError([Problem(name, None, None, "the sheet is empty (expected a header row)")])
    header = [cell_text(h) for h in rows[0]]
    expected = f"expected the header {', '.join(COLUMNS)}"
    shape = []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        shape.append(Problem(name, 1, None, f"missing column(s) {', '.join(missing)}; {expected}"))
    shape += [Problem(name, 1, clip(h), f"unknown column: {expected}") for h in header if h and h not in COLUMNS]
    for issue in shape_issues(rows, cell_text):
        named = issue.column < len(header) and header[issue.column]
        shape.append(Problem(name, issue.row, clip(header[issue.column]) if named else f"#{issue.column + 1}",
                             t(issue.key, "en", **issue.params)))
    if shape:
        raise LedgerFileError(shape)
    col = {c: header.index(c) for c in COLUMNS if c in header}
    problems: list[Problem] = []
    out: list[LedgerRow] = []
    seen: dict[tuple[int, int], int] = {}

    def cell(values: tuple, name_: str) -> Any:
        i = col.get(name_)
        return values[i] if i is not None and i < len(values) else None

    def shown(values: tuple, name_: str) -> str:
        return clip(cell_text(cell(values, name_))) or "blank"

    for number, values in enumerate(rows[1:], start=2):
        if all(is_blank(v) for v in values):
            continue
        bad = len(problems)

        def problem(column: str, reason: str, row: int = number) -> None:
            problems.append(Problem(name, row, column, reason))

        seq = _seq(cell(values, "序号"))
        if seq is None:
            problem("序号", f"{shown(values, '序号')} is not a whole number from 1 to {LEDGER_SEQ_MAX}")
        meeting = parse_meeting_label(cell(values, "会议"))
        if meeting is None:
            problem("会议", f"{shown(values, '会议')} is not a meeting such as 第27次调度会")
        task = cell_text(cell(values, "问题/任务"))
        if not task:
            problem("问题/任务", "blank: every line needs its task")
        unit = cell_text(cell(values, "责任单位"))
        if not unit:
            problem("责任单位", "blank: every line needs a responsible unit")
        deadline = _date(cell(values, "完成时限"))
        if deadline is None:
            problem("完成时限", f"{shown(values, '完成时限')} is not a date (2025-12-10 or 2025年12月10日)")
        elif not RECORDS_FROM <= deadline <= records_until():
            problem("完成时限", f"{deadline} is outside {RECORDS_FROM} … {records_until()}")
        status_text = cell_text(cell(values, "状态"))
        # A blank (or absent) 状态 says nothing: a new line starts 未开始, a stored one keeps its own.
        status = STATUS_BY_LABEL.get(status_text) if status_text else None
        if status_text and status is None:
            problem("状态", f"{clip(status_text)} is not one of {', '.join(STATUS_LABELS_ZH.values())}")
        if seq is not None and meeting is not None:
            key = (meeting, seq)
            if key in seen:
                problem("序号", f"{clip(meeting_label(meeting))} 序号 {seq} appears twice (also row {seen[key]})")
            else:
                seen[key] = number
        if len(problems) == bad:
            out.append(
                LedgerRow(
                    number,
                    meeting,
                    seq,
                    task,
                    cell_text(cell(values, "整改措施")),
                    unit,
                    cell_text(cell(values, "牵头部门")) or None,
                    deadline,
                    status,
                )
            )
    return out, problems


def resolve(
    rows: list[LedgerRow], file: str, meetings: dict[int, int], units: dict[str, int]
) -> tuple[list[ResolvedRow], list[Problem]]:
    """Rows with meeting and unit ids, and a problem for each unknown meeting or unit (units are
    never created by an import: a typo would silently become a new unit)."""
    problems: list[Problem] = []
    out = []
    for r in rows:
        bad = len(problems)
        if r.meeting_number not in meetings:
            problems.append(
                Problem(file, r.row, "会议",
                        f"{clip(meeting_label(r.meeting_number))} is not recorded: record the meeting first")
            )
        if r.responsible_unit not in units:
            problems.append(
                Problem(
                    file,
                    r.row,
                    "责任单位",
                    f"unknown unit '{clip(r.responsible_unit)}': use the name of a unit known to the dashboard",
                )
            )
        if r.lead_department is not None and r.lead_department not in units:
            problems.append(Problem(file, r.row, "牵头部门", f"unknown unit '{clip(r.lead_department)}'"))
        if len(problems) == bad:
            out.append(
                ResolvedRow(
                    r,
                    meetings[r.meeting_number],
                    units[r.responsible_unit],
                    units[r.lead_department] if r.lead_department else None,
                )
            )
    return out, problems


def check_ledger(path: str | Path, meetings: dict[int, int], units: dict[str, int]) -> list[ResolvedRow]:
    """Every row of the file resolved; raises ``LedgerFileError`` with all problems of all rows
    (format and references together, in row order) if there is any."""
    rows, problems = read_ledger(path)
    resolved, more = resolve(rows, Path(path).name, meetings, units)
    problems = sorted(
        problems + more, key=lambda p: (p.row or 0, COLUMNS.index(p.column) if p.column in COLUMNS else 0)
    )
    if problems:
        raise LedgerFileError(problems)
    return resolved
