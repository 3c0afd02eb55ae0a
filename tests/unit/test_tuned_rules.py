"""The rules the admin page tunes, as pure rules: checks of plate and rectification rules, the
readers' fallbacks, and what a new checklist version must be."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dashboard.domain.checklist import (
    InvalidChecklist,
    ItemDraft,
    check_items,
    check_version,
    earliest_start,
    standard_versions,
    version_code,
)
from dashboard.domain.compliance import PlateRules
from dashboard.domain.rectification import RectificationRules
from dashboard.domain.rules import InvalidRule, check_plate_rules, check_rectification_rules, whole_number
from dashboard.paths import DATA_DIR

PLATES = PlateRules().as_dict()
RECT = RectificationRules().as_dict()


def refusal(check, values) -> tuple[str, dict]:
    with pytest.raises(InvalidRule) as refused:
        check(values)
    return refused.value.code, refused.value.details


# --------------------------------------------------------------------------- numbers
@pytest.mark.parametrize("value", [3, 3.0, "3", " 3 "])
def test_a_whole_number_may_come_as_int_whole_float_or_digits(value):
    assert whole_number(value, "x", 0, 5) == 3


@pytest.mark.parametrize(("value", "code"), [
    (None, "missing"), ("", "missing"), (True, "not_whole"), (2.5, "not_whole"), (float("nan"), "not_whole"),
    (float("inf"), "not_whole"), ("3天", "not_whole"), ([3], "not_whole"), ("1" * 12, "not_whole"),
    (6, "out_of_range"), (-1, "out_of_range"),
])
def test_anything_else_is_refused_with_a_reason(value, code):
    with pytest.raises(InvalidRule) as refused:
        whole_number(value, "x", 0, 5)
    assert refused.value.code == code and refused.value.details["field"] == "x"


# --------------------------------------------------------------------------- plates
def test_the_default_plate_rules_pass_their_own_check():
    assert check_plate_rules(PLATES) == PlateRules()
    assert check_plate_rules({**PLATES, "yellow_open_rectifications": 0}).yellow_open_rectifications == 0


@pytest.mark.parametrize(("changes", "code", "field"), [
    ({"yellow_failures": 6}, "yellow_not_below_red", "yellow_failures"),
    ({"yellow_open_rectifications": 3}, "yellow_not_below_red", "yellow_open_rectifications"),
    ({"window_days": 6}, "out_of_range", "window_days"),
    ({"red_failures": 0}, "out_of_range", "red_failures"),
    ({"red_on_working_during_stop": 1}, "missing", "red_on_working_during_stop"),
    ({"window_days": None}, "missing", "window_days"),
])
def test_plate_rules_that_make_no_sense_are_refused(changes, code, field):
    assert refusal(check_plate_rules, {**PLATES, **changes}) == (code, {"field": field, **_bounds(code, field)})


def _bounds(code: str, field: str) -> dict:
    from dashboard.domain.compliance import PLATE_BOUNDS

    if code != "out_of_range":
        return {}
    low, high = PLATE_BOUNDS[field]
    return {"low": low, "high": high}


def test_the_plate_reader_ignores_values_out_of_bounds_or_not_whole():
    read = PlateRules.from_overrides({"window_days": 10**400, "red_failures": float("inf"), "yellow_failures": 1.5,
                                      "red_overdue_rectifications": 3.0, "yellow_open_rectifications": -1})
    assert read == PlateRules(red_overdue_rectifications=3)


# --------------------------------------------------------------------------- rectification
def test_rectification_rules_from_the_form():
    rules = check_rectification_rules({**RECT, "late_thresholds": "14，0、30", "max_level": "2"})
    assert rules == RectificationRules(late_thresholds=(0, 14, 30), max_level=2)
    assert check_rectification_rules({**RECT, "late_thresholds": ""}).late_thresholds == ()
    assert check_rectification_rules(RECT) == RectificationRules()


@pytest.mark.parametrize(("changes", "code"), [
    ({"late_thresholds": [0, 0]}, "duplicate_threshold"),
    ({"late_thresholds": "0 1 2 3"}, "too_many_thresholds"),
    ({"late_thresholds": "-1"}, "out_of_range"),
    ({"late_thresholds": {"a": 1}}, "not_whole"),
    ({"deadline_days": 0}, "out_of_range"),
    ({"max_level": 0}, "out_of_range"),
    ({"repeat_window_days": 366}, "out_of_range"),
])
def test_rectification_rules_out_of_bounds_are_refused(changes, code):
    assert refusal(check_rectification_rules, {**RECT, **changes})[0] == code


def test_the_rectification_reader_keeps_the_valid_entries_only():
    assert RectificationRules.from_overrides("[1, 2]") == RectificationRules()
    read = RectificationRules.from_overrides({"deadline_days": 5, "repeat_cap": 9, "late_thresholds": [14, 0],
                                              "max_level": 2.0, "unknown": 1})
    assert read == RectificationRules(deadline_days=5, late_thresholds=(0, 14), max_level=2)
    for bad in ([0, 0], [0, 1, 2, 3], ["0"], [0.5], "0,7"):
        assert RectificationRules.from_overrides({"late_thresholds": bad}).late_thresholds == (0, 7)
    assert RectificationRules.from_overrides(RECT | {"deadline_days": 7}).as_dict() == RECT | {"deadline_days": 7}


# --------------------------------------------------------------------------- checklist versions
TODAY = dt.date(2025, 12, 11)


def test_a_new_version_starts_today_at_the_earliest_and_after_the_last_inspection_and_newest_version():
    assert earliest_start(TODAY, None, None) == TODAY
    assert earliest_start(TODAY, dt.date(2025, 12, 1), dt.date(2018, 1, 1)) == TODAY
    assert earliest_start(TODAY, TODAY, dt.date(2018, 1, 1)) == dt.date(2025, 12, 12)
    assert earliest_start(TODAY, dt.date(2025, 12, 1), dt.date(2026, 1, 1)) == dt.date(2026, 1, 2)


def test_items_are_trimmed_and_checked_in_order():
    items = check_items([ItemDraft(" cover ", " 覆盖 ", ""), ItemDraft("wet_ops2", "湿法", "Wet")])
    assert items == (ItemDraft("cover", "覆盖", ""), ItemDraft("wet_ops2", "湿法", "Wet"))
    cases = [
        ([], "no_items"),
        ([ItemDraft("Cover", "覆盖")], "bad_key"),
        ([ItemDraft("2nd", "覆盖")], "bad_key"),
        ([ItemDraft("a" * 33, "覆盖")], "bad_key"),
        ([ItemDraft("cover", "覆盖"), ItemDraft("cover", "又一个")], "duplicate_key"),
        ([ItemDraft("cover", " ")], "empty_label"),
        ([ItemDraft("cover", "盖" * 129)], "label_too_long"),
        ([ItemDraft(f"k{i}", "项") for i in range(31)], "too_many_items"),
    ]
    for drafts, code in cases:
        with pytest.raises(InvalidChecklist) as refused:
            check_items(drafts)
        assert refused.value.code == code, drafts


def test_a_version_needs_a_name_and_a_day_not_too_early():
    items = [ItemDraft("cover", "覆盖")]
    ok = check_version(name=" 新版 ", name_en=None, valid_from=TODAY, source="", items=items, earliest=TODAY)
    assert (ok.name, ok.name_en, ok.items) == ("新版", "", (ItemDraft("cover", "覆盖"),))
    for kwargs, code in (({"valid_from": TODAY - dt.timedelta(days=1)}, "too_early"),
                         ({"valid_from": "2025-12-11"}, "bad_date"),
                         ({"valid_from": dt.datetime(2025, 12, 11, 8)}, "bad_date"),
                         ({"name": ""}, "bad_name"), ({"name": 5}, "bad_name"),
                         ({"source": "文" * 257}, "bad_source")):
        with pytest.raises(InvalidChecklist) as refused:
            check_version(**{"name": "新版", "name_en": "", "valid_from": TODAY, "source": "", "items": items,
                             "earliest": TODAY, **kwargs})
        assert refused.value.code == code


def test_codes_of_new_versions_are_unique():
    assert version_code(TODAY, {"zz-8-2018"}) == "v2025-12-11"
    assert version_code(TODAY, {"v2025-12-11", "v2025-12-11-2"}) == "v2025-12-11-3"


def test_the_shipped_standard_versions_read_and_follow_one_another():
    versions = standard_versions(json.loads((DATA_DIR / "checklists.json").read_text(encoding="utf-8")))
    assert [v.code for v in versions] == ["henan-6", "zz-7-2017", "zz-8-2018"]
    assert [len(v.items) for v in versions] == [6, 7, 8]
    for before, after in zip(versions, versions[1:], strict=False):
        assert before.valid_to is not None and before.valid_to < after.valid_from
    assert versions[-1].valid_to is None and versions[-1].items[-1].key == "nonroad_machinery"
