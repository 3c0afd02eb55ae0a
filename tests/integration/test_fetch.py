"""``fetch cnemc`` and ``fetch openaq`` against a real HTTP server on 127.0.0.1 (no mocks):
retries, timeouts, refused downloads, resume and the download cache; OpenAQ paging,
``meta.found`` ">1000", null values, unit conversion and 429 with Retry-After."""

from __future__ import annotations

import copy
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from dashboard.cli import main
from dashboard.store.db import session_scope
from dashboard.store.models import Reading, Station
from tests.conftest import new_database_url, shared_data

CNEMC = ("cnemc", "zhengzhou_wide_2019")
OPENAQ = ("openaq_v3",)
DAYS = ["20191201", "20191202", "20191203"]
FAST = ["--retries", "3", "--backoff", "0.01", "--timeout", "2"]


# --------------------------------------------------------------------------- a real server
class Server:
    """A threaded HTTP server with scripted answers per path, recording every request."""

    def __init__(self):
        self.routes: dict[str, object] = {}
        self.requests: list[tuple[float, str, dict, dict]] = []
        self.release = threading.Event()  # ends stalled answers at teardown
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                outer.requests.append((time.monotonic(), parts.path, query, dict(self.headers)))
                answer = outer.routes.get(parts.path, (404, b"not found", {}))
                if isinstance(answer, list):  # scripted sequence: the last answer repeats
                    answer = answer.pop(0) if len(answer) > 1 else answer[0]
                if callable(answer):
                    answer = answer(query)
                if answer == "stall":
                    outer.release.wait(10)
                    return
                status, body, headers = answer
                self.send_response(status)
                for k, v in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda *a: None  # a client that gave up is expected here
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def hits(self, prefix: str = "") -> list:
        return [r for r in self.requests if r[1].startswith(prefix)]


@pytest.fixture
def server():
    s = Server()
    s.thread.start()
    yield s
    s.release.set()
    s.httpd.shutdown()
    s.httpd.server_close()


@pytest.fixture
def env(tmp_path, monkeypatch):
    url = new_database_url(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DASHBOARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SECRET_KEY", "test")
    monkeypatch.delenv("OPENAQ_API_KEY", raising=False)
    monkeypatch.delenv("DASHBOARD_OPENAQ_API_KEY", raising=False)
    return url, tmp_path


def cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def readings(url: str, code: str | None = None) -> int:
    with session_scope(url) as session:
        query = select(func.count()).select_from(Reading)
        if code:
            query = query.join(Station, Station.id == Reading.station_id).where(Station.code == code)
        return session.scalar(query)


# --------------------------------------------------------------------------- CNEMC
def serve_days(server: Server, days=DAYS) -> None:
    folder = shared_data(*CNEMC)
    for day in days:
        server.routes[f"/air/china_sites_{day}.csv"] = (200, (folder / f"china_sites_{day}.csv").read_bytes(), {})


def fetch_cnemc(server: Server, *extra, start="2019-12-01", end="2019-12-03"):
    return cli("fetch", "cnemc", "--from", start, "--to", end,
               "--url-template", server.base + "/air/china_sites_{date:%Y%m%d}.csv", *FAST, *extra)


def test_fetch_imports_resumes_and_reuses_downloads(server, env, monkeypatch):
    url, tmp = env
    serve_days(server)
    first = fetch_cnemc(server)
    assert first.exit_code == 0, first.output
    assert "3 day(s): 3 imported, 0 already stored, 0 not published, 0 failed" in first.output
    stored = readings(url)
    assert stored > 3 * 1000
    assert sorted(p.name for p in (tmp / "data" / "downloads" / "cnemc").iterdir()) == [
        f"china_sites_{d}.csv" for d in DAYS]

    # resume: stored days are not downloaded again
    server.requests.clear()
    again = fetch_cnemc(server, start="2019-12-01", end="2019-12-02")
    assert again.exit_code == 0, again.output
    assert "2 day(s) already in the database: skipped" in again.output
    assert server.requests == [] and readings(url) == stored

    # --stations: the resume check is per station; an unknown one makes every day due again
    partial = fetch_cnemc(server, "--stations", "1316A,9999A", start="2019-12-01", end="2019-12-01")
    assert partial.exit_code == 0, partial.output
    assert "1 day(s): 1 imported" in partial.output

    # a fresh database with the same data folder imports from the cache, without the network
    other = new_database_url(tmp, "other.db")
    monkeypatch.setenv("DATABASE_URL", other)
    server.requests.clear()
    cached = fetch_cnemc(server)
    assert cached.exit_code == 0, cached.output
    assert "(cached)" in cached.output and server.requests == []
    assert readings(other) == stored


def test_server_errors_are_retried(server, env):
    url, _ = env
    serve_days(server, ["20191201"])
    good = server.routes["/air/china_sites_20191201.csv"]
    server.routes["/air/china_sites_20191201.csv"] = [(500, b"oops", {}), (502, b"", {}), good]
    result = fetch_cnemc(server, start="2019-12-01", end="2019-12-01")
    assert result.exit_code == 0, result.output
    assert len(server.hits("/air/")) == 3
    assert "1 imported" in result.output and readings(url) > 1000


def test_server_that_keeps_failing_gives_a_clear_error(server, env):
    url, _ = env
    server.routes["/air/china_sites_20191201.csv"] = (503, b"busy", {})
    result = fetch_cnemc(server, start="2019-12-01", end="2019-12-01")
    assert result.exit_code == 1
    assert "gave up after 4 attempt(s): HTTP 503" in result.output
    assert "1 day(s) failed: 2019-12-01" in result.output
    assert len(server.hits("/air/")) == 4 and readings(url) == 0


def test_stalled_server_times_out(server, env):
    url, _ = env
    server.routes["/air/china_sites_20191201.csv"] = "stall"
    result = cli("fetch", "cnemc", "--from", "2019-12-01", "--to", "2019-12-01",
                 "--url-template", server.base + "/air/china_sites_{date:%Y%m%d}.csv",
                 "--timeout", "0.3", "--retries", "1", "--backoff", "0")
    assert result.exit_code == 1
    assert "gave up after 2 attempt(s): no answer within 0.3 s" in result.output
    assert readings(url) == 0


def test_an_oversized_answer_is_refused_without_reading_it_all(server, env, monkeypatch):
    from dashboard.ingest import fetch

    url, _ = env
    monkeypatch.setattr(fetch, "MAX_RESPONSE_BYTES", 10_000)
    server.routes["/air/china_sites_20191201.csv"] = (200, b"date,hour,type\n" + b"x" * 50_000, {})
    result = cli("fetch", "cnemc", "--from", "2019-12-01", "--to", "2019-12-01",
                 "--url-template", server.base + "/air/china_sites_{date:%Y%m%d}.csv", *FAST)
    assert result.exit_code == 1
    assert "more than the 10,000 bytes accepted" in result.output
    assert readings(url) == 0


def test_garbage_download_is_refused_and_not_cached(server, env):
    url, tmp = env
    serve_days(server, ["20191202"])
    server.routes["/air/china_sites_20191201.csv"] = (200, b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe garbage", {})
    server.routes["/air/china_sites_20191203.csv"] = (200, b"<html>Service unavailable</html>\n", {})
    result = fetch_cnemc(server)
    assert result.exit_code == 1
    assert f"REFUSED {server.base}/air/china_sites_20191201.csv, row 1" in result.output
    assert "not UTF-8" in result.output
    assert (f"REFUSED {server.base}/air/china_sites_20191203.csv, row 1, column #1: expected the header to start "
            "with date,hour,type") in result.output
    assert "2 day(s) failed: 2019-12-01, 2019-12-03" in result.output
    cache = tmp / "data" / "downloads" / "cnemc"
    assert [p.name for p in cache.iterdir()] == ["china_sites_20191202.csv"]
    assert readings(url) > 1000  # the good day is in


def test_missing_day_is_reported_not_fatal(server, env):
    serve_days(server, ["20191201", "20191203"])
    result = fetch_cnemc(server)
    assert result.exit_code == 0, result.output
    assert "2019-12-02: not published" in result.output
    assert "3 day(s): 2 imported, 0 already stored, 1 not published, 0 failed" in result.output


def test_fetch_without_url_template_says_how_to_set_it(env, monkeypatch):
    monkeypatch.delenv("DASHBOARD_CNEMC_URL_TEMPLATE", raising=False)
    result = cli("fetch", "cnemc", "--from", "2019-12-01", "--to", "2019-12-01")
    assert result.exit_code == 1 and "DASHBOARD_CNEMC_URL_TEMPLATE" in result.output


# --------------------------------------------------------------------------- OpenAQ
HOURS = 1500  # > 1000: two pages, and the API then says found ">1000"


def openaq_fixture(name: str) -> dict:
    return json.loads(shared_data(*OPENAQ, name).read_text())


def hourly_records(parameter: dict, value_of) -> list[dict]:
    """Records shaped like the real /hours answer, one per hour from 2023-10-01 01:00 UTC."""
    template = openaq_fixture("responses__measurements.json")["results"][0]
    start = pd.Timestamp("2023-10-01 00:00", tz="UTC")
    records = []
    for i in range(HOURS):
        record = copy.deepcopy(template)
        t0, t1 = start + pd.Timedelta(hours=i), start + pd.Timedelta(hours=i + 1)
        record["period"]["datetimeFrom"]["utc"] = t0.strftime("%Y-%m-%dT%H:%M:%SZ")
        record["period"]["datetimeTo"]["utc"] = t1.strftime("%Y-%m-%dT%H:%M:%SZ")
        record["parameter"] = parameter
        record["value"] = value_of(i)
        records.append(record)
    return records


def paged(records: list[dict]):
    """An endpoint that pages like OpenAQ: meta.found is the string ">1000" past 1000 results."""

    def answer(query):
        page, limit = int(query.get("page", 1)), int(query.get("limit", 100))
        chunk = records[(page - 1) * limit: page * limit]
        found = len(records) if len(records) <= 1000 else ">1000"
        meta = {"name": "openaq-api", "website": "/", "page": page, "limit": limit, "found": found}
        return 200, json.dumps({"meta": meta, "results": chunk}).encode(), {"Content-Type": "application/json"}

    return answer


def test_fetch_openaq(server, env, monkeypatch):
    url, _ = env
    monkeypatch.setenv("DASHBOARD_OPENAQ_BASE_URL", server.base + "/v3")
    monkeypatch.setenv("OPENAQ_API_KEY", "test-key")
    location = openaq_fixture("responses__locations.json")
    sensors = {s["parameter"]["name"]: s for s in location["results"][0]["sensors"]}
    # a unit nobody can convert: that sensor is refused, the others are imported
    sensors["pm10"]["parameter"]["units"] = "particles/cm³"
    server.routes["/v3/locations/2178"] = (200, json.dumps(location).encode(), {})

    pm25 = hourly_records(sensors["pm25"]["parameter"], lambda i: None if i % 100 == 0 else 5.0 + i % 7)
    server.routes["/v3/sensors/3920/hours"] = paged(pm25)
    o3 = paged(hourly_records(sensors["o3"]["parameter"], lambda i: 0.04))
    # the first O3 request is turned away with 429 and Retry-After: 1
    server.routes["/v3/sensors/3917/hours"] = [(429, b'{"detail": "Too many requests"}', {"Retry-After": "1"}),
                                               o3]
    server.routes["/v3/sensors/25227/hours"] = paged(hourly_records(sensors["co"]["parameter"], lambda i: 0.3)[:24])
    for name in ("so2", "no2"):
        server.routes[f"/v3/sensors/{sensors[name]['id']}/hours"] = paged([])

    result = cli("fetch", "openaq", "--locations", "2178", "--from", "2023-10-01", "--to", "2023-12-31", *FAST)
    assert result.exit_code == 0, result.output

    pm25_pages = [r for r in server.hits("/v3/sensors/3920/hours")]
    assert [r[2]["page"] for r in pm25_pages] == ["1", "2"] and pm25_pages[0][2]["limit"] == "1000"
    assert all(r[3].get("X-API-Key") == "test-key" for r in server.requests)
    o3_hits = server.hits("/v3/sensors/3917/hours")
    assert o3_hits[1][0] - o3_hits[0][0] >= 0.9  # Retry-After honoured
    assert "retrying in 1 s" in result.output

    assert "sensor 3919 (pm10): unit 'particles/cm³' cannot be converted to µg/m³: sensor skipped" in result.output
    assert "no value (null) for the hour ending 2023-10-01T01:00:00Z" in result.output
    assert "16 problem(s)" in result.output  # 15 null hours and the pm10 sensor

    with session_scope(url) as session:
        station = session.scalars(select(Station).where(Station.code == "OAQ-2178")).one()
        assert (station.name, station.latitude, station.longitude) == ("Del Norte", 35.1353, -106.584702)
        values = {p: v for p, v in session.execute(
            select(Reading.pollutant, func.max(Reading.value)).where(Reading.station_id == station.id)
            .group_by(Reading.pollutant))}
        counts = dict(session.execute(
            select(Reading.pollutant, func.count()).where(Reading.station_id == station.id)
            .group_by(Reading.pollutant)).all())
    assert counts == {"PM2.5": HOURS - 15, "O3": HOURS, "CO": 24}
    assert values["O3"] == pytest.approx(0.04 * 1000 * 47.9982 / 24.465)  # ppm -> µg/m³ at 25 °C
    assert values["CO"] == pytest.approx(0.3 * 28.0101 / 24.465)  # ppm -> mg/m³
    assert values["PM2.5"] == 11.0

    again = cli("fetch", "openaq", "--locations", "2178", "--from", "2023-10-01", "--to", "2023-12-31", *FAST)
    assert again.exit_code == 0, again.output
    assert " 0 added" in again.output and readings(url, "OAQ-2178") == HOURS - 15 + HOURS + 24


def test_openaq_unknown_location_fails_clearly(server, env, monkeypatch):
    monkeypatch.setenv("DASHBOARD_OPENAQ_BASE_URL", server.base + "/v3")
    server.routes["/v3/locations/1"] = (401, b'{"detail": "Unauthorized"}', {})
    result = cli("fetch", "openaq", "--locations", "1,x", "--from", "2023-10-01", "--to", "2023-10-02")
    assert result.exit_code == 2 and "expected numbers" in result.output
    result = cli("fetch", "openaq", "--locations", "1", "--from", "2023-10-01", "--to", "2023-10-02", *FAST)
    assert result.exit_code == 1
    assert "HTTP 401" in result.output and "set OPENAQ_API_KEY" in result.output
