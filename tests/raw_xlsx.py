"""Workbooks written part by part, for what openpyxl would never write: zip bombs, sheets that
lie about their size, malformed XML. Just enough parts for openpyxl to open the file."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"
SHEET_PART = "xl/worksheets/sheet1.xml"


def _parts(sheet_name: str) -> dict[str, str]:
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    return {
        "[Content_Types].xml": (
            f'{head}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPES}.sheet.main+xml"/>'
            f'<Override PartName="/{SHEET_PART}" ContentType="{_TYPES}.worksheet+xml"/></Types>'),
        "_rels/.rels": (
            f'{head}<Relationships xmlns="{_RELS}"><Relationship Id="rId1" Type="{_OFFICE}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'{head}<workbook xmlns="{_MAIN}" xmlns:r="{_OFFICE}"><sheets>'
            f'<sheet name="{sheet_name}" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'{head}<Relationships xmlns="{_RELS}"><Relationship Id="rId1" Type="{_OFFICE}/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'),
    }


def sheet_start(dimension: str | None = None) -> bytes:
    """The worksheet XML up to the first row; ``dimension`` is what the sheet claims, e.g. A1:XFD9."""
    claim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{_MAIN}">{claim}'
            '<sheetData>').encode()


SHEET_END = b"</sheetData></worksheet>"


def text_row(number: int, values: Iterable[str]) -> bytes:
    """A row of inline-string cells from column A."""
    cells = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values)
    return f'<row r="{number}">{cells}</row>'.encode()


def write(path: Path, sheet: Iterable[bytes], sheet_name: str = "Sheet1", extra: dict[str, bytes] | None = None,
          ) -> Path:
    """An .xlsx at ``path`` whose one sheet is the concatenated ``sheet`` chunks (streamed, DEFLATE)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in _parts(sheet_name).items():
            archive.writestr(name, text)
        with archive.open(SHEET_PART, "w") as part:
            for chunk in sheet:
                part.write(chunk)
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return path


def zip_bomb(path: Path, header: Iterable[str], megabytes: int, sheet_name: str = "Sheet1") -> Path:
    """A valid-looking workbook: a header row, then ``megabytes`` MB of identical rows, which
    DEFLATE packs about a thousand to one."""
    block = b'<row><c t="n"><v>1</v></c></row>' * (2**20 // 32)  # 1 MB

    def sheet():
        yield sheet_start() + text_row(1, header)
        for _ in range(megabytes):
            yield block
        yield SHEET_END

    return write(path, sheet(), sheet_name)
