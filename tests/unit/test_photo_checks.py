"""Uploaded photos: the EXIF time and GPS read from photos made here, and the checks an upload
passes (a bomb refused from its header before any decode, a renamed text file, a truncated JPEG)."""

from __future__ import annotations

import datetime as dt
import struct
import zlib

import pytest
from PIL import Image

from dashboard.storage import photos
from dashboard.storage.exif import BEIJING, parse_gps, parse_taken_at
from tests.photo_files import photo

UTC = dt.UTC


# --- what EXIF says ------------------------------------------------------------------------------


def test_time_and_position_are_read_from_a_phone_photo():
    facts = photos.check_photo(photo(320, 240, taken="2025:12:10 09:30:15", offset="+08:00", lat=34.7213,
                                     lon=113.6421))
    assert (facts.mime, facts.width, facts.height) == ("image/jpeg", 320, 240)
    assert facts.taken_at == dt.datetime(2025, 12, 10, 1, 30, 15, tzinfo=UTC)
    assert facts.taken_at.utcoffset() == dt.timedelta(hours=8)
    assert facts.latitude == pytest.approx(34.7213, abs=1e-6)
    assert facts.longitude == pytest.approx(113.6421, abs=1e-6)


def test_south_and_west_are_negative_and_the_offset_is_honoured():
    facts = photos.check_photo(photo(taken="2025:06:01 12:00:00", offset="-03:00", lat=-22.9068, lon=-43.1729))
    assert facts.latitude == pytest.approx(-22.9068, abs=1e-6)
    assert facts.longitude == pytest.approx(-43.1729, abs=1e-6)
    assert facts.taken_at == dt.datetime(2025, 6, 1, 15, 0, tzinfo=UTC)


def test_without_an_offset_the_time_is_beijing_time():
    facts = photos.check_photo(photo(taken="2025:12:10 09:30:00"))
    assert facts.taken_at == dt.datetime(2025, 12, 10, 9, 30, tzinfo=BEIJING)
    assert (facts.latitude, facts.longitude) == (None, None)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_keep_their_exif_too(fmt):
    facts = photos.check_photo(photo(fmt=fmt, taken="2025:12:10 09:30:00", lat=34.72, lon=113.64))
    assert facts.mime == f"image/{fmt.lower()}"
    assert facts.taken_at == dt.datetime(2025, 12, 10, 9, 30, tzinfo=BEIJING)
    assert facts.latitude == pytest.approx(34.72, abs=1e-6)


def test_a_photo_without_exif_has_no_facts_but_is_kept(tmp_path):
    facts = photos.check_photo(photo())
    assert (facts.taken_at, facts.latitude, facts.longitude) == (None, None, None)
    assert photos.store_photo(photo(), tmp_path) == facts.digest


@pytest.mark.parametrize("stamp, offset, expected", [
    ("2025:12:10 09:30:00", None, dt.datetime(2025, 12, 10, 9, 30, tzinfo=BEIJING)),
    (b"2025:12:10 09:30:00\x00", b"+05:30", dt.datetime(2025, 12, 10, 4, 0, tzinfo=UTC)),
    ("2025:12:10 09:30:00", "garbage", dt.datetime(2025, 12, 10, 9, 30, tzinfo=BEIJING)),
    ("0000:00:00 00:00:00", None, None),  # a camera whose clock was never set
    ("    :  :     :  :  ", None, None),
    ("2025:13:40 25:00:00", None, None),
    (None, None, None),
    (12345, None, None),
])
def test_exif_times(stamp, offset, expected):
    assert parse_taken_at(stamp, offset) == expected


@pytest.mark.parametrize("gps, expected", [
    ({1: "N", 2: (34.0, 43.0, 12.0), 3: "E", 4: (113.0, 38.0, 24.0)}, (34.72, 113.64)),
    ({1: "S", 2: (34.0, 43.0, 12.0), 3: "W", 4: (113.0, 38.0, 24.0)}, (-34.72, -113.64)),
    ({2: (34.0, 43.0, 12.0), 4: (113.0, 38.0, 24.0)}, (34.72, 113.64)),  # no refs: north and east
    ({1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0)}, (None, None)),  # no fix yet
    ({1: "N", 2: (34.0, 43.0, 12.0)}, (None, None)),  # latitude only
    ({1: "N", 2: (95.0, 0.0, 0.0), 3: "E", 4: (113.0, 0.0, 0.0)}, (None, None)),
    ({1: "N", 2: (float("nan"), 0.0, 0.0), 3: "E", 4: (113.0, 0.0, 0.0)}, (None, None)),
    ({1: "N", 2: "34.72", 3: "E", 4: (113.0, 0.0, 0.0)}, (None, None)),
    ({}, (None, None)),
])
def test_exif_positions(gps, expected):
    lat, lon = parse_gps(gps)
    if expected[0] is None:
        assert (lat, lon) == expected
    else:
        assert (lat, lon) == pytest.approx(expected, abs=1e-9)


# --- what is refused -----------------------------------------------------------------------------


def _png_header(width: int, height: int) -> bytes:
    """Only the signature and the IHDR chunk of a PNG: what declares its size, no pixels at all."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr \
        + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))


def test_a_20000_by_20000_png_is_refused_from_its_header_before_any_decode(monkeypatch, tmp_path):
    def no_decoding(*_args, **_kwargs):
        raise AssertionError("the image was opened")

    monkeypatch.setattr(Image, "open", no_decoding)
    bomb = _png_header(20000, 20000)
    assert len(bomb) < 100
    with pytest.raises(photos.PhotoRejected) as refused:
        photos.store_photo(bomb, tmp_path)
    assert refused.value.code == "pixels" and refused.value.max_pixels == photos.DEFAULT_MAX_PIXELS
    assert not (tmp_path / "photos").exists()


def test_a_renamed_text_file_is_refused(tmp_path):
    text = "巡查记录：围挡破损，已要求整改。\n".encode() * 50  # what "photo.jpg" really held
    with pytest.raises(photos.PhotoRejected) as refused:
        photos.store_photo(text, tmp_path)
    assert refused.value.code == "type"
    assert not (tmp_path / "photos").exists()


def test_a_truncated_jpeg_is_refused_as_undecodable(tmp_path):
    whole = photo(640, 480, taken="2025:12:10 09:30:00")
    assert photos.store_photo(whole, tmp_path)
    for cut in (len(whole) // 2, len(whole) - 100):
        with pytest.raises(photos.PhotoRejected) as refused:
            photos.store_photo(whole[:cut], tmp_path / "cut")
        assert refused.value.code == "encoding"
    assert not (tmp_path / "cut").exists()


def test_a_fake_with_the_right_first_bytes_is_refused(tmp_path):
    for fake in (b"\xff\xd8\xff\xe0" + b"\x00" * 64, _png_header(10, 10) + b"\x00" * 64,
                 b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 32):
        with pytest.raises(photos.PhotoRejected) as refused:
            photos.store_photo(fake, tmp_path)
        assert refused.value.code == "encoding"


def test_a_png_claiming_to_be_a_jpeg_inside_is_refused():
    # A JPEG's first bytes glued to a PNG: sniffed as JPEG, but Pillow finds no JPEG.
    with pytest.raises(photos.PhotoRejected) as refused:
        photos.check_photo(b"\xff\xd8\xff" + photo(fmt="PNG"))
    assert refused.value.code == "encoding"
