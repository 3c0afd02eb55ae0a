"""Command line: ``python -m dashboard COMMAND`` (also installed as ``air-dashboard``).

``groups`` holds the click groups; each module here attaches the commands of one area to them.
"""

from dashboard.cli import (  # noqa: F401  (each attaches its commands to the groups)
    air,
    briefing,
    database,
    demo,
    inspections,
    ledger,
    rectifications,
    server,
    setup,
    site_dust,
    sites,
    tokens,
    users,
)
from dashboard.cli.groups import main

__all__ = ["main"]
