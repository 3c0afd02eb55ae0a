"""Inspection photos on disk, named by the SHA-256 of their content.

Files live under ``<upload_dir>/photos/<first two hex digits>/<hash>``: the same photo uploaded
twice is one file, a name can never collide with another photo, and a hash is all a database row
needs to keep. Only JPEG, PNG and WebP are accepted, recognised by their magic bytes (a file name
or a browser's claimed type proves nothing), up to a size limit (8 MB unless configured).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import tempfile
from pathlib import Path

DEFAULT_MAX_BYTES = 8 * 1024 * 1024
HASH_PATTERN = re.compile(r"^[0-9a-f]{64}$")


class PhotoRejected(ValueError):
    """The upload is not a photo we keep. ``code``: empty | type | size | encoding."""

    def __init__(self, code: str, max_bytes: int | None = None):
        self.code = code
        self.max_bytes = max_bytes
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


def is_photo_hash(value: str) -> bool:
    return isinstance(value, str) and HASH_PATTERN.fullmatch(value) is not None


def photo_path(upload_dir: Path, digest: str) -> Path:
    """Where a photo lives; refuses anything that is not a hash (no path traversal)."""
    if not is_photo_hash(digest):
        raise ValueError("not a photo hash")
    return Path(upload_dir) / "photos" / digest[:2] / digest


def decode_upload(contents: str) -> bytes:
    """The bytes of a dcc.Upload ``data:<type>;base64,<data>`` string."""
    try:
        _, _, payload = contents.partition(",")
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError, AttributeError):
        raise PhotoRejected("encoding") from None


def store_photo(data: bytes, upload_dir: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Keep the photo (once) and return its hash; raises ``PhotoRejected`` for anything else."""
    if not data:
        raise PhotoRejected("empty")
    if len(data) > max_bytes:
        raise PhotoRejected("size", max_bytes)
    if sniff(data) is None:
        raise PhotoRejected("type")
    digest = hashlib.sha256(data).hexdigest()
    path = photo_path(upload_dir, digest)
    if path.is_file():
        return digest
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
    return digest


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
