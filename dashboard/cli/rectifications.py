"""``rectifications escalate``: store today's escalation levels (for a daily timer)."""

from __future__ import annotations

import click

from dashboard.cli.groups import DATE, main, prepared_settings, system_actor


@main.group()
def rectifications() -> None:
    """The rectification loop (限期整改)."""


@rectifications.command("escalate")
@click.option("--day", type=DATE, help="Bring levels up to this day (default: the dashboard's today).")
def escalate(day) -> None:
    """Bring every open rectification's escalation level up to today; a second run changes nothing.

    Pages show the level of the day without writing it; run this daily (cron, systemd timer) so
    the stored levels, and what reads them outside the pages, keep up.
    """
    settings = prepared_settings()
    from dashboard.services.rectifications import escalate as run

    changed = run(settings, system_actor(), day.date() if day else None)
    click.echo(f"{len(changed)} rectification(s) changed level")
    for rect_id, old, new in changed:
        click.echo(f"  #{rect_id}: {old} → {new}")
