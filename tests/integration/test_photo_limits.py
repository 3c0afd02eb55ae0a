"""Photos are limited by pixel count as well as bytes: a small file declaring a huge image is refused."""

import base64
import struct
import zlib

import pytest

from dashboard.storage import photos
from tests.conftest import TEST_PASSWORDS
from tests.dash_http import csrf_header, log_in, text_of
from tests.integration.test_inspections import tiny_png
from tests.photo_files import photo


def _png(width: int, height: int, idat: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def png_bomb() -> bytes:
    """A real decompression bomb: a valid 30000 × 30000 black-and-white PNG of about 110 KB."""
    row = b"\x00" * (1 + 30000 // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(30000)) + packer.flush()
    return _png(30000, 30000, idat)


def _jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof2 = b"\xff\xc2" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + b"\xff\xff" + sof2 + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x00" * 32


def _webp_vp8x(width: int, height: int) -> bytes:
    body = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00" + (width - 1).to_bytes(3, "little") \
        + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def _webp_vp8l(width: int, height: int) -> bytes:
    bits = (width - 1) | ((height - 1) << 14)
    body = b"VP8L" + struct.pack("<I", 5) + b"\x2f" + struct.pack("<I", bits)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def _webp_vp8(width: int, height: int) -> bytes:
    body = b"VP8 " + struct.pack("<I", 10) + b"\x00\x00\x00\x9d\x01\x2a" + struct.pack("<HH", width, height)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def test_sizes_are_read_from_the_headers(png_bomb):
    assert photos.image_size(tiny_png()) == (1, 1)
    assert photos.image_size(png_bomb) == (30000, 30000)
    assert photos.image_size(_jpeg(4000, 3000)) == (4000, 3000)
    assert photos.image_size(_webp_vp8x(5000, 4000)) == (5000, 4000)
    assert photos.image_size(_webp_vp8l(300, 200)) == (300, 200)
    assert photos.image_size(_webp_vp8(640, 480)) == (640, 480)
    # No frame header before the end: nothing a browser could draw, so no size.
    assert photos.image_size(b"\xff\xd8\xff\xe0" + b"\x00" * 16) is None


def test_a_decompression_bomb_is_refused_with_its_reason(png_bomb, tmp_path):
    assert len(png_bomb) < photos.DEFAULT_MAX_BYTES
    with pytest.raises(photos.PhotoRejected) as refused:
        photos.store_photo(png_bomb, tmp_path)
    assert refused.value.code == "pixels" and refused.value.max_pixels == photos.DEFAULT_MAX_PIXELS
    for huge in (_jpeg(30000, 30000), _webp_vp8x(20000, 20000), _webp_vp8l(16384, 16384)):
        with pytest.raises(photos.PhotoRejected, match="pixels"):
            photos.store_photo(huge, tmp_path)
    assert not (tmp_path / "photos").exists()


def test_a_phone_photo_passes_the_pixel_limit_and_must_then_decode(tmp_path):
    # 48 MP is a phone camera's full resolution: within the limit, so these headers get as far as
    # the decode, which refuses them for having no pixels behind the header.
    for header_only in (_jpeg(8000, 6000), _webp_vp8(4000, 3000)):
        with pytest.raises(photos.PhotoRejected) as refused:
            photos.store_photo(header_only, tmp_path)
        assert refused.value.code == "encoding"
    assert photos.store_photo(photo(4000, 3000), tmp_path)


def test_the_upload_callback_says_why_a_bomb_is_refused(client, demo_app, png_bomb):
    """Through the inspection form's upload callback, as the browser sends it."""
    log_in(client, "inspector", TEST_PASSWORDS["inspector"])

    def dep(kind: str, prop: str, value=None, **extra):
        return {"id": {"type": kind, "key": "k1", **extra}, "property": prop, "value": value}

    contents = "data:image/png;base64," + base64.b64encode(png_bomb).decode()
    key = next(k for k in demo_app.callback_map if '"type":"insp-photos"' in k)
    body = {
        "output": key,
        "outputs": [{"id": {"type": "insp-photos", "key": "k1"}, "property": "data"},
                    {"id": {"type": "insp-photo-msg", "key": "k1"}, "property": "children"}],
        "inputs": [dep("insp-upload", "contents", contents), []],
        "state": [dep("insp-upload", "filename", "bomb.png"), dep("insp-photos", "data", [])],
        "changedPropIds": ['{"key":"k1","type":"insp-upload"}.contents'],
    }
    response = client.post("/_dash-update-component", json=body, headers=csrf_header(client))
    assert response.status_code == 200
    assert "bomb.png：图片像素过多" in text_of(response)
    assert response.get_json()["response"]["{\"key\":\"k1\",\"type\":\"insp-photos\"}"]["data"] == []
