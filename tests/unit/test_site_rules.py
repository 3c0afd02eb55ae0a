"""Site validation (form and Excel share it) and the sites Excel reader, without a database."""

import datetime as dt

import pytest
from openpyxl import Workbook

from dashboard.domain.coords import wgs84_to_bd09, wgs84_to_gcj02
from dashboard.domain.sites import validate_site
from dashboard.i18n import t
from dashboard.ingest.sites_excel import (
    HEADERS,
    export_rows,
    read_sites,
    template_bytes,
    write_sites,
)

GOOD = {
    "code": "GD-0500", "name": "测试安置房项目", "address": "二七区侯寨乡", "township_id": 15,
    "builder_unit": "侯寨乡人民政府", "contractor_unit": "郑州启元建设工程有限公司", "site_type": "housing",
    "area_m2": 12000, "longitude": 113.58, "latitude": 34.66, "coord_system": "WGS84", "status": "active",
    "started_on": "2025-03-01",
}
TOWNSHIPS = {"侯寨乡": 15, "马寨镇": 16}


def _issues(**changes):
    _clean, issues = validate_site(GOOD | changes, taken_codes={"GD-0001"}, township_ids={15, 16})
    return {(i.field, i.key) for i in issues}


def test_a_good_site_is_clean():
    clean, issues = validate_site(GOOD, township_ids={15})
    assert issues == [] and clean.started_on == dt.date(2025, 3, 1) and clean.area_m2 == 12000.0


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"name": "  "}, ("name", "sites.error.required")),
        ({"township_id": None}, ("township_id", "sites.error.required")),
        ({"township_id": 99}, ("township_id", "sites.error.unknown_township")),
        ({"area_m2": 0}, ("area_m2", "sites.error.area_positive")),
        ({"area_m2": -5}, ("area_m2", "sites.error.area_positive")),
        ({"area_m2": "很大"}, ("area_m2", "sites.error.not_a_number")),
        ({"code": "GD-0001"}, ("code", "sites.error.code_taken")),
        ({"latitude": None}, ("latitude", "sites.error.coordinates_pair")),
        ({"longitude": 34.66, "latitude": 113.58}, ("longitude", "sites.error.outside_box")),
        ({"longitude": 116.40, "latitude": 39.91}, ("latitude", "sites.error.outside_box")),
        ({"site_type": "castle"}, ("site_type", "sites.error.unknown_choice")),
        ({"started_on": "2025-13-01"}, ("started_on", "sites.error.not_a_date")),
        # The same ranges as the importer (domain/limits.py): the form cannot store what a file cannot.
        ({"area_m2": 1e20}, ("area_m2", "sites.error.area_too_large")),
        ({"area_m2": float("inf")}, ("area_m2", "sites.error.not_a_number")),
        ({"started_on": "1800-01-01"}, ("started_on", "sites.error.date_out_of_range")),
        ({"started_on": dt.date(9999, 12, 31)}, ("started_on", "sites.error.date_out_of_range")),
        ({"name": "长" * 129}, ("name", "sites.error.too_long")),
    ],
)
def test_each_rule_names_its_field(changes, expected):
    assert expected in _issues(**changes)


def test_messages_are_chinese():
    assert t("sites.error.area_positive", "zh") == "面积必须大于0"
    assert "经度" in t("sites.error.outside_box", "zh", lon_min=1, lon_max=2, lat_min=3, lat_max=4)


@pytest.mark.parametrize("system", ["GCJ02", "BD09"])
def test_coordinates_are_stored_as_wgs84_with_the_entered_system(system):
    convert = wgs84_to_gcj02 if system == "GCJ02" else wgs84_to_bd09
    lon, lat = convert(113.58, 34.66)
    clean, issues = validate_site(GOOD | {"longitude": lon, "latitude": lat, "coord_system": system})
    assert issues == []
    assert clean.coord_system == system
    assert (clean.longitude, clean.latitude) == pytest.approx((113.58, 34.66), abs=1e-6)


def test_coordinates_may_be_left_out_together():
    clean, issues = validate_site(GOOD | {"longitude": "", "latitude": None})
    assert issues == [] and clean.longitude is None and clean.latitude is None


# --------------------------------------------------------------------------- Excel
def _sheet(tmp_path, rows, headers=HEADERS):
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    path = tmp_path / "sites.xlsx"
    book.save(path)
    return path


ROW = ["GD-0500", "测试安置房项目", "二七区侯寨乡", "侯寨乡", "侯寨乡人民政府", "某建设公司", "住宅", 12000,
       113.58, 34.66, "WGS84", "在建", dt.date(2025, 3, 1)]


def test_the_template_reads_back_as_one_valid_site():
    checked = read_sites(template_bytes(), {"樱桃沟管委会": 17}, file="template.xlsx")
    assert checked.ok and len(checked.sites) == 1
    assert checked.sites[0].coord_system == "GCJ02" and checked.sites[0].site_type == "housing"


def test_bad_rows_are_reported_with_row_column_and_reason(tmp_path):
    def row(code, cells=None):
        values = dict(zip(HEADERS, ROW, strict=True)) | {"工地编号": code} | (cells or {})
        return [values[h] for h in HEADERS]

    rows = [
        row("GD-0500"),
        row("GD-0501", {"面积(平方米)": -3}),
        row("GD-0502", {"乡镇办": "火星乡"}),
        row("GD-0503", {"状态": "半停工", "纬度": None}),
        row("GD-0500"),
    ]
    checked = read_sites(_sheet(tmp_path, rows), TOWNSHIPS)
    assert not checked.ok and checked.sites == []  # nothing is kept when any row is wrong
    found = {(p.row, p.column): p.reason for p in checked.problems}
    assert found == {
        (3, "面积(平方米)"): "面积必须大于0",
        (4, "乡镇办"): "乡镇办“火星乡”不存在",
        (5, "状态"): "无法识别的值“半停工”",
        (5, "纬度"): "经度和纬度须同时填写或同时留空",
        (6, "工地编号"): "工地编号 GD-0500 与第2行重复",
    }
    assert str(checked.problems[0]).startswith(f"{tmp_path / 'sites.xlsx'}, row 3, column 面积(平方米): ")


def test_a_missing_required_column_refuses_the_file(tmp_path):
    headers = [h for h in HEADERS if h != "乡镇办"]
    path = _sheet(tmp_path, [ROW[:3] + ROW[4:]], headers)
    checked = read_sites(path, TOWNSHIPS)
    assert [(p.row, p.column, p.reason) for p in checked.problems] == [(1, "乡镇办", "缺少必需的列")]


def test_not_an_excel_file(tmp_path):
    path = tmp_path / "sites.xlsx"
    path.write_text("工地编号,工地名称\n")
    checked = read_sites(path, TOWNSHIPS)
    assert [p.reason for p in checked.problems] == ["不是有效的 Excel（.xlsx）文件"]


def test_export_rows_write_coordinates_in_the_entered_system_and_read_back(tmp_path):
    lon, lat = wgs84_to_gcj02(113.58, 34.66)
    stored = GOOD | {"township_id": 15, "coord_system": "GCJ02", "longitude": 113.58, "latitude": 34.66,
                     "started_on": dt.date(2025, 3, 1)}
    rows = export_rows([stored], {15: "侯寨乡"})
    assert (rows[0]["longitude"], rows[0]["latitude"]) == pytest.approx((lon, lat))
    path = tmp_path / "export.xlsx"
    write_sites(rows, path)
    checked = read_sites(path, TOWNSHIPS)
    assert checked.ok
    back = checked.sites[0]
    assert (back.longitude, back.latitude) == pytest.approx((113.58, 34.66), abs=1e-7)
    assert back.as_dict() | {"longitude": 0, "latitude": 0} == {
        k: v for k, v in stored.items()} | {"area_m2": 12000.0, "longitude": 0, "latitude": 0}
