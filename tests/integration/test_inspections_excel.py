"""Bulk import of paper inspections from the Excel template: the page's reader, the store and
the CLI. A file lands whole or not at all, and re-importing it adds nothing."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from dashboard.cli import main
from dashboard.ingest.inspections_excel import read_inspections, template_workbook
from dashboard.services import inspections as service
from dashboard.services.access import Actor
from dashboard.store import clock
from dashboard.store import inspections as S
from dashboard.store.db import session_scope
from dashboard.store.models import Inspection, Rectification, Site, Township
from tests.conftest import make_settings
from tests.integration.inspection_db import copy_demo

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def demo_url(tmp_path_factory, tmp_path):
    yield from copy_demo(tmp_path_factory, tmp_path)


def header_and_keys(url: str) -> tuple[list[str], list[str], str]:
    """The template's headings, the item keys in order, and a quiet 侯寨乡 site code."""
    with session_scope(url) as s:
        checklist = S.checklist_for(s, dt.date(2025, 12, 11))
        open_sites = select(Rectification.site_id).where(Rectification.status == "open")
        code = s.scalar(select(Site.code).join(Township).where(Township.name == "侯寨乡", Site.status == "active",
                                                               Site.id.not_in(open_sites)).order_by(Site.id))
        template = template_workbook(checklist, [(code, "x", "侯寨乡")], dt.datetime(2025, 12, 11, 9, 30), "张伟")
    header = [c.value for c in load_workbook(io.BytesIO(template)).active[1]]
    return header, list(checklist.keys), code


def workbook(header: list[str], rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "巡查记录"
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def row(code, when, keys, fails=None, inspector="张伟"):
    fails = fails or {}
    cells = [code, when, inspector]
    for key in keys:
        cells += (["不合格", fails[key]] if key in fails else ["合格", ""])
    return cells


def counts(url: str) -> tuple[int, int]:
    with session_scope(url) as s:
        return (s.scalar(select(func.count()).select_from(Inspection)),
                s.scalar(select(func.count()).select_from(Rectification)))


def run_import(url: str, content: bytes, name: str = "paper.xlsx"):
    """(what was read, the counts) — counts None when the file was refused."""
    folder = Path(url.removeprefix("sqlite:///")).parent if url.startswith("sqlite") else Path(tempfile.gettempdir())
    settings = make_settings(folder, database_url=url)
    try:
        return service.import_inspections(settings, Actor.system(), content, name, "zh")
    except service.InspectionsRefused as refused:
        return refused.read, None


def test_a_good_file_lands_through_the_rectification_loop_and_reimport_adds_nothing(demo_url):
    header, keys, code = header_and_keys(demo_url)
    content = workbook(header, [
        row(code, dt.datetime(2025, 12, 11, 9, 0), keys),  # rows need not be in time order
        row(code, "2025-12-10 10:00", keys, {"cover": "裸土未覆盖"}),
    ])
    before = counts(demo_url)
    read, result = run_import(demo_url, content)
    assert read.ok and (result.added, result.skipped, result.opened) == (2, 0, 1)
    inspections, rects = counts(demo_url)
    assert (inspections, rects) == (before[0] + 2, before[1] + 1)
    with session_scope(demo_url) as s:
        rect = s.scalars(select(Rectification).order_by(Rectification.id.desc()).limit(1)).one()
        assert rect.status == "closed" and rect.deadline == dt.date(2025, 12, 13)  # closed by the 11th's pass
        sources = set(s.scalars(select(Inspection.source).where(Inspection.id.in_(result.inspection_ids))))
        assert sources == {"excel"}

    read, again = run_import(demo_url, content)
    assert (again.added, again.skipped) == (0, 2)
    assert counts(demo_url) == (inspections, rects)


def test_a_bad_file_is_refused_whole_with_row_column_and_reason(demo_url):
    header, keys, code = header_and_keys(demo_url)
    content = workbook(header, [
        row(code, "2025-12-10 10:00", keys),  # fine, but must not land with the rest refused
        row("GD-9999", "2025-12-10 11:00", keys),
        row(code, "昨天下午", keys),
        row(code, "2025-12-10 12:00", keys, {"cover": ""}),
        row(code, "2026-01-05 09:00", keys),
        [code, "2025-12-10 13:00", "张伟", "好"] + [""] * (len(header) - 4),
        row(code, "2025-12-10 10:00", keys, inspector=""),
    ])
    before = counts(demo_url)
    read, result = run_import(demo_url, content, "坏文件.xlsx")
    assert result is None and counts(demo_url) == before
    found = {(p.row, (p.column or "").split("「")[0], p.reason) for p in read.problems}
    assert (3, "A", "工地编号“GD-9999”不存在。") in found
    assert any(r == 4 and c == "B" and "昨天下午" in why for r, c, why in found)
    cover_note = header.index("各类物料堆放100%覆盖（问题描述）") + 1
    assert any(r == 5 and c == chr(64 + cover_note) and "问题描述" in why for r, c, why in found)
    assert any(r == 6 and c == "B" and "晚于当前时间" in why for r, c, why in found)
    assert any(r == 7 and c == "D" and "“好”不是有效结果" in why for r, c, why in found)
    assert any(r == 8 and c == "C" for r, c, _ in found)  # no inspector
    assert any(r == 8 and "第2行" in why for r, _, why in found)  # same site and time as row 2
    assert all(p.file == "坏文件.xlsx" for p in read.problems)


def test_not_an_excel_file_and_unknown_columns(demo_url):
    read, result = run_import(demo_url, b"site,time\nGD-0001,2025-12-10", "sites.csv")
    assert result is None and "不是有效的 Excel" in read.problems[0].reason
    header, _keys, _code = header_and_keys(demo_url)
    read, result = run_import(demo_url, workbook(header[:3] + ["备注"] + header[3:], []))
    assert result is None and read.problems[0].column.startswith("D「备注」")


def test_the_template_example_row_reads_back(demo_url):
    with session_scope(demo_url) as s:
        checklist = S.checklist_for(s, dt.date(2025, 12, 11))
        content = template_workbook(checklist, [("GD-0001", "x", "y")], dt.datetime(2025, 12, 11, 9, 30), "张伟")
        read = read_inspections(content, "模板.xlsx", sites=S.site_index(s), checklists=S.checklist_versions(s),
                                now=clock.now(s, TZ), tz=TZ)
    assert read.ok, read.problems
    (only,) = read.rows
    assert only.inspected_at == dt.datetime(2025, 12, 11, 9, 30, tzinfo=TZ)
    assert [e.key for e in only.entries if e.result == "fail"] == ["cover"]
    assert load_workbook(io.BytesIO(content)).sheetnames == ["巡查记录", "填写说明", "工地清单"]


def test_cli_imports_refuses_with_exit_1_and_is_idempotent(demo_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.setenv("DASHBOARD_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DASHBOARD_LANGUAGE", raising=False)
    header, keys, code = header_and_keys(demo_url)
    good, bad = tmp_path / "good.xlsx", tmp_path / "bad.xlsx"
    good.write_bytes(workbook(header, [row(code, "2025-12-10 10:00", keys, {"cover": "裸土未覆盖"})]))
    bad.write_bytes(workbook(header, [row("GD-9999", "2025-12-10 10:00", keys)]))
    before = counts(demo_url)

    refused = CliRunner().invoke(main, ["import", "inspections", str(bad)])
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "第2行" in refused.output and "GD-9999" in refused.output and str(bad) in refused.output
    assert counts(demo_url) == before

    done = CliRunner().invoke(main, ["import", "inspections", str(good)])
    assert done.exit_code == 0, done.output
    assert "新增 1 条" in done.output and counts(demo_url) == (before[0] + 1, before[1] + 1)
    again = CliRunner().invoke(main, ["import", "inspections", str(good)])
    assert again.exit_code == 0 and "新增 0 条" in again.output and "跳过已有 1 条" in again.output
    assert counts(demo_url) == (before[0] + 1, before[1] + 1)

    template = tmp_path / "template.xlsx"
    written = CliRunner().invoke(main, ["export", "inspections-template", "--out", str(template)])
    assert written.exit_code == 0 and load_workbook(template).active["A1"].value == "工地编号"
