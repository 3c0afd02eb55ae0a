"""Paper inspections (纸质巡查记录) from the Excel template: one row per inspection.

Columns of the first sheet: 工地编号, 检查时间, 检查人, then for every checklist item its label
(合格 / 不合格 / 不涉及) followed by "<label>（问题描述）", each once and no other; a value under
no header or the header repeated further down refuses the file. A row is read against the
checklist version in force on its date; every problem is reported with file, row, column and
reason, and a file with any problem is refused whole (the caller saves nothing). No SQL here:
the caller passes the site index and the checklist versions from the store.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from dashboard.domain.inspection import ItemEntry
from dashboard.i18n import t
from dashboard.ingest.excel import NotAnExcelFile, WorkbookTooLarge, cell_text, is_blank, shape_issues, sheet_rows
from dashboard.ingest.formulas import neutralise
from dashboard.ingest.report import Problem, clip
from dashboard.store.inspections import ChecklistView, InspectionInput

HEAD_SITE, HEAD_TIME, HEAD_INSPECTOR = "工地编号", "检查时间", "检查人"
NOTE_SUFFIX = "（问题描述）"
SHEET_DATA, SHEET_HELP, SHEET_SITES = "巡查记录", "填写说明", "工地清单"
RESULT_WORDS = {
    "合格": "pass", "不合格": "fail", "不涉及": "na",
    "pass": "pass", "fail": "fail", "na": "na", "n/a": "na",
}
TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S",
                "%Y年%m月%d日 %H:%M", "%Y年%m月%d日%H:%M", "%Y.%m.%d %H:%M")
_NOTE_RE = re.compile(r"^(.*?)[\s\-—:：]*[（(]?\s*问题描述\s*[）)]?$")
# The width of inspections.inspector_name: PostgreSQL refuses longer text.
INSPECTOR_MAX = 96


def note_header(label: str) -> str:
    return f"{label}{NOTE_SUFFIX}"


@dataclass
class ReadResult:
    """Rows that can be saved, or the problems that refuse the file."""

    file: str
    rows: list[InspectionInput] = field(default_factory=list)
    # the sheet row each InspectionInput came from (same order as ``rows``)
    row_numbers: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _version_on(checklists: Iterable[ChecklistView], day: dt.date) -> ChecklistView | None:
    valid = [c for c in checklists if c.valid_from <= day and (c.valid_to is None or c.valid_to >= day)]
    return max(valid, key=lambda c: c.valid_from, default=None)


def _parse_time(value: object, tz: ZoneInfo) -> dt.datetime | None:
    """A cell as a Beijing wall time to the minute; None if it is not a date with a time."""
    if isinstance(value, dt.datetime):
        local = value
    else:
        text = cell_text(value)
        local = None
        for fmt in TIME_FORMATS:
            try:
                local = dt.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if local is None:
            return None
    if local.tzinfo is None:
        local = local.replace(tzinfo=tz)
    return local.replace(second=0, microsecond=0)


def read_inspections(
    data: bytes,
    file_name: str,
    *,
    sites: Mapping[str, tuple[int, int]],
    checklists: list[ChecklistView],
    now: dt.datetime,
    tz: ZoneInfo,
    lang: str = "zh",
) -> ReadResult:
    """Read and check every row; ``sites`` maps site code → (site id, township id)."""
    out = ReadResult(file_name)

    # positional-only: a message parameter may be called "column" too
    def problem(at_row: int | None, at_column: str | None, reason: str, /, **params: object) -> None:
        out.problems.append(Problem(file_name, at_row, at_column,
                                    t(f"inspections.import.err.{reason}", lang, **params)))

    try:
        rows = sheet_rows(data, SHEET_DATA)
    except WorkbookTooLarge as exc:
        out.problems.append(Problem(file_name, None, None, exc.message(lang)))
        return out
    except NotAnExcelFile:
        problem(None, None, "not_excel")
        return out
    header = [cell_text(h) for h in (rows[0] if rows else ())]
    columns = {h: i for i, h in enumerate(header) if h}

    def col(i: int) -> str:
        name = header[i] if i < len(header) else ""
        return f"{get_column_letter(i + 1)}「{clip(name)}」" if name else get_column_letter(i + 1)

    for issue in shape_issues(rows, cell_text):
        out.problems.append(Problem(file_name, issue.row, col(issue.column), t(issue.key, lang, **issue.params)))
    for name in (HEAD_SITE, HEAD_TIME, HEAD_INSPECTOR):
        if name not in columns:
            problem(1, None, "column_missing", column=name)
    labels = {}
    for version in checklists:
        for key, _pos, label, label_en in version.items:
            labels[label] = key
            labels[label_en] = key
            labels[key] = key
    item_col: dict[str, int] = {}
    note_col: dict[str, int] = {}
    for h, i in columns.items():
        if h in (HEAD_SITE, HEAD_TIME, HEAD_INSPECTOR):
            continue
        match = _NOTE_RE.match(h)
        if match and match.group(1) in labels:
            note_col[labels[match.group(1)]] = i
        elif h in labels:
            item_col[labels[h]] = i
        else:
            problem(1, col(i), "column_unknown")
    if out.problems:
        return out

    seen: dict[tuple[int, dt.datetime], int] = {}
    missing_reported: set[str] = set()
    for number, values in enumerate(rows[1:], start=2):
        values = list(values) + [None] * (len(header) - len(values))
        if all(is_blank(v) for v in values):
            continue
        before = len(out.problems)
        code = cell_text(values[columns[HEAD_SITE]])
        site = sites.get(code)
        if not code:
            problem(number, col(columns[HEAD_SITE]), "site_required")
        elif site is None:
            problem(number, col(columns[HEAD_SITE]), "site_unknown", code=clip(code))
        when = _parse_time(values[columns[HEAD_TIME]], tz)
        if when is None:
            problem(number, col(columns[HEAD_TIME]), "time_invalid",
                    value=clip(cell_text(values[columns[HEAD_TIME]])))
        elif when > now:
            problem(number, col(columns[HEAD_TIME]), "time_future")
        inspector = cell_text(values[columns[HEAD_INSPECTOR]])
        if not inspector:
            problem(number, col(columns[HEAD_INSPECTOR]), "inspector_required")
        elif len(inspector) > INSPECTOR_MAX:
            problem(number, col(columns[HEAD_INSPECTOR]), "inspector_too_long", max=INSPECTOR_MAX)
        version = _version_on(checklists, when.astimezone(tz).date()) if when else None
        if when is not None and version is None:
            problem(number, col(columns[HEAD_TIME]), "no_checklist")
        entries = []
        if version is not None:
            for key, _pos, label, _en in version.items:
                if key not in item_col:
                    if key not in missing_reported:  # once per file, not once per row
                        missing_reported.add(key)
                        problem(number, None, "item_column_missing", item=label)
                    continue
                raw = cell_text(values[item_col[key]])
                note = cell_text(values[note_col[key]]) if key in note_col else ""
                result = RESULT_WORDS.get(raw.lower())
                if not raw:
                    problem(number, col(item_col[key]), "result_missing")
                elif result is None:
                    problem(number, col(item_col[key]), "result_invalid", value=clip(raw))
                elif result == "fail" and not note:
                    where = col(note_col[key]) if key in note_col else note_header(label)
                    problem(number, where, "note_required")
                else:
                    entries.append(ItemEntry(key, result, note))
            for key, i in item_col.items():
                if key not in version.keys and cell_text(values[i]):
                    problem(number, col(i), "item_not_in_version", version=version.name)
        if site is not None and when is not None:
            first = seen.setdefault((site[0], when), number)
            if first != number:
                problem(number, col(columns[HEAD_TIME]), "duplicate_row", row=first)
        if len(out.problems) == before:
            out.rows.append(InspectionInput(site_id=site[0], inspected_at=when, inspector_name=inspector,
                                            entries=tuple(entries), source="excel"))
            out.row_numbers.append(number)
    if not out.rows and not out.problems:
        problem(None, None, "empty")
    return out


def template_workbook(
    checklist: ChecklistView,
    sites: Iterable[tuple[str, str, str]],
    example_time: dt.datetime,
    example_inspector: str,
) -> bytes:
    """The blank template: headers in Chinese, one example row, instructions and the site list.

    ``sites`` are (code, name, township); the first one fills the example row. Every cell is
    ``neutralise``d: site names and checklist labels come from people.
    """
    sites = list(sites)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_DATA

    def append(sheet, row) -> None:
        sheet.append([neutralise(v) for v in row])

    header = [HEAD_SITE, HEAD_TIME, HEAD_INSPECTOR]
    for _key, _pos, label, _en in checklist.items:
        header += [label, note_header(label)]
    append(ws, header)
    example = [sites[0][0] if sites else "GD-0001", example_time.replace(tzinfo=None, second=0, microsecond=0),
               example_inspector]
    for n, _item in enumerate(checklist.items):
        failed = n == 1  # the example shows one failure with its description
        example += ["不合格" if failed else "合格", "裸土未覆盖，防尘网破损" if failed else ""]
    append(ws, example)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[1]:
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.row_dimensions[1].height = 45
    ws.freeze_panes = "D2"
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 18
    ws.column_dimensions["C"].width = 10
    ws["B2"].number_format = "yyyy-mm-dd hh:mm"
    choice = DataValidation(type="list", formula1='"合格,不合格,不涉及"', allow_blank=True)
    ws.add_data_validation(choice)
    for i in range(len(checklist.items)):
        item_letter = get_column_letter(4 + 2 * i)
        choice.add(f"{item_letter}2:{item_letter}1000")
        ws.column_dimensions[item_letter].width = 14
        ws.column_dimensions[get_column_letter(5 + 2 * i)].width = 22

    help_sheet = wb.create_sheet(SHEET_HELP)
    lines = [
        f"检查表：{checklist.name}",
        "每行填写一次检查；第2行为示例，请替换或删除后再导入。",
        "工地编号：见“工地清单”工作表。",
        "检查时间：格式 2025-12-11 09:30（北京时间），不得晚于当前时间。",
        "检查人：检查人员姓名。",
        "各检查项填写“合格”“不合格”或“不涉及”；不合格的项目须在其后的“问题描述”列说明问题。",
        "整个文件有任何错误时不会导入任何记录，并列出每个错误所在的行、列和原因。",
        "同一工地、同一检查时间的记录已存在时跳过，重复导入同一文件不会产生重复记录。",
    ]
    for line in lines:
        append(help_sheet, [line])
    help_sheet.column_dimensions["A"].width = 90

    site_sheet = wb.create_sheet(SHEET_SITES)
    append(site_sheet, ["工地编号", "工地名称", "乡镇办"])
    for cell in site_sheet[1]:
        cell.font, cell.fill = bold, fill
    for row in sites:
        append(site_sheet, row)
    site_sheet.column_dimensions["A"].width = 12
    site_sheet.column_dimensions["B"].width = 40
    site_sheet.column_dimensions["C"].width = 16
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def problem_text(problem: Problem, lang: str = "zh") -> str:
    """One problem as a line for people: file, row, column, reason."""
    where = []
    if problem.row is not None:
        where.append(t("inspections.import.at_row", lang, row=problem.row))
    if problem.column:
        where.append(problem.column)
    return t("inspections.import.problem", lang, file=problem.file,
             where=t("inspections.import.where_sep", lang).join(where) or "—", reason=problem.reason)
