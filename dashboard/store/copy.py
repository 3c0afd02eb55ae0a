"""Copying a whole database into another one, across engines (SQLite into PostgreSQL above all).

A district starts on the embedded SQLite and moves to PostgreSQL when it grows (several gunicorn
workers, years of history). Both schemas are the same Alembic head, so every table is copied row
for row through SQLAlchemy's column types, in foreign-key order, in one transaction on the
target: the copy lands whole or not at all.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import delete, func, insert, select, text

from dashboard.store.backup import BackupError
from dashboard.store.db import current_revisions, engine_for, head_revisions
from dashboard.store.models import Base

#: Rows read and written at a time (the reader streams; one INSERT carries many rows).
CHUNK = 5_000
# Tables that the migrations themselves fill (a new database's data version): the source's rows
# replace them.
_SEEDED = {"data_versions"}


def copy_database(source_url: str, target_url: str,
                  progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Copy every row of ``source_url`` into the empty, up-to-date ``target_url``; returns the
    rows copied per table. Refuses a source or target that is not at the schema's head, and a
    target that holds any row."""
    heads = head_revisions()
    for role, url in (("source", source_url), ("target", target_url)):
        if current_revisions(url) != heads:
            raise BackupError(f"the {role} database is not at the current schema: run "
                              "`python -m dashboard db upgrade` on it first")
    tables = Base.metadata.sorted_tables
    source, target = engine_for(source_url), engine_for(target_url)
    copied: dict[str, int] = {}
    with source.connect() as reader, target.begin() as writer:
        filled = [t.name for t in tables
                  if t.name not in _SEEDED and writer.execute(select(func.count()).select_from(t)).scalar()]
        if filled:
            raise BackupError(f"the target database is not empty ({', '.join(filled[:5])} hold rows): "
                              "copy into a new database")
        for table in tables:
            if table.name in _SEEDED:
                writer.execute(delete(table))
        for table in tables:
            count = 0
            rows = reader.execution_options(yield_per=CHUNK).execute(select(table))
            for chunk in rows.partitions(CHUNK):
                writer.execute(insert(table), [row._asdict() for row in chunk])
                count += len(chunk)
            copied[table.name] = count
            if progress is not None:
                progress(table.name, count)
        if target.dialect.name == "postgresql":
            # Explicit ids do not move PostgreSQL's sequences: the next row added would collide.
            for table in tables:
                if "id" in table.c and copied[table.name]:  # (no sequence: setval(NULL, …) is NULL)
                    writer.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                        f"MAX(id)) FROM {table.name}"))
    return copied
