"""Inspection photos on disk, named by the SHA-256 of their content.

Files live under ``<upload_dir>/photos/<first two hex digits>/<hash>``: the same photo uploaded
twice is one file, a name can never collide with another photo, and a hash is all a database row
needs to keep. Only JPEG, PNG and WebP are accepted, recognised by their magic bytes (a file name
or a browser's claimed type proves nothing), up to a size limit (8 MB unless configured) and a
pixel count read from the image header: a small file can declare a huge image (a decompression
bomb) that would exhaust the memory of every browser that shows it. Only after those cheap checks
does Pillow decode the image, so a truncated file or a fake with the right first bytes is refused
too; the same pass reads the EXIF time and GPS position (``storage.exif``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from dashboard.storage.exif import read_exif

DEFAULT_MAX_BYTES = 8 * 1024 * 1024
# 64 megapixels: above a 48 or 50 MP phone camera at full resolution, far below a 30000 × 30000
# bomb (900 MP); decoded as RGBA it is still 256 MB. The message inspections.photo.pixels names it.
DEFAULT_MAX_PIXELS = 64_000_000
HASH_PATTERN = re.compile(r"^[0-9a-f]{64}$")


class PhotoRejected(ValueError):
    """The upload is not a photo we keep. ``code``: empty | type | size | pixels | encoding."""

    def __init__(self, code: str, max_bytes: int | None = None, max_pixels: int | None = None):
        self.code = code
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        super().__init__(code)


def sniff(data: bytes) -> str | None:
    """The image type from the first bytes, or None for anything else."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


# JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic): they carry the size.
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
# Markers that stand alone, without a length: TEM, RST0-7, SOI.
_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8), 0xD8}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker in _JPEG_STANDALONE:
            pos += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, or scan data before any frame header
            return None
        (length,) = struct.unpack_from(">H", data, pos + 2)
        if length < 2:
            return None
        if marker in _JPEG_SOF:
            if pos + 9 > len(data):
                return None
            height, width = struct.unpack_from(">HH", data, pos + 5)
            return width, height
        pos += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    kind = data[12:16]
    if kind == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack_from("<HH", data, 26)
        return width & 0x3FFF, height & 0x3FFF
    if kind == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        (bits,) = struct.unpack_from("<I", data, 21)
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if kind == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    return None


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG, PNG or WebP header, without decoding; None if unreadable.

    An image whose header cannot be read cannot be drawn by a browser either, so it is no bomb.
    """
    kind = sniff(data)
    if kind == "image/png":
        # IHDR must be the first chunk: length, type, then width and height.
        if len(data) >= 24 and data[12:16] == b"IHDR":
            return struct.unpack_from(">II", data, 16)
        return None
    if kind == "image/jpeg":
        return _jpeg_size(data)
    if kind == "image/webp":
        return _webp_size(data)
    return None


def is_photo_hash(value: str) -> bool:
    return isinstance(value, str) and HASH_PATTERN.fullmatch(value) is not None


def photo_path(upload_dir: Path, digest: str) -> Path:
    """Where a photo lives; refuses anything that is not a hash (no path traversal)."""
    if not is_photo_hash(digest):
        raise ValueError("not a photo hash")
    return Path(upload_dir) / "photos" / digest[:2] / digest


@dataclass(frozen=True)
class PhotoFacts:
    """What a checked photo is: its type, pixels and size, and what its EXIF says (None if nothing)."""

    digest: str
    mime: str
    width: int
    height: int
    bytes: int
    taken_at: dt.datetime | None = None
    latitude: float | None = None
    longitude: float | None = None


# Pillow's names for each type sniff() lets through; phones often write a JPEG as MPO (a JPEG
# with a second, depth or preview, image appended).
_PILLOW_FORMATS = {"image/jpeg": {"JPEG", "MPO"}, "image/png": {"PNG"}, "image/webp": {"WEBP"}}


def _decode(data: bytes, mime: str, max_pixels: int) -> PhotoFacts:
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG", "PNG", "WEBP"]) as image:
            if image.format not in _PILLOW_FORMATS[mime]:
                raise PhotoRejected("encoding")
            width, height = image.size
            # Pillow reads the size from the header too; it may find one where image_size() did not.
            if width * height > max_pixels:
                raise PhotoRejected("pixels", max_pixels=max_pixels)
            exif = read_exif(image)
            if image.format in ("JPEG", "MPO"):
                # Decoded at 1/8 scale: every byte of the compressed data is still read, so a
                # truncated file fails as surely, with 1/64 of the memory of a full decode.
                image.draft(None, (max(1, width // 8), max(1, height // 8)))
            image.load()
    except PhotoRejected:
        raise
    except Image.DecompressionBombError:
        raise PhotoRejected("pixels", max_pixels=max_pixels) from None
    except Exception:  # Pillow raises many kinds for a broken file; every one means "not a photo"
        raise PhotoRejected("encoding") from None
    return PhotoFacts(hashlib.sha256(data).hexdigest(), mime, width, height, len(data), exif.taken_at,
                      exif.latitude, exif.longitude)


def check_photo(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS) -> PhotoFacts:
    """The facts of a photo we keep, or ``PhotoRejected``: size, type and header pixels first,
    then a decode (the only costly step, reached only by a file that passed the others)."""
    if not data:
        raise PhotoRejected("empty")
    if len(data) > max_bytes:
        raise PhotoRejected("size", max_bytes)
    mime = sniff(data)
    if mime is None:
        raise PhotoRejected("type")
    size = image_size(data)
    if size is not None and size[0] * size[1] > max_pixels:
        raise PhotoRejected("pixels", max_pixels=max_pixels)
    return _decode(data, mime, max_pixels)


def store_photo(data: bytes, upload_dir: Path, max_bytes: int = DEFAULT_MAX_BYTES,
                max_pixels: int = DEFAULT_MAX_PIXELS) -> str:
    """Keep the photo (once) and return its hash; raises ``PhotoRejected`` for anything else."""
    facts = check_photo(data, max_bytes, max_pixels)
    write_photo(data, upload_dir, facts.digest)
    return facts.digest


def write_photo(data: bytes, upload_dir: Path, digest: str) -> None:
    """Put checked bytes (``check_photo``) under their hash, unless they are there already."""
    path = photo_path(upload_dir, digest)
    if path.is_file():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a reader never sees half a photo and two writers never clash.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def find_photo(upload_dir: Path, digest: str) -> tuple[Path, str] | None:
    """The stored file and its type, or None if there is no such photo."""
    try:
        path = photo_path(upload_dir, digest)
    except ValueError:
        return None
    if not path.is_file():
        return None
    with path.open("rb") as f:
        mime = sniff(f.read(16))
    return (path, mime) if mime else None
