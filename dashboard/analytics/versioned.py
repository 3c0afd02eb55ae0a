"""Values cached on the data versions stored in the database (``data_versions``).

A value is kept per database, per the versions of the data it derives from and per its own
arguments; a write bumps a version in its own transaction, so the next read misses and
recomputes. Every worker reads the same versions: none serves what another already knows is
stale. Kept in the process, a few entries per cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from sqlalchemy.orm import Session

from dashboard.store import air_daily as versions
from dashboard.store import clock
from dashboard.store.compliance import meetings_held
from dashboard.store.versions import wrote_uncommitted

#: What the compliance and analysis pages draw derives from the readings and alerts (``air``),
#: the inspections, sites, townships and their stations (``compliance``) and the meetings and
#: ledger (``ledger``), each a data version stored in the database, and from the day and the
#: meetings already held.
PAGE_VERSIONS = ("air", "compliance", "ledger")


class VersionedCache:
    """At most ``size`` values, least recently used dropped first."""

    def __init__(self, size: int = 8) -> None:
        self._size = size
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session: Session, names: Iterable[str], args: Hashable, compute: Callable[[], Any]) -> Any:
        """The value for ``args`` at the current versions of ``names``, computed on a miss."""
        key = (str(session.get_bind().url),
               tuple(versions.version(session, n) for n in names), args)
        return self.get_key(session, key, compute)

    def get_key(self, session: Session, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The value for ``key``, computed on a miss; the key must name the data versions it
        derives from (as ``get`` makes it). A session that has written and not committed
        computes without the cache: what it reads is not what the versions name yet."""
        if wrote_uncommitted(session):
            return compute()
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = compute()
        with self._lock:
            self._values[key] = value
            while len(self._values) > self._size:
                self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


def page_view(cache: VersionedCache, session: Session, tz, args: Hashable, compute: Callable[[], Any]) -> Any:
    """A page's view for ``args`` kept in ``cache`` until a write changes what it shows, the day
    changes or a meeting's time comes (a meeting recorded ahead is held then)."""
    now = clock.now(session, tz)
    key = (args, tz.key, now.astimezone(tz).date(), meetings_held(session, now))
    return cache.get(session, PAGE_VERSIONS, key, compute)
