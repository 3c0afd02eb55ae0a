"""Command line: ``python -m dashboard COMMAND`` (also installed as ``air-dashboard``).

``groups`` holds the click groups; each module here attaches the commands of one area to them.
"""

from dashboard.cli import air, database, demo, inspections, ledger, rectifications, server, sites, users  # noqa: F401
from dashboard.cli.groups import main

__all__ = ["main"]
