"""The agenda a new dispatch meeting starts from, written from the data since the last one.

Numbered lines in the user's language: air quality since the last meeting, the open and overdue
ledger items carried over (the first ``SHOWN_OPEN_ITEMS`` listed with their age), the worst
townships and sites, new findings, escalations of the rectification loop, then the standing items
(statements by the worst units, the chair's summary).
"""

from __future__ import annotations

from collections.abc import Iterator

from dashboard.analytics.meetings import MeetingDraft
from dashboard.i18n import t
from dashboard.i18n.formats import fmt_number, format_date, meeting_name, unit_name

SHOWN_OPEN_ITEMS = 12


def _items_line(row, lang: str) -> str:
    unit = unit_name(row.responsible_unit, row.responsible_unit_en, lang)
    return t(
        "meetings.agenda.item",
        lang,
        meeting=meeting_name(int(row.meeting_number), lang),
        seq=row.seq,
        task=row.task,
        unit=unit,
        days=int(row.days_overdue),
        carried=int(row.carried),
        age=int(row.age_days),
        deadline=format_date(row.deadline, lang),
    )


def agenda_text(draft: MeetingDraft, lang: str, tz, labels: dict) -> str:
    """The agenda the form starts from, in the user's language."""
    # The first meeting has no previous one: its agenda covers the campaign so far.
    since = format_date(draft.since.astimezone(tz).date(), lang) if draft.since else t("meetings.agenda.start", lang)
    d = draft.air.get("district", {})
    ch = draft.air.get("change", {})
    sep = "、" if lang == "zh" else ", "
    lines = []
    if d.get("n_valid"):
        heavy = sum(n for k, n in d.get("categories", {}).items() if int(k) >= 5)
        lines.append(
            t(
                "meetings.agenda.air",
                lang,
                since=since,
                pm25=fmt_number(d.get("pm25")),
                change=f"{ch['pm25_pct']:+.1f}%" if ch.get("pm25_pct") is not None else "—",
                good=d["n_good"],
                days=d["n_valid"],
                heavy=heavy,
            )
        )
    else:
        lines.append(t("meetings.agenda.air_none", lang, since=since))
    items = draft.open_items
    if len(items):
        overdue = int(items["overdue"].sum())
        lines.append(t("meetings.agenda.review", lang, number=draft.last_number or "—", n=len(items), overdue=overdue))
        lines += ["   - " + _items_line(r, lang) for r in items.head(SHOWN_OPEN_ITEMS).itertuples()]
    else:
        lines.append(t("meetings.agenda.review_none", lang))
    tw = sep.join(
        t("meetings.agenda.count", lang, name=unit_name(r.township, r.township_en, lang), n=int(r.failed))
        for r in draft.worst_townships.itertuples()
        if r.failed
    )
    st = sep.join(
        t("meetings.agenda.count", lang, name=r.site, n=int(r.failed)) for r in draft.worst_sites.itertuples()
    )
    lines.append(t("meetings.agenda.worst", lang, townships=tw or "—", sites=st or "—"))
    findings = sep.join(
        t(
            "meetings.agenda.count",
            lang,
            name=labels.get(r.item_key, (r.item_key, r.item_key))[lang == "en"],
            n=int(r.failed),
        )
        for r in draft.findings.itertuples()
    )
    lines.append(t("meetings.agenda.findings", lang, findings=findings or "—", stop=draft.working_during_stop))
    esc = draft.escalations
    if len(esc):
        levels = esc["escalation_level"].value_counts()
        lines.append(
            t(
                "meetings.agenda.escalations",
                lang,
                n=len(esc),
                interview=int(levels.get(2, 0)),
                accountability=int(levels.get(3, 0)),
            )
        )
    else:
        lines.append(t("meetings.agenda.escalations_none", lang))
    lines.append(t("meetings.agenda.statements", lang))
    lines.append(t("meetings.agenda.chair", lang))
    return "\n".join(f"{i}. {line}" if not line.startswith("   ") else line for i, line in _numbered(lines))


def _numbered(lines: list[str]) -> Iterator[tuple[int | None, str]]:
    n = 0
    for line in lines:
        if line.startswith("   "):
            yield None, line
        else:
            n += 1
            yield n, line
