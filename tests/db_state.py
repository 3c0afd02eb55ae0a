"""One hash of a database's rows, to assert that a refused or failed action wrote nothing."""

from __future__ import annotations

import hashlib

from sqlalchemy import inspect, text

from dashboard.store.db import engine_for


def data_hash(url: str, skip: tuple[str, ...] = ()) -> str:
    """Every row of every table but ``skip``, each table in the order of its whole primary key
    (PostgreSQL, unlike SQLite, returns ties in no fixed order): equal means untouched.

    PostgreSQL hashes each table on the server (md5 of its rows' text), SQLite hashes the rows as
    the driver returns them: both read every value, and the hash is several times faster than
    building Python rows of a demo district's readings (the suite calls it about sixty times)."""
    engine = engine_for(url)
    schema = inspect(engine)
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for table in sorted(schema.get_table_names()):
            if table in skip:
                continue
            key = ", ".join(f'"{c}"' for c in schema.get_pk_constraint(table)["constrained_columns"]
                            or [c["name"] for c in schema.get_columns(table)])
            digest.update(f"\0{table}\0".encode())
            if engine.dialect.name == "postgresql":
                rows = f'SELECT md5(string_agg(t::text, E\'\\n\' ORDER BY {key})) FROM "{table}" AS t'
                digest.update(str(conn.execute(text(rows)).scalar()).encode())
            else:
                cursor = conn.connection.dbapi_connection.cursor()
                try:
                    cursor.execute(f'SELECT * FROM "{table}" ORDER BY {key}')
                    digest.update(repr(cursor.fetchall()).encode())
                finally:
                    cursor.close()
    return digest.hexdigest()
