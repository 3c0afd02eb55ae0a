"""Inspections in a real browser: an inspector records a failure with a note and a photo, the
rectification appears, a re-inspection closes it; a missing note and a conflicting edit keep what
was typed; a bad Excel file is refused whole.

The demo app is shared by all browser tests, so each test here works on its own 侯寨乡 site
(one with no open rectification) and asserts only on that site.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import zlib
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import func, select

from dashboard.analytics import compliance as compliance_analytics
from dashboard.domain.compliance import compliance_rate
from dashboard.domain.inspection import ItemEntry
from dashboard.services import inspections as service
from dashboard.services.access import Actor
from dashboard.store import inspections as S
from dashboard.store.db import session_scope
from dashboard.store.models import Inspection, Rectification, Site, Township
from tests.browser.helpers import WAIT, append_text, choose, click, no_console_errors
from tests.conftest import login, start

pytestmark = pytest.mark.browser
TZ = ZoneInfo("Asia/Shanghai")


def _quiet_sites(settings) -> list[str]:
    """Codes of active 侯寨乡 sites without open rectifications or inspections after 12-10 18:00."""
    with session_scope(settings.database_url) as s:
        busy = select(Rectification.site_id).where(Rectification.status == "open")
        recent = select(Inspection.site_id).where(Inspection.inspected_at >= dt.datetime(2025, 12, 10, 18, tzinfo=TZ))
        return list(s.scalars(
            select(Site.code).join(Township).where(Township.name == "侯寨乡", Site.status == "active",
                                                   Site.id.not_in(busy), Site.id.not_in(recent)).order_by(Site.code)
        ))


def _site_id(settings, code: str) -> int:
    with session_scope(settings.database_url) as s:
        return s.scalar(select(Site.id).where(Site.code == code))


def _tiny_png(path):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    # Two rows of a filter byte and two RGB pixels: 14 bytes (13 was a truncated image, which
    # browsers draw anyway but the server's decode check refuses).
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00\x00\xff\x00\x00\x00\x00\x00\x00\xff\x00"))
                     + chunk(b"IEND", b""))
    return path


def _open_form(duo, path="/inspections/new"):
    duo.driver.get(duo.server_url + path)
    duo.wait_for_element("#insp-submit", timeout=WAIT)


def _pick_site(duo, code: str):
    """Search the site picker by code and choose the match, as a user does."""
    choose(duo, duo.find_element("#insp-site"), code)


def _type_date(duo, value: str):
    field = click(duo, "#insp-date")
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(value, Keys.TAB)
    WebDriverWait(duo.driver, WAIT).until(lambda _d: field.get_attribute("value") == value, f"the date is not {value}")


def _fail(duo, key: str):
    click(duo, (By.XPATH, f"//div[@data-key='{key}']//label[normalize-space()='不合格']"))
    duo.wait_for_element(f"div[data-key='{key}'] textarea", timeout=WAIT)


def _township_rate(settings, site_id: int) -> float:
    """The compliance rate of the site's township over the campaign so far."""
    with session_scope(settings.database_url) as session:
        data = compliance_analytics.load(session, settings.tz)
        township = session.get(Site, site_id).township_id
    return compliance_rate(data.results[data.results["township_id"] == township])


def test_inspector_records_a_failure_with_photo_and_a_reinspection_closes_it(
    browser_ready, dash_duo, demo_app, demo_settings, tmp_path
):
    code = _quiet_sites(demo_settings)[0]
    site_id = _site_id(demo_settings, code)
    rate_before = _township_rate(demo_settings, site_id)
    start(dash_duo, demo_app)
    login(dash_duo, "inspector")
    photo = _tiny_png(tmp_path / "cover.png")

    _open_form(dash_duo)
    assert dash_duo.find_element("#insp-inspector").get_attribute("value") == "test inspector"
    _pick_site(dash_duo, code)
    _type_date(dash_duo, "2025-12-10")
    _fail(dash_duo, "cover")
    append_text(dash_duo, dash_duo.find_element("div[data-key='cover'] textarea"), "裸土未覆盖，防尘网破损")
    dash_duo.find_element("div[data-key='cover'] input[type=file]").send_keys(str(photo))
    dash_duo.wait_for_element("div[data-key='cover'] img.insp-thumb", timeout=WAIT)
    click(dash_duo, "#insp-rest-pass")
    click(dash_duo, "#insp-submit")
    dash_duo.wait_for_element("#insp-saved", timeout=WAIT)
    dash_duo.wait_for_contains_text("#insp-effects", "各类物料堆放100%覆盖", timeout=WAIT)
    assert _township_rate(demo_settings, site_id) < rate_before
    # The stored photo is served to the logged-in user (the thumbnail actually loads).
    assert dash_duo.driver.execute_script(
        "const i = document.querySelector(\"div[data-key='cover'] img.insp-thumb\"); return i && i.naturalWidth;") == 2

    dash_duo.driver.get(dash_duo.server_url + "/rectifications")
    dash_duo.wait_for_element("#rect-f-search", timeout=WAIT).send_keys(code)
    dash_duo.wait_for_contains_text("#rect-grid", code, timeout=WAIT)
    dash_duo.wait_for_contains_text("#rect-grid", "各类物料堆放100%覆盖")
    dash_duo.wait_for_contains_text("#rect-grid", "2025-12-13")  # deadline: three days

    # A passing re-inspection (every item passed in one tap) at the default time, today.
    _open_form(dash_duo)
    _pick_site(dash_duo, code)
    dash_duo.wait_for_contains_text("#insp-open-rects", "各类物料堆放100%覆盖", timeout=WAIT)
    click(dash_duo, "#insp-rest-pass")
    click(dash_duo, "#insp-submit")
    dash_duo.wait_for_element("#insp-saved", timeout=WAIT)
    dash_duo.wait_for_contains_text("#insp-effects", "复查合格并销号", timeout=WAIT)

    dash_duo.driver.get(dash_duo.server_url + "/rectifications")
    dash_duo.wait_for_element("#rect-f-search", timeout=WAIT)
    click(dash_duo, (By.XPATH, "//label[normalize-space()='已销号']"))
    dash_duo.find_element("#rect-f-search").send_keys(code)
    dash_duo.wait_for_contains_text("#rect-grid", code, timeout=WAIT)
    with session_scope(demo_settings.database_url) as s:
        (rect,) = s.scalars(select(Rectification).where(
            Rectification.site_id == _site_id(demo_settings, code), Rectification.item_key == "cover",
            Rectification.opened_at >= dt.datetime(2025, 12, 10, 18, tzinfo=TZ))).all()
        assert rect.status == "closed" and rect.closed_at.astimezone(TZ).date() == dt.date(2025, 12, 11)
    no_console_errors(dash_duo)


def test_a_failure_without_a_note_is_refused_and_the_form_keeps_its_values(
    browser_ready, dash_duo, demo_app, demo_settings
):
    code = _quiet_sites(demo_settings)[1]
    site_id = _site_id(demo_settings, code)
    with session_scope(demo_settings.database_url) as s:
        before = s.scalar(select(func.count()).select_from(Inspection).where(Inspection.site_id == site_id))
    start(dash_duo, demo_app)
    login(dash_duo, "inspector")
    _open_form(dash_duo)
    _pick_site(dash_duo, code)
    _fail(dash_duo, "vehicle_wash")
    append_text(dash_duo, dash_duo.find_element("#insp-general-note"), "出入口有积泥")
    click(dash_duo, "#insp-submit")
    dash_duo.wait_for_contains_text("#insp-message", "不合格项必须填写问题描述", timeout=WAIT)
    dash_duo.wait_for_contains_text("div[data-key='vehicle_wash']", "不合格项必须填写问题描述", timeout=WAIT)
    assert code in dash_duo.find_element("#insp-site").get_attribute("value")
    assert dash_duo.find_element("#insp-general-note").get_attribute("value") == "出入口有积泥"
    checked = dash_duo.driver.find_element(By.CSS_SELECTOR, "div[data-key='vehicle_wash'] input[type=radio]:checked")
    assert checked.get_attribute("value") == "fail"
    with session_scope(demo_settings.database_url) as s:
        assert s.scalar(select(func.count()).select_from(Inspection).where(Inspection.site_id == site_id)) == before
    no_console_errors(dash_duo)


def test_a_conflicting_edit_is_reported_and_what_was_typed_stays(browser_ready, dash_duo, demo_app, demo_settings):
    code = _quiet_sites(demo_settings)[2]
    site_id = _site_id(demo_settings, code)
    with session_scope(demo_settings.database_url) as s:
        keys = S.checklist_for(s, dt.date(2025, 12, 11)).keys
        payload = S.InspectionInput(site_id=site_id, inspected_at=dt.datetime(2025, 12, 11, 8, 30, tzinfo=TZ),
                                    inspector_name="李娜", entries=tuple(ItemEntry(k, "pass") for k in keys))
        saved = service.record(s, Actor.system(), payload, submit=True, tz=TZ)
    start(dash_duo, demo_app)
    login(dash_duo, "editor")
    _open_form(dash_duo, f"/inspections/{saved.inspection_id}")
    # Meanwhile someone else saves the same inspection.
    with session_scope(demo_settings.database_url) as s:
        other = S.InspectionInput(**{**payload.__dict__, "note": "另一人的修改"})
        service.record(s, Actor.system(), other, submit=True, tz=TZ, inspection_id=saved.inspection_id,
                       expected_version=saved.version)
    append_text(dash_duo, dash_duo.find_element("#insp-general-note"), "我的补充说明")
    click(dash_duo, "#insp-submit")
    dash_duo.wait_for_contains_text("#insp-conflict", "已被他人修改", timeout=WAIT)
    assert dash_duo.find_element("#insp-general-note").get_attribute("value") == "我的补充说明"
    with session_scope(demo_settings.database_url) as s:
        assert s.get(Inspection, saved.inspection_id).note == "另一人的修改"
    # Choosing to keep one's own version then saves it, knowingly.
    click(dash_duo, "#insp-overwrite")
    dash_duo.wait_for_contains_text("#insp-message", "覆盖", timeout=WAIT)
    click(dash_duo, "#insp-submit")
    dash_duo.wait_for_element("#insp-saved", timeout=WAIT)
    with session_scope(demo_settings.database_url) as s:
        assert s.get(Inspection, saved.inspection_id).note == "我的补充说明"
    no_console_errors(dash_duo)


def test_a_bad_excel_file_is_refused_with_clear_messages_and_nothing_saved(
    browser_ready, dash_duo, demo_app, demo_settings, tmp_path
):
    code = _quiet_sites(demo_settings)[3]
    with session_scope(demo_settings.database_url) as s:
        checklist = S.checklist_for(s, dt.date(2025, 12, 11))
        before = s.scalar(select(func.count()).select_from(Inspection))
    header = ["工地编号", "检查时间", "检查人"]
    for _key, _pos, label, _en in checklist.items:
        header += [label, f"{label}（问题描述）"]
    good = [code, "2025-12-10 10:00", "张伟"] + ["合格", ""] * len(checklist.items)
    no_note = [code, "2025-12-10 11:00", "张伟", "不合格", ""] + ["合格", ""] * (len(checklist.items) - 1)
    unknown = ["GD-9999", "2025-12-10 12:00", "张伟"] + ["合格", ""] * len(checklist.items)
    wb = Workbook()
    for row in (header, good, no_note, unknown):
        wb.active.append(row)
    path = tmp_path / "纸质巡查.xlsx"
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(buffer.getvalue())

    start(dash_duo, demo_app)
    login(dash_duo, "editor")
    dash_duo.driver.get(dash_duo.server_url + "/inspections")
    dash_duo.wait_for_element("#insp-import-upload input[type=file]", timeout=WAIT).send_keys(str(path))
    dash_duo.wait_for_contains_text("#insp-import-alert", "未导入任何记录", timeout=WAIT)
    table = dash_duo.find_element("#insp-import-problems").text
    assert "不合格项必须填写问题描述" in table and "GD-9999" in table
    assert "3" in table and "4" in table  # the rows, as numbered in Excel
    with session_scope(demo_settings.database_url) as s:
        assert s.scalar(select(func.count()).select_from(Inspection)) == before
    no_console_errors(dash_duo)


def test_a_large_phone_photo_is_reduced_in_the_browser_keeps_its_exif_and_shows_far_on_a_phone(
    browser_ready, dash_duo, demo_app, demo_settings, tmp_path
):
    """assets/photo-reduce.js: a 4000×3000 photo turned by EXIF (Orientation 6) arrives as an
    upright 1536×2048 JPEG with its time and GPS; the GPS is 5.6 km north of the site, so the
    thumbnail says 距离过远. A photo dropped on the box is reduced too."""
    from PIL import Image

    from dashboard.store.models import PhotoMeta
    from tests.browser.test_phone import as_phone, overflow
    from tests.photo_files import photo

    with session_scope(demo_settings.database_url) as s:
        # Not the first quiet site, which the first test of this module inspects.
        code, lon, lat = s.execute(select(Site.code, Site.longitude, Site.latitude).where(
            Site.code.in_(_quiet_sites(demo_settings)[1:]), Site.longitude.is_not(None)).order_by(Site.code)).first()
    original = tmp_path / "IMG_20251210_093000.jpg"
    original.write_bytes(photo(4000, 3000, taken="2025:12:10 09:30:00", offset="+08:00", lat=lat + 0.05, lon=lon,
                               orientation=6))
    start(dash_duo, demo_app)
    as_phone(dash_duo, 390, 844)
    login(dash_duo, "inspector")
    _open_form(dash_duo)
    _pick_site(dash_duo, code)
    _type_date(dash_duo, "2025-12-10")
    _fail(dash_duo, "cover")
    dash_duo.find_element("div[data-key='cover'] input[type=file]").send_keys(str(original))
    dash_duo.wait_for_element("div[data-key='cover'] .insp-photo-far", timeout=WAIT)
    caption = dash_duo.find_element("div[data-key='cover'] .insp-photo-caption").text
    assert "12-10 09:30" in caption and "距工地 5.6 公里" in caption and "距离过远" in caption
    assert dash_duo.find_element("div[data-key='cover'] .insp-photo-far").is_displayed()
    src = dash_duo.find_element("div[data-key='cover'] img.insp-thumb").get_attribute("src")
    digest = src.rsplit("/", 1)[1]

    stored = demo_settings.upload_dir / "photos" / digest[:2] / digest
    with Image.open(stored) as image:
        assert image.format == "JPEG" and image.size == (1536, 2048)  # upright, longest side 2048
        exif = image.getexif()
        assert exif.get(0x0112, 1) == 1  # the pixels are upright: nothing left to turn
        gps = exif.get_ifd(0x8825)
        assert gps[1] == "N" and float(gps[2][0]) + float(gps[2][1]) / 60 + float(gps[2][2]) / 3600 \
            == pytest.approx(lat + 0.05, abs=1e-5)
    assert stored.stat().st_size < original.stat().st_size
    with session_scope(demo_settings.database_url) as s:
        meta = s.get(PhotoMeta, digest)
        assert (meta.width, meta.height) == (1536, 2048)
        assert meta.taken_at == dt.datetime(2025, 12, 10, 9, 30, tzinfo=TZ)
        assert meta.latitude == pytest.approx(lat + 0.05, abs=1e-5)
    assert overflow(dash_duo) is None  # the caption fits a 390 px phone

    # Dropped on the box (a desktop): a 3000×1000 PNG made in the page arrives as a 2048 px JPEG.
    dash_duo.driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const canvas = document.createElement('canvas');
        canvas.width = 3000; canvas.height = 1000;
        const context = canvas.getContext('2d');
        context.fillStyle = '#2b8a3e'; context.fillRect(0, 0, 3000, 1000);
        canvas.toBlob(blob => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([blob], 'drop.png', {type: 'image/png'}));
            document.querySelector("div[data-key='cover'] .insp-upload").dispatchEvent(
                new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: transfer}));
            done(true);
        }, 'image/png');""")
    WebDriverWait(dash_duo.driver, WAIT).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "div[data-key='cover'] img.insp-thumb")) == 2,
        "the dropped photo did not arrive")
    dropped = dash_duo.find_elements("div[data-key='cover'] img.insp-thumb")[1].get_attribute("src").rsplit("/", 1)[1]
    with Image.open(demo_settings.upload_dir / "photos" / dropped[:2] / dropped) as image:
        assert image.format == "JPEG" and image.size == (2048, 683)
    no_console_errors(dash_duo)
