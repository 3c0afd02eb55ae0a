"""Readers for CNEMC data: the daily wide files ``china_sites_YYYYMMDD.csv`` and the official
station lists ``站点列表-YYYY.MM.DD起.csv``.

Daily files: ``date,hour,type,<station codes…>``, one row per (hour, type). Hour H of date D is
the mean over the hour *ending* at H Beijing time (hour 0 = 23:00–24:00 of the previous day);
a reading is labelled D + H hours in Beijing time, exactly as the source labels it, and stored
as that instant in UTC.

Only the six hourly concentrations are kept (PM2.5, PM10, SO2, NO2, O3 in µg/m³, CO in mg/m³).
The ``*_24h``, ``O3_8h`` and ``O3_8h_24h`` rows are running statistics of those same hourly
values and the ``AQI`` row is derived from them, so storing them would only store numbers
that can be recomputed (``dashboard.domain``) and could disagree with the hourly values.

Validation. A file is refused whole (``RefusedError``, naming file, row and column) when it
is empty or too large, not UTF-8, has a wrong header, a repeated header, truncated or
over-long rows, a bad date or one outside the plausible era (``dashboard.domain.limits``), a
date that differs from the file name's, an hour outside 0–23, or two rows for the same
(date, hour, type) with different values (identical repeats are dropped). Problems in single
cells (not a number, not finite, negative, above the pollutant's plausible ceiling) skip only
that cell and are listed in the ``ImportReport``; so are rows of an unknown type. Rows are
numbered as lines of the file, the header being 1. Values quoted in messages are clipped.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.domain.aqi import TIMEZONE
from dashboard.domain.limits import CHINA_BOX, CONCENTRATION_CEILINGS, READINGS_FROM, readings_until, unit
from dashboard.ingest.report import CONTROL_CHARACTERS, ImportReport, RefusedError, clip

#: The hourly concentration types that are stored (keys shared with ``dashboard.domain.aqi``).
POLLUTANTS = ("PM2.5", "PM10", "SO2", "NO2", "O3", "CO")
#: Every type the platform publishes; anything else is reported and skipped.
KNOWN_TYPES = frozenset({
    "AQI", "PM2.5", "PM2.5_24h", "PM10", "PM10_24h", "SO2", "SO2_24h", "NO2", "NO2_24h",
    "O3", "O3_24h", "O3_8h", "O3_8h_24h", "CO", "CO_24h",
})
ID_COLUMNS = ["date", "hour", "type"]
FILE_NAME = re.compile(r"china_sites_(\d{8})\.csv$", re.IGNORECASE)
# National codes are 4 digits + "A" (1001A…3871A); leave room for longer numbers and other
# suffix letters, but catch a shifted or garbled header.
STATION_CODE = re.compile(r"[0-9]{3,6}[A-Z]")
# About twenty national day files (1.7 MB for 1641 stations); station lists are 0.1 MB. Bigger
# is not one of these files, and reading it whole would take the memory of the server.
CSV_MAX_BYTES = 32 * 2**20


# --------------------------------------------------------------------------- shared helpers
def _check_size(size: int, name: str) -> None:
    if size > CSV_MAX_BYTES:
        raise RefusedError(name, f"the file has {size:,} bytes, more than the {CSV_MAX_BYTES:,} a daily file "
                                 "or a station list can have")


def _read(path: Path) -> bytes:
    try:
        _check_size(path.stat().st_size, str(path))
        return path.read_bytes()
    except OSError as exc:
        raise RefusedError(str(path), f"cannot read the file: {exc.strerror or exc}") from None


def _decode(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        row = raw.count(b"\n", 0, exc.start) + 1
        col_index = raw.count(b",", line_start, exc.start)
        header = raw[: raw.find(b"\n")].decode("utf-8-sig", "replace").rstrip("\r").split(",")
        column = clip(header[col_index]) if row > 1 and col_index < len(header) else f"#{col_index + 1}"
        raise RefusedError(
            name, f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})", row, column
        ) from None


def _line_layout(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Line numbers (1-based) of the non-blank lines and their comma-separated field counts.

    numpy over the bytes: a national file has 360 rows × 1644 fields, no Python loop per row.
    Commas and newlines are single bytes in UTF-8, never part of a multi-byte character.
    """
    b = np.frombuffer(raw, dtype=np.uint8)
    newlines = np.flatnonzero(b == 10)
    ends = newlines if (len(b) and b[-1] == 10) else np.append(newlines, len(b))
    starts = np.concatenate([[0], newlines + 1])[: len(ends)]
    lengths = ends - starts
    has_cr = np.zeros(len(ends), dtype=bool)
    nonzero = lengths > 0
    has_cr[nonzero] = b[ends[nonzero] - 1] == 13
    lengths = lengths - has_cr
    commas = np.bincount(np.searchsorted(ends, np.flatnonzero(b == 44)), minlength=len(ends))
    keep = lengths > 0
    return np.flatnonzero(keep) + 1, commas[keep] + 1


def _cell_problems(report: ImportReport, rows: np.ndarray, columns, reasons) -> None:
    for row, column, reason in sorted(zip(rows.tolist(), columns, reasons)):
        report.problem(row, column, reason)


# --------------------------------------------------------------------------- daily files
def file_date(path: str | Path) -> dt.date | None:
    """The date in a ``china_sites_YYYYMMDD.csv`` file name, or None for another name."""
    m = FILE_NAME.search(Path(path).name)
    if not m:
        return None
    try:
        return dt.datetime.strptime(m.group(1), "%Y%m%d").date()
    except ValueError:
        return None


def _check_header(header: list[str], name: str) -> list[str]:
    for i, expected in enumerate(ID_COLUMNS):
        found = header[i] if i < len(header) else None
        if found != expected:
            raise RefusedError(
                name,
                f"expected the header to start with {','.join(ID_COLUMNS)}; column {i + 1} is "
                f"'{clip(found)}' instead of '{expected}'",
                1,
                found if found and len(found) <= 16 else f"#{i + 1}",
            )
    stations = header[3:]
    if not stations:
        raise RefusedError(name, "no station columns after date,hour,type", 1, None)
    for i, code in enumerate(stations, start=4):
        if not STATION_CODE.fullmatch(code):
            raise RefusedError(name, f"column {i} is '{clip(code)}', not a station code like 1316A", 1,
                               clip(code) or f"#{i}")
    return stations


def _unique(codes: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for code in codes:
        seen[code] = seen.get(code, 0) + 1
        out.append(code if seen[code] == 1 else f"{code}#{seen[code]}")
    return out


def _merge_repeated_columns(frame: pd.DataFrame, stations: list[str], lines: np.ndarray, name: str) -> list[str]:
    """A station repeated in the header (the real 20191205 national file repeats 3207A with
    identical values) is kept once; repeats that disagree refuse the file."""
    unique = list(dict.fromkeys(stations))
    if len(unique) == len(stations):
        return stations
    for column in frame.columns[len(ID_COLUMNS):]:
        if "#" not in column:
            continue
        code = column.split("#")[0]
        a, b = frame[code], frame[column]
        differ = ~((a == b).fillna(False) | (a.isna() & b.isna())).to_numpy()
        if differ.any():
            i = int(np.flatnonzero(differ)[0])
            raise RefusedError(name, f"station {code} appears twice in the header with different values "
                               f"({clip(a.iloc[i])} vs {clip(b.iloc[i])})", int(lines[i]), code)
        frame.drop(columns=column, inplace=True)
    return unique


def _bad_date(value: str) -> str:
    return f"bad date '{clip(value)}' (expected YYYYMMDD)"


def _refuse_first(mask: pd.Series, lines: np.ndarray, values: pd.Series, name: str, column: str, why) -> None:
    if mask.any():
        i = int(np.flatnonzero(mask.to_numpy())[0])
        raise RefusedError(name, why(values.iloc[i]), int(lines[i]), column)


def read_cnemc_file(path: str | Path) -> tuple[pd.DataFrame, ImportReport]:
    """Read one daily file; see ``read_cnemc_bytes``."""
    path = Path(path)
    return read_cnemc_bytes(_read(path), str(path), file_date(path))


def read_cnemc_bytes(raw: bytes, name: str, expected_date: dt.date | None = None
                     ) -> tuple[pd.DataFrame, ImportReport]:
    """Validate and melt one daily wide file into readings.

    Returns (readings, report): readings has columns station_code, pollutant, time (UTC),
    value, one row per non-blank valid cell of the six hourly types. ``expected_date`` (from
    the file name) must match the date column. Raises ``RefusedError`` for a refused file.
    """
    report = ImportReport(file=name)
    _check_size(len(raw), name)
    text = _decode(raw, name)
    if not text.strip():
        raise RefusedError(name, "the file is empty")
    header = text.split("\n", 1)[0].rstrip("\r").split(",")
    stations = _check_header(header, name)

    lines, fields = _line_layout(raw)
    wrong = np.flatnonzero(fields != len(header))
    if len(wrong):
        i = int(wrong[0])
        kind = "truncated" if fields[i] < len(header) else "too long"
        column = header[fields[i] - 1] if fields[i] < len(header) else None
        raise RefusedError(
            name, f"{kind} row: {fields[i]} fields where the header has {len(header)}",
            int(lines[i]), column,
        )
    data_lines = lines[1:]
    if not len(data_lines):
        raise RefusedError(name, "the file has a header but no data rows", 1)

    frame = pd.read_csv(
        io.StringIO(text),
        dtype={"date": str, "hour": str, "type": str},
        keep_default_na=False,  # only an empty cell is blank; "NA" or "-" is reported
        na_values=[""],
        quoting=csv.QUOTE_NONE,
        engine="c",
        low_memory=False,
    )
    if len(frame) != len(data_lines):  # a layout the byte scan did not foresee: be safe
        raise RefusedError(name, f"could not split the file into rows ({len(frame)} vs {len(data_lines)})")
    frame.columns = ID_COLUMNS + _unique(stations)
    stations = _merge_repeated_columns(frame, stations, data_lines, name)

    date, hour, kind = frame["date"].fillna(""), frame["hour"].fillna(""), frame["type"].fillna("")
    _refuse_first(date == ID_COLUMNS[0], data_lines, date, name, "date", lambda v: "the header is repeated here")
    _refuse_first(~date.str.fullmatch(r"\d{8}"), data_lines, date, name, "date", _bad_date)
    # Before parsing: pandas cannot even represent 9999 or 1600, and would call them malformed.
    first, last = READINGS_FROM, readings_until()
    _refuse_first((date < f"{first:%Y%m%d}") | (date > f"{last:%Y%m%d}"), data_lines, date, name, "date",
                  lambda v: f"date {v} is outside {first:%Y-%m-%d} … {last:%Y-%m-%d} (CNEMC publication "
                            "began in 2013; no later day is published yet)")
    parsed = pd.to_datetime(date, format="%Y%m%d", errors="coerce")
    _refuse_first(parsed.isna(), data_lines, date, name, "date", _bad_date)
    day = expected_date or parsed.iloc[0].date()
    other = parsed != pd.Timestamp(day)
    origin = "the file name's date" if expected_date else "the first row's date"
    _refuse_first(other, data_lines, date, name, "date",
                  lambda v: f"date {v} does not match {origin} {day:%Y%m%d}")
    hours = pd.to_numeric(hour.where(hour.str.fullmatch(r"\d{1,2}")), errors="coerce")
    _refuse_first(hours.isna() | (hours > 23), data_lines, hour, name, "hour",
                  lambda v: f"hour '{clip(v)}' is not an integer 0–23")

    unknown = ~kind.isin(KNOWN_TYPES)
    for i in np.flatnonzero(unknown.to_numpy()):
        report.problem(int(data_lines[i]), "type", f"unknown type '{clip(kind.iloc[i])}': row skipped")

    key = pd.DataFrame({"hour": hours.astype(int), "type": kind})
    dup = key.duplicated(keep=False).to_numpy()
    drop = np.zeros(len(frame), dtype=bool)
    if dup.any():
        drop = _check_duplicates(frame, key, dup, data_lines, stations, name)

    keep = (kind.isin(POLLUTANTS) & ~pd.Series(drop, index=frame.index)).to_numpy()
    values = frame.loc[keep, stations]
    rows = data_lines[keep]
    values = _numeric_cells(values, rows, report)

    times = (pd.Timestamp(day) + pd.to_timedelta(hours[keep].to_numpy(), unit="h"))
    times = times.tz_localize(TIMEZONE).tz_convert("UTC")
    n_cols = values.shape[1]
    flat = values.to_numpy(dtype="float64").ravel()  # row-major: row r, station c at r*n_cols+c
    pollutants = kind[keep].to_numpy(dtype=object)
    present = ~np.isnan(flat)
    # pandas reads "inf" and "1e400" as infinity in a column of numbers
    bad = present & (~np.isfinite(flat) | (flat < 0)
                     | (flat > np.repeat(_ceilings(pollutants), n_cols)))
    report.rows_read += int(present.sum())
    if bad.any():
        idx = np.flatnonzero(bad)
        _cell_problems(report, rows[idx // n_cols], [stations[c] for c in idx % n_cols],
                       [_bad_value(flat[j], pollutants[j // n_cols]) for j in idx])
        report.skipped += len(idx)
    take = np.flatnonzero(present & ~bad)
    readings = pd.DataFrame({
        "station_code": pd.array(np.asarray(stations, dtype=object)[take % n_cols], dtype="str"),
        "pollutant": pd.array(pollutants[take // n_cols], dtype="str"),
        "time": times[take // n_cols],
        "value": flat[take],
    })
    return readings, report


def _ceilings(pollutants: np.ndarray) -> np.ndarray:
    """The plausible ceiling (``dashboard.domain.limits``) of each row's pollutant."""
    return np.array([CONCENTRATION_CEILINGS[p] for p in pollutants], dtype="float64")


def _bad_value(value: float, pollutant: str) -> str:
    if not np.isfinite(value):
        return f"not a finite number ({value:g})"
    if value < 0:
        return f"negative value {value:g}"
    return (f"{value:.10g} {unit(pollutant)} is above {CONCENTRATION_CEILINGS[pollutant]:g} {unit(pollutant)}, "
            f"the plausible ceiling for {pollutant}")


def _check_duplicates(frame, key, dup, lines, stations, name) -> np.ndarray:
    """Refuse conflicting repeats of a (date, hour, type) row; return the identical repeats to drop."""
    sub = frame.loc[dup, stations].astype("str").fillna("")  # blanks compare equal
    sub_key = key[dup]
    whole = pd.concat([sub_key, sub], axis=1)
    distinct = whole.drop_duplicates()
    clash = distinct.duplicated(subset=["hour", "type"], keep=False)
    if clash.any():
        first = distinct[clash].iloc[0]
        same = whole[(whole["hour"] == first["hour"]) & (whole["type"] == first["type"])]
        a, b = same.iloc[0], same[(same[stations] != same.iloc[0][stations]).any(axis=1)].iloc[0]
        column = next(c for c in stations if a[c] != b[c])
        pos = [frame.index.get_loc(i) for i in (a.name, b.name)]
        raise RefusedError(
            name,
            f"rows {lines[pos[0]]} and {lines[pos[1]]} are both hour {first['hour']} {first['type']} "
            f"but differ ({clip(a[column])} vs {clip(b[column])})",
            int(lines[pos[1]]),
            column,
        )
    return (dup & key.duplicated(keep="first").to_numpy())


def _numeric_cells(values: pd.DataFrame, rows: np.ndarray, report: ImportReport) -> pd.DataFrame:
    """Columns pandas could not read as numbers: blank out and report the offending cells."""
    bad_columns = [c for c in values.columns if values[c].dtype.kind not in "fiu"]
    if not bad_columns:
        return values
    values = values.copy()
    for column in bad_columns:
        raw = values[column]
        number = pd.to_numeric(raw, errors="coerce").astype("float64")
        number = number.where(np.isfinite(number))
        bad = (raw.notna() & number.isna()).to_numpy()
        if bad.any():
            idx = np.flatnonzero(bad)
            _cell_problems(report, rows[idx], [column] * len(idx),
                           [f"not a number: '{clip(v)}'" for v in raw.to_numpy()[idx]])
            report.rows_read += len(idx)
            report.skipped += len(idx)
        values[column] = number
    return values


# --------------------------------------------------------------------------- station lists
LIST_NAME = re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})")
LIST_COLUMNS = {"监测点编码": "code", "监测点名称": "name", "城市": "city",
                "经度": "longitude", "纬度": "latitude"}
BACKGROUND_COLUMN = "对照点"
STATION_COLUMNS = ["code", "name", "city", "longitude", "latitude", "is_background"]
# The widths of stations.name and stations.city: PostgreSQL refuses longer text.
NAME_MAX, CITY_MAX = 64, 32


def list_date(path: str | Path) -> dt.date | None:
    """The start date in a ``站点列表-YYYY.MM.DD起.csv`` file name, or None."""
    m = LIST_NAME.search(Path(path).name)
    if not m:
        return None
    try:
        return dt.date(*map(int, m.groups()))
    except ValueError:
        return None


def _list_rows(text: str, name: str) -> list[tuple[int, list[str]]]:
    """The non-blank records of a station list with the line each starts on, header first."""
    reader = csv.reader(io.StringIO(text), skipinitialspace=True)
    rows = []
    start = 1  # a quoted field can span lines: a record starts after the previous one ended
    try:
        for fields in reader:
            if len(fields) > 1 or (fields and fields[0].strip()):  # blank lines are not records
                rows.append((start, fields))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise RefusedError(name, f"not a CSV table: {exc}", start) from None
    return rows


def _list_header(fields: list[str], name: str) -> list[str]:
    header = [c.strip() for c in fields]
    missing = [c for c in LIST_COLUMNS if c not in header]
    if missing:
        raise RefusedError(name, f"missing column(s) {', '.join(missing)}; header is {clip(','.join(header), 120)}", 1)
    for i, column in enumerate(header):
        if column not in LIST_COLUMNS and column != BACKGROUND_COLUMN:
            raise RefusedError(name, f"unknown column '{clip(column)}': a station list has exactly the columns "
                                     f"{','.join(LIST_COLUMNS)}[,{BACKGROUND_COLUMN}]", 1, f"#{i + 1}")
        if column in header[:i]:
            raise RefusedError(name, f"column {column} appears twice in the header", 1, column)
    return header


def read_station_list(path: str | Path) -> tuple[pd.DataFrame, ImportReport]:
    """Read an official station list (UTF-8, BOM optional).

    Header 监测点编码,监测点名称,城市,经度,纬度 [,对照点], each column once and no other. Returns
    (stations, report) with columns code, name, city, longitude, latitude (float, NaN if
    blank), is_background (bool). Lists without the 对照点 column (before 2022) flag a station
    as background when its name says "对照点", as those lists do.

    The list is refused (``RefusedError``) when a row has more or fewer fields than the header,
    repeats the header, or has a code that is not of the CNEMC form (a shifted row puts a city
    there). Coordinates outside China, names too long to store and bad flags are reported and
    left blank (a blank name becomes the code); a row without a code is reported and skipped;
    a repeated code keeps its last row (the 2019.08.01 list repeats 3207A).
    """
    path = Path(path)
    name = str(path)
    report = ImportReport(file=name)
    raw = _read(path)
    if not raw.strip():
        raise RefusedError(name, "the file is empty")
    rows = _list_rows(_decode(raw, name), name)
    header = _list_header(rows[0][1], name)
    code_at = header.index("监测点编码")
    for line, fields in rows[1:]:
        if len(fields) != len(header):
            short = len(fields) < len(header)
            raise RefusedError(name, f"{'truncated' if short else 'too long'} row: {len(fields)} fields where the "
                                     f"header has {len(header)}", line, header[len(fields) - 1] if short else None)
        code = fields[code_at].strip()
        if code == "监测点编码":
            raise RefusedError(name, "the header is repeated here", line, code)
        if code and not STATION_CODE.fullmatch(code):
            raise RefusedError(name, f"'{clip(code)}' is not a station code like 1316A (are the columns shifted?)",
                               line, "监测点编码")
    if len(rows) == 1:
        raise RefusedError(name, "the file has a header but no stations", 1)
    frame = pd.DataFrame([fields for _line, fields in rows[1:]], columns=header, dtype=str)
    lines = np.array([line for line, _fields in rows[1:]])
    out = frame[list(LIST_COLUMNS)].rename(columns=LIST_COLUMNS)
    for col in ("code", "name", "city"):
        out[col] = out[col].str.strip()
    report.rows_read = len(out)

    no_code = (out["code"] == "").to_numpy()
    for i in np.flatnonzero(no_code):
        report.problem(int(lines[i]), "监测点编码", "empty station code: row skipped")
    for src, col, limit, instead in (("监测点名称", "name", NAME_MAX, "the code is used instead"),
                                     ("城市", "city", CITY_MAX, "left blank")):
        long = (out[col].str.len() > limit).to_numpy() & ~no_code
        invisible = out[col].str.contains(CONTROL_CHARACTERS).to_numpy() & ~no_code & ~long
        for i in np.flatnonzero(long):
            report.problem(int(lines[i]), src, f"longer than {limit} characters: {instead}")
        for i in np.flatnonzero(invisible):
            report.problem(int(lines[i]), src, f"'{clip(out[col].iloc[i])}' holds control characters: {instead}")
        out[col] = out[col].where(~(long | invisible), "")
    lon_min, lon_max, lat_min, lat_max = CHINA_BOX
    for src, col, lo, hi in (("经度", "longitude", lon_min, lon_max), ("纬度", "latitude", lat_min, lat_max)):
        number = pd.to_numeric(out[col], errors="coerce")
        given = (out[col] != "").to_numpy() & ~no_code
        not_number = given & number.isna().to_numpy()
        outside = given & ~not_number & ~((number >= lo) & (number <= hi)).to_numpy()
        for i in np.flatnonzero(not_number):
            report.problem(int(lines[i]), src, f"bad coordinate '{clip(out[col].iloc[i])}': left blank")
        for i in np.flatnonzero(outside):
            report.problem(int(lines[i]), src, f"coordinate {clip(out[col].iloc[i])} is outside China "
                                               f"({lo:g}–{hi:g}): left blank")
        out[col] = number.where(~(not_number | outside)).astype("float64")

    by_name = out["name"].str.contains("对照点", regex=False)
    if BACKGROUND_COLUMN in frame.columns:
        flag = frame[BACKGROUND_COLUMN].str.strip().str.upper()
        bad = (~flag.isin(["Y", "N", ""])).to_numpy() & ~no_code
        for i in np.flatnonzero(bad):
            report.problem(int(lines[i]), BACKGROUND_COLUMN,
                           f"flag '{clip(flag.iloc[i])}' is not Y or N: taken from the name")
        out["is_background"] = np.where(flag == "Y", True, np.where(flag == "N", False, by_name))
    else:
        out["is_background"] = by_name
    out["is_background"] = out["is_background"].astype(bool)
    out["name"] = out["name"].where(out["name"] != "", out["code"])

    out["_line"] = lines
    out = out[~no_code]
    repeated = out["code"].duplicated(keep="last").to_numpy()
    for i in np.flatnonzero(repeated):
        row = out.iloc[i]
        report.problem(int(row["_line"]), "监测点编码",
                       f"station {row['code']} listed again later: this row ignored")
    out = out[~repeated]
    report.skipped = report.rows_read - len(out)
    return out[STATION_COLUMNS].reset_index(drop=True), report
