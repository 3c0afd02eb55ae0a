"""Air-quality index (AQI) engine: HJ 633-2012 and HJ 633-2026, as the national platform computes it.

Pure numpy/pandas, vectorised over whole arrays. Arithmetic is exact: concentrations are
scaled to integer thousandths (inputs carry at most 3 decimals) and the "always round up"
rule of HJ 633 §6.2 (全部进位取整) is an integer ceiling of a rational, so CO 2.2 mg/m³ gives
IAQI 55, not the 56 that floating point produces.

Hourly AQI — what the national platform (CNEMC) actually publishes
------------------------------------------------------------------
Checked against every published station-hour in ``shared/data/cnemc`` (2019-11/12 and
2025-01/02 Zhengzhou, 9-12 stations; 2019-12-05 national, 1641 stations):
59 377 of 59 377 published AQIs reproduced (12 828 + 11 800 + 34 749). The rule is:

* AQI = max of six IAQIs, computed from the *current hourly* values only:
  PM2.5 and PM10 1h concentration against the **24h** breakpoints; SO2, NO2, CO, O3
  against their **1h** breakpoints.
* O3 8h does **not** take part (adding it breaks 4 127 published rows); neither do the
  ``*_24h`` running means.
* Concentrations above the top of a table give IAQI 500 (published PM10 829 -> AQI 500,
  PM2.5 789 -> 500).
* A blank pollutant is simply left out: the AQI is the max over the IAQIs that exist
  (3 569 published rows lack one to five pollutants; all match this rule).
* The platform sometimes *withholds* the AQI although some values are present, and this is
  not a function of the published cells. Counts (withheld / published):
  both PM blank 141/0 (ZZ 2019), 90/0 (ZZ 2025), 344/10 (national);
  one PM blank 2/128, 56/895, 38/408; both PM present but a gas blank 0/378, 119/136,
  3/1614 (2025: daytime hours, presumably calibration). So we compute an AQI whenever at
  least one pollutant exists and report ``n_iaqi`` (pollutants that entered) so callers can
  flag partial AQIs (e.g. treat ``n_iaqi`` < 6, or both PM blank, as "not published").
* SO2 1h > 800 µg/m³ (not present in the data): per HJ 633-2012 the SO2 24h IAQI is used —
  taken from an optional ``SO2_24h`` column, otherwise SO2 is left out. HJ 633-2026: 200.

The hourly figure therefore follows the platform (what the public sees), not a literal
reading of the 2012 text; HJ 633-2026 is assumed to keep the same hourly practice.

Standards: a reading is indexed under the standard in force at its time (``standard_for``);
HJ 633-2026 applies from 2026-03-01 00:00 Beijing time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

STANDARD_2012 = "HJ 633-2012"
STANDARD_2026 = "HJ 633-2026"
STANDARDS = (STANDARD_2012, STANDARD_2026)
# CNEMC publishes and the standards count days in Beijing time, whatever the display time zone.
TIMEZONE = "Asia/Shanghai"
SWITCH_DATE = pd.Timestamp("2026-03-01 00:00", tz=TIMEZONE)

# IAQI levels shared by every table; a table with fewer breakpoints stops early.
IAQI_LEVELS = (0, 50, 100, 150, 200, 300, 400, 500)

_TABLE_2012 = {
    "SO2_24h": (0, 50, 150, 475, 800, 1600, 2100, 2620),
    "SO2_1h": (0, 150, 500, 650, 800),
    "NO2_24h": (0, 40, 80, 180, 280, 565, 750, 940),
    "NO2_1h": (0, 100, 200, 700, 1200, 2340, 3090, 3840),
    "PM10_24h": (0, 50, 150, 250, 350, 420, 500, 600),
    "CO_24h": (0, 2, 4, 14, 24, 36, 48, 60),
    "CO_1h": (0, 5, 10, 35, 60, 90, 120, 150),
    "O3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "O3_8h": (0, 100, 160, 215, 265, 800),
    "PM2.5_24h": (0, 35, 75, 115, 150, 250, 350, 500),
}
_TABLE_2026 = dict(
    _TABLE_2012,
    **{
        "PM10_24h": (0, 50, 120, 250, 350, 420, 500, 600),
        "PM2.5_24h": (0, 35, 60, 115, 150, 250, 350, 500),
    },
)
#: Breakpoint concentrations (µg/m³, CO mg/m³) per standard and indicator; the i-th
#: breakpoint corresponds to ``IAQI_LEVELS[i]``.
BREAKPOINTS: dict[str, dict[str, tuple[int, ...]]] = {
    STANDARD_2012: _TABLE_2012,
    STANDARD_2026: _TABLE_2026,
}
#: IAQI given above the top breakpoint; None = no IAQI (the caller falls back to another
#: indicator, as HJ 633-2012 prescribes for SO2 1h and O3 8h). Unlisted indicators: 500,
#: which is what the platform publishes.
ABOVE_TOP: dict[str, dict[str, int | None]] = {
    STANDARD_2012: {"SO2_1h": None, "O3_8h": None},
    STANDARD_2026: {"SO2_1h": 200, "O3_8h": 300},
}
INDICATORS = tuple(_TABLE_2012)
_ALIASES = {"PM25_24h": "PM2.5_24h"}

CATEGORIES: list[dict[str, Any]] = [
    {"level": 1, "min": 0, "max": 50, "zh": "优", "en": "Excellent", "colour": "#00E400"},
    {"level": 2, "min": 51, "max": 100, "zh": "良", "en": "Good", "colour": "#FFFF00"},
    {"level": 3, "min": 101, "max": 150, "zh": "轻度污染", "en": "Lightly polluted", "colour": "#FF7E00"},
    {"level": 4, "min": 151, "max": 200, "zh": "中度污染", "en": "Moderately polluted", "colour": "#FF0000"},
    {"level": 5, "min": 201, "max": 300, "zh": "重度污染", "en": "Heavily polluted", "colour": "#99004C"},
    {"level": 6, "min": 301, "max": None, "zh": "严重污染", "en": "Severely polluted", "colour": "#7E0023"},
]

#: Order in which tied primary / over-standard pollutants are listed.
POLLUTANT_ORDER = ("PM2.5", "PM10", "O3", "NO2", "SO2", "CO")

_SCALE = 1000  # concentrations as integer thousandths
# Anything at or above this is beyond every table top; clipping first keeps int64 safe.
_CLIP = 1e9
_LEVELS = np.array(IAQI_LEVELS, dtype=np.int64)
_BP_MILLI = {
    std: {k: np.array(v, dtype=np.int64) * _SCALE for k, v in table.items()}
    for std, table in BREAKPOINTS.items()
}


# --------------------------------------------------------------------------- helpers
def _as_float(values) -> np.ndarray:
    """Any array-like (numbers, numeric strings, nullable) -> float64 with NaN for missing."""
    if np.ndim(values) == 0:
        values = [values]
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if s.dtype == np.float64:  # NaN already marks the blanks: no copy (callers never write to it)
        return s.to_numpy()
    if s.dtype.kind not in "biuf":
        s = pd.to_numeric(s, errors="coerce")
    return s.to_numpy(dtype="float64", na_value=np.nan)


def _to_milli(conc) -> tuple[np.ndarray, np.ndarray]:
    """Concentrations -> (int64 thousandths, valid mask). Negative/NaN/inf are invalid."""
    c = _as_float(conc)
    ok = np.isfinite(c) & (c >= 0)
    c = np.minimum(np.where(ok, c, 0.0), _CLIP)
    # round to 3 decimals first so 2.2 (=2.2000000000000002) becomes exactly 2200
    return np.rint(np.round(c, 3) * _SCALE).astype(np.int64), ok


def _indicator(name: str) -> str:
    name = _ALIASES.get(name, name)
    if name not in _TABLE_2012:
        raise ValueError(f"unknown indicator {name!r}; expected one of {INDICATORS}")
    return name


def _segments(bp: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per-segment (BP_lo, IAQI_lo, IAQI_hi - IAQI_lo, BP_hi - BP_lo); segment i = (bp[i-1], bp[i]]."""
    lv = _LEVELS[: len(bp)]
    pad = lambda a: np.concatenate([a[:1], a])  # noqa: E731 - index 0 (C = 0) uses segment 1
    return pad(bp[:-1]), pad(lv[:-1]), pad(np.diff(lv)), pad(np.diff(bp))


_SEGMENTS = {std: {k: _segments(bp) for k, bp in t.items()} for std, t in _BP_MILLI.items()}


def _iaqi_one_std(ind: str, cm: np.ndarray, ok: np.ndarray, std: str) -> tuple[np.ndarray, np.ndarray]:
    """Exact IAQI for one standard: (int64 values, valid mask)."""
    bp = _BP_MILLI[std][ind]
    bp_lo, iaqi_lo, d_iaqi, d_bp = _SEGMENTS[std][ind]
    top = cm > bp[-1]
    x = np.minimum(cm, bp[-1])
    i = np.searchsorted(bp, x, side="left")  # continuity makes the choice at a breakpoint moot
    den = d_bp[i]
    # IAQI_lo is an integer, so ceil(IAQI_lo + num/den) = IAQI_lo + ceil(num/den)
    val = iaqi_lo[i] + (d_iaqi[i] * (x - bp_lo[i]) + den - 1) // den
    rule = ABOVE_TOP[std].get(ind, 500)
    if rule is None:
        ok = ok & ~top
    else:
        val[top] = rule
    return val, ok


# Standards travel as small integer codes inside the engine (comparing 10^6 strings is slow).
_STD_NAMES = np.array(["", STANDARD_2012, STANDARD_2026], dtype=object)  # code -> name; 0 = unknown
_STD_CODE = {STANDARD_2012: 1, STANDARD_2026: 2}


def _code_of(std) -> int:
    if std is None or std == "" or (not isinstance(std, str) and pd.isna(std)):
        return 0  # unknown time: the row stays missing
    if std not in _STD_CODE:
        raise ValueError(f"unknown standard {std!r}; expected one of {STANDARDS}")
    return _STD_CODE[std]


def _std_codes(standard, n: int) -> np.ndarray:
    """A standard name, or one per row -> int8 codes."""
    if isinstance(standard, str):
        return np.full(n, _code_of(standard), dtype=np.int8)
    arr = standard if isinstance(standard, pd.Series) else pd.Series(np.asarray(standard, dtype=object))
    if len(arr) != n:
        raise ValueError(f"standard has {len(arr)} entries for {n} values")
    codes, uniques = pd.factorize(arr)
    lut = np.array([_code_of(u) for u in uniques] + [0], dtype=np.int8)  # factorize: -1 = NA
    return lut[codes]


def _same_rule(ind: str) -> bool:
    return (BREAKPOINTS[STANDARD_2012][ind] == BREAKPOINTS[STANDARD_2026][ind]
            and ABOVE_TOP[STANDARD_2012].get(ind, 500) == ABOVE_TOP[STANDARD_2026].get(ind, 500))


# Most readings are whole numbers in the unit the tables use (µg/m³; CO is published to
# 0.1 mg/m³), so IAQIs are looked up in tables computed once with the exact formula above;
# anything else (fractions, values above the top) takes the exact path directly.
_GRID_STEP = {"CO_24h": 100, "CO_1h": 100}  # table step in thousandths; default 1000 (= 1 unit)
_LUT_CACHE: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, int]] = {}


def _lookup_table(ind: str, std: str) -> tuple[np.ndarray, np.ndarray, int]:
    key = (ind, std)
    if key not in _LUT_CACHE:
        step = _GRID_STEP.get(ind, _SCALE)
        top = int(_BP_MILLI[std][ind][-1])
        grid = np.arange(0, top + step, step, dtype=np.int64)
        val, ok = _iaqi_one_std(ind, grid, np.ones(len(grid), dtype=bool), std)
        _LUT_CACHE[key] = (val.astype(np.int16), ok, step)
    return _LUT_CACHE[key]


def _iaqi_fast(ind: str, c: np.ndarray, std: str) -> tuple[np.ndarray, np.ndarray]:
    """Exact IAQI for one standard of raw concentrations (NaN, negative or infinite: no IAQI):
    table lookup where the value is on the grid, the exact formula elsewhere."""
    table, table_ok, step = _lookup_table(ind, std)
    factor = _SCALE // step
    # NaN fails every comparison, so blanks, negatives and infinities are all off the grid.
    if factor == 1:
        # Whole units (µg/m³): a value on the grid is a whole number, exactly, as parsed.
        xi = np.rint(c)
        on_grid = (xi == c) & (c >= 0) & (xi < len(table))
    else:
        x = c * factor  # tenths of mg/m³ (CO): 0.3 * 10 is 3.0000000000000004, hence a tolerance
        xi = np.rint(x)
        with np.errstate(invalid="ignore"):  # inf - inf: NaN, off the grid like the other blanks
            on_grid = (np.abs(x - xi) <= 1e-9 * np.maximum(xi, 1.0)) & (c >= 0) & (xi < len(table))
    idx = np.where(on_grid, xi, 0).astype(np.intp)
    val = table[idx]  # int16 (IAQIs fit it) until the output's nullable int64
    valid = table_ok[idx] & on_grid
    rest = ~on_grid
    if rest.any():
        cm, ok_rest = _to_milli(c[rest])  # blanks come back not ok
        v, o = _iaqi_one_std(ind, cm, ok_rest, std)
        val[rest] = v
        valid[rest] = o
    return val, valid


class _Standards:
    """Per-row standard codes with their masks, worked out once for all the pollutants of a call."""

    def __init__(self, codes: np.ndarray):
        self.codes = codes
        self.has = [codes == code for code in (1, 2)]
        self.any = [bool(h.any()) for h in self.has]
        # Rows in time order (readings are) change standard once: then the two halves are
        # slices, computed without copying rows out and back.
        self.split: int | None = None
        if all(self.any):
            k = int(np.argmax(self.has[1]))
            if self.has[0][:k].all() and self.has[1][k:].all():
                self.split = k


def _iaqi_np(ind: str, conc, codes: np.ndarray | _Standards) -> tuple[np.ndarray, np.ndarray]:
    """IAQI under a per-row standard code: (int64 values, valid mask)."""
    std = codes if isinstance(codes, _Standards) else _Standards(codes)
    codes = std.codes
    c = _as_float(conc)
    has, any12 = std.has, std.any
    if not any(any12):
        return np.zeros(len(c), dtype=np.int16), np.zeros(len(c), dtype=bool)
    if any12[0] and any12[1] and not _same_rule(ind) and std.split is not None:
        k = std.split
        v1, o1 = _iaqi_fast(ind, c[:k], STANDARD_2012)
        v2, o2 = _iaqi_fast(ind, c[k:], STANDARD_2026)
        return np.concatenate([v1, v2]), np.concatenate([o1, o2])
    if any12[0] and any12[1] and not _same_rule(ind):
        # Each row under its own standard only: half the work of both on every row.
        val = np.zeros(len(c), dtype=np.int16)
        valid = np.zeros(len(c), dtype=bool)
        for rows, standard in ((has[0], STANDARD_2012), (has[1], STANDARD_2026)):
            val[rows], valid[rows] = _iaqi_fast(ind, c[rows], standard)
        return val, valid
    val, ok = _iaqi_fast(ind, c, STANDARD_2012 if any12[0] else STANDARD_2026)
    return val, ok & (codes > 0)


def _to_int64_array(val: np.ndarray, valid: np.ndarray) -> pd.arrays.IntegerArray:
    invalid = ~valid
    out = val.astype(np.int64)  # a fresh array: the blanks' values can be zeroed in place
    out[invalid] = 0
    return pd.arrays.IntegerArray(out, invalid)


# --------------------------------------------------------------------------- public API
def _codes_for_times(times) -> np.ndarray:
    if np.ndim(times) == 0:
        times = [times]
    try:
        t = pd.DatetimeIndex(pd.to_datetime(times))
    except (ValueError, TypeError):
        try:  # strings in several formats
            t = pd.DatetimeIndex(pd.to_datetime(times, format="mixed"))
        except (ValueError, TypeError):  # several UTC offsets: compare in UTC
            t = pd.DatetimeIndex(pd.to_datetime(times, format="mixed", utc=True))
    if t.tz is None:
        t = t.tz_localize(TIMEZONE, ambiguous="NaT", nonexistent="NaT")
    codes = np.where(np.asarray(t >= SWITCH_DATE), 2, 1).astype(np.int8)
    codes[np.asarray(t.isna())] = 0
    return codes


def standard_for(times) -> np.ndarray:
    """Standard in force at each time (array; naive times are Beijing time; NaT -> "")."""
    return _STD_NAMES[_codes_for_times(times)]


def iaqi(indicator: str, conc, standard=STANDARD_2012) -> pd.arrays.IntegerArray:
    """Individual AQI (Int64, <NA> for missing/negative) of ``indicator`` (see ``INDICATORS``).

    Concentrations are rounded to 0.001 before the exact integer computation.

    ``standard`` is a standard name or one per value. Above the table top: 500, except
    SO2_1h / O3_8h (HJ 633-2012: <NA>, use SO2_24h / O3_1h instead; 2026: 200 / 300).
    """
    ind = _indicator(indicator)
    c = _as_float(conc)
    val, ok = _iaqi_np(ind, c, _std_codes(standard, len(c)))
    return _to_int64_array(val, ok)


_UPPERS = np.array([c["max"] for c in CATEGORIES[:-1]], dtype=float)


def category_of(aqi) -> pd.arrays.IntegerArray:
    """AQI -> category level 1..6 (Int64; <NA> for missing or negative)."""
    a = _as_float(aqi)
    ok = np.isfinite(a) & (a >= 0)
    level = np.searchsorted(_UPPERS, np.where(ok, a, 0), side="left") + 1
    return _to_int64_array(level.astype(np.int64), ok)


def _label_table(labels: tuple[str, ...]) -> np.ndarray:
    """All 2**k comma-joined label combinations, indexed by bitmask (bit j = labels[j])."""
    return np.array(
        [",".join(lab for j, lab in enumerate(labels) if mask >> j & 1) for mask in range(1 << len(labels))],
        dtype=object,
    )


_LABEL_TABLE = _label_table(POLLUTANT_ORDER)


def _labels(bits: np.ndarray) -> pd.Categorical:
    # few distinct masks: a categorical of the comma-joined names (no per-row strings)
    return pd.Categorical.from_codes(bits, categories=_LABEL_TABLE)


_CATEGORY_LUT = np.searchsorted(_UPPERS, np.arange(501), side="left").astype(np.int64) + 1


def _combine(index, columns: dict[str, tuple[np.ndarray, np.ndarray]], codes: np.ndarray) -> pd.DataFrame:
    """IAQI columns keyed by pollutant label -> AQI, primary / over-standard, category, standard."""
    n = len(codes)
    # small integer types throughout: IAQIs fit int16, the six pollutant bits fit uint8
    masked = {lab: np.where(ok, val, -1).astype(np.int16, copy=False) for lab, (val, ok) in columns.items()}
    aqi = np.full(n, -1, dtype=np.int16)
    for v in masked.values():
        np.maximum(aqi, v, out=aqi)
    has_aqi = aqi >= 0
    primary_on = aqi > 50
    over_on = codes == 1  # "超标污染物" exists only in HJ 633-2012
    n_iaqi = np.zeros(n, dtype=np.uint8)
    primary = np.zeros(n, dtype=np.uint8)
    over = np.zeros(n, dtype=np.uint8)
    for lab, v in masked.items():
        bit = np.uint8(1 << POLLUTANT_ORDER.index(lab))  # ties listed in POLLUTANT_ORDER
        n_iaqi += (v >= 0).view(np.uint8)
        primary |= ((v == aqi) & primary_on).view(np.uint8) * bit
        over |= ((v > 100) & over_on).view(np.uint8) * bit

    out = {f"iaqi_{_COLUMN_KEY[lab]}": _to_int64_array(*columns[lab]) for lab in columns}
    out["aqi"] = _to_int64_array(aqi, has_aqi)
    out["n_iaqi"] = n_iaqi.astype(np.int64)
    out["primary_pollutants"] = _labels(primary)
    out["over_standard"] = _labels(over)
    # AQI is capped at 500 by the tables, so the category is a lookup too
    out["category"] = _to_int64_array(_CATEGORY_LUT[np.clip(aqi, 0, 500)], has_aqi)
    out["standard"] = pd.Categorical.from_codes(codes, categories=_STD_NAMES)
    return pd.DataFrame(out, index=index, copy=False)  # fresh arrays: no need to copy them again


_COLUMN_KEY = {"PM2.5": "pm25", "PM10": "pm10", "O3": "o3", "NO2": "no2", "SO2": "so2", "CO": "co"}


def _frame_codes(frame: pd.DataFrame, standard, time_col: str) -> np.ndarray:
    if standard is not None:
        return _std_codes(standard, len(frame))
    if time_col not in frame.columns:
        raise ValueError(f"need a {time_col!r} column or an explicit standard= to pick HJ 633-2012/2026")
    return _codes_for_times(frame[time_col])


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name in frame.columns:
        return _as_float(frame[name])
    return np.full(len(frame), np.nan)


def hourly_aqi(frame: pd.DataFrame, standard=None) -> pd.DataFrame:
    """Hourly AQI exactly as the national platform publishes it (rule: module docstring).

    ``frame``: one station-hour per row, columns "SO2","NO2","PM10","PM2.5","CO","O3" (1h
    values; absent columns count as blank), optional "SO2_24h" (for SO2 1h > 800) and
    "time" (tz-aware; picks the standard unless ``standard`` is given). Returns, on the same
    index: iaqi_pm25, iaqi_pm10, iaqi_o3, iaqi_no2, iaqi_so2, iaqi_co, aqi, n_iaqi,
    primary_pollutants, over_standard, category, standard.
    """
    codes = _frame_codes(frame, standard, "time")
    std = _Standards(codes)
    so2 = _column(frame, "SO2")
    cols = {
        "PM2.5": _iaqi_np("PM2.5_24h", _column(frame, "PM2.5"), std),  # 1h value, 24h table
        "PM10": _iaqi_np("PM10_24h", _column(frame, "PM10"), std),
        "O3": _iaqi_np("O3_1h", _column(frame, "O3"), std),
        "NO2": _iaqi_np("NO2_1h", _column(frame, "NO2"), std),
        "SO2": _iaqi_np("SO2_1h", so2, std),
        "CO": _iaqi_np("CO_1h", _column(frame, "CO"), std),
    }
    # HJ 633-2012: SO2 1h above 800 has no 1h IAQI; report the SO2 24h IAQI instead
    so2_val, so2_ok = cols["SO2"]
    fallback = (so2 > 800) & (codes == 1)
    if fallback.any():
        v24, ok24 = _iaqi_np("SO2_24h", _column(frame, "SO2_24h"), std)
        cols["SO2"] = (np.where(fallback, v24, so2_val), np.where(fallback, ok24, so2_ok))
    return _combine(frame.index, cols, codes)


def daily_aqi(frame: pd.DataFrame, standard=None) -> pd.DataFrame:
    """Daily AQI per HJ 633 from daily values, one station-day per row.

    Columns: "SO2","NO2","PM10","PM2.5","CO" (24h means), "O3_1h" (daily max 1h), "O3_8h"
    (daily max 8h), "date" (picks the standard unless ``standard`` is given). Output as
    ``hourly_aqi`` plus iaqi_o3_1h / iaqi_o3_8h; iaqi_o3 is the O3 IAQI that enters the AQI:
    2012 max(1h, 8h) with 8h > 800 left out (so 1h counts); 2026 8h only (> 800 -> 300).
    """
    codes = _frame_codes(frame, standard, "date")
    o3_1h_val, o3_1h_ok = _iaqi_np("O3_1h", _column(frame, "O3_1h"), codes)
    o3_1h_ok &= codes == 1  # HJ 633-2026 drops O3 1h from the daily report
    o3_8h_val, o3_8h_ok = _iaqi_np("O3_8h", _column(frame, "O3_8h"), codes)
    o3 = np.maximum(np.where(o3_1h_ok, o3_1h_val, -1), np.where(o3_8h_ok, o3_8h_val, -1))
    cols = {
        "PM2.5": _iaqi_np("PM2.5_24h", _column(frame, "PM2.5"), codes),
        "PM10": _iaqi_np("PM10_24h", _column(frame, "PM10"), codes),
        "O3": (o3, o3 >= 0),
        "NO2": _iaqi_np("NO2_24h", _column(frame, "NO2"), codes),
        "SO2": _iaqi_np("SO2_24h", _column(frame, "SO2"), codes),
        "CO": _iaqi_np("CO_24h", _column(frame, "CO"), codes),
    }
    out = _combine(frame.index, cols, codes)
    pos = out.columns.get_loc("iaqi_o3") + 1
    out.insert(pos, "iaqi_o3_8h", _to_int64_array(o3_8h_val, o3_8h_ok))
    out.insert(pos, "iaqi_o3_1h", _to_int64_array(o3_1h_val, o3_1h_ok))
    return out
