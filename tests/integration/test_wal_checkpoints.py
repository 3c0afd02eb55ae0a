"""The HJ 212 writer's WAL checkpoints (``store.db.checkpoint_apart``): commits no longer
checkpoint, a thread does, and the WAL is rewound however steadily the writer writes."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from dashboard.store.db import checkpoint_apart, engine_for


@pytest.mark.sqlite_only(reason="SQLite's write-ahead log")
def test_under_steady_writes_the_wal_stays_bounded_and_commits_do_not_checkpoint(tmp_path):
    path = tmp_path / "wal.db"
    url = f"sqlite:///{path}"
    assert checkpoint_apart(url, every=0.02, restart_pages=100) is not None
    engine = engine_for(url)
    with engine.begin() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        connection.exec_driver_sql("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
    wal = tmp_path / "wal.db-wal"
    largest, k = 0, 0
    while k < 150_000:  # ~10 pages a commit, without a pause: ~15,000 pages if never rewound
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO t (k, v) VALUES (:k, :v)"),
                               [{"k": k + i, "v": "x" * 400} for i in range(80)])
        k += 80
        largest = max(largest, wal.stat().st_size if wal.exists() else 0)
    # The file keeps its size after a rewind: its largest is what was reached before one.
    assert largest < 6000 * 4096, f"WAL reached {largest // 4096} pages"
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM t").scalar() == k


def test_not_for_postgresql():
    assert checkpoint_apart("postgresql+psycopg://nobody@127.0.0.1:1/none") is None
