"""The demo district: a deterministic, fictional 二七区 campaign as of 2025-12-11 (``generate``).

Everything here is plain Python/numpy/pandas; ``dashboard.store.demo_load`` writes it to the database.
"""
