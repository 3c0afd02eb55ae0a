"""The campaign's air-quality targets: the good-day share (优良天数比例) and the PM2.5 mean."""

from __future__ import annotations

import math
from typing import Any

from dashboard.domain.errors import CodedError

DEFAULTS = {"target_good_day_share": 0.70, "target_pm25": 50.0}
# A share is a fraction; a PM2.5 target above the top of the AQI scale (500) means nothing.
BOUNDS = {"target_good_day_share": (0.0, 1.0), "target_pm25": (1.0, 500.0)}


class InvalidTarget(CodedError):
    """``unknown``, ``not_a_number`` or ``out_of_range`` (with ``low`` and ``high``)."""


def check_targets(values: dict[str, Any]) -> dict[str, float]:
    """The values as floats, or ``InvalidTarget`` for the first one that is not a target in range."""
    clean = {}
    for key, value in values.items():
        if key not in BOUNDS:
            raise InvalidTarget("unknown", target=key)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidTarget("not_a_number", target=key) from None
        low, high = BOUNDS[key]
        if not math.isfinite(number) or not low <= number <= high:
            raise InvalidTarget("out_of_range", target=key, low=low, high=high)
        clean[key] = number
    return clean
