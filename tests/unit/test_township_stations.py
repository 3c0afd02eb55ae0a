"""The rule that gives each township its stations, worked by hand on points along the equator and
a meridian, where a great-circle distance is the angle times the Earth's radius."""

import datetime as dt
import math

import pytest

from dashboard.domain import coords
from dashboard.domain import township_stations as rule
from dashboard.domain.township_stations import ADMIN, COMPUTED, Computed, SitePoint, StationPoint

KM_PER_DEGREE = math.pi / 180 * coords.EARTH_RADIUS_KM  # 111.19508 km


def test_distances_along_a_meridian_and_the_equator_are_the_angle_times_the_radius():
    assert KM_PER_DEGREE == pytest.approx(111.19508, abs=1e-5)
    assert coords.distance_km(113.6, 34.7, 113.6, 34.8) == pytest.approx(11.119508, abs=1e-6)
    assert coords.distance_km(0.0, 0.0, 0.1, 0.0) == pytest.approx(11.119508, abs=1e-6)
    # Away from the equator a degree of longitude shrinks with the cosine of the latitude.
    assert coords.distance_km(113.6, 60.0, 113.7, 60.0) == pytest.approx(11.119508 * 0.5, rel=1e-4)
    assert coords.distance_km(113.6, 34.7, 113.6, 34.7) == 0.0


STATIONS = [
    StationPoint("A", 0.0, 0.0),
    StationPoint("B", 0.1, 0.0),
    StationPoint("BG", 0.01, 0.0, is_background=True),  # beside the first site, but a background site
    StationPoint("NOWHERE", None, None),  # no coordinates: never a candidate
]


def site(township: int, lon, lat=0.0, status="active") -> SitePoint:
    return SitePoint(township, status, lon, lat)


def test_each_site_votes_for_its_nearest_station_and_the_township_takes_the_most_voted():
    sites = [
        # Township 1: two sites nearest A (1.1 and 2.2 km), one nearest B (1.1 km).
        site(1, 0.01), site(1, 0.02), site(1, 0.09),
        # Township 2: one site each (A 4.4 km vs B 6.7 km; B 4.4 km vs A 6.7 km): a tie takes both.
        site(2, 0.04), site(2, 0.06),
        # Township 3: 0.5° east, 44.5 km from B: beyond 20 km, no vote.
        site(3, 0.5),
        # Township 4: a suspended site and an active one without coordinates: nothing to count.
        site(4, 0.01, status="suspended"), site(4, None, None),
    ]
    result = rule.compute_assignment(sites, STATIONS)
    assert result[1] == Computed(1, ("A",), 3, {"A": 2, "B": 1})
    assert result[2] == Computed(2, ("A", "B"), 2, {"A": 1, "B": 1})
    assert result[3] == Computed(3, (), 1, {}, rule.TOO_FAR)
    assert 4 not in result


def test_equal_distances_go_to_the_smaller_code_and_order_does_not_matter():
    stations = [StationPoint("B", 0.05, 0.0), StationPoint("A", -0.05, 0.0)]
    assert rule.nearest(site(1, 0.0), stations) == ("A", pytest.approx(0.05 * KM_PER_DEGREE))
    assert rule.compute_assignment([site(1, 0.0)], stations)[1].stations == ("A",)
    assert rule.compute_assignment([site(1, 0.0)], stations[::-1])[1].stations == ("A",)


def test_without_candidate_stations_a_township_with_sites_says_why():
    only_background = [StationPoint("BG", 0.0, 0.0, is_background=True)]
    assert rule.compute_assignment([site(1, 0.0)], only_background)[1].reason == rule.NO_STATIONS
    assert rule.compute_assignment([site(1, 0.0)], [])[1].reason == rule.NO_STATIONS
    assert rule.compute_assignment([], STATIONS) == {}


def test_the_limit_is_inclusive_and_can_be_changed():
    # 0.1° = 11.12 km from A: inside a 12 km limit, outside a 11 km one.
    assert rule.compute_assignment([site(1, 0.0, 0.1)], STATIONS[:1], max_km=12)[1].stations == ("A",)
    assert rule.compute_assignment([site(1, 0.0, 0.1)], STATIONS[:1], max_km=11)[1].reason == rule.TOO_FAR


def test_mean_distance_of_a_townships_sites_to_a_station():
    sites = [site(1, 0.01), site(1, 0.02), site(1, 0.09)]
    assert rule.mean_distance_km(sites, STATIONS[0]) == pytest.approx(0.04 * KM_PER_DEGREE)  # 4.448 km
    assert rule.mean_distance_km(sites, STATIONS[3]) is None
    assert rule.mean_distance_km([], STATIONS[0]) is None


def test_an_admins_choice_is_checked():
    known, background = {"A", "B", "BG"}, {"BG"}
    assert rule.check_choice(["B", "A", "B", " "], known, background) == (["B", "A"], [])
    for codes, key in (([], "township_stations.error.none"), (["ZZ"], "district.error.unknown_stations"),
                       (["BG"], "township_stations.error.background"), ("A", "district.error.not_text"),
                       ([f"{i}A" for i in range(11)], "township_stations.error.too_many")):
        chosen, issues = rule.check_choice(codes, known | {f"{i}A" for i in range(11)}, background)
        assert chosen == [] and key in [i.key for i in issues], codes


def test_a_recompute_keeps_admin_choices_and_rewrites_only_what_changed():
    computed = {1: Computed(1, ("A",), 3), 2: Computed(2, ("A", "B"), 2), 3: Computed(3, (), 1, {}, rule.TOO_FAR),
                5: Computed(5, ("B",), 1)}
    stored = {
        1: [("B", ADMIN)],  # the admin's: kept, though the rule says A
        2: [("A", COMPUTED), ("B", COMPUTED)],  # already what the rule says
        4: [("A", COMPUTED)],  # its sites are gone: stale rows removed
        5: [("A", COMPUTED)],  # the rule now says B
    }
    assert rule.recompute_plan(stored, computed) == {4: (), 5: ("B",)}
    assert rule.recompute_plan({}, computed) == {1: ("A",), 2: ("A", "B"), 5: ("B",)}


def test_the_fingerprint_changes_with_any_stored_row():
    at = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
    one = rule.assignment_token([("A", COMPUTED, at)])
    assert one == rule.assignment_token([("A", COMPUTED, at)])
    assert one != rule.assignment_token([("A", ADMIN, at)])
    assert one != rule.assignment_token([("A", COMPUTED, at + dt.timedelta(seconds=1))])
    assert one != rule.assignment_token([]) and len(rule.assignment_token([])) == 16
