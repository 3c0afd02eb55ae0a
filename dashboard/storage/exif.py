"""What a photo's EXIF says about when and where it was taken.

Only three facts are read: the moment the shutter fired (``DateTimeOriginal``) and the GPS
latitude and longitude. A value that is missing or cannot be read is None: a photo without them
is still evidence, it just cannot be checked against the site and the inspection time.

EXIF keeps the local wall-clock time without a zone unless the camera also wrote
``OffsetTimeOriginal`` (most phones since about 2018 do). Without it the time is taken as Beijing
time (UTC+08:00): the inspectors' phones are set to the district's time, and China has one zone
and no daylight saving, so the guess is right for every photo taken here.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from PIL import Image

BEIJING = dt.timezone(dt.timedelta(hours=8))

_GPS_IFD = 0x8825
_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 0x9003
_OFFSET_TIME_ORIGINAL = 0x9011
_GPS_LATITUDE_REF, _GPS_LATITUDE, _GPS_LONGITUDE_REF, _GPS_LONGITUDE = 1, 2, 3, 4

_EXIF_TIME = re.compile(r"^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")


@dataclass(frozen=True)
class ExifFacts:
    taken_at: dt.datetime | None = None  # timezone-aware
    latitude: float | None = None  # WGS-84 degrees, north positive
    longitude: float | None = None  # WGS-84 degrees, east positive


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value.strip("\x00 ") if isinstance(value, str) else None


def parse_taken_at(stamp: object, offset: object = None) -> dt.datetime | None:
    """``"2025:12:10 09:30:00"`` (and ``"+08:00"``) as an aware datetime; None if unreadable."""
    match = _EXIF_TIME.match(_text(stamp) or "")
    if match is None:
        return None
    zone = BEIJING
    offset_match = _OFFSET.match(_text(offset) or "")
    if offset_match:
        sign, hours, minutes = offset_match.groups()
        delta = dt.timedelta(hours=int(hours), minutes=int(minutes))
        if delta <= dt.timedelta(hours=14):
            zone = dt.timezone(-delta if sign == "-" else delta)
    try:
        # A camera without a set clock writes "0000:00:00 00:00:00": no time, not an error.
        return dt.datetime(*(int(part) for part in match.groups()), tzinfo=zone)
    except ValueError:
        return None


def _degrees(value: object) -> float | None:
    """Degrees, minutes, seconds (three rationals) as decimal degrees."""
    if not isinstance(value, (tuple, list)) or not 1 <= len(value) <= 3:
        return None
    try:
        parts = [float(part) for part in value]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not all(math.isfinite(p) and p >= 0 for p in parts):
        return None
    return sum(p / 60**i for i, p in enumerate(parts))


def parse_gps(gps: dict) -> tuple[float | None, float | None]:
    """(latitude, longitude) from an EXIF GPS IFD; (None, None) if either is missing or absurd."""
    lat, lon = _degrees(gps.get(_GPS_LATITUDE)), _degrees(gps.get(_GPS_LONGITUDE))
    if lat is None or lon is None or lat > 90 or lon > 180:
        return None, None
    # A missing reference is read as north / east, where every site of the district lies.
    if (_text(gps.get(_GPS_LATITUDE_REF)) or "N").upper().startswith("S"):
        lat = -lat
    if (_text(gps.get(_GPS_LONGITUDE_REF)) or "E").upper().startswith("W"):
        lon = -lon
    # Some phones write 0/0 before they have a fix: that is no position, not the Gulf of Guinea.
    if lat == 0 and lon == 0:
        return None, None
    return lat, lon


def read_exif(image: Image.Image) -> ExifFacts:
    """The time and position an opened image's EXIF gives; what is missing or unreadable is None."""
    try:
        exif = image.getexif()
        details = exif.get_ifd(_EXIF_IFD)
        gps = exif.get_ifd(_GPS_IFD)
    except Exception:  # a malformed EXIF block only means the photo tells nothing
        return ExifFacts()
    taken_at = parse_taken_at(details.get(_DATETIME_ORIGINAL), details.get(_OFFSET_TIME_ORIGINAL))
    latitude, longitude = parse_gps(gps)
    return ExifFacts(taken_at, latitude, longitude)
