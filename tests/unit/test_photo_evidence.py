"""The rule that flags an evidence photo taken far from the site or long before or after the
inspection, and its limits (a setting)."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.domain.photo_evidence import PHOTO_BOUNDS, PhotoRules, check_photo
from dashboard.domain.rules import InvalidRule, check_photo_rules

UTC = dt.UTC
BEIJING = dt.timezone(dt.timedelta(hours=8))
# A site in 二七区, Zhengzhou (WGS-84 lon, lat), and an inspection there.
SITE = (113.6400, 34.7200)
INSPECTED = dt.datetime(2025, 12, 10, 10, 0, tzinfo=BEIJING)


def _check(**changes):
    values = {"taken_at": INSPECTED - dt.timedelta(minutes=20), "latitude": SITE[1] + 0.001,
              "longitude": SITE[0], "site_position": SITE, "inspected_at": INSPECTED, "rules": PhotoRules()}
    return check_photo(**(values | changes))


def test_a_photo_taken_at_the_site_during_the_inspection_is_not_flagged():
    result = _check()
    assert result.distance_m == pytest.approx(111, abs=1)  # 0.001° of latitude
    assert result.hours_off == pytest.approx(1 / 3)
    assert not result.far and not result.off_time and not result.no_location and not result.no_time


def test_a_photo_taken_far_away_is_flagged_far():
    near = _check(latitude=SITE[1] + 0.0044)  # ~490 m north
    far = _check(latitude=SITE[1] + 0.0046)  # ~510 m north
    assert near.distance_m < 500 < far.distance_m
    assert not near.far and far.far
    assert _check(latitude=34.80, longitude=113.70).far  # another township
    # The limit is a setting.
    assert not _check(latitude=34.80, longitude=113.70, rules=PhotoRules(max_distance_m=20_000)).far


def test_a_photo_taken_more_than_24_hours_from_the_inspection_is_flagged_time():
    assert not _check(taken_at=INSPECTED - dt.timedelta(hours=23, minutes=59)).off_time
    assert _check(taken_at=INSPECTED - dt.timedelta(hours=24, minutes=1)).off_time
    assert _check(taken_at=INSPECTED + dt.timedelta(hours=25)).off_time  # after, too
    # The same instant in another zone is the same instant.
    assert not _check(taken_at=INSPECTED.astimezone(UTC)).off_time
    assert not _check(taken_at=INSPECTED - dt.timedelta(hours=30), rules=PhotoRules(max_hours=48)).off_time


def test_a_photo_without_exif_says_so_and_is_not_flagged():
    result = _check(taken_at=None, latitude=None, longitude=None)
    assert result.no_location and result.no_time
    assert result.distance_m is None and result.hours_off is None
    assert not result.far and not result.off_time


def test_nothing_is_measured_against_what_the_inspection_lacks():
    result = _check(site_position=None, inspected_at=None)
    assert result.distance_m is None and not result.far and not result.no_location
    assert result.hours_off is None and not result.off_time and not result.no_time


def test_the_limits_are_checked_and_bad_stored_values_fall_back_to_the_defaults():
    assert check_photo_rules({"max_distance_m": "800", "max_hours": 12.0}) == PhotoRules(800, 12)
    for values, field in (({"max_hours": 24}, "max_distance_m"),
                          ({"max_distance_m": 10, "max_hours": 24}, "max_distance_m"),
                          ({"max_distance_m": 500, "max_hours": 1.5}, "max_hours"),
                          ({"max_distance_m": 500, "max_hours": 10_000}, "max_hours")):
        with pytest.raises(InvalidRule) as refused:
            check_photo_rules(values)
        assert refused.value.details["field"] == field
    assert PhotoRules.from_overrides({"max_distance_m": 1, "max_hours": True}) == PhotoRules()
    assert PhotoRules.from_overrides({"max_distance_m": 900, "other": 1}) == PhotoRules(900, 24)
    assert PhotoRules.from_overrides("[]") == PhotoRules()
    assert set(PHOTO_BOUNDS) == set(PhotoRules().as_dict())
