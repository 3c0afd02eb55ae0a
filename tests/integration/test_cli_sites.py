"""``import sites`` / ``export sites`` as a user runs them (click's runner, real SQLite)."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from dashboard.cli import main
from dashboard.domain.coords import wgs84_to_bd09
from dashboard.ingest.sites_excel import HEADERS
from dashboard.store.db import session_scope, upgrade
from dashboard.store.models import AuditEntry, Site, Township
from tests.conftest import new_database_url


def _database(url: str) -> None:
    upgrade(url)
    with session_scope(url) as session:
        session.add_all([Township(code="houzhai", name="侯寨乡", kind="township", position=1),
                         Township(code="mazhai", name="马寨镇", kind="town", position=2)])


@pytest.fixture
def env(tmp_path, monkeypatch):
    url = new_database_url(tmp_path, "cli.db")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DASHBOARD_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DASHBOARD_LANGUAGE", raising=False)
    _database(url)
    return url


def _row(code, name, township="侯寨乡", cells=None):
    lon, lat = wgs84_to_bd09(113.58, 34.66)
    values = {"工地编号": code, "工地名称": name, "地址": "二七区侯寨乡罗沟村", "乡镇办": township,
              "建设单位": "侯寨乡人民政府", "施工单位": "郑州启元建设工程有限公司", "工地类型": "土地整理",
              "面积(平方米)": 54000, "经度": lon, "纬度": lat, "坐标系": "BD09", "状态": "在建",
              "开工日期": dt.date(2025, 8, 18)} | (cells or {})
    return [values[h] for h in HEADERS]


def _workbook(path, rows):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _count(url, model=Site) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_good_file_is_imported_with_coordinates_converted(env, tmp_path):
    path = _workbook(tmp_path / "sites.xlsx", [_row("GD-0001", "绿地城二期"), _row("GD-0002", "马寨安置房", "马寨镇")])
    result = CliRunner().invoke(main, ["import", "sites", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 site(s) added" in result.output
    with session_scope(env) as session:
        site = session.scalar(select(Site).where(Site.code == "GD-0001"))
        assert site.coord_system == "BD09"
        assert (site.longitude, site.latitude) == pytest.approx((113.58, 34.66), abs=1e-6)
        assert site.site_type == "land_preparation" and site.started_on == dt.date(2025, 8, 18)


def test_a_bad_file_is_refused_whole_with_row_and_column(env, tmp_path):
    rows = [
        _row("GD-0001", "好的工地"),
        _row("GD-0002", "", cells={"面积(平方米)": 0}),
        _row("GD-0003", "坐标填反", cells={"经度": 34.66, "纬度": 113.58, "坐标系": "WGS84"}),
    ]
    path = _workbook(tmp_path / "bad.xlsx", rows)
    result = CliRunner().invoke(main, ["import", "sites", str(path)])
    assert result.exit_code == 1
    assert f"{path}, row 3, column 工地名称: 必填" in result.output
    assert f"{path}, row 3, column 面积(平方米): 面积必须大于0" in result.output
    assert f"{path}, row 4, column 经度: 坐标不在本区附近" in result.output
    assert "nothing was saved" in result.output and "Traceback" not in result.output
    assert _count(env) == 0  # not even the good row


def test_reimport_changes_nothing(env, tmp_path):
    path = _workbook(tmp_path / "sites.xlsx", [_row("GD-0001", "绿地城二期")])
    runner = CliRunner()
    assert runner.invoke(main, ["import", "sites", str(path)]).exit_code == 0
    audits = _count(env, AuditEntry)
    again = runner.invoke(main, ["import", "sites", str(path)])
    assert again.exit_code == 0 and "0 site(s) added, 0 updated, 1 unchanged" in again.output
    assert _count(env) == 1 and _count(env, AuditEntry) == audits
    # A changed cell updates the site by its code.
    _workbook(path, [_row("GD-0001", "绿地城二期", cells={"状态": "停工"})])
    assert "1 updated" in runner.invoke(main, ["import", "sites", str(path)]).output
    with session_scope(env) as session:
        assert session.scalar(select(Site.status)) == "suspended"


def test_export_then_import_round_trips(env, tmp_path, monkeypatch):
    source = _workbook(tmp_path / "sites.xlsx", [
        _row("GD-0001", "绿地城二期"),
        _row("GD-0002", "无坐标工地", "马寨镇", {"经度": None, "纬度": None, "坐标系": None, "开工日期": None}),
    ])
    runner = CliRunner()
    assert runner.invoke(main, ["import", "sites", str(source)]).exit_code == 0
    exported = tmp_path / "export.xlsx"
    result = runner.invoke(main, ["export", "sites", "--out", str(exported)])
    assert result.exit_code == 0 and "2 site(s) written" in result.output
    sheet = load_workbook(exported).active
    assert [c.value for c in sheet[1]] == HEADERS
    # Into the same database: nothing changes.
    assert "0 updated, 2 unchanged" in runner.invoke(main, ["import", "sites", str(exported)]).output
    # Into a fresh database: the same sites, and exporting again gives the same cells.
    fresh = new_database_url(tmp_path, "fresh.db")
    _database(fresh)
    monkeypatch.setenv("DATABASE_URL", fresh)
    assert "2 site(s) added" in runner.invoke(main, ["import", "sites", str(exported)]).output
    again = tmp_path / "again.xlsx"
    assert runner.invoke(main, ["export", "sites", "--out", str(again)]).exit_code == 0

    def cells(path):
        return [[c.value for c in row] for row in load_workbook(path).active.iter_rows()]

    first, second = cells(exported), cells(again)
    assert len(first) == len(second) == 3
    for a, b in zip(first, second, strict=True):
        assert a[:8] == b[:8] and a[10:] == b[10:]
        if a[8] is None:
            assert (b[8], b[9]) == (None, None)
        else:
            assert (a[8], a[9]) == pytest.approx((b[8], b[9]), abs=1e-7)


def test_export_needs_an_xlsx_name(env, tmp_path):
    result = CliRunner().invoke(main, ["export", "sites", "--out", str(tmp_path / "sites.csv")])
    assert result.exit_code != 0 and ".xlsx" in result.output
