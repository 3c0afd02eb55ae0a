"""Photos made in the test, with the EXIF a phone writes (time, GPS, orientation): no binary fixtures."""

from __future__ import annotations

import io
from fractions import Fraction

from PIL import Image
from PIL.TiffImagePlugin import IFDRational


def _dms(degrees: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    """Degrees as the three rationals EXIF keeps (seconds to 1/10000, as phones write them)."""
    whole = int(degrees)
    minutes = int((degrees - whole) * 60)
    seconds = Fraction(round((degrees - whole - minutes / 60) * 3600 * 10000), 10000)
    return IFDRational(whole, 1), IFDRational(minutes, 1), IFDRational(seconds.numerator, seconds.denominator)


def photo(width: int = 64, height: int = 48, *, fmt: str = "JPEG", taken: str | None = None,
          offset: str | None = None, lat: float | None = None, lon: float | None = None,
          orientation: int | None = None) -> bytes:
    """An image of ``width`` × ``height`` (a smooth gradient, so a big one stays small) with EXIF
    DateTimeOriginal ``taken`` ("2025:12:10 09:30:00"), OffsetTimeOriginal, GPS (negative = S/W)."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    if taken is not None or offset is not None:
        details = exif.get_ifd(0x8769)
        if taken is not None:
            details[0x9003] = taken
        if offset is not None:
            details[0x9011] = offset
    if lat is not None and lon is not None:
        gps = exif.get_ifd(0x8825)
        gps[1], gps[2] = ("N" if lat >= 0 else "S"), _dms(abs(lat))
        gps[3], gps[4] = ("E" if lon >= 0 else "W"), _dms(abs(lon))
    out = io.BytesIO()
    # As bytes: an Exif holding only sub-IFDs is falsy, and the PNG writer would leave it out.
    image.save(out, fmt, exif=exif.tobytes(), **({"quality": 85} if fmt == "JPEG" else {}))
    return out.getvalue()
