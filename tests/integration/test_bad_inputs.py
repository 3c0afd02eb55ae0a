"""Malformed input for every importer, as an attacker or a careless user would give it.

Each case runs the command a user runs (click's runner) against a copy of the demo district and
asserts the message names the file, row, column and reason, that no traceback reaches the user,
that a refused file exits non-zero, and that the database is exactly as it was: every table's
rows, in primary-key order, hash the same before and after. Single bad cells of a CNEMC file or
an OpenAQ answer are skipped and reported instead (exit 0); those cases hold only bad cells, so
the database must be unchanged there too. ``BAD_FILES`` of ``test_ingest_cnemc`` are run here
as well, against the hash.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import text as sql

from dashboard.cli import main
from dashboard.domain.limits import records_until
from dashboard.ingest.ledger_excel import COLUMNS as LEDGER_COLUMNS
from dashboard.ingest.sites_excel import HEADERS
from dashboard.store.db import engine_for
from tests import raw_xlsx
from tests.conftest import copy_database, shared_data
from tests.db_state import data_hash
from tests.integration.inspection_db import demo_template
from tests.integration.test_fetch import server  # noqa: F401 - the local HTTP server fixture
from tests.integration.test_ingest_cnemc import BAD_FILES, HEADER
from tests.integration.test_inspections_excel import header_and_keys
from tests.integration.test_inspections_excel import row as inspection_row


# --------------------------------------------------------------------------- database
@pytest.fixture(scope="module")
def template(tmp_path_factory) -> str:
    """The demo district with its readings cut to a few hundred, so hashing it is quick."""
    url = copy_database(demo_template(tmp_path_factory), tmp_path_factory.mktemp("bad-inputs"), "template.db")
    with engine_for(url).begin() as conn:
        conn.execute(sql("DELETE FROM readings WHERE time > "
                          "(SELECT time FROM readings ORDER BY time LIMIT 1 OFFSET 499)"))
    if url.startswith("sqlite"):
        with engine_for(url).connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sql("VACUUM"))
    engine_for(url).dispose()
    return url


@pytest.fixture
def db(template, tmp_path, monkeypatch) -> str:
    """The URL of a private copy of the template; the commands of this test use it."""
    url = copy_database(template, tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DASHBOARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SECRET_KEY", "test")
    monkeypatch.delenv("DASHBOARD_LANGUAGE", raising=False)
    yield url
    engine_for(url).dispose()


def test_the_hash_sees_a_change(db):
    before = data_hash(db)
    with engine_for(db).begin() as conn:
        conn.execute(sql("UPDATE readings SET value = value + 1 WHERE time = (SELECT min(time) FROM readings)"))
    assert data_hash(db) != before


# --------------------------------------------------------------------------- running a case
@dataclass(frozen=True)
class Case:
    """One malformed input: the command's arguments (``{file}`` is the written file), the file
    name and content (or a function of the database giving it), and the texts the output must
    contain (``{file}`` and ``{name}`` stand for the file's path and name)."""

    command: tuple[str, ...]
    name: str
    content: bytes | Callable[[str], bytes]
    expect: tuple[str, ...]
    refused: bool = True


def run_case(case: Case, folder: Path, db: str) -> str:
    path = folder / case.name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(case.content if isinstance(case.content, bytes) else case.content(db))
    before = data_hash(db)
    result = CliRunner().invoke(main, [a.format(file=path) for a in case.command])
    output = result.output
    assert "Traceback" not in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == (1 if case.refused else 0), output
    for text in case.expect:
        assert text.format(file=path, name=path.name) in output, output
    assert data_hash(db) == before
    return output


# --------------------------------------------------------------------------- CNEMC daily files
DAY = "china_sites_20191205.csv"


def cnemc(body: str | bytes, expect: str, name: str = DAY, refused: bool = True) -> Case:
    content = body.encode() if isinstance(body, str) else body
    return Case(("import", "cnemc", "{file}"), name, content,
                (("REFUSED {file}, " if refused else "skipped {file}, ") + expect,), refused)


def cell(value: str, expect: str, kind: str = "PM2.5") -> Case:
    """A file whose only value is ``value``: skipped and reported, nothing stored."""
    return cnemc(f"date,hour,type,1316A\n20191205,0,{kind},{value}\n", f"row 2, column 1316A: {expect}",
                 refused=False)


CNEMC_CASES = {
    **{f"existing: {k}": Case(("import", "cnemc", "{file}"), DAY, body.encode() if isinstance(body, str) else body,
                              ("REFUSED {file}", message)) for k, (body, message) in BAD_FILES.items()},
    "date in 1800": cnemc(HEADER + "18000105,0,PM2.5,3,4\n", "row 2, column date: date 18000105 is outside 2013-01-01",
                          name="china_sites_18000105.csv"),
    "date in 9999": cnemc(HEADER + "99991231,0,PM2.5,3,4\n", "row 2, column date: date 99991231 is outside 2013-01-01",
                          name="china_sites_99991231.csv"),
    "header repeated": cnemc(HEADER + "20191205,0,PM2.5,3,4\n" + HEADER, "row 3, column date: the header is repeated"),
    "10 MB station code": cnemc("date,hour,type," + "9" * 10_000_000 + "A\n20191205,0,PM2.5,3\n",
                                "row 1, column " + "9" * 40 + "…: column 4 is '" + "9" * 40 + "…'"),
    "truncated mid-field at the end": cnemc(HEADER + "20191205,0,PM2.5,3,4\n20191205,1,PM2", "row 3, column type: "
                                            "truncated row: 3 fields"),
    "NUL bytes": cell("\x00\x00", r"not a number: '\x00\x00'"),
    "inf": cell("inf", "not a finite number (inf)"),
    "1e400": cell("1e400", "not a finite number (inf)"),
    "-inf": cell("-inf", "not a finite number (-inf)"),
    "NaN": cell("NaN", "not a number: 'NaN'"),
    "999999999": cell("999999999", "999999999 µg/m³ is above 20000 µg/m³, the plausible ceiling for PM2.5"),
    "CO in µg/m³": cell("1100", "1100 mg/m³ is above 150 mg/m³, the plausible ceiling for CO", kind="CO"),
    "10 MB cell": cell("x" * 10_000_000, "not a number: '" + "x" * 40 + "…'"),
    "terminal escape": cell("\x1b[2J\x1b[31mOK", r"not a number: '\x1b[2J\x1b[31mOK'"),
}


@pytest.mark.parametrize("case", list(CNEMC_CASES))
def test_cnemc(case, db, tmp_path):
    output = run_case(CNEMC_CASES[case], tmp_path / "in", db)
    assert max(len(line) for line in output.splitlines()) < 400  # a 10 MB value is not echoed


def test_a_file_too_large_is_refused_before_reading(db, tmp_path):
    from dashboard.ingest.cnemc import CSV_MAX_BYTES

    content = (HEADER + "20191205,0,PM2.5,3,4\n" * (CSV_MAX_BYTES // 20)).encode()
    run_case(Case(("import", "cnemc", "{file}"), DAY, content, (
        "REFUSED {file}: the file has", "bytes, more than the 33,554,432 a daily file or a station list can have")),
        tmp_path, db)


# --------------------------------------------------------------------------- station lists
LIST = "站点列表-2020.01.01起.csv"
LIST_HEADER = "监测点编码,监测点名称,城市,经度,纬度\n"
LIST_ROW = "1316A,烟厂,郑州,113.6,34.7\n"


def station_list(body: str | bytes, expect: str) -> Case:
    content = body.encode() if isinstance(body, str) else body
    return Case(("import", "stations", "{file}"), LIST, content, ("REFUSED {file}, " + expect,))


STATION_LIST_CASES = {
    "extra field in the first row": station_list(LIST_HEADER + "1316A,烟厂,郑州,113.6,34.7,extra\n" + LIST_ROW,
                                                 "row 2: too long row: 6 fields where the header has 5"),
    "extra field later": station_list(LIST_HEADER + LIST_ROW + "1317A,郑纺机,郑州,113.6,34.7,,\n",
                                      "row 3: too long row: 7 fields"),
    "header repeated": station_list(LIST_HEADER + LIST_ROW + LIST_HEADER + LIST_ROW,
                                    "row 3, column 监测点编码: the header is repeated here"),
    "row truncated mid-field": station_list(LIST_HEADER + LIST_ROW + "1317A,郑纺机,郑",
                                            "row 3, column 城市: truncated row: 3 fields where the header has 5"),
    "city in the code column": station_list(LIST_HEADER + "北京,万寿西宫,北京,116.366,39.8673\n",
                                            "row 2, column 监测点编码: '北京' is not a station code like 1316A"),
    "unknown column": station_list(LIST_HEADER.strip() + ",备注\n" + LIST_ROW.strip() + ",x\n",
                                   "row 1, column #6: unknown column '备注'"),
    "column twice": station_list(LIST_HEADER.strip() + ",纬度\n" + LIST_ROW.strip() + ",34.7\n",
                                 "row 1, column 纬度: column 纬度 appears twice in the header"),
    "header only": station_list(LIST_HEADER, "row 1: the file has a header but no stations"),
    "saved as GBK by Excel": station_list((LIST_HEADER + LIST_ROW).encode("gbk"),
                                          "row 1, column #1: not UTF-8 text (byte 0xbc at offset 0)"),
    "stray quote swallows the rest": station_list(LIST_HEADER + '1316A,"烟厂,郑州,113.6,34.7\n' + LIST_ROW,
                                                  "row 2, column 监测点名称: truncated row: 2 fields"),
    "10 MB code": station_list(LIST_HEADER + "1" * 10_000_000 + "A,烟厂,郑州,113.6,34.7\n",
                               "row 2: not a CSV table: field larger than field limit (131072)"),
    "code of 20 digits": station_list(LIST_HEADER + "1" * 20 + "A,烟厂,郑州,113.6,34.7\n",
                                      "row 2, column 监测点编码: '" + "1" * 20 + "A' is not a station code"),
}


@pytest.mark.parametrize("case", list(STATION_LIST_CASES))
def test_station_list(case, db, tmp_path):
    output = run_case(STATION_LIST_CASES[case], tmp_path, db)
    assert max(len(line) for line in output.splitlines()) < 400


def test_station_list_cells_out_of_range_are_left_blank(db, tmp_path):
    body = LIST_HEADER + "9316A," + "烟" * 10_000 + ",郑州,inf,34.7\n9317A,郑纺机,郑\x1b[2J州,34.7,113.6\n"
    path = tmp_path / LIST
    path.write_text(body, encoding="utf-8")
    result = CliRunner().invoke(main, ["import", "stations", str(path)])
    assert result.exit_code == 0, result.output
    output = result.output
    assert f"{path}, row 2, column 监测点名称: longer than 64 characters: the code is used instead" in output
    assert f"{path}, row 2, column 经度: coordinate inf is outside China (73–136): left blank" in output
    assert f"{path}, row 3, column 城市: '郑\\x1b[2J州' holds control characters: left blank" in output
    assert f"{path}, row 3, column 经度: coordinate 34.7 is outside China" in output
    with engine_for(db).connect() as conn:
        rows = [tuple(r) for r in conn.execute(sql("SELECT code, name, city, longitude, latitude FROM stations "
                                                    "WHERE code IN ('9316A', '9317A') ORDER BY code"))]
    assert rows == [("9316A", "9316A", "郑州", None, 34.7), ("9317A", "郑纺机", "", None, None)]


# --------------------------------------------------------------------------- OpenAQ answers
PM25 = {"id": 3920, "name": "pm25 µg/m³", "parameter": {"id": 2, "name": "pm25", "units": "µg/m³"}}


def openaq_location(**changes) -> dict:
    """A location shaped like the real /locations answer, with one PM2.5 sensor."""
    location = json.loads(shared_data("openaq_v3", "responses__locations.json").read_text())["results"][0]
    return {**location, "sensors": [PM25], **changes}


def openaq_record(**changes) -> dict:
    """One /hours record shaped like the real answer: the hour ending 2023-10-01 01:00 UTC."""
    record = json.loads(shared_data("openaq_v3", "responses__measurements.json").read_text())["results"][0]
    record = copy.deepcopy(record)
    record["period"]["datetimeFrom"]["utc"] = "2023-10-01T00:00:00+00:00"
    record["period"]["datetimeTo"]["utc"] = "2023-10-01T01:00:00+00:00"
    return {**record, **changes}


def answer(results: list | str, raw: dict[str, str] | None = None) -> tuple[int, bytes, dict]:
    """An OpenAQ answer; ``raw`` replaces quoted placeholders by JSON text json.dumps cannot write."""
    meta = {"name": "openaq-api", "website": "/", "page": 1, "limit": 1000, "found": 1}
    text = json.dumps({"meta": meta, "results": results})
    for placeholder, literal in (raw or {}).items():
        text = text.replace(f'"{placeholder}"', literal)
    return 200, text.encode(), {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Answer:
    """What the server answers for the location and for the PM2.5 sensor's hours, and the
    texts the output must contain (``{base}`` is the server)."""

    location: tuple
    hours: tuple
    expect: tuple[str, ...]
    refused: bool = False


def skipped_value(value, expect: str, raw: dict[str, str] | None = None, **record) -> Answer:
    return Answer(answer([openaq_location()]), answer([openaq_record(value=value, **record)], raw),
                  ("skipped openaq location 2178, row 1, column sensor 3920 (pm25): " + expect,))


OPENAQ_CASES = {
    "value Infinity": lambda: skipped_value(math.inf, "value inf is not a finite number"),
    "value 1e400": lambda: skipped_value("V", "value inf is not a finite number", {"V": "1e400"}),
    "value NaN": lambda: skipped_value(math.nan, "value nan is not a finite number"),
    "value of 400 digits": lambda: skipped_value("V", "value " + "1" * 40 + "… is not a finite number",
                                                 {"V": "1" * 400}),
    "value 999999999": lambda: skipped_value(999999999, "999999999 µg/m³ (from 999999999 µg/m³) is above "
                                                        "20000 µg/m³, the plausible ceiling for PM2.5"),
    "value true": lambda: skipped_value(True, "value 'True' is not a non-negative number"),
    "value as text": lambda: skipped_value("12", "value '12' is not a non-negative number"),
    "end time not a time": lambda: skipped_value(
        5, "the hour's end 'yesterday' is not an ISO 8601 time",
        period={"interval": "01:00:00", "datetimeTo": {"utc": "yesterday"}}),
    "hour in 9999": lambda: skipped_value(
        5, "the hour's end 9999-12-31T01:00:00+00:00 is in the future",
        period={"interval": "01:00:00", "datetimeTo": {"utc": "9999-12-31T01:00:00+00:00"}}),
    "period not an object": lambda: skipped_value(5, "not an hourly value (interval '')", period="hourly"),
    "record not an object": lambda: Answer(answer([openaq_location()]), answer([7]), (
        "skipped openaq location 2178, row 1, column sensor 3920 (pm25): not a record but '7'",)),
    "sensor id that is a path": lambda: Answer(
        answer([openaq_location(sensors=[{**PM25, "id": "../../locations/1"}])]), answer([]),
        ("skipped openaq location 2178, column sensor ../../locations/1 (pm25): the sensor id is not a positive "
         "whole number: sensor skipped",)),
    "sensor not an object": lambda: Answer(answer([openaq_location(sensors=["pm25"])]), answer([]), (
        "skipped openaq location 2178, column sensors[1]: not a sensor but 'pm25': skipped",)),
    "name with terminal escapes": lambda: Answer(
        answer([openaq_location(name="\x1b[2J" + "x" * 10_000)]), answer([]),
        (r"skipped openaq location 2178, column name: '\x1b[2J" + "x" * 36 + "…' is not printable text",)),
    "latitude 1e400": lambda: Answer(
        answer([openaq_location(coordinates={"latitude": "LAT", "longitude": 1.0})], {"LAT": "1e400"}), answer([]),
        ("skipped openaq location 2178, column coordinates.latitude: 'inf' is not a latitude: left blank",)),
    "location not an object": lambda: Answer(answer([42]), answer([]), (
        "REFUSED openaq location 2178: {base}/v3/locations/2178: the location is not an object but '42'",), True),
    "sensors not a list": lambda: Answer(answer([openaq_location(sensors="pm25")]), answer([]), (
        "REFUSED openaq location 2178: {base}/v3/locations/2178: the location's sensors are not a list",), True),
    "results not a list": lambda: Answer(answer("none"), answer([]), (
        "REFUSED openaq location 2178: {base}/v3/locations/2178: the answer has no 'results' list",), True),
    "not JSON": lambda: Answer((200, b"<html>busy</html>", {}), answer([]), (
        "REFUSED openaq location 2178: {base}/v3/locations/2178: the answer is not JSON",), True),
}


@pytest.mark.parametrize("case", list(OPENAQ_CASES))
def test_openaq(case, db, server, monkeypatch):  # noqa: F811  (the HTTP test server fixture)
    monkeypatch.setenv("DASHBOARD_OPENAQ_BASE_URL", server.base + "/v3")
    given = OPENAQ_CASES[case]()
    server.routes["/v3/locations/2178"] = given.location
    server.routes["/v3/sensors/3920/hours"] = given.hours
    before = data_hash(db)
    result = CliRunner().invoke(main, ["fetch", "openaq", "--locations", "2178", "--from", "2023-10-01",
                                       "--to", "2023-10-01", "--retries", "0", "--timeout", "5"])
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == (1 if given.refused else 0), result.output
    for text in given.expect:
        assert text.format(base=server.base) in result.output, result.output
    assert data_hash(db) == before


# --------------------------------------------------------------------------- Excel workbooks
THIS_YEAR_PLUS_10 = records_until().isoformat()


def xlsx(header: list, rows: list[list], title: str | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    if title:
        sheet.title = title
    for row in [header, *rows]:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@cache
def bomb() -> bytes:
    """200 MB of sheet XML in half a megabyte; every reader falls back to its first sheet."""
    with tempfile.TemporaryDirectory() as folder:
        return raw_xlsx.zip_bomb(Path(folder) / "bomb.xlsx", ["工地编号"], megabytes=200).read_bytes()


# sites: one good row, changed per case; the CLI prints every problem and exits 1
SITE = {"工地编号": "GD-0901", "工地名称": "测试工地", "地址": "", "乡镇办": "侯寨乡", "建设单位": "", "施工单位": "",
        "工地类型": "住宅", "面积(平方米)": 5000, "经度": 113.58, "纬度": 34.66, "坐标系": "WGS84", "状态": "在建",
        "开工日期": "2025-03-01"}


def site_file(expect: str, header: list | None = None, extra_rows: list[list] | None = None,
              content: bytes | None = None, **cells) -> Case:
    row = [({**SITE, **cells})[h] for h in HEADERS]
    body = content if content is not None else xlsx(header or HEADERS, [row, *(extra_rows or [])], "工地")
    return Case(("import", "sites", "{file}"), "sites.xlsx", body, (expect, "REFUSED {file}"))


SITE_CASES = {
    "area nan": lambda: site_file("{file}, row 2, column 面积(平方米): 请填写数字", **{"面积(平方米)": "nan"}),
    "area inf": lambda: site_file("{file}, row 2, column 面积(平方米): 请填写数字", **{"面积(平方米)": "inf"}),
    "area 1e400": lambda: site_file("{file}, row 2, column 面积(平方米): 请填写数字", **{"面积(平方米)": "1e400"}),
    "area 1e20": lambda: site_file("{file}, row 2, column 面积(平方米): 面积不能超过 10,000,000 平方米",
                                   **{"面积(平方米)": 1e20}),
    "longitude nan": lambda: site_file("{file}, row 2, column 经度: 请填写数字", **{"经度": "NaN"}),
    "started in 1800": lambda: site_file(
        f"{{file}}, row 2, column 开工日期: 日期应在 2000-01-01 至 {THIS_YEAR_PLUS_10} 之间",
        **{"开工日期": "1800-01-01"}),
    "started in 9999": lambda: site_file(
        f"{{file}}, row 2, column 开工日期: 日期应在 2000-01-01 至 {THIS_YEAR_PLUS_10} 之间",
        **{"开工日期": dt.date(9999, 12, 31)}),
    "column twice": lambda: site_file("{file}, row 1, column 工地名称: 列标题“工地名称”重复出现（第2列已有）",
                                      header=[*HEADERS[:2], "工地名称", *HEADERS[3:]]),
    "unknown column": lambda: site_file("{file}, row 1, column 备注: 无法识别的列标题", header=[*HEADERS, "备注"]),
    "value under no header": lambda: site_file("{file}, row 3, column N: 此列没有列标题", extra_rows=[
        [SITE[h] for h in HEADERS][:1] + ["错位", *[SITE[h] for h in HEADERS][1:]]]),
    "header repeated": lambda: site_file("{file}, row 3, column 工地编号: 表头在此行重复出现", extra_rows=[HEADERS]),
    "township of 1 MB": lambda: site_file("{file}, row 2, column 乡镇办: 乡镇办“" + "乡" * 40 + "…”不存在",
                                          **{"乡镇办": "乡" * 2**20}),
    "csv named .xlsx": lambda: site_file("{file}: 不是有效的 Excel（.xlsx）文件",
                                         content="工地编号,工地名称\n".encode("utf-8-sig")),
    "zip bomb": lambda: site_file("{file}: 解压后共 200.0 MB，超过上限 100.0 MB（疑似压缩炸弹）", content=bomb()),
}


@pytest.mark.parametrize("case", list(SITE_CASES))
def test_sites(case, db, tmp_path):
    run_case(SITE_CASES[case](), tmp_path, db)


# inspections: the template's header and a quiet site of the demo district
def inspection_file(expect: str, edit: Callable[[list, list], tuple[list, list[list]]] | None = None,
                    content: bytes | None = None) -> Case:
    def build(url: str) -> bytes:
        if content is not None:
            return content
        header, keys, code = header_and_keys(url)
        row = inspection_row(code, "2025-12-10 10:00", keys)
        header, rows = edit(header, row) if edit else (header, [row])
        return xlsx(header, rows, "巡查记录")

    return Case(("import", "inspections", "{file}"), "paper.xlsx", build, (expect, "未导入任何记录"))


def _replace(row: list, index: int, value) -> list:
    return [*row[:index], value, *row[index + 1:]]


INSPECTION_CASES = {
    "no 检查人 column": lambda: inspection_file("{file}，第1行：缺少“检查人”列。",
                                              lambda h, r: (h[:2] + h[3:], [r[:2] + r[3:]])),
    "column twice": lambda: inspection_file("{file}，第1行，D「检查人」：列标题“检查人”重复出现（第3列已有）",
                                           lambda h, r: (h[:3] + ["检查人"] + h[3:], [r[:3] + ["李四"] + r[3:]])),
    "value under no header": lambda: inspection_file("{file}，第2行，U：此列没有列标题，但从这一行起有内容",
                                                    lambda h, r: (h, [r + [None, "多出的一格"]])),
    "header repeated": lambda: inspection_file("{file}，第3行，A「工地编号」：表头在此行重复出现",
                                              lambda h, r: (h, [r, h])),
    "inspector of 200 characters": lambda: inspection_file("{file}，第2行，C「检查人」：检查人不能超过96个字。",
                                                          lambda h, r: (h, [_replace(r, 2, "张" * 200)])),
    "site code of 1 MB": lambda: inspection_file("{file}，第2行，A「工地编号」：工地编号“" + "G" * 40 + "…”不存在。",
                                                lambda h, r: (h, [_replace(r, 0, "G" * 2**20)])),
    "inspected in 1800": lambda: inspection_file("{file}，第2行，B「检查时间」：该日期没有施行的检查表。",
                                                lambda h, r: (h, [_replace(r, 1, "1800-01-01 10:00")])),
    "inspected in 9999": lambda: inspection_file("{file}，第2行，B「检查时间」：检查时间晚于当前时间。",
                                                lambda h, r: (h, [_replace(r, 1, "9999-12-31 10:00")])),
    "zip bomb": lambda: inspection_file("{file}，—：解压后共 200.0 MB，超过上限 100.0 MB（疑似压缩炸弹）",
                                        content=bomb()),
}


@pytest.mark.parametrize("case", list(INSPECTION_CASES))
def test_inspections(case, db, tmp_path):
    run_case(INSPECTION_CASES[case](), tmp_path, db)


# ledger: a line for meeting 20 of the demo district; problems are listed under the file's name
LEDGER_ROW = [901, "第20次调度会", "历史台账任务", "按期整改", "侯寨乡", "区住建局", "2025-10-30", "整改中", None, None]


def ledger_file(expect: str, header: list | None = None, rows: list[list] | None = None,
                content: bytes | None = None, **cells) -> Case:
    row = [cells.get(c, v) for c, v in zip(LEDGER_COLUMNS, LEDGER_ROW, strict=True)]
    body = content if content is not None else xlsx(header or list(LEDGER_COLUMNS), rows or [row])
    return Case(("import", "ledger", "{file}"), "台账.xlsx", body, ("REFUSED {name}", "  " + expect))


LEDGER_CASES = {
    "序号 of 20 digits": lambda: ledger_file(
        "{name}, row 2, column 序号: 12345678901234567890 is not a whole number from 1 to 99999",
        序号="12345678901234567890"),
    "序号 of 20 digits as a number": lambda: ledger_file(  # Excel keeps 15 significant digits
        "{name}, row 2, column 序号: 12345678901234569216 is not a whole number from 1 to 99999",
        序号=12345678901234567890),
    "序号 0": lambda: ledger_file("{name}, row 2, column 序号: 0 is not a whole number", 序号=0),
    "序号 superscript two": lambda: ledger_file("{name}, row 2, column 序号: ² is not a whole number", 序号="²"),
    "序号 1e300": lambda: ledger_file("{name}, row 2, column 序号: 1000000000000000052504760255204420248704… is "
                                    "not a whole number", 序号=1e300),
    "deadline in 9999": lambda: ledger_file(
        f"{{name}}, row 2, column 完成时限: 9999-12-31 is outside 2000-01-01 … {THIS_YEAR_PLUS_10}",
        完成时限=dt.date(9999, 12, 31)),
    "deadline in 1800": lambda: ledger_file(
        f"{{name}}, row 2, column 完成时限: 1800-01-01 is outside 2000-01-01 … {THIS_YEAR_PLUS_10}",
        完成时限="1800年1月1日"),
    "column twice": lambda: ledger_file("{name}, row 1, column 会议: the header 会议 appears twice (also column 2)",
                                        header=[*LEDGER_COLUMNS, "会议"]),
    "unknown column": lambda: ledger_file("{name}, row 1, column 备注: unknown column: expected the header 序号",
                                          header=[*LEDGER_COLUMNS, "备注"]),
    "value under no header": lambda: ledger_file("{name}, row 2, column #12: this column has no header",
                                                 rows=[[*LEDGER_ROW, None, "多出的一格"]]),
    "header repeated": lambda: ledger_file("{name}, row 3, column 序号: the header is repeated on this row",
                                           rows=[LEDGER_ROW, list(LEDGER_COLUMNS)]),
    "unit of 1 MB": lambda: ledger_file("{name}, row 2, column 责任单位: unknown unit '" + "单" * 40 + "…'",
                                        责任单位="单" * 2**20),
    "meeting of 50 digits": lambda: ledger_file("{name}, row 2, column 会议: 第" + "9" * 39 + "… is not recorded",
                                                会议="第" + "9" * 50 + "次调度会"),
    "zip bomb": lambda: ledger_file("{name}: it unpacks to 200.0 MB, more than the 100.0 MB allowed", content=bomb()),
}


@pytest.mark.parametrize("case", list(LEDGER_CASES))
def test_ledger(case, db, tmp_path):
    run_case(LEDGER_CASES[case](), tmp_path, db)
