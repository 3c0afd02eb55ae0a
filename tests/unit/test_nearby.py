"""附近工地: sites nearest first from the browser's WGS-84 position, whatever system a site was
entered in; sites without coordinates last; the site an inspector stands at chosen only when
that is no guess; distances as a phone shows them."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard.domain import coords
from dashboard.domain.nearby import NEAR_M, Position, by_distance, position_from, site_to_preselect
from dashboard.domain.sites import validate_site
from dashboard.i18n.formats import format_distance

# Where the inspector stands (WGS-84, as the browser reports it): in 二七区, Zhengzhou.
HERE = Position(113.6062, 34.6987, 8.0)


def _entered(site_id: int, lon: float | None, lat: float | None, system: str = "WGS84") -> dict:
    """A site as it is stored after being entered with (lon, lat) in ``system``: through the
    same validation every form, import and service uses, which stores WGS-84."""
    clean, issues = validate_site({
        "code": f"GD-{site_id:04d}", "name": f"工地{site_id}", "township_id": 1, "site_type": "housing",
        "area_m2": 1000, "status": "active", "coord_system": system, "longitude": lon, "latitude": lat,
    })
    assert issues == [], issues
    return {"id": site_id, "longitude": clean.longitude, "latitude": clean.latitude,
            "coord_system": clean.coord_system}


def _frame(*sites: dict) -> pd.DataFrame:
    return pd.DataFrame(list(sites), columns=["id", "longitude", "latitude", "coord_system"])


def _east(metres: float) -> tuple[float, float]:
    """The WGS-84 point ``metres`` east of HERE."""
    d_lon = math.degrees(metres / 1000 / (coords.EARTH_RADIUS_KM * math.cos(math.radians(HERE.lat))))
    return HERE.lon + d_lon, HERE.lat


@pytest.mark.parametrize("system", ["WGS84", "GCJ02", "BD09"])
def test_a_site_entered_in_any_system_exactly_where_the_inspector_stands_is_at_distance_zero(system):
    # What 高德 (GCJ-02) or 百度 (BD-09) shows for the inspector's spot, typed into the site form.
    lon, lat = coords.from_wgs84(HERE.lon, HERE.lat, system)
    ordered = by_distance(_frame(_entered(1, lon, lat, system)), HERE)
    assert ordered["distance_m"].iloc[0] == pytest.approx(0.0, abs=0.05)


def test_the_system_a_site_was_entered_in_does_not_shift_it_again():
    # A BD-09 site here and a WGS-84 site 300 m away: converting the stored (already WGS-84)
    # values again by coord_system would put the BD-09 site ~1 km off and the other one first.
    bd_lon, bd_lat = coords.wgs84_to_bd09(HERE.lon, HERE.lat)
    gcj_lon, gcj_lat = coords.wgs84_to_gcj02(*_east(150))
    ordered = by_distance(_frame(_entered(1, *_east(300)), _entered(2, gcj_lon, gcj_lat, "GCJ02"),
                                 _entered(3, bd_lon, bd_lat, "BD09")), HERE)
    assert list(ordered["id"]) == [3, 2, 1]
    assert list(ordered["distance_m"]) == pytest.approx([0.0, 150.0, 300.0], abs=0.5)


def test_sites_without_coordinates_come_last_in_the_order_given():
    ordered = by_distance(_frame(_entered(1, None, None), _entered(2, *_east(2500)), _entered(3, None, None),
                                 _entered(4, *_east(120))), HERE)
    assert list(ordered["id"]) == [4, 2, 1, 3]
    assert ordered["distance_m"].iloc[2:].isna().all()


def test_equal_distances_keep_the_lists_usual_order():
    lon, lat = _east(500)
    west = (2 * HERE.lon - lon, lat)  # as far to the west
    frame = _frame(_entered(7, *west), _entered(3, lon, lat), _entered(5, lon, lat))
    assert list(by_distance(frame, HERE)["id"]) == [7, 3, 5]
    assert list(by_distance(frame.iloc[::-1], HERE)["id"]) == [5, 3, 7]


def test_an_empty_list_stays_empty():
    assert by_distance(_frame(), HERE).empty


def test_the_site_the_inspector_stands_at_is_chosen_only_when_that_is_no_guess():
    at_site = by_distance(_frame(_entered(1, *_east(40)), _entered(2, *_east(900))), HERE)
    assert site_to_preselect(at_site, HERE) == 1
    # Another site within reach too: two neighbouring sites are the inspector's call.
    neighbours = by_distance(_frame(_entered(1, *_east(40)), _entered(2, *_east(NEAR_M - 10))), HERE)
    assert site_to_preselect(neighbours, HERE) is None
    # Nothing near: standing in the street between sites.
    assert site_to_preselect(by_distance(_frame(_entered(1, *_east(NEAR_M + 30))), HERE), HERE) is None
    # A fix good only to a kilometre (a phone indoors, on the cell network) cannot tell.
    rough = Position(HERE.lon, HERE.lat, 1200.0)
    assert site_to_preselect(by_distance(_frame(_entered(1, *_east(40))), rough), rough) is None
    # No accuracy reported: the distance alone decides.
    bare = Position(HERE.lon, HERE.lat)
    assert site_to_preselect(by_distance(_frame(_entered(1, *_east(40))), bare), bare) == 1


@pytest.mark.parametrize("value", [
    None, "", [], {}, {"error": "denied"}, {"lon": "113.6", "lat": 34.7}, {"lon": True, "lat": 34.7},
    {"lon": 113.6}, {"lon": float("nan"), "lat": 34.7}, {"lon": 181.0, "lat": 34.7}, {"lon": 113.6, "lat": -91},
    {"lon": 113.6, "lat": 34.7, "accuracy": -1}, {"lon": 113.6, "lat": 34.7, "accuracy": "x"},
    {"lon": 113.6, "lat": 34.7, "accuracy": float("inf")},
])
def test_anything_but_a_browser_fix_is_no_position(value):
    assert position_from(value) is None


def test_a_browser_fix_is_read_as_wgs84_lon_lat_and_accuracy():
    assert position_from({"lon": 113.6, "lat": 34.7, "accuracy": 12, "at": 1}) == Position(113.6, 34.7, 12.0)
    assert position_from({"lon": 113, "lat": 34, "accuracy": None}) == Position(113.0, 34.0, None)


@pytest.mark.parametrize(("metres", "zh", "en"), [
    (0.0, "10 米", "10 m"), (4.0, "10 米", "10 m"), (123.0, "120 米", "120 m"), (994.0, "990 米", "990 m"),
    (995.0, "1.0 公里", "1.0 km"), (2340.0, "2.3 公里", "2.3 km"), (14_200.0, "14 公里", "14 km"),
    (None, "", ""), (math.nan, "", ""),
])
def test_distances_read_as_a_phone_shows_them(metres, zh, en):
    assert format_distance(metres, "zh") == zh
    assert format_distance(metres, "en") == en
