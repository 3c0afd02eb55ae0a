"""Uploaded workbooks are bounded before openpyxl parses them: size, table of contents, what
the parts unpack to, compression ratio, rows and columns. Each refusal is quick and small."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile

import pytest
from openpyxl import Workbook

from dashboard.ingest import excel
from dashboard.ingest.excel import NotAnExcelFile, WorkbookTooLarge, sheet_rows
from tests import raw_xlsx

SECONDS, BYTES = 2.0, 100 * 2**20


def refused(source) -> tuple[NotAnExcelFile, float, int]:
    """The error ``sheet_rows`` raises, the CPU seconds it took and its peak of Python memory."""
    tracemalloc.start()
    start = time.process_time()
    try:
        with pytest.raises(NotAnExcelFile) as caught:
            sheet_rows(source)
        return caught.value, time.process_time() - start, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_zip_bomb_is_refused_quickly_without_unpacking_it(tmp_path):
    bomb = raw_xlsx.zip_bomb(tmp_path / "bomb.xlsx", ["工地编号", "工地名称"], megabytes=200)
    assert bomb.stat().st_size < 600_000  # 200 MB of sheet in half a megabyte
    error, seconds, peak = refused(bomb)
    assert isinstance(error, WorkbookTooLarge)
    assert "unpacks to 200.0 MB, more than the 100.0 MB allowed" in error.reason
    assert seconds < SECONDS and peak < BYTES, (seconds, peak)


def test_one_part_compressed_too_far_is_refused(tmp_path):
    bomb = raw_xlsx.zip_bomb(tmp_path / "bomb.xlsx", ["a"], megabytes=50)
    error, seconds, peak = refused(bomb.read_bytes())
    assert "its part xl/worksheets/sheet1.xml is compressed" in error.reason and "100:1 allowed" in error.reason
    assert seconds < SECONDS and peak < BYTES


def test_a_file_too_large_is_not_read(tmp_path):
    big = tmp_path / "big.xlsx"
    big.write_bytes(b"PK" + b"\0" * excel.MAX_FILE_BYTES)
    error, seconds, _peak = refused(big)
    assert "the file is 10.0 MB, more than the 10.0 MB allowed" in error.reason and seconds < SECONDS
    error, _seconds, _peak = refused(io.BytesIO(big.read_bytes()))
    assert "the file is > 10.0 MB" in error.reason


def test_a_table_of_contents_of_thousands_of_parts_is_refused_before_parsing(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(3000):
            archive.writestr(f"xl/media/{i:0100d}.png", b"")
    error, seconds, peak = refused(buffer.getvalue())
    assert "table of contents is 465 KB, more than the 256 KB allowed" in error.reason
    assert seconds < SECONDS and peak < BYTES


def test_reading_stops_at_the_row_limit(tmp_path):
    # a few bytes claiming the last row of a sheet: openpyxl would yield a million empty rows
    sheet = [raw_xlsx.sheet_start(), raw_xlsx.text_row(1, ["a"]), raw_xlsx.text_row(1_048_576, ["b"]),
             raw_xlsx.SHEET_END]
    error, seconds, peak = refused(raw_xlsx.write(tmp_path / "far.xlsx", sheet))
    assert error.reason == "the sheet has more than 20000 rows" and seconds < SECONDS and peak < BYTES


def test_a_row_wider_than_the_limit_is_refused(tmp_path):
    sheet = [raw_xlsx.sheet_start(), b'<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c>'
             b'<c r="XFD1" t="inlineStr"><is><t>b</t></is></c></row>', raw_xlsx.SHEET_END]
    error, _seconds, _peak = refused(raw_xlsx.write(tmp_path / "wide.xlsx", sheet))
    assert error.reason == "row 1 has more than 200 columns"


def test_a_sheet_claiming_16384_columns_is_read_at_its_real_width(tmp_path):
    rows = (f'<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="XFD{n}" s="0"/></row>'.encode() for n in range(1, 5001))
    path = raw_xlsx.write(tmp_path / "claim.xlsx", [raw_xlsx.sheet_start("A1:XFD5000"), *rows, raw_xlsx.SHEET_END])
    tracemalloc.start()
    try:
        start = time.process_time()
        read = sheet_rows(path)
        seconds, peak = time.process_time() - start, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert read[:2] == [(1,), (2,)] and len(read) == 5000
    assert seconds < SECONDS * 5 and peak < BYTES  # padded, these rows would be 650 MB


def test_the_total_unpacked_size_is_checked_on_its_own(monkeypatch):
    book = Workbook()
    book.active.append(["工地编号"])
    buffer = io.BytesIO()
    book.save(buffer)
    monkeypatch.setattr(excel, "MAX_UNPACKED_BYTES", 1000)
    error, _seconds, _peak = refused(buffer.getvalue())
    assert "it unpacks to 0.0 MB, more than the 0.0 MB allowed" in error.reason


@pytest.mark.parametrize("sheet", [
    b"<worksheet><sheetData><row>",  # cut short
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
    b'<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">'
    b'<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">]>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
    b'<c t="inlineStr"><is><t>&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;</t></is></c></row></sheetData></worksheet>',
    raw_xlsx.sheet_start() + b'<row r="1"><c r="A1" s="0" t="n"><v>1e400x</v></c></row>' + raw_xlsx.SHEET_END,
    raw_xlsx.sheet_start() + b'<row r="1"><c r="A1" t="d"><v>not a date</v></c></row>' + raw_xlsx.SHEET_END,
], ids=["cut short", "billion laughs", "bad number", "bad date"])
def test_broken_sheet_xml_is_not_an_excel_file(sheet, tmp_path):
    error, seconds, peak = refused(raw_xlsx.write(tmp_path / "broken.xlsx", [sheet]))
    assert not isinstance(error, WorkbookTooLarge) and seconds < SECONDS and peak < BYTES
