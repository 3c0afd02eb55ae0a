"""Building the app pays a process's one-off costs, not a new worker's first page."""

from __future__ import annotations

import gc


def test_building_the_app_loads_plotly_and_freezes_start_up_objects(demo_app):
    from plotly.validator_cache import ValidatorCache

    # plotly's validator table is loaded (the first figure of a process used to load it) and
    # start-up's objects are out of the collector's full passes (135 ms each, every few views).
    assert ValidatorCache._json_cache is not None
    assert gc.get_freeze_count() > 50_000
