"""WGS-84 ⇄ GCJ-02 ⇄ BD-09: published reference points, round trips, outside China."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.domain import coords

# The reference outputs of the widely used coordtransform library (wandergis/coordtransform,
# test/app.js) for the point (116.404, 39.915) in Beijing.
BEIJING = (116.404, 39.915)


def test_forward_transforms_match_the_published_reference_points_exactly():
    assert coords.wgs84_to_gcj02(*BEIJING) == pytest.approx((116.41024449916938, 39.91640428150164), abs=1e-12)
    assert coords.gcj02_to_bd09(*BEIJING) == pytest.approx((116.41036949371029, 39.92133699351021), abs=1e-12)


def test_inverse_transforms_agree_with_the_published_approximations():
    # The library's inverses are one-step approximations (error ~1e-6°); ours iterate to 1e-10°.
    assert coords.bd09_to_gcj02(*BEIJING) == pytest.approx((116.39762729119315, 39.90865673957631), abs=1e-5)
    assert coords.gcj02_to_wgs84(*BEIJING) == pytest.approx((116.39775550083061, 39.91359571849836), abs=1e-5)


def test_the_offset_in_zhengzhou_has_the_known_size():
    # GCJ-02 shifts Zhengzhou by roughly 0.006° east and 0.001° south (a few hundred metres).
    lon, lat = coords.wgs84_to_gcj02(113.6, 34.7)
    assert 0.004 < lon - 113.6 < 0.008 and -0.003 < lat - 34.7 < 0.0
    blon, blat = coords.wgs84_to_bd09(113.6, 34.7)
    assert 0.010 < blon - 113.6 < 0.016 and 0.002 < blat - 34.7 < 0.008


china = st.tuples(st.floats(73.0, 135.0), st.floats(3.0, 53.0))
world = st.tuples(st.floats(-180.0, 180.0), st.floats(-85.0, 85.0))


@given(china)
def test_gcj02_round_trip_is_exact_well_below_1e_5_degrees(point):
    # The one-step inverse most code uses is off by ~1e-6°; the iterated one is exact.
    back = coords.gcj02_to_wgs84(*coords.wgs84_to_gcj02(*point))
    assert back == pytest.approx(point, abs=1e-8)
    forward = coords.wgs84_to_gcj02(*coords.gcj02_to_wgs84(*point))
    assert forward == pytest.approx(point, abs=1e-8)


@given(china)
def test_bd09_round_trips_are_exact_well_below_1e_5_degrees(point):
    assert coords.bd09_to_gcj02(*coords.gcj02_to_bd09(*point)) == pytest.approx(point, abs=1e-8)
    assert coords.bd09_to_wgs84(*coords.wgs84_to_bd09(*point)) == pytest.approx(point, abs=1e-8)


def _off_the_box_edge(point, margin: float = 0.01) -> bool:
    """Away from the edge of GCJ-02's box: within a shift (~0.003°) of it, a point just inside
    can shift out of the box and one just outside is its own image, so the two readings of a
    GCJ-02 coordinate there cannot be told apart (the edges lie at sea or in the mountains)."""
    lon, lat = point
    return all(abs(lon - edge) > margin for edge in (72.004, 137.8347)) and all(
        abs(lat - edge) > margin for edge in (0.8293, 55.8271))


@given(world.filter(_off_the_box_edge), st.sampled_from(coords.SYSTEMS))
def test_to_and_from_wgs84_are_inverse_for_every_system(point, system):
    assert coords.to_wgs84(*coords.from_wgs84(*point, system), system) == pytest.approx(point, abs=1e-5)


@given(world.filter(lambda p: coords.out_of_china(*p)))
def test_outside_china_gcj02_is_wgs84(point):
    assert coords.wgs84_to_gcj02(*point) == point
    assert coords.gcj02_to_wgs84(*point) == point


def test_unknown_system_is_refused_and_common_spellings_are_understood():
    with pytest.raises(ValueError):
        coords.to_wgs84(113.6, 34.7, "UTM")
    assert coords.normalise_system("gcj-02") == "GCJ02"
    assert coords.normalise_system("百度") == "BD09"
    assert coords.normalise_system(" wgs84 ") == "WGS84"
    assert coords.normalise_system("") == "WGS84"
    assert coords.normalise_system("mercator") is None
