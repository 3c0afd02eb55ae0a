"""AG Grid's own words (no-rows text, filter menus, paging) in the user's language.

AG Grid ships English only; the few community-feature strings our grids show come from the
catalogs (``inspections.grid.*``), so a Chinese page has no English leaking from the grid.
"""

from __future__ import annotations

from dashboard.i18n import t

GRID_KEYS = (
    "noRowsToShow", "loadingOoo", "page", "of", "to", "more", "next", "previous", "first", "last",
    "filterOoo", "equals", "notEqual", "contains", "notContains", "startsWith", "endsWith", "blank",
    "notBlank", "andCondition", "orCondition", "lessThan", "greaterThan", "lessThanOrEqual",
    "greaterThanOrEqual", "inRange", "applyFilter", "resetFilter", "clearFilter", "searchOoo",
    "selectAll", "pageSizeSelectorLabel", "ariaFilterInput", "ariaSearch",
)


def grid_locale(lang: str) -> dict[str, str]:
    """``dashGridOptions.localeText`` for ``lang`` (empty for English: AG Grid's defaults)."""
    if lang == "en":
        return {}
    return {key: t(f"inspections.grid.{key}", lang) for key in GRID_KEYS}
