"""What the pages need, as tidy frames and small records, asked of the store.

Everything here reads. ``reading(database_url)`` opens the session page views use: it never
commits and refuses any write (``ReadOnlySession``), so a page view cannot change the data.
``today`` and ``now`` are the dashboard's clock (a demo database pins its day).
"""

from dashboard.store.clock import now, today
from dashboard.store.db import read_scope as reading

__all__ = ["now", "reading", "today"]
