"""What a valid construction-site record is: required fields, area, position, code, vocabulary.

One set of rules for every way a site enters the registry (the web form, an Excel import), so
the two can never disagree. Pure: the caller supplies the facts only the database knows (the
codes other sites already use, the townships that exist). Problems come back as ``SiteIssue``s
holding an i18n key and its parameters, translated by whoever shows them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from dashboard.domain.coords import SYSTEMS, to_wgs84
from dashboard.domain.limits import RECORDS_FROM, SITE_AREA_MAX_M2, records_until

SITE_TYPES = ("housing", "public_building", "municipal", "road", "demolition", "land_preparation", "other")
STATUSES = ("active", "suspended", "completed")
PLATES = ("green", "yellow", "red")

# A plausible box (WGS-84) around 二七区 (lon 113.52–113.68, lat 34.58–34.76) with a margin of
# about 10 km: catches swapped longitude/latitude, a wrong coordinate system's large error or a
# site typed into the wrong district, while leaving room for sites at the district's edge.
DISTRICT_BOX = (113.40, 113.80, 34.48, 34.86)

MAX_LENGTHS = {"code": 32, "name": 128, "address": 256, "builder_unit": 128, "contractor_unit": 128}
REQUIRED = ("code", "name", "township_id", "site_type", "status", "area_m2")
# The fields a person edits, in form order (coordinates are entered with their system).
FIELDS = ("code", "name", "address", "township_id", "builder_unit", "contractor_unit", "site_type",
          "area_m2", "longitude", "latitude", "coord_system", "status", "started_on")


@dataclass(frozen=True)
class SiteIssue:
    """One problem with one field: ``key`` is an i18n key, ``params`` fill its placeholders."""

    field: str
    key: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class CleanSite:
    """A validated site: coordinates already converted to WGS-84, ``coord_system`` as entered."""

    code: str
    name: str
    address: str
    township_id: int
    builder_unit: str
    contractor_unit: str
    site_type: str
    area_m2: float
    longitude: float | None
    latitude: float | None
    coord_system: str
    status: str
    started_on: dt.date | None

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _number(value: Any) -> float | None:
    """A finite float, None for blank; raises ValueError for text that is not a number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = float(value)
    if math.isnan(number):
        return None
    if math.isinf(number):
        raise ValueError(value)
    return number


def validate_site(
    values: dict[str, Any],
    *,
    taken_codes: set[str] | frozenset[str] = frozenset(),
    township_ids: set[int] | frozenset[int] | None = None,
    retired_township_ids: set[int] | frozenset[int] = frozenset(),
    box: tuple[float, float, float, float] = DISTRICT_BOX,
) -> tuple[CleanSite | None, list[SiteIssue]]:
    """Check one site's values; return the clean site (or None) and every issue found.

    ``values`` holds the ``FIELDS`` (text, numbers, a date or ISO date string); longitude and
    latitude are in ``coord_system`` (WGS84 | GCJ02 | BD09, default WGS84) and are stored as
    WGS-84. Coordinates are optional, but both or neither; converted, they must fall inside
    ``box`` (lon_min, lon_max, lat_min, lat_max). ``taken_codes`` are the codes of *other* sites.
    ``retired_township_ids``: townships that take no site they do not already hold (the caller
    leaves out the township a site being edited is in).
    """
    issues: list[SiteIssue] = []
    text = {name: _text(values.get(name)) for name in MAX_LENGTHS}
    for name in REQUIRED:
        raw = values.get(name)
        if raw is None or _text(raw) == "":
            issues.append(SiteIssue(name, "sites.error.required"))
    for name, limit in MAX_LENGTHS.items():
        if len(text[name]) > limit:
            issues.append(SiteIssue(name, "sites.error.too_long", {"max": limit}))
    if text["code"] and text["code"] in taken_codes:
        issues.append(SiteIssue("code", "sites.error.code_taken", {"code": text["code"]}))

    township_id = values.get("township_id")
    if township_id not in (None, ""):
        try:
            township_id = int(township_id)
        except (TypeError, ValueError):
            township_id = None
        if township_id is None or (township_ids is not None and township_id not in township_ids):
            issues.append(SiteIssue("township_id", "sites.error.unknown_township"))
        elif township_id in retired_township_ids:
            issues.append(SiteIssue("township_id", "sites.error.retired_township"))

    site_type = _text(values.get("site_type"))
    if site_type and site_type not in SITE_TYPES:
        issues.append(SiteIssue("site_type", "sites.error.unknown_choice"))
    status = _text(values.get("status"))
    if status and status not in STATUSES:
        issues.append(SiteIssue("status", "sites.error.unknown_choice"))

    area = None
    try:
        area = _number(values.get("area_m2"))
    except (TypeError, ValueError):
        issues.append(SiteIssue("area_m2", "sites.error.not_a_number"))
    else:
        if area is not None and area <= 0:
            issues.append(SiteIssue("area_m2", "sites.error.area_positive"))
        elif area is not None and area > SITE_AREA_MAX_M2:
            issues.append(SiteIssue("area_m2", "sites.error.area_too_large", {"max": f"{SITE_AREA_MAX_M2:,.0f}"}))

    system = _text(values.get("coord_system")) or "WGS84"
    if system not in SYSTEMS:
        issues.append(SiteIssue("coord_system", "sites.error.unknown_choice"))
    lon = lat = None
    coordinate_issue = False
    for name in ("longitude", "latitude"):
        try:
            number = _number(values.get(name))
        except (TypeError, ValueError):
            issues.append(SiteIssue(name, "sites.error.not_a_number"))
            coordinate_issue = True
            continue
        if name == "longitude":
            lon = number
        else:
            lat = number
    if not coordinate_issue and (lon is None) != (lat is None):
        missing = "latitude" if lat is None else "longitude"
        issues.append(SiteIssue(missing, "sites.error.coordinates_pair"))
        coordinate_issue = True
    wgs_lon = wgs_lat = None
    if not coordinate_issue and lon is not None and lat is not None and system in SYSTEMS:
        wgs_lon, wgs_lat = to_wgs84(lon, lat, system)
        lon_min, lon_max, lat_min, lat_max = box
        box_params = {"lon_min": lon_min, "lon_max": lon_max, "lat_min": lat_min, "lat_max": lat_max}
        if not lon_min <= wgs_lon <= lon_max:
            issues.append(SiteIssue("longitude", "sites.error.outside_box", box_params))
        if not lat_min <= wgs_lat <= lat_max:
            issues.append(SiteIssue("latitude", "sites.error.outside_box", box_params))

    started = values.get("started_on")
    if isinstance(started, dt.datetime):
        started = started.date()
    elif isinstance(started, str):
        started = started.strip()
        try:
            started = dt.date.fromisoformat(started[:10]) if started else None
        except ValueError:
            issues.append(SiteIssue("started_on", "sites.error.not_a_date"))
            started = None
    elif started is not None and not isinstance(started, dt.date):
        issues.append(SiteIssue("started_on", "sites.error.not_a_date"))
        started = None
    if started is not None and not RECORDS_FROM <= started <= records_until():
        issues.append(SiteIssue("started_on", "sites.error.date_out_of_range",
                                {"start": RECORDS_FROM.isoformat(), "end": records_until().isoformat()}))

    if issues:
        return None, issues
    assert township_id is not None and area is not None  # required fields: an issue otherwise
    return CleanSite(
        code=text["code"],
        name=text["name"],
        address=text["address"],
        township_id=int(township_id),
        builder_unit=text["builder_unit"],
        contractor_unit=text["contractor_unit"],
        site_type=site_type,
        area_m2=float(area),
        longitude=None if wgs_lon is None else round(wgs_lon, 7),
        latitude=None if wgs_lat is None else round(wgs_lat, 7),
        coord_system=system,
        status=status,
        started_on=started,
    ), []
