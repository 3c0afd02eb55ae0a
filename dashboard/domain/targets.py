"""The campaign's air-quality targets and the polluted-day budget.

Two generations of targets live in ``app_settings``:

* the original two values, ``target_good_day_share`` (优良天数比例, 0..1) and ``target_pm25``
  (µg/m³): the default for every year (``DEFAULTS``, ``check_targets``);
* per calendar year, ``air_targets``: a JSON object keyed by year, each with the PM2.5 and PM10
  annual means, the good-day share and the heavy-pollution days (``YearTargets``). A year
  without its own entry uses the original two values and the defaults for the others
  (``targets_for_year``), so nothing set before the yearly targets existed is lost.

The budget (``polluted_day_budget``) answers "今年还可有几个污染天": how many more days with an
AQI above 100 the year can take while its good-day share still meets the target.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

from dashboard.domain.errors import CodedError
from dashboard.domain.limits import READINGS_FROM, RECORD_YEARS_AHEAD

DEFAULTS = {"target_good_day_share": 0.70, "target_pm25": 50.0}
# A share is a fraction; a PM2.5 target above the top of the AQI scale (500) means nothing.
BOUNDS = {"target_good_day_share": (0.0, 1.0), "target_pm25": (1.0, 500.0)}

#: The app_settings key of the yearly targets (JSON: {"2025": {"pm25": 45, ...}, ...}).
YEAR_TARGETS_KEY = "air_targets"
#: Fields of a year's targets and their bounds. Concentrations above the top of their AQI
#: scale (PM2.5 500, PM10 600 µg/m³) mean nothing; a year has at most 366 days.
YEAR_BOUNDS: dict[str, tuple[float, float]] = {
    "pm25": (1.0, 500.0),
    "pm10": (1.0, 600.0),
    "good_day_share": (0.0, 1.0),
    "heavy_days": (0, 366),
}
#: For a year without its own entry and a field the original two keys do not hold: PM10 is
#: the GB 3095-2012 grade II annual limit; 10 heavy days is a placeholder an admin is expected
#: to replace (the panel says when a year runs on defaults).
YEAR_DEFAULTS = {"pm10": 70.0, "heavy_days": 10}

#: AQI above this is a polluted day (not 优良); above ``HEAVY_AQI`` a heavy-pollution day
#: (重度污染 201–300 and 严重污染 > 300, categories 5 and 6 of HJ 633).
POLLUTED_AQI = 100
HEAVY_AQI = 200


class InvalidTarget(CodedError):
    """``unknown``, ``not_a_number``, ``not_whole``, ``out_of_range`` (with ``low`` and ``high``)
    or ``bad_year`` (with ``low`` and ``high``); ``target`` names the field."""


def check_targets(values: dict[str, Any]) -> dict[str, float]:
    """The values as floats, or ``InvalidTarget`` for the first one that is not a target in range."""
    clean = {}
    for key, value in values.items():
        if key not in BOUNDS:
            raise InvalidTarget("unknown", target=key)
        clean[key] = _number(key, value, *BOUNDS[key])
    return clean


def _number(key: str, value: Any, low: float, high: float) -> float:
    # bool is an int to Python, but "True µg/m³" is a form or file gone wrong.
    if isinstance(value, bool):
        raise InvalidTarget("not_a_number", target=key)
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise InvalidTarget("not_a_number", target=key) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise InvalidTarget("out_of_range", target=key, low=low, high=high)
    return number


# --------------------------------------------------------------------------- yearly targets
@dataclass(frozen=True)
class YearTargets:
    """One year's targets: annual means at most ``pm25`` / ``pm10`` µg/m³, a good-day share of
    at least ``good_day_share`` (0..1), at most ``heavy_days`` days with AQI > 200.

    ``own`` is False when the year has no entry of its own and these are the defaults.
    """

    pm25: float
    pm10: float
    good_day_share: float
    heavy_days: int
    own: bool = True

    def as_dict(self) -> dict[str, float | int]:
        values = asdict(self)
        values.pop("own")
        return values


def year_bounds(today: dt.date) -> tuple[int, int]:
    """Years a target may be set for: from CNEMC's first publication to the planning horizon."""
    return READINGS_FROM.year, today.year + RECORD_YEARS_AHEAD


def check_year(year: Any, today: dt.date) -> int:
    low, high = year_bounds(today)
    try:
        number = int(str(year).strip())
    except (TypeError, ValueError):
        raise InvalidTarget("bad_year", target="year", low=low, high=high) from None
    if not low <= number <= high:
        raise InvalidTarget("bad_year", target="year", low=low, high=high)
    return number


def check_year_targets(values: Mapping[str, Any]) -> YearTargets:
    """A year's targets from plain values (a form, a stored JSON object), or ``InvalidTarget``
    for the first field that is missing, not a number or out of ``YEAR_BOUNDS``. Heavy days
    must be a whole number."""
    unknown = set(values) - set(YEAR_BOUNDS)
    if unknown:
        raise InvalidTarget("unknown", target=sorted(unknown)[0])
    clean: dict[str, Any] = {}
    for key, (low, high) in YEAR_BOUNDS.items():
        if values.get(key) is None or values.get(key) == "":
            raise InvalidTarget("not_a_number", target=key)
        number = _number(key, values[key], low, high)
        if key == "heavy_days":
            if number != int(number):
                raise InvalidTarget("not_whole", target=key)
            clean[key] = int(number)
        else:
            clean[key] = number
    return YearTargets(**clean)


def parse_year_targets(text: str | None) -> dict[int, YearTargets]:
    """The stored yearly targets; an unreadable value or entry is left out (that year then runs
    on the defaults), so a bad stored value never breaks a page."""
    try:
        raw = json.loads(text) if text else {}
    except (TypeError, ValueError):
        return {}
    if not isinstance(raw, dict):
        return {}
    out: dict[int, YearTargets] = {}
    for key, entry in raw.items():
        try:
            year = int(key)
            if not isinstance(entry, Mapping):
                continue
            out[year] = check_year_targets(entry)
        except (ValueError, InvalidTarget):
            continue
    return out


def dump_year_targets(targets: Mapping[int, YearTargets]) -> str:
    return json.dumps({str(y): targets[y].as_dict() for y in sorted(targets)}, sort_keys=True)


def targets_for_year(stored: Mapping[int, YearTargets], year: int, defaults: Mapping[str, float]) -> YearTargets:
    """The year's own targets, else the original two (``defaults``: the checked
    ``target_good_day_share`` and ``target_pm25``) with ``YEAR_DEFAULTS`` for the rest."""
    if year in stored:
        return stored[year]
    return YearTargets(pm25=float(defaults["target_pm25"]), pm10=float(YEAR_DEFAULTS["pm10"]),
                       good_day_share=float(defaults["target_good_day_share"]),
                       heavy_days=int(YEAR_DEFAULTS["heavy_days"]), own=False)


# --------------------------------------------------------------------------- the budget
def exact_share(share: float) -> Fraction:
    """A share as the exact decimal it was typed as (0.7 → 7/10, not 0.6999999999999999556):
    ``ceil(0.7 * 300)`` in floating point is 211, the right answer 210."""
    return Fraction(repr(float(share)))


def good_days_needed(valid_days: int, share: float) -> int:
    """The fewest good days among ``valid_days`` whose share reaches ``share``.

    HJ 663 gives the share as good days / valid days with no rounding step before the
    comparison, so the target is met when G/N ≥ s exactly: G ≥ s·N, i.e. ceil(s·N). Comparing
    the exact fraction (not one rounded to 0.1 %) never tells a district it is safe when only
    rounding would save it.
    """
    if valid_days <= 0:
        return 0
    return math.ceil(exact_share(share) * valid_days)


def days_in_year(year: int) -> int:
    return 366 if _leap(year) else 365


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def elapsed_and_remaining(year: int, today: dt.date) -> tuple[dt.date | None, int]:
    """The last finished day of ``year`` (None before it starts) and the days still to come.

    Today is still to come: its daily value is not final until the day ends.
    """
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    if today <= first:
        return None, days_in_year(year)
    if today > last:
        return last, 0
    return today - dt.timedelta(days=1), (last - today).days + 1


@dataclass(frozen=True)
class Budget:
    """The polluted-day budget of a year (see ``polluted_day_budget``)."""

    valid_days: int  # V: valid days so far (a daily AQI)
    good_days: int  # G: of which AQI ≤ 100
    remaining_days: int  # D: days still to come, each assumed valid
    target_share: float  # s
    year_valid_days: int  # V + D
    good_days_needed: int  # ceil(s·(V+D))
    remaining: int  # polluted days still allowed; negative: the target can no longer be met

    @property
    def polluted_days(self) -> int:
        return self.valid_days - self.good_days

    @property
    def attainable(self) -> bool:
        return self.remaining >= 0


def polluted_day_budget(valid_days: int, good_days: int, remaining_days: int, target_share: float) -> Budget:
    """How many more polluted days (AQI > 100) the year can take and still meet its good-day share.

    With V valid days so far, G of them good (AQI ≤ 100), D days still to come and the target
    share s: assuming every remaining day will be valid, the year ends with N = V + D valid
    days and needs ceil(s·N) good days (``good_days_needed``: the share is met when G/N ≥ s,
    compared exactly). So

        remaining = N − ceil(s·N) − (V − G)

    polluted days are still allowed. If exactly that many of the D days are polluted and the
    rest good, the year ends at the target; one more and it misses. A negative value means the
    target can no longer be met even if every remaining day is good. Days that turn out
    invalid (missing data) shrink N; each lowers the good days needed by about s.
    """
    if min(valid_days, good_days, remaining_days) < 0 or good_days > valid_days:
        raise ValueError("need 0 ≤ good_days ≤ valid_days and remaining_days ≥ 0")
    n = valid_days + remaining_days
    needed = good_days_needed(n, target_share)
    return Budget(valid_days, good_days, remaining_days, target_share, n, needed,
                  n - needed - (valid_days - good_days))


def spread_budget(budget: int, remaining_days_by_month: Mapping[int, int]) -> dict[int, int]:
    """The remaining budget spread over the months in proportion to their remaining days, in
    whole days that add up to the budget (largest remainders, earlier months first on ties).

    A pace to keep, not a forecast: winter months use more than their share. A spent budget
    (≤ 0) leaves every month 0.
    """
    total_days = sum(remaining_days_by_month.values())
    if budget <= 0 or total_days <= 0:
        return {m: 0 for m in remaining_days_by_month}
    exact = {m: Fraction(budget * d, total_days) for m, d in remaining_days_by_month.items()}
    out = {m: math.floor(q) for m, q in exact.items()}
    left = budget - sum(out.values())
    for m in sorted(exact, key=lambda k: (-(exact[k] - out[k]), k))[:left]:
        out[m] += 1
    return out


def within_mean_target(mean: float, target: float) -> bool:
    """Whether a mean meets its target as it would be reported: rounded to whole µg/m³ (half to
    even, as CNEMC publishes means) and then compared, as ``evaluation.exceedance_days`` does."""
    return bool(round(mean) <= target)
