"""The briefing's short narrative (要点), written from the briefing's facts only.

Every number in it is formatted by ``figure`` from a value of ``analytics.briefing.Briefing``, the
same formatter the briefing's tables use, so each figure can be found in a table on the page. It
states what the numbers say and no more: weather drives most day-to-day change in air quality, so
the last line says the comparison is not a verdict.
"""

from __future__ import annotations

from dashboard.analytics.briefing import Briefing, Headline
from dashboard.i18n import t
from dashboard.i18n.formats import format_date, unit_name

#: How many townships and units the narrative names.
NAMED = 3


def figure(value: float | None, digits: int) -> str:
    """A figure as the briefing prints it (tables and narrative alike)."""
    if value is None:
        return "—"
    return f"{value:.{digits}f}" if digits else f"{int(round(value))}"


def change_words(h: Headline, lang: str, points: bool = False) -> str:
    """", down 12.3 on the previous period" / "，较上期下降12.3"; "" without a comparison;
    ``points`` for a change of a percentage (percentage points)."""
    change = h.change
    if change is None:
        return ""
    if change == 0:
        return t("briefing.text.same", lang)
    key = "briefing.text.up" if change > 0 else "briefing.text.down"
    unit = t("briefing.text.points", lang) if points else ""
    return t(key, lang, value=figure(abs(change), h.digits), unit=unit)


def _period_line(b: Briefing, lang: str) -> str:
    p = b.period
    if not p.days:
        return t("briefing.text.no_days", lang, number=b.number, first=format_date(p.first, lang))
    key = "briefing.text.period_running" if p.running else "briefing.text.period"
    return t(key, lang, number=b.number, first=format_date(p.first, lang), last=format_date(p.last, lang),
             days=p.days, valid=int(b.air.get("n_valid") or 0))


def _air_lines(b: Briefing, lang: str) -> list[str]:
    if not b.air.get("n_valid"):
        return [t("briefing.text.air_none", lang)]
    pm25, pm10, composite = b.headline_of("pm25"), b.headline_of("pm10"), b.headline_of("composite")
    good, heavy = b.headline_of("good_days"), b.headline_of("heavy_days")
    lines = [
        t("briefing.text.pm", lang, pm25=figure(pm25.now, 1), pm25_change=change_words(pm25, lang),
          pm10=figure(pm10.now, 1), pm10_change=change_words(pm10, lang)),
        t("briefing.text.days", lang, good=figure(good.now, 0), heavy=figure(heavy.now, 0),
          good_before=figure(good.before, 0), heavy_before=figure(heavy.before, 0)),
    ]
    if composite.now is not None:
        lines.append(t("briefing.text.composite", lang, value=figure(composite.now, 2),
                       change=change_words(composite, lang)))
    return lines


def _checks_line(b: Briefing, lang: str) -> list[str]:
    inspections, rate, failed = b.headline_of("inspections"), b.headline_of("compliance"), b.headline_of("failed")
    if not inspections.now:
        return [t("briefing.text.checks_none", lang)]
    lines = [t("briefing.text.checks", lang, inspections=figure(inspections.now, 0), rate=figure(rate.now, 1),
               rate_change=change_words(rate, lang, points=True), failed=figure(failed.now, 0))]
    towns = b.townships
    if not towns.empty:
        worst = towns.sort_values(["rate", "township_id"]).head(NAMED)
        sep = "、" if lang == "zh" else ", "
        names = sep.join(
            t("briefing.text.township_rate", lang, name=unit_name(r.township, r.township_en, lang),
              rate=figure(r.rate, 1))
            for r in worst.itertuples()
        )
        lines.append(t("briefing.text.worst_townships", lang, names=names))
    return lines


def _ledger_line(b: Briefing, lang: str) -> list[str]:
    units = b.units
    overdue = int(units["overdue"].sum()) if not units.empty else 0
    if not overdue:
        return [t("briefing.text.ledger_clear", lang)]
    top = units.head(NAMED)
    sep = "、" if lang == "zh" else ", "
    names = sep.join(
        t("briefing.text.unit_overdue", lang, name=unit_name(r.unit, r.unit_en, lang), n=int(r.overdue))
        for r in top.itertuples() if r.overdue
    )
    return [t("briefing.text.ledger", lang, overdue=overdue, units=int((units["overdue"] > 0).sum()), names=names)]


def _alerts_line(b: Briefing, lang: str) -> list[str]:
    if b.alerts.empty:
        return []
    sep = "、" if lang == "zh" else ", "
    levels = sep.join(t(f"alert.level.{level}", lang) for level in b.alerts["level"])
    return [t("briefing.text.alerts", lang, n=len(b.alerts), levels=levels)]


def narrative(b: Briefing, lang: str) -> list[str]:
    """The briefing's points, in the user's language."""
    return [
        _period_line(b, lang),
        *_air_lines(b, lang),
        *_alerts_line(b, lang),
        *_checks_line(b, lang),
        *_ledger_line(b, lang),
        t("briefing.text.caveat", lang),
    ]
