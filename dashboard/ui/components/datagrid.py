"""AG Grid helpers shared by the pages: the grid's own texts in Chinese (AG Grid ships English
only and nothing is fetched from a CDN), a grid factory, and the columns every list of sites
shares (code, name linking to the site page, township, plate)."""

from __future__ import annotations

import dash_ag_grid as dag
from dash import Input, Output, dcc, html

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


# --------------------------------------------------------------------------- server-side paging
# Lists that grow with history are sent a block at a time (AG Grid's infinite row model): the grid
# asks for rows startRow..endRow with its sort and column filters, and the server answers with that
# block and the number of rows the filters select. A response then stays the size of one block.
BLOCK_SIZE = 100


def paged_grid(grid_id: str, column_defs: list[dict], lang: str, height: str = "520px", *,
               no_rows: str | None = None, class_name: str | None = None, row_id: str | None = None,
               row_class_rules: dict | None = None, filter_all: bool = True, **options) -> html.Div:
    """A grid whose rows come from the server a block at a time (``getRowsRequest`` →
    ``getRowsResponse``, answered with ``serve_rows``), with the store ``refresh_on_change``
    writes to; ``options`` go to dashGridOptions. Every column gets the text filter the server
    implements, or with ``filter_all=False`` only those that ask for a filter."""
    grid_options = {"localeText": locale_text(lang, no_rows), "animateRows": False, "enableCellTextSelection": True,
                    "ensureDomOrder": True, "cacheBlockSize": BLOCK_SIZE, "maxBlocksInCache": 10,
                    "infiniteInitialRowCount": 1, "maxConcurrentDatasourceRequests": 1} | options
    extra = {prop: value for prop, value in (("getRowId", row_id), ("className", class_name),
                                             ("rowClassRules", row_class_rules)) if value}
    # Text filters only, with the conditions the server implements (``_matches``).
    text_filter = {"filter": "agTextColumnFilter",
                   "filterParams": {"filterOptions": list(_TEXT_TESTS), "maxNumConditions": 1,
                                    "buttons": ["reset"], "debounceMs": 400}}
    number_filter = {"filterParams": {"filterOptions": list(_NUMBER_TESTS), "maxNumConditions": 1,
                                      "buttons": ["reset"], "debounceMs": 400}}
    columns = []
    for col in column_defs:
        if col.get("filter") == "agNumberColumnFilter":
            col = {**col, **number_filter}
        elif col.get("filter", filter_all):
            col = {**col, **text_filter}
        if col.get("autoHeight"):
            # The infinite row model has no auto height: wrapped text gets two lines a row.
            col = {key: value for key, value in col.items() if key != "autoHeight"}
            grid_options.setdefault("rowHeight", 62)
        columns.append(col)
    grid = dag.AgGrid(
        id=grid_id,
        columnDefs=columns,
        rowModelType="infinite",
        defaultColDef={"sortable": True, "resizable": True, "minWidth": 80, "wrapHeaderText": True,
                       "autoHeaderHeight": True},
        dashGridOptions=grid_options,
        style={"height": height, "width": "100%"},
        **extra,
    )
    return html.Div([grid, dcc.Store(id=f"{grid_id}-refreshed")])


def _text(value) -> str:
    return "" if value is None else str(value).lower()


_TEXT_TESTS = {
    "contains": lambda cell, want: want in cell,
    "notContains": lambda cell, want: want not in cell,
    "equals": lambda cell, want: cell == want,
    "notEqual": lambda cell, want: cell != want,
    "startsWith": lambda cell, want: cell.startswith(want),
    "endsWith": lambda cell, want: cell.endswith(want),
    "blank": lambda cell, _want: cell == "",
    "notBlank": lambda cell, _want: cell != "",
}


def _number(value) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number  # NaN is no number


_NUMBER_TESTS = {
    "equals": lambda cell, a, _b: cell is not None and cell == a,
    "notEqual": lambda cell, a, _b: cell is None or cell != a,
    "lessThan": lambda cell, a, _b: cell is not None and cell < a,
    "lessThanOrEqual": lambda cell, a, _b: cell is not None and cell <= a,
    "greaterThan": lambda cell, a, _b: cell is not None and cell > a,
    "greaterThanOrEqual": lambda cell, a, _b: cell is not None and cell >= a,
    "inRange": lambda cell, a, b: cell is not None and b is not None and a <= cell <= b,
    "blank": lambda cell, _a, _b: cell is None,
    "notBlank": lambda cell, _a, _b: cell is not None,
}


def _matches(row: dict, field: str, model: dict, filter_fields: dict[str, str]) -> bool:
    """One column filter of AG Grid's filterModel on one row (text or number conditions, one or
    two joined)."""
    if not isinstance(model, dict):
        return True
    if isinstance(model.get("conditions"), list):
        results = [_matches(row, field, c, filter_fields) for c in model["conditions"]]
        return all(results) if model.get("operator") != "OR" else any(results)
    if model.get("filterType") == "number":
        number_test = _NUMBER_TESTS.get(str(model.get("type") or "equals"))
        wanted = _number(model.get("filter"))
        if number_test is None or (wanted is None and model.get("type") not in ("blank", "notBlank")):
            return True
        return number_test(_number(row.get(filter_fields.get(field, field))), wanted, _number(model.get("filterTo")))
    test = _TEXT_TESTS.get(str(model.get("type") or "contains"))
    if test is None:
        return True
    cell = _text(row.get(filter_fields.get(field, field)))
    return test(cell, _text(model.get("filter")))


def _sort_key(value):
    # Numbers before text; blanks are put last by the caller, whatever the direction.
    if isinstance(value, bool):
        return (0, int(value), "")
    if isinstance(value, (int, float)):
        return (0, value, "")
    return (1, 0, str(value))


def serve_rows(rows: list[dict], request, *, sort_fields: dict[str, str] | None = None,
               filter_fields: dict[str, str] | None = None, limit: int | None = 10 * BLOCK_SIZE) -> dict:
    """The block of ``rows`` the grid asked for: its column filters and sort applied, then
    startRow..endRow; ``rowCount`` is how many rows the filters select.

    ``sort_fields`` / ``filter_fields`` map a column to the row field to sort or match by (a
    markdown link column sorts by its plain text, for instance). Without a sort the rows keep
    their order. A block holds at most ``limit`` rows (None: an export, which may take all).
    """
    request = request if isinstance(request, dict) else {}
    filter_fields = filter_fields or {}
    sort_fields = sort_fields or {}
    models = request.get("filterModel") if isinstance(request.get("filterModel"), dict) else {}
    selected = [r for r in rows if all(_matches(r, str(f), m, filter_fields) for f, m in models.items())]
    sort_model = request.get("sortModel") if isinstance(request.get("sortModel"), list) else []
    for item in reversed([s for s in sort_model if isinstance(s, dict) and s.get("colId")]):
        field = sort_fields.get(str(item["colId"]), str(item["colId"]))
        present = [r for r in selected if r.get(field) not in (None, "")]
        blank = [r for r in selected if r.get(field) in (None, "")]
        present.sort(key=lambda r: _sort_key(r[field]), reverse=item.get("sort") == "desc")
        selected = present + blank
    start = _bounded_int(request.get("startRow"), 0)
    end = _bounded_int(request.get("endRow"), start + BLOCK_SIZE)
    end = max(end, start)
    if limit is not None:
        end = min(end, start + limit)  # a client cannot ask for everything at once
    return {"rowData": selected[start:end], "rowCount": len(selected)}


def _bounded_int(value, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return max(0, number)


def refresh_on_change(app, grid_id: str, inputs: list) -> None:
    """Re-ask the server for the grid's rows (from the first) when one of ``inputs`` changes:
    the page's own filters live outside the grid, which only knows its column filters."""
    app.clientside_callback(
        f"""function() {{
            const api = window.dash_ag_grid && window.dash_ag_grid.getApi('{grid_id}');
            if (api) {{ api.purgeInfiniteCache(); api.ensureIndexVisible(0); }}
            return window.dash_clientside.no_update;
        }}""",
        Output(f"{grid_id}-refreshed", "data"),
        *inputs,
        prevent_initial_call=True,
    )



def phone_probe(prefix: str) -> html.Div:
    """Stores telling whether the page is on a phone (``{prefix}-phone.data``), set by
    ``register_phone_probe``: a page shows its cards instead of the grid there, and need not
    build them elsewhere."""
    return html.Div([dcc.Store(id=f"{prefix}-phone-probe", data=0), dcc.Store(id=f"{prefix}-phone")])


def register_phone_probe(app, prefix: str) -> None:
    # Mantine's hiddenFrom="sm" shows the cards below 48em: the same test.
    app.clientside_callback(
        "function() { return window.matchMedia('(max-width: 47.99em)').matches; }",
        Output(f"{prefix}-phone", "data"),
        Input(f"{prefix}-phone-probe", "data"),
    )
