"""AG Grid helpers shared by the pages: the grid's own texts in Chinese (AG Grid ships English
only and nothing is fetched from a CDN), a grid factory, and the columns every list of sites
shares (code, name linking to the site page, township, plate)."""

from __future__ import annotations

import dash_ag_grid as dag

from dashboard.figures.theme import PLATE_COLOURS, text_colour_on
from dashboard.i18n import t

# AG Grid's own texts that appear in a community grid with filters, sorting and pagination
# (catalog keys ``grid.<key>``).
_LOCALE_KEYS = (
    "page", "of", "to", "more", "next", "last", "first", "previous", "loadingOoo", "noRowsToShow",
    "filterOoo", "equals", "notEqual", "contains", "notContains", "startsWith", "endsWith", "blank",
    "notBlank", "lessThan", "greaterThan", "lessThanOrEqual", "greaterThanOrEqual", "inRange",
    "inRangeStart", "inRangeEnd", "andCondition", "orCondition", "applyFilter", "resetFilter",
    "clearFilter", "cancelFilter", "searchOoo", "selectAll", "pinColumn", "noPin", "pinLeft", "pinRight",
    "autosizeThiscolumn", "autosizeAllColumns", "resetColumns", "sortAscending", "sortDescending",
    "sortUnSort", "pageSizeSelectorLabel", "ariaPageSizeSelectorLabel", "columnFilter", "dateFormatOoo",
    "before", "after", "ariaFilterInput", "ariaSearch",
)


def locale_text(lang: str, no_rows: str | None = None) -> dict[str, str]:
    """AG Grid's ``localeText`` for ``lang`` (English is AG Grid's built-in default).

    ``no_rows`` replaces the generic empty-grid text with one naming what the grid lists.
    """
    if lang != "zh":
        return {}
    texts = {key: t(f"grid.{key}", "zh") for key in _LOCALE_KEYS}
    if no_rows:
        texts["noRowsToShow"] = no_rows
    return texts


def data_grid(grid_id: str, column_defs: list[dict], rows: list[dict], lang: str, height: str = "520px",
              page_size: int | None = 50, *, row_id: str | None = None, class_name: str | None = None,
              **options) -> dag.AgGrid:
    """A sortable, filterable grid in the user's language; ``options`` go to dashGridOptions.

    ``row_id`` is AG Grid's ``getRowId`` (e.g. ``"params.data.id"``) for grids whose rows are
    updated in place; ``class_name`` styles the grid's cells from the page's stylesheet.
    """
    grid_options = {"localeText": locale_text(lang), "animateRows": False,
                    "enableCellTextSelection": True, "ensureDomOrder": True}
    if page_size:
        grid_options |= {"pagination": True, "paginationPageSize": page_size,
                         "paginationPageSizeSelector": [20, 50, 100, 200]}
    grid_options |= options
    # Unset props stay out of the component (a null getRowId is not "no row ids" to AG Grid).
    extra = {prop: value for prop, value in (("getRowId", row_id), ("className", class_name)) if value}
    return dag.AgGrid(
        id=grid_id,
        columnDefs=column_defs,
        rowData=rows,
        defaultColDef={"sortable": True, "resizable": True, "filter": True, "minWidth": 80, "wrapHeaderText": True,
                       "autoHeaderHeight": True},
        dashGridOptions=grid_options,
        style={"height": height, "width": "100%"},
        **extra,
    )


# Wrapped text in an auto-height row: normal line spacing instead of the one-line row height.
WRAPPED = {"wrapText": True, "autoHeight": True,
           "cellStyle": {"lineHeight": "1.5", "paddingTop": "8px", "paddingBottom": "8px"}}


def plate_cell_style() -> dict:
    """Plate cells in their plate colour (rows carry the plate key in ``plate_key``)."""
    return {"styleConditions": [
        {"condition": f"params.data.plate_key == '{plate}'",
         "style": {"backgroundColor": colour, "color": text_colour_on(colour), "fontWeight": 600}}
        for plate, colour in PLATE_COLOURS.items()
    ]}


def site_columns(lang: str, extra: list[dict]) -> list[dict]:
    """Code, name (a link to /sites/<site_id>), township, then ``extra``, then the plate."""
    return [
        {"field": "code", "headerName": t("sites.col.code", lang), "width": 110},
        {"field": "name", "headerName": t("sites.col.name", lang), "cellRenderer": "SiteLink", "flex": 2,
         "minWidth": 220},
        {"field": "township", "headerName": t("sites.col.township", lang), "width": 150},
        *extra,
        {"field": "plate", "headerName": t("sites.col.plate", lang), "width": 120, "cellStyle": plate_cell_style()},
    ]


def site_cells(row, lang: str) -> dict:
    """The shared cells of one site row (``row`` has site_id, code, name, township(_en), plate)."""
    return {"site_id": int(row.site_id), "code": row.code, "name": row.name,
            "township": row.township if lang == "zh" else row.township_en,
            "plate": t(f"plate.{row.plate}", lang), "plate_key": row.plate}
