"""The sites Excel file (工地台账): reading and checking an upload, writing exports and the template.

One sheet, headers in Chinese on row 1, one site per row from row 2 (``COLUMNS``):

| 表头 | field | required | values |
|---|---|---|---|
| 工地编号 | code | yes | unique; the key of the upsert |
| 工地名称 | name | yes | |
| 地址 | address | | |
| 乡镇办 | township | yes | a township's Chinese name, e.g. 侯寨乡 |
| 建设单位 / 施工单位 | builder_unit / contractor_unit | | |
| 工地类型 | site_type | yes | 住宅 / 公共建筑 / 市政工程 / 道路工程 / 拆除工程 / 土地整理 / 其他 (or the English keys) |
| 面积(平方米) | area_m2 | yes | > 0 |
| 经度 / 纬度 | longitude / latitude | | both or neither, in the 坐标系 given |
| 坐标系 | coord_system | | WGS84 (blank) / GCJ02 (高德) / BD09 (百度) |
| 状态 | status | yes | 在建 / 停工 / 竣工 (or active / suspended / completed) |
| 开工日期 | started_on | | a date cell or YYYY-MM-DD |

Exports write coordinates back in the system they were entered in, with the same headers and
labels, so export → import round-trips. The header may hold only these columns, each once;
a value under no header or a repeated header row refuses the file, as do numbers that are not
finite, an area above ``domain.limits.SITE_AREA_MAX_M2`` and a start date outside the
plausible era. No SQL here: the caller passes the townships (name → id) and saves the
checked rows.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from dashboard.domain.coords import from_wgs84, normalise_system
from dashboard.domain.sites import SITE_TYPES, STATUSES, CleanSite, validate_site
from dashboard.i18n import t
from dashboard.ingest.excel import cell_text, checked_sheet, is_blank
from dashboard.ingest.formulas import neutralise
from dashboard.ingest.report import Problem, clip

#: (Chinese header, field) in file order.
COLUMNS: list[tuple[str, str]] = [
    ("工地编号", "code"),
    ("工地名称", "name"),
    ("地址", "address"),
    ("乡镇办", "township"),
    ("建设单位", "builder_unit"),
    ("施工单位", "contractor_unit"),
    ("工地类型", "site_type"),
    ("面积(平方米)", "area_m2"),
    ("经度", "longitude"),
    ("纬度", "latitude"),
    ("坐标系", "coord_system"),
    ("状态", "status"),
    ("开工日期", "started_on"),
]
HEADERS = [h for h, _ in COLUMNS]
HEADER_OF = {f: h for h, f in COLUMNS} | {"township_id": "乡镇办"}
REQUIRED_HEADERS = ("工地编号", "工地名称", "乡镇办", "工地类型", "面积(平方米)", "状态")
SHEET = "工地"
EXAMPLE = {
    "code": "GD-0901", "name": "示例：樱桃沟安置房项目一期", "address": "二七区樱桃沟管委会老沟村东侧",
    "township": "樱桃沟管委会", "builder_unit": "樱桃沟管委会", "contractor_unit": "郑州启元建设工程有限公司",
    "site_type": "housing", "area_m2": 42000, "longitude": 113.6062, "latitude": 34.6287,
    "coord_system": "GCJ02", "status": "active", "started_on": dt.date(2025, 3, 1),
}


@dataclass
class SitesFile:
    """A checked sites file: the clean rows (only when there is no problem) and the problems."""

    file: str
    rows_read: int = 0
    sites: list[CleanSite] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _header_key(text: Any) -> str:
    value = "" if text is None else str(text)
    value = value.replace("（", "(").replace("）", ")").replace("㎡", "平方米").replace("m²", "平方米")
    return re.sub(r"\s+", "", value)


def _labels(kind: str, keys: Iterable[str]) -> dict[str, str]:
    """Label (zh, en) or key → key, for the vocabulary columns."""
    out: dict[str, str] = {}
    for key in keys:
        out[key] = key
        out[key.lower()] = key
        out[t(f"sites.{kind}.{key}", "zh")] = key
        out[t(f"sites.{kind}.{key}", "en").lower()] = key
    return out


_TYPE_OF = _labels("type", SITE_TYPES)
_STATUS_OF = _labels("status", STATUSES)
_DATE_PATTERNS = (r"(\d{4})-(\d{1,2})-(\d{1,2})", r"(\d{4})/(\d{1,2})/(\d{1,2})", r"(\d{4})\.(\d{1,2})\.(\d{1,2})",
                  r"(\d{4})年(\d{1,2})月(\d{1,2})日?")


def _number(value: Any) -> tuple[float | None, bool]:
    """(number, ok): a finite number, or text of one with thousands separators; blank is (None, True)."""
    if is_blank(value):
        return None, True
    if isinstance(value, bool):
        return None, False
    try:
        number = float(value.strip().replace(",", "").replace("，", "") if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):
        return None, False
    return (number, True) if math.isfinite(number) else (None, False)




def _date(value: Any) -> tuple[dt.date | None, bool]:
    """(date, ok): date cells, ISO and common Chinese spellings; blank is (None, True)."""
    if is_blank(value):
        return None, True
    if isinstance(value, dt.datetime):
        return value.date(), True
    if isinstance(value, dt.date):
        return value, True
    text = str(value).strip()
    for pattern in _DATE_PATTERNS:
        match = re.fullmatch(pattern, text)
        if match:
            try:
                return dt.date(*(int(g) for g in match.groups())), True
            except ValueError:
                return None, False
    return None, False


def read_sites(source: str | Path | bytes | BinaryIO, township_ids: dict[str, int], file: str | None = None,
               lang: str = "zh", retired: dict[int, set[str]] | None = None) -> SitesFile:
    """Read and check a sites workbook; every problem names file, row, column and reason.

    ``township_ids``: township name → id. Codes repeated within the file are problems; codes
    already in the database are not (the import updates those sites). ``retired``: retired
    township id → codes of the sites it holds; a row may keep such a site there (so an export
    imports back), but no other site may be put in a retired township.
    """
    retired = retired or {}
    name = file or (str(source) if isinstance(source, (str, Path)) else "upload.xlsx")
    report = SitesFile(file=name)

    def problem(row: int | None, column: str | None, key: str, **params: Any) -> None:
        report.problems.append(Problem(name, row, column, t(key, lang, **params)))

    checked = checked_sheet(source, SHEET, headers=HEADERS, required=REQUIRED_HEADERS, header_key=_header_key,
                            prefix="sites.import", problem=problem, lang=lang,
                            note=lambda text: report.problems.append(Problem(name, None, None, text)))
    if checked is None:
        return report
    rows, position = checked

    seen: dict[str, int] = {}
    for row_number, row in enumerate(rows[1:], start=2):
        cells = {h: (row[i] if i < len(row) else None) for h, i in position.items()}
        if all(is_blank(v) for v in cells.values()):
            continue
        report.rows_read += 1
        values: dict[str, Any] = {f: cells.get(h) for h, f in COLUMNS}
        # Fields already reported here are not reported again by the shared validation.
        reported: set[str] = set()
        township = cell_text(values.pop("township"))
        values["township_id"] = township_ids.get(township) if township else None
        if township and values["township_id"] is None:
            problem(row_number, "乡镇办", "sites.import.unknown_township", value=clip(township))
            reported.add("township_id")
        for column, lookup in (("site_type", _TYPE_OF), ("status", _STATUS_OF)):
            text = cell_text(values[column])
            if text:
                key = lookup.get(text) or lookup.get(text.lower())
                if key is None:
                    problem(row_number, HEADER_OF[column], "sites.import.unknown_value", value=clip(text))
                    reported.add(column)
                values[column] = key or text
        system_text = cell_text(values["coord_system"])
        system = normalise_system(system_text)
        if system is None:
            problem(row_number, "坐标系", "sites.import.unknown_value", value=clip(system_text))
            reported.add("coord_system")
        values["coord_system"] = system or "WGS84"
        started, ok = _date(values["started_on"])
        if not ok:
            problem(row_number, "开工日期", "sites.error.not_a_date")
            reported.add("started_on")
        values["started_on"] = started
        for column in ("area_m2", "longitude", "latitude"):
            values[column], ok = _number(values[column])
            if not ok:  # nan and inf included: the shared validation would take nan for blank
                problem(row_number, HEADER_OF[column], "sites.error.not_a_number")
                reported.add(column)
        for column in ("code", "name", "address", "builder_unit", "contractor_unit"):
            values[column] = cell_text(values[column])
        code = values["code"]
        if code and code in seen:
            problem(row_number, "工地编号", "sites.import.duplicate_code", code=clip(code), first=seen[code])
            reported.add("code")
        elif code:
            seen[code] = row_number
        closed = {tid for tid, codes in retired.items() if code not in codes}
        clean, issues = validate_site(values, township_ids=set(township_ids.values()), retired_township_ids=closed)
        for issue in issues:
            if issue.field not in reported:
                problem(row_number, HEADER_OF.get(issue.field, issue.field), issue.key, **issue.params)
        if clean is not None and not reported:
            report.sites.append(clean)
    if report.rows_read == 0 and not report.problems:
        problem(2, None, "sites.import.empty")
    if report.problems:
        report.sites = []
    return report


def export_rows(sites: Iterable[dict[str, Any]], township_names: dict[int, str]) -> list[dict[str, Any]]:
    """Stored sites (WGS-84) → file rows: coordinates in the system they were entered in."""
    out = []
    for site in sites:
        row = {f: site.get(f) for _h, f in COLUMNS if f != "township"}
        row["township"] = township_names.get(site["township_id"], "")
        lon, lat, system = site.get("longitude"), site.get("latitude"), site.get("coord_system") or "WGS84"
        if lon is not None and lat is not None:
            row["longitude"], row["latitude"] = from_wgs84(float(lon), float(lat), system)
        row["coord_system"] = system
        out.append(row)
    return out


def write_sites(rows: Iterable[dict[str, Any]], dest: str | Path | BinaryIO | None = None,
                with_notes: bool = False) -> bytes | None:
    """Write file rows (fields of ``COLUMNS``, vocabulary as keys) to ``dest``; bytes if None.

    ``with_notes`` adds a second sheet 填写说明 describing every column (the template has it).
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
            if f == "site_type" and value:
                value = t(f"sites.type.{value}", "zh")
            elif f == "status" and value:
                value = t(f"sites.status.{value}", "zh")
            values.append(neutralise(value))
        sheet.append(values)
    widths = {"工地编号": 12, "工地名称": 34, "地址": 40, "乡镇办": 18, "建设单位": 28, "施工单位": 30,
              "工地类型": 12, "面积(平方米)": 14, "经度": 13, "纬度": 13, "坐标系": 9, "状态": 8, "开工日期": 12}
    for index, header in enumerate(HEADERS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = widths[header]
        if header == "开工日期":
            for cell in sheet[letter][1:]:
                cell.number_format = "yyyy-mm-dd"
        if header in ("经度", "纬度"):
            for cell in sheet[letter][1:]:
                cell.number_format = "0.000000"
    sheet.freeze_panes = "A2"
    if with_notes:
        notes = workbook.create_sheet("填写说明")
        notes.append(["表头", "必填", "说明"])
        for cell in notes[1]:
            cell.font = Font(bold=True)
        for header, _f in COLUMNS:
            notes.append([header, "是" if header in REQUIRED_HEADERS else "", t(f"sites.template.{_f}", "zh")])
        notes.column_dimensions["A"].width = 14
        notes.column_dimensions["B"].width = 6
        notes.column_dimensions["C"].width = 90
    if dest is None:
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    workbook.save(dest)
    return None


def template_bytes() -> bytes:
    """The import template: headers, one example row and the 填写说明 sheet."""
    return write_sites([EXAMPLE], with_notes=True)  # type: ignore[return-value]
