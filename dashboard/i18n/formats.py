"""Dates, times, numbers and names as people read them, in the user's language."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from dashboard.i18n import t


def format_datetime(value: dt.datetime, lang: str, tz: ZoneInfo) -> str:
    local = value.astimezone(tz)
    if lang == "zh":
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local:%d %b %Y %H:%M}"


def format_date(value: dt.date, lang: str) -> str:
    if lang == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value:%d %b %Y}"


def fmt_number(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def fmt_share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def status_label(status: str, lang: str) -> str:
    """A ledger status (open, in_progress, done, verified) in words."""
    return t(f"ledger.status.{status}", lang)


def meeting_name(number: int, lang: str) -> str:
    return t("meetings.title_n", lang, number=number)


def meeting_short(number: int, lang: str) -> str:
    """The meeting in a table cell (第27次调度会 / No. 27)."""
    return t("meetings.short_n", lang, number=number)


def unit_name(name: str, name_en: str | None, lang: str) -> str:
    """A unit's or township's name; the English one where there is one and English is asked for."""
    return (name_en or name) if lang == "en" else name


def format_day_range(first: dt.date, last: dt.date, lang: str) -> str:
    """Days ``first..last`` as one span, the shared year (and month) said once."""
    if first == last:
        return format_date(first, lang)
    if lang == "zh":
        if first.year != last.year:
            return f"{format_date(first, lang)}至{format_date(last, lang)}"
        end = f"{last.day}日" if first.month == last.month else f"{last.month}月{last.day}日"
        return f"{format_date(first, lang)}至{end}"
    if first.year != last.year:
        return f"{format_date(first, lang)} – {format_date(last, lang)}"
    return f"{first:%d %b} – {format_date(last, lang)}"


def format_distance(metres: float | None, lang: str) -> str:
    """A walking distance as a phone shows it: "120 m" (to 10 m), "2.3 km", "14 km"; "" if unknown."""
    if metres is None or metres != metres:  # NaN: a site without coordinates
        return ""
    if metres < 995:
        # A phone's fix is good to ~10 m at best: finer figures would be noise.
        return t("near.metres", lang, n=f"{max(10, round(metres, -1)):.0f}")
    km = metres / 1000
    return t("near.km", lang, n=f"{km:.1f}" if km < 9.95 else f"{km:.0f}")
