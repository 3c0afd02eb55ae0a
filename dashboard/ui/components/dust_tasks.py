"""Open 待核查 dust tasks as an inspector reads them on a phone: the site, what breached, since
when, and 巡查此工地 straight to the inspection form with the site chosen."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import dash_mantine_components as dmc
from dash import dcc, html

from dashboard.analytics.dust_tasks import OpenTask
from dashboard.domain.inspection import may_write
from dashboard.i18n import t
from dashboard.i18n.formats import format_datetime
from dashboard.services.access import Actor

#: The home page lists this many; the rest are counted.
HOME_ROWS = 10
KIND_COLOURS = {"pm10_above": "red", "pm10_excess": "orange", "offline": "gray"}


def scope_of(actor: Actor) -> int | None:
    """The township whose tasks ``actor`` looks after: their own when tied to one (inspectors,
    viewers); every township (None) for editors, admins and users tied to none."""
    return None if actor.at_least("editor") else actor.township_id


def _number(value: object) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else "—"


def breach_text(task: OpenTask, lang: str) -> str:
    """What breached, with the rule the task was opened under, e.g. "PM10 小时值 236 µg/m³，连续 3
    小时超过 150"."""
    d = task.detail
    if task.kind == "offline":
        return t("dust_tasks.what.offline", lang, mn=task.mn, minutes=_number(d.get("minutes")))
    common = {"peak": f"{task.peak:.0f}", "hours": task.hours}
    if task.kind == "pm10_excess":
        station = f"{d.get('station_name') or ''}({d.get('station', '')})" if lang == "zh" else \
            f"{d.get('station_name') or ''} ({d.get('station', '')})"
        excess = d.get("peak_excess")
        return t("dust_tasks.what.pm10_excess", lang, station=station, margin=_number(d.get("margin")),
                 excess=f"{excess:.0f}" if isinstance(excess, (int, float)) else "—", **common)
    return t("dust_tasks.what.pm10_above", lang, limit=_number(d.get("limit")), **common)


def task_line(task: OpenTask, lang: str, tz: ZoneInfo) -> str:
    """What breached and since when, in one line (the site page)."""
    sep = "，" if lang == "zh" else ", "
    since = t("dust_tasks.since", lang, time=format_datetime(task.first_hour, lang, tz))
    return f"{breach_text(task, lang)}{sep}{since}"


def _township(task: OpenTask, lang: str) -> str:
    return task.township_en if lang == "en" and task.township_en else task.township


def _card(task: OpenTask, lang: str, tz: ZoneInfo, actor: Actor) -> dmc.Paper:
    inspect = may_write(actor.role or "viewer", actor.township_id, task.township_id)
    return dmc.Paper([
        dmc.Group([
            dcc.Link(task.site_name, href=f"/sites/{task.site_id}", className="dust-task-site"),
            dmc.Badge(t(f"dust_tasks.kind.{task.kind}", lang), color=KIND_COLOURS.get(task.kind, "gray"),
                      variant="light",
                      styles={"root": {"flexShrink": 0, "overflow": "visible"}, "label": {"overflow": "visible"}}),
        ], justify="space-between", gap="xs", wrap="nowrap", align="flex-start"),
        dmc.Text(f"{task.site_code} · {_township(task, lang)}", size="xs", c="dimmed"),
        dmc.Text(breach_text(task, lang), size="sm", className="dust-task-what"),
        dmc.Text(t("dust_tasks.since", lang, time=format_datetime(task.first_hour, lang, tz)), size="xs", c="dimmed"),
        dmc.Anchor(dmc.Button(t("dust_tasks.inspect", lang), size="sm", fullWidth=True, mt=6),
                   href=f"/inspections/new?site={task.site_id}", id=f"dust-task-inspect-{task.id}",
                   className="dust-task-inspect") if inspect else None,
    ], withBorder=True, p="sm", radius="md", className="dust-task", id=f"dust-task-{task.id}")


def task_panel(tasks: list[OpenTask], total: int, lang: str, tz: ZoneInfo, actor: Actor) -> dmc.Paper | None:
    """The home page's panel (None when nothing is due); 巡查此工地 for those who may inspect the site."""
    if not tasks:
        return None
    more = total - len(tasks)
    return dmc.Paper([
        dmc.Group([
            dmc.Title(t("dust_tasks.title", lang), order=4),
            dmc.Badge(t("dust_tasks.count", lang, n=total), color="red", size="lg", id="dust-task-count"),
        ], gap="sm"),
        dmc.Text(t("dust_tasks.explain", lang), size="xs", c="dimmed", mb="xs"),
        html.Div([_card(task, lang, tz, actor) for task in tasks],
                 className="dust-task-list"),
        dmc.Text(t("dust_tasks.more", lang, n=more), size="sm", c="dimmed", mt="xs") if more > 0 else None,
    ], withBorder=True, p="md", radius="md", id="home-dust-tasks", style={"borderColor": "#fa5252"})
