"""benchmarks/pages.py replays what a browser loads: every page, and the callbacks fired at load."""

from __future__ import annotations

import re

import dash

from benchmarks import pages as bench
from tests.conftest import TEST_PASSWORDS


def _pattern(page: dict) -> re.Pattern:
    template = page.get("path_template") or page["path"]
    return re.compile("^" + re.sub(r"<[^>]+>", r"[^/]+", template) + "$")


def test_every_registered_page_is_replayed(demo_settings):
    paths = {sc.path for sc in bench.scenarios(demo_settings.database_url)}
    missing = [page.get("path_template") or page["path"] for page in dash.page_registry.values()
               if not any(_pattern(page).match(path) for path in paths)]
    assert not missing, f"pages the benchmark does not load: {missing}"


def test_a_load_fires_the_callbacks_the_renderer_fires(demo_app, demo_settings):
    client = bench.logged_in_client(demo_app, "admin", TEST_PASSWORDS["admin"])
    deps = client.get("/_dash-dependencies").get_json()
    by_name = {sc.name: sc for sc in bench.scenarios(demo_settings.database_url)}

    air = bench.replay(client, deps, by_name["/air"])
    assert not air.errors
    assert air.fired[0].startswith(".._pages_content.children")  # the router, from the location
    assert "..air-content.children...air-summary.children.." in air.fired
    assert air.largest > 10_000

    # The grid's infinite row model asks for its first block as it starts: the benchmark sends
    # that request as the grid does, so a list's cost is measured with its first block.
    rect = bench.replay(client, deps, by_name["/rectifications"])
    assert not rect.errors
    assert "..rect-grid.getRowsResponse...rect-count.children.." in rect.fired
    assert "rect-cards.children" in rect.fired

    # The wall's refresh is a timer (prevent_initial_call): it fires only when the interval ticks.
    wall = bench.replay(client, deps, by_name["/wall"])
    assert not any("wall-fresh" in f for f in wall.fired)
    refresh = bench.replay(client, deps, by_name["/wall refresh"])
    assert refresh.fired and all("wall-fresh" in f for f in refresh.fired) and not refresh.errors


def test_cache_key_ignores_docstrings_not_code(tmp_path, monkeypatch):
    source = tmp_path / "builder.py"
    monkeypatch.setattr(bench, "ROOT", tmp_path)
    source.write_text('"""Measured: 10 s."""\nX = 1\n')
    key = bench.code_key([source])
    source.write_text('"""Measured: 12 s, 700 MiB."""\nX = 1\n')
    assert bench.code_key([source]) == key
    source.write_text('"""Measured: 12 s, 700 MiB."""\nX = 2\n')
    assert bench.code_key([source]) != key
    assert bench.code_key([source], "--sites", 60) != bench.code_key([source])
