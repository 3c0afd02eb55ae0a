"""Coordinates of Chinese map services: WGS-84 ⇄ GCJ-02 (国测局, Amap/Tencent) ⇄ BD-09 (Baidu).

GCJ-02 is WGS-84 shifted by the published (de-facto standard) offset polynomial of the
Krasovsky ellipsoid; BD-09 adds Baidu's small rotation and shift on top of GCJ-02. Both forward
transforms are closed formulas. Their inverses have no closed form: the usual one-step
approximations are off by up to ~1e-6° (≈ 0.1 m), so here the inverse is refined by fixed-point
iteration until the forward transform reproduces the input to 1e-10° — round trips are exact
for any practical purpose.

Outside China (the usual rough bounding box) GCJ-02 is WGS-84 unchanged; BD-09's own shift still
applies there, as Baidu's does.
"""

from __future__ import annotations

import math

SYSTEMS = ("WGS84", "GCJ02", "BD09")

_A = 6378245.0  # semi-major axis of the Krasovsky 1940 ellipsoid used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = math.pi * 3000.0 / 180.0
_TOLERANCE = 1e-10
_MAX_ITERATIONS = 30


def out_of_china(lon: float, lat: float) -> bool:
    """True outside the rough box where GCJ-02 applies (there GCJ-02 equals WGS-84)."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _shift_lat(x: float, y: float) -> float:
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    r += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return r


def _shift_lon(x: float, y: float) -> float:
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    r += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return r


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    if out_of_china(lon, lat):
        return lon, lat
    d_lat = _shift_lat(lon - 105.0, lat - 35.0)
    d_lon = _shift_lon(lon - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return lon + d_lon, lat + d_lat


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def _bd09_to_gcj02_approx(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.cos(theta), z * math.sin(theta)


def _invert(forward, lon: float, lat: float, start: tuple[float, float]) -> tuple[float, float]:
    """Solve forward(p) = (lon, lat) by fixed-point iteration: the shifts vary slowly with p."""
    x, y = start
    for _ in range(_MAX_ITERATIONS):
        fx, fy = forward(x, y)
        dx, dy = fx - lon, fy - lat
        if abs(dx) < _TOLERANCE and abs(dy) < _TOLERANCE:
            break
        x, y = x - dx, y - dy
    return x, y


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    if out_of_china(lon, lat):
        return lon, lat
    return _invert(wgs84_to_gcj02, lon, lat, (lon, lat))


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    return _invert(gcj02_to_bd09, lon, lat, _bd09_to_gcj02_approx(lon, lat))


def wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def to_wgs84(lon: float, lat: float, system: str) -> tuple[float, float]:
    """(lon, lat) given in ``system`` (WGS84 | GCJ02 | BD09) as WGS-84."""
    if system == "WGS84":
        return lon, lat
    if system == "GCJ02":
        return gcj02_to_wgs84(lon, lat)
    if system == "BD09":
        return bd09_to_wgs84(lon, lat)
    raise ValueError(f"unknown coordinate system {system!r}; expected one of {SYSTEMS}")


def from_wgs84(lon: float, lat: float, system: str) -> tuple[float, float]:
    """WGS-84 (lon, lat) expressed in ``system``."""
    if system == "WGS84":
        return lon, lat
    if system == "GCJ02":
        return wgs84_to_gcj02(lon, lat)
    if system == "BD09":
        return wgs84_to_bd09(lon, lat)
    raise ValueError(f"unknown coordinate system {system!r}; expected one of {SYSTEMS}")


def normalise_system(text: str | None) -> str | None:
    """'wgs-84', 'gcj02', 'GCJ-02', 'bd09', '百度' ... → WGS84 | GCJ02 | BD09 (None if unknown)."""
    if text is None:
        return None
    key = str(text).strip().upper().replace("-", "").replace("_", "").replace(" ", "")
    aliases = {
        "WGS84": "WGS84", "GPS": "WGS84", "": "WGS84",
        "GCJ02": "GCJ02", "高德": "GCJ02", "火星": "GCJ02", "国测局": "GCJ02",
        "BD09": "BD09", "BD09LL": "BD09", "百度": "BD09",
    }
    return aliases.get(key)


#: The IUGG mean Earth radius. A sphere instead of the WGS-84 ellipsoid errs by at most ~0.5% in
#: a distance, the same for every candidate station of one site, so nearest stays nearest.
EARTH_RADIUS_KM = 6371.0088


def distance_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in km between two WGS-84 points (haversine, stable at short range)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
