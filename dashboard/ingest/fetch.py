"""Downloads: CNEMC daily files from a mirror, and OpenAQ v3 hourly values.

HTTP goes through ``HttpClient``: timeouts on connect and read, retries with exponential
backoff on connection errors, timeouts, 429 and 5xx, and a server's ``Retry-After`` honoured.
Nothing here writes to the database: callers validate what comes back (``ingest.cnemc``) and
store it one transaction per file or location (``store.readings``).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import requests

from dashboard.domain.limits import CONCENTRATION_CEILINGS, readings_until, unit
from dashboard.ingest.report import CONTROL_CHARACTERS, ImportReport, clip

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
# A server asking for a longer pause than this is treated as down rather than waited for.
MAX_RETRY_AFTER = 300.0
USER_AGENT = "district-air-dashboard (+https://github.com/)"


class FetchError(Exception):
    """A download that failed for good (after retries), with the URL and the last cause."""

    def __init__(self, url: str, reason: str, status: int | None = None):
        self.url, self.reason, self.status = url, reason, status
        super().__init__(f"{url}: {reason}")


# A CNEMC national day file is about 1.5 MB and an OpenAQ page of 1 000 hours well under 1 MB:
# a server that sends more than this is broken or hostile, and must not fill the memory.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024


def _read_bounded(response: requests.Response) -> None:
    """Read the body into ``response`` (as ``.content`` would), refusing one over the limit."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
        raise FetchError(response.url, f"the answer is more than the {MAX_RESPONSE_BYTES:,} bytes accepted "
                                       f"(it announces {int(declared):,})")
    chunks, size = [], 0
    for chunk in response.iter_content(chunk_size=1 << 16):
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            response.close()
            raise FetchError(response.url, f"the answer is more than the {MAX_RESPONSE_BYTES:,} bytes accepted")
        chunks.append(chunk)
    response._content = b"".join(chunks)  # what requests itself sets when it reads the body


@dataclass
class HttpClient:
    """GET with timeouts and retries; ``sleep`` is injectable so callers can log waits."""

    timeout: float = 30.0
    retries: int = 3
    backoff: float = 1.0
    headers: dict[str, str] = field(default_factory=dict)
    sleep: Callable[[float], None] = time.sleep
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers.update(self.headers)

    def get(self, url: str, params: dict | None = None) -> requests.Response:
        """The response of a GET that returned 2xx; ``FetchError`` when retries run out or on 4xx."""
        last = "no attempt"
        for attempt in range(self.retries + 1):
            wait = self.backoff * 2**attempt
            try:
                response = self.session.get(url, params=params, timeout=(self.timeout, self.timeout), stream=True)
                if response.ok:
                    _read_bounded(response)
            except requests.Timeout:
                last = f"no answer within {self.timeout:g} s"
            except requests.ConnectionError as exc:
                last = f"connection failed ({_root_cause(exc)})"
            else:
                if response.ok:
                    return response
                last = f"HTTP {response.status_code} {response.reason or ''}".strip()
                if response.status_code not in RETRY_STATUS:
                    raise FetchError(response.url, last, response.status_code)
                asked = _retry_after(response.headers.get("Retry-After"))
                if asked is not None:
                    if asked > MAX_RETRY_AFTER:
                        raise FetchError(response.url, f"{last}, server asks to retry after {asked:g} s")
                    wait = asked
            if attempt < self.retries:
                self.sleep(wait)
        raise FetchError(url, f"gave up after {self.retries + 1} attempt(s): {last}")


def _root_cause(exc: BaseException) -> str:
    for _ in range(20):  # urllib3 wraps the socket error a few levels deep
        inner = exc.__cause__ or exc.__context__
        if inner is None:
            break
        exc = inner
    return type(exc).__name__ + (f": {exc}" if str(exc) else "")


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


# --------------------------------------------------------------------------- CNEMC
CNEMC_CACHE = Path("downloads") / "cnemc"


def cnemc_url(template: str, day: dt.date) -> str:
    """The mirror's URL of ``day``'s file: ``template`` formatted with ``date=day``."""
    try:
        url = template.format(date=day)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"bad CNEMC URL template {template!r}: use {{date:%Y%m%d}} for the date ({exc})") from None
    if url == template:
        raise ValueError(f"the CNEMC URL template {template!r} has no {{date:%Y%m%d}} field")
    return url


def cnemc_cache_path(data_dir: Path, day: dt.date) -> Path:
    return Path(data_dir) / CNEMC_CACHE / f"china_sites_{day:%Y%m%d}.csv"


@dataclass
class Download:
    day: dt.date
    url: str
    raw: bytes
    cached: bool


def download_cnemc_day(client: HttpClient, template: str, day: dt.date, data_dir: Path) -> Download:
    """``day``'s file from the cache folder if an earlier run kept it, else from the mirror.

    Raises ``FetchError`` (status 404 when the mirror has no file for that day).
    """
    url = cnemc_url(template, day)
    cached = cnemc_cache_path(data_dir, day)
    if cached.is_file():
        return Download(day, url, cached.read_bytes(), True)
    return Download(day, url, client.get(url).content, False)


def keep_in_cache(download: Download, data_dir: Path) -> None:
    """Save a validated download atomically, so a later run reuses it instead of fetching again."""
    if download.cached:
        return
    path = cnemc_cache_path(data_dir, download.day)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".part{os.getpid()}")
    tmp.write_bytes(download.raw)
    tmp.replace(path)


# --------------------------------------------------------------------------- OpenAQ
#: OpenAQ parameter names -> our pollutant keys.
OPENAQ_PARAMETERS = {"pm25": "PM2.5", "pm10": "PM10", "no2": "NO2", "o3": "O3", "so2": "SO2", "co": "CO"}
#: g/mol, for ppm/ppb -> mass concentration.
MOLAR_MASS = {"NO2": 46.0055, "O3": 47.9982, "SO2": 64.066, "CO": 28.0101}
#: L/mol of an ideal gas at 25 °C (298.15 K) and 101.325 kPa — the reference state of Chinese
#: gaseous concentrations since 2018-09-01.
MOLAR_VOLUME_25C = 24.465
PAGE_LIMIT = 1000
MAX_PAGES = 10_000


def _unit(units: str) -> str:
    u = (units or "").strip().lower().replace("µ", "u").replace("μ", "u").replace("³", "3").replace(" ", "")
    return {"ug/m3": "ug/m3", "mg/m3": "mg/m3", "ppm": "ppm", "ppb": "ppb"}.get(u, u)


def unit_factor(pollutant: str, units: str) -> float | None:
    """Factor from ``units`` to ours (µg/m³; CO mg/m³), ppm/ppb converted at 25 °C; None if unknown."""
    unit = _unit(units)
    to_ug = {"ug/m3": 1.0, "mg/m3": 1000.0}.get(unit)
    if to_ug is None and pollutant in MOLAR_MASS and unit in ("ppm", "ppb"):
        ppb = 1000.0 if unit == "ppm" else 1.0
        to_ug = ppb * MOLAR_MASS[pollutant] / MOLAR_VOLUME_25C
    if to_ug is None:
        return None
    return to_ug / 1000.0 if pollutant == "CO" else to_ug


def _found(meta: dict) -> int | None:
    """``meta.found`` as a number, or None when the API only says ">1000"."""
    found = meta.get("found") if isinstance(meta, dict) else None
    if isinstance(found, int):
        return found
    if isinstance(found, str) and found.strip().isdigit():
        return int(found)
    return None


def _json(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        raise FetchError(response.url, "the answer is not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise FetchError(response.url, "the answer has no 'results' list")
    return body


def openaq_pages(client: HttpClient, url: str, params: dict, limit: int = PAGE_LIMIT):
    """Every result of a paged OpenAQ list endpoint, with its 1-based position."""
    position = 0
    for page in range(1, MAX_PAGES + 1):
        body = _json(client.get(url, params={**params, "limit": limit, "page": page}))
        results = body["results"]
        for record in results:
            position += 1
            yield position, record
        found = _found(body.get("meta", {}))
        if len(results) < limit or (found is not None and page * limit >= found):
            return
    raise FetchError(url, f"more than {MAX_PAGES} pages: narrow the date range")


@dataclass
class OpenAQLocation:
    """One location's stations row, its hourly readings and the report of what was skipped."""

    station: dict
    readings: pd.DataFrame
    report: ImportReport


def _utc_text(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(value: object, limit: int) -> str | None:
    """A name from the answer cut to ``limit`` characters, or None if it is not printable text."""
    if isinstance(value, str) and not CONTROL_CHARACTERS.search(value):
        return value[:limit]
    return None


def _coordinate(value: object, bound: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if -bound <= number <= bound else None  # False for NaN and infinity


def _hourly_value(record: object, pollutant: str, factor: float, units: str,
                  start: dt.datetime, end: dt.datetime) -> tuple[dt.datetime | None, float] | str:
    """(hour end, value in our unit) of one ``/hours`` record, or the reason to skip it.

    The hour end is None outside ``start < end <= end``: the API's edges are not exactly the
    requested ones, so such an hour is dropped without a report line.
    """
    if not isinstance(record, dict):
        return f"not a record but '{clip(record)}'"
    period = record.get("period") if isinstance(record.get("period"), dict) else {}
    to_field = period.get("datetimeTo") if isinstance(period.get("datetimeTo"), dict) else {}
    to = to_field.get("utc")
    value = record.get("value")
    if value is None:
        return f"no value (null) for the hour ending {clip(to)}"
    if not isinstance(to, str) or period.get("interval", "01:00:00") != "01:00:00":
        return f"not an hourly value (interval '{clip(period.get('interval'))}')"
    try:
        when = dt.datetime.fromisoformat(to)
    except ValueError:
        return f"the hour's end '{clip(to)}' is not an ISO 8601 time"
    when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)  # the field is named utc
    if when > dt.datetime.combine(readings_until(), dt.time.max, tzinfo=dt.UTC):
        return f"the hour's end {clip(to)} is in the future"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return f"value '{clip(value)}' is not a non-negative number"
    try:
        converted = float(value) * factor
    except OverflowError:  # an integer of hundreds of digits
        converted = math.inf
    if not math.isfinite(converted):
        return f"value {clip(value)} is not a finite number"
    if converted > CONCENTRATION_CEILINGS[pollutant]:
        return (f"{converted:.10g} {unit(pollutant)} (from {clip(value)} {clip(units)}) is above "
                f"{CONCENTRATION_CEILINGS[pollutant]:g} {unit(pollutant)}, the plausible ceiling for {pollutant}")
    return (when if start < when <= end else None), converted


def fetch_openaq_location(client: HttpClient, base_url: str, location_id: int, start: dt.datetime,
                          end: dt.datetime) -> OpenAQLocation:
    """Hourly values of one OpenAQ location for ``start < hour end <= end`` (tz-aware).

    Sensors of the six pollutants are read from ``/sensors/{id}/hours``; a sensor whose unit
    cannot be converted to ours, or whose id is not a number, is skipped with a report line, as
    are null, negative, non-finite and implausibly high values (``dashboard.domain.limits``),
    hours ending in the future and records that are not hourly. A location that is not an object refuses the location
    (``FetchError``); a name or coordinates that cannot be stored are reported and left out.
    The station is coded ``OAQ-<location id>``.
    """
    base = base_url.rstrip("/")
    report = ImportReport(file=f"openaq location {location_id}")
    url = f"{base}/locations/{location_id}"
    body = _json(client.get(url))
    if not body["results"]:
        raise FetchError(url, "no such location")
    location = body["results"][0]
    if not isinstance(location, dict):
        raise FetchError(url, f"the location is not an object but '{clip(location)}'")
    coords = location.get("coordinates") if isinstance(location.get("coordinates"), dict) else {}
    station = {"code": f"OAQ-{location_id}", "name": _text(location.get("name"), 64) or f"OpenAQ {location_id}",
               "city": _text(location.get("locality"), 32) or "",
               "longitude": _coordinate(coords.get("longitude"), 180),
               "latitude": _coordinate(coords.get("latitude"), 90)}
    for key, instead in (("name", "a generic name is used"), ("locality", "left blank")):
        if location.get(key) is not None and _text(location.get(key), 0) is None:
            report.problem(None, key, f"'{clip(location.get(key))}' is not printable text: {instead}")
    for key in ("longitude", "latitude"):
        if station[key] is None and coords.get(key) is not None:
            report.problem(None, f"coordinates.{key}", f"'{clip(coords.get(key))}' is not a {key}: left blank")
    sensors = location.get("sensors") or []
    if not isinstance(sensors, list):
        raise FetchError(url, "the location's sensors are not a list")
    parts = []
    taken: dict[str, int] = {}
    for n, sensor in enumerate(sensors, start=1):
        if not isinstance(sensor, dict):
            report.problem(None, f"sensors[{n}]", f"not a sensor but '{clip(sensor)}': skipped")
            continue
        parameter = sensor.get("parameter") if isinstance(sensor.get("parameter"), dict) else {}
        pollutant = OPENAQ_PARAMETERS.get(parameter.get("name")) if isinstance(parameter.get("name"), str) else None
        if pollutant is None:
            continue  # NO, NOx, temperature…: not indexed by HJ 633
        sensor_id = sensor.get("id")
        column = f"sensor {clip(sensor_id)} ({parameter.get('name')})"
        if isinstance(sensor_id, bool) or not isinstance(sensor_id, int) or sensor_id <= 0:
            # it becomes part of a URL: only a number may
            report.problem(None, column, "the sensor id is not a positive whole number: sensor skipped")
            continue
        units = parameter.get("units") if isinstance(parameter.get("units"), str) else ""
        factor = unit_factor(pollutant, units)
        if factor is None:
            report.problem(None, column,
                           f"unit '{clip(units)}' cannot be converted to {unit(pollutant)}: sensor skipped")
            continue
        if pollutant in taken:
            report.problem(None, column, f"second {pollutant} sensor (sensor {taken[pollutant]} is used): skipped")
            continue
        taken[pollutant] = sensor_id
        params = {"datetime_from": _utc_text(start), "datetime_to": _utc_text(end)}
        times, values = [], []
        for position, record in openaq_pages(client, f"{base}/sensors/{sensor_id}/hours", params):
            report.rows_read += 1
            hourly = _hourly_value(record, pollutant, factor, units, start, end)
            if isinstance(hourly, str):
                report.problem(position, column, hourly)
                report.skipped += 1
            elif hourly[0] is None:
                report.skipped += 1
            else:
                times.append(hourly[0])
                values.append(hourly[1])
        if times:
            parts.append(pd.DataFrame({"station_code": station["code"], "pollutant": pollutant,
                                       "time": pd.to_datetime(times, utc=True), "value": values}))
    readings = (pd.concat(parts, ignore_index=True) if parts
                else pd.DataFrame({"station_code": [], "pollutant": [], "value": [],
                                   "time": pd.DatetimeIndex([], tz="UTC")}))
    return OpenAQLocation(station, readings, report)
