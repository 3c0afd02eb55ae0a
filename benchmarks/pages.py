"""Page cost at five-year scale against the demo (issue 14, part 4).

    python benchmarks/pages.py [--runs 7] [--database-url URL] [--demo-database-url URL] [--cache-dir DIR]
        [--pages /air,/ledger] [--first-view fresh|none] [--rebuild]

Replays every page as a logged-in admin's browser loads it, in-process through Flask's test
client: ``GET`` the page, ``GET /_dash-layout``, ``GET /_dash-dependencies``, then every server
callback the renderer fires at load (``Replay``), on the demo district and on the five-year
database, and prints per page: median, p95 (nearest rank), min and max of ``--runs`` timed loads
after one untimed warm-up in the same process, the first view (the first load after the app
starts, in a process forked from one that built the app but never served: cold in-process caches; the
OS file cache is not dropped), the bytes answered (total of the
load, and its largest single response) and the ratio five-year / demo of the medians. Last line:
``pages: worst ratio R (PAGE), worst median M ms (PAGE), worst first view F ms (PAGE), largest
response K KB (PAGE)`` over the five-year database.

Which callbacks fire is derived, not listed: from ``/_dash-dependencies`` (what the renderer
reads) and the layouts answered, with the renderer's rule: a server callback with an input or an
output in newly inserted components fires unless ``prevent_initial_call``, if its inputs exist;
the ``_pages_location`` props set at mount fire what listens to them; an answer's changed props
fire what listens to them, and components it returns are inserted in turn; a callback waits while
another pending one writes one of its inputs. Pattern ids (ALL, MATCH) are resolved against the
layout. Clientside callbacks are not run (no browser), so a server callback only they would
trigger is missed. Pages: the navigation for an admin (``ui.shell.NAV``), every detail page
(newest meeting and its briefing, the site with most inspections, the newest inspection, the new
meeting and inspection forms), /air over one month (its default), one year and the whole range of
readings, each /air tab over the default month, and one refresh of /wall
(``tests/integration/test_bench_pages.py`` fails when a registered page is not replayed).

Databases, cached under ``--cache-dir`` (default ``$DASHBOARD_BENCH_CACHE`` or the user cache
dir): ``sqlite-demo/<key>.db``, keyed by the demo generator's and loader's code and the seed, and
``sqlite-5y/<key>.db`` built by ``make_scale_data.py`` with its defaults, keyed by the builder's
code (its syntax tree without docstrings: editing the measured figures in its docstring keeps
the cache) and arguments. A change in the app's own write paths does not invalidate the cache
(``--rebuild`` does); a new migration does not either: each run copies the cached file into a
temporary directory and upgrades the copy (``store.db.upgrade``), as a deployment would upgrade
its data, so migrations that backfill are measured as they will run in production; the cached
files are never written after being built. ``--database-url`` measures that database in place of
the cached five-year SQLite (e.g. PostgreSQL); it is upgraded and a ``bench-admin`` user is set
on it.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_USER, BENCH_PASSWORD = "bench-admin", "bench-admin-pass-14"
DEMO_SEED = 2025
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
WILDCARDS = ("ALL", "MATCH", "ALLSMALLER")


# --------------------------------------------------------------------------- cache keys
def code_key(paths: Iterable[Path], *extra: object) -> str:
    """A short hash of the code of ``paths`` (syntax trees without docstrings) and ``extra``."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                    and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
                body[0] = ast.Pass()
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(ast.dump(tree).encode())
    digest.update(json.dumps([str(x) for x in extra]).encode())
    return digest.hexdigest()[:12]


def demo_key() -> str:
    return code_key([ROOT / "dashboard/demo/generate.py", ROOT / "dashboard/store/demo_load.py"], DEMO_SEED)


def scale_key(args: list[str]) -> str:
    return code_key([ROOT / "benchmarks/make_scale_data.py"], *args)


def default_cache_dir() -> Path:
    if os.environ.get("DASHBOARD_BENCH_CACHE"):
        return Path(os.environ["DASHBOARD_BENCH_CACHE"])
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("district-air-dashboard")) / "bench"


def _atomic_build(target: Path, build) -> None:
    """Build into a sibling temporary file and rename it: readers never see a half-built file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.stem}-", dir=target.parent))
    try:
        meta = build(tmp / target.name)
        (tmp / target.name).rename(target)
        target.with_suffix(".json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def cached_demo(cache: Path, rebuild: bool) -> Path:
    target = cache / "sqlite-demo" / f"{demo_key()}.db"
    if rebuild or not target.exists():
        def build(path: Path) -> dict:
            from dashboard.demo.generate import generate_district
            from dashboard.store.db import session_scope, upgrade
            from dashboard.store.demo_load import load_demo

            url = f"sqlite:///{path}"
            started = time.perf_counter()
            upgrade(url)
            with session_scope(url) as session:
                counts = load_demo(session, generate_district(DEMO_SEED))
            _dispose(url)
            return {"seed": DEMO_SEED, "counts": counts, "seconds": round(time.perf_counter() - started, 1)}

        print(f"building the demo database into {target} …", flush=True)
        _atomic_build(target, build)
    return target


def cached_scale(cache: Path, rebuild: bool) -> Path:
    args: list[str] = []  # the builder's defaults: 2021-01-01 to the demo's day, 500 sites, seed 14
    target = cache / "sqlite-5y" / f"{scale_key(args)}.db"
    if rebuild or not target.exists():
        def build(path: Path) -> dict:
            started = time.perf_counter()
            done = subprocess.run([sys.executable, str(ROOT / "benchmarks/make_scale_data.py"),
                                   "--database-url", f"sqlite:///{path}", *args], cwd=ROOT)
            if done.returncode:
                raise SystemExit(f"make_scale_data.py failed ({done.returncode})")
            return {"args": args, "seconds": round(time.perf_counter() - started, 1)}

        print(f"building the five-year database into {target} (about 20 minutes) …", flush=True)
        _atomic_build(target, build)
    return target


def _dispose(url: str) -> None:
    from dashboard.store.db import engine_for

    engine_for(url).dispose()
    engine_for.cache_clear()


def working_copy(cached: Path, into: Path) -> str:
    """A private, upgraded copy of a cached database: the cache itself is never written."""
    from dashboard.store.db import upgrade

    copy = into / cached.name
    # SQLite's backup, not a file copy: a consistent snapshot even if a -wal file is beside it.
    source = sqlite3.connect(f"file:{cached}?mode=ro", uri=True)
    target = sqlite3.connect(copy)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    url = f"sqlite:///{copy}"
    upgrade(url)
    return url


def prepare(url: str, data_dir: Path):
    """Settings for ``url`` (schema upgraded) with the benchmark's admin user set."""
    from dashboard.services.access import Actor
    from dashboard.services.users import set_user
    from dashboard.settings import Settings
    from dashboard.store.db import upgrade

    upgrade(url)
    settings = Settings(data_dir=data_dir, database_url=url, secret_key="bench-pages", upload_dir=data_dir / "up")
    set_user(settings, Actor.system("bench"), BENCH_USER, password=BENCH_PASSWORD, role="admin",
             display_name="bench")
    return settings


# --------------------------------------------------------------------------- the renderer's protocol
def stringify_id(value: Any) -> str:
    """Dash's string form of an id (dict ids: sorted keys, compact JSON)."""
    if isinstance(value, dict):
        return json.dumps({k: value[k] for k in sorted(value)}, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def parse_id(text: str) -> Any:
    return json.loads(text) if text.startswith("{") else text


def split_outputs(output: str) -> list[tuple[str, str]]:
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return [tuple(p.rsplit(".", 1)) for p in parts]  # type: ignore[misc]


def is_component(value: Any) -> bool:
    return isinstance(value, dict) and "props" in value and "type" in value and "namespace" in value


def crawl(value: Any, found: dict[str, dict[str, Any]]) -> None:
    """Every component with an id inside ``value``: id string -> its props."""
    if isinstance(value, list):
        for v in value:
            crawl(v, found)
    elif isinstance(value, dict):
        if is_component(value):
            props = value["props"] or {}
            if "id" in props:
                found[stringify_id(props["id"])] = dict(props)
            for v in props.values():
                crawl(v, found)
        else:
            for v in value.values():
                crawl(v, found)


@dataclass
class Load:
    """One replayed load: seconds, bytes answered, largest response, callbacks fired, failures."""

    seconds: float = 0.0
    cpu: float = 0.0  # this process's CPU time over the same requests: what the load cost the server
    requests: int = 0
    bytes: int = 0
    largest: int = 0
    fired: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Replay:
    """The dash renderer's load of one page, as a sequence of HTTP requests on a test client."""

    MAX_CALLS = 300

    def __init__(self, client, deps: list[dict]) -> None:
        self.client = client
        self.deps = [d for d in deps if not d.get("clientside_function")]
        self.ids: dict[str, dict[str, Any]] = {}
        self.pending: list[tuple[dict, dict[str, Any] | None, list[str]]] = []
        self.headers: dict[str, str] = {}
        self.base = "http://localhost"  # the page's origin, as the browser's Referer and href give it
        self.load = Load()

    # ---- requests
    def _request(self, method: str, path: str, **kwargs):
        started, cpu = time.perf_counter(), time.process_time()
        response = getattr(self.client, method)(path, headers=self._headers(), **kwargs)
        self.load.seconds += time.perf_counter() - started
        self.load.cpu += time.process_time() - cpu
        size = len(response.get_data())
        self.load.requests += 1
        self.load.bytes += size
        self.load.largest = max(self.load.largest, size)
        return response

    def _headers(self) -> dict[str, str]:
        cookie = self.client.get_cookie("_csrf_token")
        return {**self.headers, **({"X-CSRFToken": cookie.value} if cookie else {})}

    # ---- matching ids
    @staticmethod
    def _matches(pattern: dict, concrete: Any, bound: dict[str, Any] | None) -> bool:
        if not isinstance(concrete, dict) or set(concrete) != set(pattern):
            return False
        for key, want in pattern.items():
            if isinstance(want, list) and want and want[0] in WILDCARDS:
                if want[0] == "MATCH" and bound is not None and key in bound and bound[key] != concrete[key]:
                    return False
                continue
            if want != concrete[key]:
                return False
        return True

    def _resolve(self, dep_id: str, bound: dict[str, Any] | None) -> list[str] | None:
        """Concrete ids for a dependency: [id] or [] / None when absent; pattern ids give all matches."""
        if not dep_id.startswith("{"):
            return [dep_id] if dep_id in self.ids else None
        pattern = json.loads(dep_id)
        return [i for i in self.ids if i.startswith("{") and self._matches(pattern, json.loads(i), bound)]

    @staticmethod
    def _is_multi(dep_id: str) -> bool:
        return dep_id.startswith("{") and any(isinstance(v, list) and v and v[0] in ("ALL", "ALLSMALLER")
                                              for v in json.loads(dep_id).values())

    def _bindings(self, dep: dict) -> list[dict[str, Any] | None]:
        """One binding per MATCH value found (None: the callback has no MATCH)."""
        for inp in dep["inputs"]:
            if inp["id"].startswith("{"):
                pattern = json.loads(inp["id"])
                keys = [k for k, v in pattern.items() if isinstance(v, list) and v and v[0] == "MATCH"]
                if keys:
                    return [{k: json.loads(i)[k] for k in keys} for i in self._resolve(inp["id"], None) or []]
        return [None]

    # ---- which callbacks fire
    def _ready_to_fire(self, dep: dict, bound: dict[str, Any] | None) -> bool:
        for inp in dep["inputs"]:
            if self._is_multi(inp["id"]):
                continue
            if not self._resolve(inp["id"], bound):
                return False
        return any(self._resolve(o_id, bound) for o_id, _ in split_outputs(dep["output"]))

    def _queue(self, dep: dict, bound: dict[str, Any] | None, changed: list[str]) -> None:
        for queued in self.pending:
            if queued[0] is dep and queued[1] == bound:
                queued[2].extend(c for c in changed if c not in queued[2])
                return
        self.pending.append((dep, bound, list(changed)))

    def insert(self, found: dict[str, dict[str, Any]]) -> None:
        """Components just inserted: their callbacks fire (the renderer's initial call)."""
        self.ids.update(found)
        new = set(found)
        for dep in self.deps:
            if dep.get("prevent_initial_call"):
                continue
            touched = [d["id"] for d in dep["inputs"]] + [o for o, _ in split_outputs(dep["output"])]
            for bound in self._bindings(dep):
                if any(set(self._resolve(t, bound) or []) & new for t in touched) and self._ready_to_fire(dep, bound):
                    self._queue(dep, bound, [])

    def changed(self, props: list[tuple[str, str]]) -> None:
        """Props just changed: every callback listening to one fires."""
        for dep in self.deps:
            for bound in self._bindings(dep):
                hits = []
                for inp in dep["inputs"]:
                    for concrete in self._resolve(inp["id"], bound) or []:
                        if (concrete, inp["property"]) in props:
                            hits.append(f"{concrete}.{inp['property']}")
                if hits and self._ready_to_fire(dep, bound):
                    self._queue(dep, bound, hits)

    # ---- one callback
    def _value(self, concrete: str, prop: str) -> Any:
        return self.ids.get(concrete, {}).get(prop)

    def _fill(self, deps: list[dict], bound: dict[str, Any] | None) -> list:
        filled: list = []
        for d in deps:
            concrete = self._resolve(d["id"], bound) or []
            items = [{"id": parse_id(c), "property": d["property"], "value": self._value(c, d["property"])}
                     for c in concrete]
            if self._is_multi(d["id"]):
                filled.append(items)
            else:
                filled.append(items[0] if items else {"id": parse_id(d["id"]), "property": d["property"]})
        return filled

    def _outputs(self, dep: dict, bound: dict[str, Any] | None):
        specs = []
        for o_id, prop in split_outputs(dep["output"]):
            concrete = self._resolve(o_id, bound) or []
            items = [{"id": parse_id(c), "property": prop} for c in concrete]
            specs.append(items if self._is_multi(o_id) else (items[0] if items else {"id": parse_id(o_id),
                                                                                     "property": prop}))
        return specs if dep["output"].startswith("..") else specs[0]

    def _writes(self, dep: dict, bound) -> set[tuple[str, str]]:
        return {(c, prop.split("@")[0]) for o_id, prop in split_outputs(dep["output"])
                for c in (self._resolve(o_id, bound) or [])}

    def fire(self, dep: dict, bound: dict[str, Any] | None, changed: list[str]) -> None:
        body = {"output": dep["output"], "outputs": self._outputs(dep, bound),
                "inputs": self._fill(dep["inputs"], bound), "state": self._fill(dep["state"], bound),
                "changedPropIds": changed}
        self.load.fired.append(dep["output"])
        response = self._request("post", "/_dash-update-component", json=body)
        if response.status_code == 204:
            return
        if response.status_code != 200:
            self.load.errors.append(f"{dep['output']}: HTTP {response.status_code}")
            return
        answer = response.get_json() or {}
        updates: list[tuple[str, str]] = []
        inserted: dict[str, dict[str, Any]] = {}
        for id_text, props in (answer.get("response") or {}).items():
            for prop, value in props.items():
                prop = prop.split("@")[0]
                self.ids.setdefault(id_text, {})[prop] = value
                updates.append((id_text, prop))
                crawl(value, inserted)
        if inserted:
            self.insert(inserted)
        self.changed(updates)

    def run(self) -> None:
        calls = 0
        while self.pending and calls < self.MAX_CALLS:
            waiting = {(c, p) for d, b, _ in self.pending for c, p in self._writes(d, b)}
            pick = 0
            for n, (dep, bound, _) in enumerate(self.pending):
                mine = self._writes(dep, bound)
                reads = {(c, i["property"]) for i in dep["inputs"] for c in (self._resolve(i["id"], bound) or [])}
                if not (reads & (waiting - mine)):
                    pick = n
                    break
            dep, bound, changed = self.pending.pop(pick)
            self.fire(dep, bound, changed)
            calls += 1
        if self.pending:
            self.load.errors.append(f"stopped after {calls} callbacks")

    # ---- a page
    def page(self, path: str, search: str = "") -> Load:
        """The browser's load of ``path?search``: the page, the shell, the dependencies, the callbacks."""
        url = path + (f"?{search}" if search else "")
        self.headers = {"Referer": f"{self.base}{url}"}
        self.load = Load()
        for what in (url, "/_dash-layout", "/_dash-dependencies"):
            response = self._request("get", what)
            if response.status_code != 200:
                self.load.errors.append(f"GET {what}: HTTP {response.status_code}")
                return self.load
            if what == "/_dash-layout":
                layout = response.get_json()
        found: dict[str, dict[str, Any]] = {}
        crawl(layout, found)
        location = {"pathname": path, "search": f"?{search}" if search else "", "hash": "",
                    "href": f"{self.base}{url}"}
        found.setdefault("_pages_location", {}).update(location)
        self.insert(found)
        self.changed([("_pages_location", p) for p in location])
        self.run()
        return self.load

    def trigger(self, props: dict[tuple[str, str], Any]) -> Load:
        """After a load: set ``props`` (as a timer or a click would) and time what fires."""
        self.load = Load()
        for (cid, prop), value in props.items():
            self.ids.setdefault(cid, {})[prop] = value
        self.changed(list(props))
        self.run()
        return self.load


# --------------------------------------------------------------------------- the pages
@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    search: str = ""
    trigger: tuple[tuple[str, str, Any], ...] = ()


def scenarios(url: str) -> list[Scenario]:
    """Every page an admin can open, with the detail pages of this database's own records."""
    from sqlalchemy import func, select

    from dashboard.store import clock
    from dashboard.store import models as M
    from dashboard.store.db import session_scope
    from dashboard.ui.shell import NAV

    with session_scope(url) as session:
        meeting = session.scalar(select(func.max(M.Meeting.number)))
        site = session.scalar(select(M.Inspection.site_id).group_by(M.Inspection.site_id)
                              .order_by(func.count().desc(), M.Inspection.site_id).limit(1))
        inspection = session.scalar(select(func.max(M.Inspection.id)))
        first = session.scalar(select(func.min(M.Reading.time)))
        today = clock.today(session, _tz())
    out = [Scenario(path, path) for path, _key in NAV]
    one_year = (today.replace(year=today.year - 1)).isoformat()
    out += [
        Scenario("/air 1 year", "/air", f"start={one_year}&end={today.isoformat()}"),
        Scenario("/air whole range", "/air", f"start={(first.date() if first else today).isoformat()}"
                                              f"&end={today.isoformat()}"),
        *[Scenario(f"/air tab {tab}", "/air", f"tab={tab}") for tab in ("calendar", "profiles", "compare", "monthly")],
        Scenario("/wall refresh", "/wall", "", (("wall-refresh", "n_intervals", 1),)),
        Scenario("/meetings/new", "/meetings/new"),
        Scenario("/inspections/new", "/inspections/new"),
    ]
    if meeting is not None:
        out += [Scenario("/meetings/<newest>", f"/meetings/{meeting}"),
                Scenario("/briefing/<newest>", f"/briefing/{meeting}")]
    if site is not None:
        out.append(Scenario("/sites/<most inspected>", f"/sites/{site}"))
    if inspection is not None:
        out.append(Scenario("/inspections/<newest>", f"/inspections/{inspection}"))
    return out


def _tz():
    from dashboard.settings import load_settings

    return load_settings().tz


# --------------------------------------------------------------------------- measuring
def logged_in_client(app, username: str = BENCH_USER, password: str = BENCH_PASSWORD):
    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = _CSRF_FIELD.search(page).group(1)  # type: ignore[union-attr]
    answer = client.post("/login", data={"csrf_token": token, "username": username, "password": password,
                                         "next": "/"})
    if answer.status_code != 302:
        raise SystemExit(f"login refused ({answer.status_code})")
    return client


def replay(client, deps, sc: Scenario) -> Load:
    r = Replay(client, deps)
    load = r.page(sc.path, sc.search)
    if sc.trigger and not load.errors:
        load = r.trigger({(cid, prop): value for cid, prop, value in sc.trigger})
    return load


def measure(app, chosen: list[Scenario], runs: int) -> dict[str, dict]:
    client = logged_in_client(app)
    deps = client.get("/_dash-dependencies").get_json()
    results: dict[str, dict] = {sc.name: {"times": [], "cpu": [], "bytes": 0, "largest": 0, "errors": [], "calls": 0}
                                for sc in chosen}
    for round_ in range(runs + 1):  # round 0 warms the process's caches and is not counted
        for sc in chosen:
            load = replay(client, deps, sc)
            res = results[sc.name]
            res["errors"] = sorted(set(res["errors"]) | set(load.errors))
            if round_:
                res["times"].append(load.seconds)
                res["cpu"].append(load.cpu)
                res.update(bytes=load.bytes, largest=load.largest, calls=len(load.fired))
    return results


def in_child(work) -> Any:
    """``work()`` in a child forked from this process, which builds apps but never serves: the
    child starts with every in-process cache cold (imports done) and leaves nothing behind; its
    answer comes back as JSON (None if it failed)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        answer = None
        try:
            answer = work()
        except BaseException as exc:  # reported, and the run goes on without this figure
            print(f"   failed in child: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        finally:
            with os.fdopen(write_end, "w") as out:
                out.write(json.dumps(answer))
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as answer_in:
        text = answer_in.read()
    os.waitpid(pid, 0)
    return json.loads(text) if text else None


def first_view(app, sc: Scenario) -> dict[str, float] | None:
    """The first load of ``sc`` after the app starts (a fresh child: cold caches)."""

    def work() -> dict[str, float] | None:
        client = logged_in_client(app)
        r = Replay(client, client.get("/_dash-dependencies").get_json())
        load = r.page(sc.path, sc.search)
        if sc.trigger:  # the wall's refresh: the first tick after the page's load
            load = r.trigger({(cid, prop): value for cid, prop, value in sc.trigger})
        return None if load.errors else {"wall": load.seconds, "cpu": load.cpu}

    return in_child(work)


def nearest_rank(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(-(-q * len(ordered) // 1)) - 1))]


def summarise(label: str, url: str, data_dir: Path, chosen: list[Scenario], runs: int,
              first_view_on: bool) -> dict[str, dict]:
    from dashboard.app import create_app

    settings = prepare(url, data_dir)
    app = create_app(settings)  # built here, never served here: each child's first request is cold
    _dispose(url)  # no pooled connection may cross a fork
    print(f"-- {label}: {runs} runs of {len(chosen)} pages …", flush=True)
    started = time.perf_counter()
    firsts = {sc.name: first_view(app, sc) if first_view_on else None for sc in chosen}
    results = in_child(lambda: measure(app, chosen, runs))
    if results is None:
        raise SystemExit(f"measuring {label} failed")
    for sc in chosen:
        results[sc.name]["first"] = firsts[sc.name]
    print(f"   {label}: {time.perf_counter() - started:.0f} s", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--database-url", default=None, help="the five-year database (default: the cached SQLite)")
    p.add_argument("--demo-database-url", default=None,
                   help="the demo database (default: the cached SQLite), e.g. a PostgreSQL copy of it made with"
                        " `python -m dashboard db copy`, so that both sides of the ratio run on the same database")
    p.add_argument("--cache-dir", type=Path, default=None)
    p.add_argument("--pages", default=None, help="comma-separated page names (default: every page)")
    p.add_argument("--first-view", choices=("fresh", "none"), default="fresh")
    p.add_argument("--rebuild", action="store_true", help="rebuild the cached databases")
    p.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    p.add_argument("--demo-from", type=Path, default=None,
                   help="take the demo's figures from an earlier run's --json instead of measuring them again")
    p.add_argument("--only-demo", action="store_true", help="measure the demo only (with --json, for --demo-from)")
    args = p.parse_args(argv)
    cache = args.cache_dir or default_cache_dir()
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp_text:
        tmp = Path(tmp_text)
        (tmp / "demo").mkdir()
        (tmp / "5y").mkdir()
        wanted = set(args.pages.split(",")) if args.pages else None
        first = args.first_view == "fresh"
        if args.demo_from:
            earlier = json.loads(args.demo_from.read_text())
            small = earlier["demo"]
            print(f"-- demo: figures of {earlier['when']} ({args.demo_from})")
        else:
            demo_url = args.demo_database_url or working_copy(cached_demo(cache, args.rebuild), tmp / "demo")
            demo_pages = [s for s in scenarios(demo_url) if wanted is None or s.name in wanted]
            small = summarise("demo", demo_url, tmp / "demo", demo_pages, args.runs, first)
            _dispose(demo_url)
        big: dict[str, dict] = {}
        if not args.only_demo:
            big_url = args.database_url or working_copy(cached_scale(cache, args.rebuild), tmp / "5y")
            big_pages = [s for s in scenarios(big_url) if wanted is None or s.name in wanted]
            big = summarise("five years", big_url, tmp / "5y", big_pages, args.runs, first)
            _dispose(big_url)
    if args.json:
        args.json.write_text(json.dumps({"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                         "runs": args.runs, "demo": small, "five_years": big}, indent=1))
    if big:
        print_table(small, big, args.runs)
    return 0


def _med(res: dict | None, key: str) -> float:
    return statistics.median(res[key]) if res and res.get(key) else float("nan")


def _first(res: dict | None, key: str) -> float:
    first = (res or {}).get("first")
    return first[key] if first else float("nan")


def print_table(small: dict[str, dict], big: dict[str, dict], runs: int) -> None:
    ms = 1000.0
    print(f"\nms; wall clock: median, p95 (nearest rank), min-max of {runs} warm loads; first: the first load after "
          "app start; CPU: this process's CPU time for the same loads (robust on a busy machine); KB: the load's "
          "total (its largest single response)")
    head = (f"{'page':26} {'demo med':>8} {'5y med':>7} {'5y p95':>7} {'5y min-max':>13} {'demo 1st':>8} "
            f"{'5y 1st':>7} {'demo CPU':>8} {'5y CPU':>7} {'5y 1st CPU':>10} {'5y KB':>14} {'calls':>5} "
            f"{'ratio':>5} {'CPU ratio':>9}")
    print(head)
    print("-" * len(head))
    worst: dict[str, tuple[float, str]] = {k: (0.0, "") for k in ("ratio", "med", "first", "largest", "cpu_ratio",
                                                                    "cpu_med", "cpu_first")}

    def note(key: str, value: float, name: str) -> None:
        if value == value and value > worst[key][0]:
            worst[key] = (value, name)

    for name, b in big.items():
        s = small.get(name)
        med, s_med = _med(b, "times"), _med(s, "times")
        cpu, s_cpu = _med(b, "cpu"), _med(s, "cpu")
        ratio, cpu_ratio = med / s_med if s_med > 0 else float("nan"), cpu / s_cpu if s_cpu > 0 else float("nan")
        times = b["times"] or [float("nan")]
        row = (f"{name:26} {s_med * ms:8.0f} {med * ms:7.0f} {nearest_rank(times, 0.95) * ms:7.0f} "
               f"{min(times) * ms:6.0f}-{max(times) * ms:<6.0f} {_first(s, 'wall') * ms:8.0f} "
               f"{_first(b, 'wall') * ms:7.0f} {s_cpu * ms:8.0f} {cpu * ms:7.0f} {_first(b, 'cpu') * ms:10.0f} "
               f"{b['bytes'] / 1024:6.0f} ({b['largest'] / 1024:4.0f}) {b['calls']:5d} {ratio:5.1f} {cpu_ratio:9.1f}")
        if b["errors"] or (s and s["errors"]):
            row += "  ERRORS: " + "; ".join(b["errors"] + (s["errors"] if s else []))[:300]
        print(row)
        note("ratio", ratio, name)
        note("med", med, name)
        note("first", _first(b, "wall"), name)
        note("largest", b["largest"], name)
        note("cpu_ratio", cpu_ratio, name)
        note("cpu_med", cpu, name)
        note("cpu_first", _first(b, "cpu"), name)

    def first_text(key: str) -> str:
        return f"{worst[key][0] * ms:.0f} ms ({worst[key][1]})" if worst[key][1] else "n/a (not measured)"

    print(f"pages, CPU time: worst ratio {worst['cpu_ratio'][0]:.1f} ({worst['cpu_ratio'][1]}), worst median "
          f"{worst['cpu_med'][0] * ms:.0f} ms ({worst['cpu_med'][1]}), worst first view {first_text('cpu_first')}")
    print(f"pages: worst ratio {worst['ratio'][0]:.1f} ({worst['ratio'][1]}), "
          f"worst median {worst['med'][0] * ms:.0f} ms ({worst['med'][1]}), worst first view {first_text('first')}, "
          f"largest response {worst['largest'][0] / 1024:.0f} KB ({worst['largest'][1]})")


if __name__ == "__main__":
    raise SystemExit(main())
