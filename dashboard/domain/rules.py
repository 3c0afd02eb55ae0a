"""Checks of the rules the staff tune (plates, rectification, photo evidence): refusals with a code
and the field.

The limits themselves sit beside the rules they bound (``compliance.PLATE_BOUNDS``,
``rectification.RECTIFICATION_BOUNDS``, ``photo_evidence.PHOTO_BOUNDS``), where the readers of
stored settings use them too.
These checks are stricter than the readers: they also refuse combinations that make no sense
(a yellow threshold at or above the red one) and say which field is wrong.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from dashboard.domain.compliance import PLATE_BOUNDS, PlateRules
from dashboard.domain.errors import CodedError
from dashboard.domain.photo_evidence import PHOTO_BOUNDS, PhotoRules
from dashboard.domain.rectification import MAX_THRESHOLDS, RECTIFICATION_BOUNDS, THRESHOLD_BOUNDS, RectificationRules


class InvalidRule(CodedError):
    """``missing``, ``not_whole`` or ``out_of_range`` (with ``low`` and ``high``) for ``field``;
    ``yellow_not_below_red`` (plates), ``too_many_thresholds`` (with ``high``) or
    ``duplicate_threshold`` (rectification)."""


def whole_number(value: Any, field: str, low: int, high: int) -> int:
    """``value`` as an int in ``low..high`` (a whole float or a digit string will do)."""
    if value is None or value == "":
        raise InvalidRule("missing", field=field)
    if isinstance(value, bool):
        raise InvalidRule("not_whole", field=field)
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"-?\d{1,9}", text):
            raise InvalidRule("not_whole", field=field)
        value = int(text)
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise InvalidRule("not_whole", field=field)
        value = int(value)
    if not isinstance(value, int):
        raise InvalidRule("not_whole", field=field)
    if not low <= value <= high:
        raise InvalidRule("out_of_range", field=field, low=low, high=high)
    return value


def check_plate_rules(values: Mapping[str, Any]) -> PlateRules:
    """The plate rules from a form's values, or ``InvalidRule`` for the first bad one.

    Every field is required. Yellow must come before red: ``yellow_failures`` below
    ``red_failures``, and ``yellow_open_rectifications`` (0 = open rectifications alone never
    make a site yellow) at most ``red_overdue_rectifications``, since an overdue rectification is
    an open one.
    """
    clean: dict[str, Any] = {}
    for f in fields(PlateRules):
        value = values.get(f.name)
        if f.name == "red_on_working_during_stop":
            if not isinstance(value, bool):
                raise InvalidRule("missing", field=f.name)
            clean[f.name] = value
        else:
            clean[f.name] = whole_number(value, f.name, *PLATE_BOUNDS[f.name])
    if clean["yellow_failures"] >= clean["red_failures"]:
        raise InvalidRule("yellow_not_below_red", field="yellow_failures")
    if clean["yellow_open_rectifications"] > clean["red_overdue_rectifications"]:
        raise InvalidRule("yellow_not_below_red", field="yellow_open_rectifications")
    return PlateRules(**clean)


def parse_thresholds(value: Any) -> list[Any]:
    """Late thresholds as typed ("0, 7", "0，7", "0、7") or as a list; blank is none."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in re.split(r"[\s,，、;；]+", value.strip()) if part]
    if isinstance(value, (list, tuple)):
        return list(value)
    raise InvalidRule("not_whole", field="late_thresholds")


def check_rectification_rules(values: Mapping[str, Any]) -> RectificationRules:
    """The rectification rules from a form's values, or ``InvalidRule`` for the first bad one.

    ``late_thresholds`` may be a list or the text the form holds; at most ``MAX_THRESHOLDS``
    different days (a further one could never raise the level past the top of the ladder).
    """
    clean: dict[str, Any] = {name: whole_number(values.get(name), name, *bounds)
                             for name, bounds in RECTIFICATION_BOUNDS.items()}
    thresholds = [whole_number(v, "late_thresholds", *THRESHOLD_BOUNDS)
                  for v in parse_thresholds(values.get("late_thresholds"))]
    if len(set(thresholds)) != len(thresholds):
        raise InvalidRule("duplicate_threshold", field="late_thresholds")
    if len(thresholds) > MAX_THRESHOLDS:
        raise InvalidRule("too_many_thresholds", field="late_thresholds", high=MAX_THRESHOLDS)
    return RectificationRules(late_thresholds=tuple(thresholds), **clean)


def check_photo_rules(values: Mapping[str, Any]) -> PhotoRules:
    """The photo evidence limits from a form's values (metres, hours), or ``InvalidRule``."""
    return PhotoRules(**{name: whole_number(values.get(name), name, *bounds) for name, bounds in PHOTO_BOUNDS.items()})
