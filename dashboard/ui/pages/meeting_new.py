"""Preparing and recording the next dispatch meeting (``/meetings/new``).

The form is pre-filled from the data (``analytics.meetings.draft_next_meeting``): the next number,
the next working day at 09:00, the district head in the chair, the last meeting's attendees, and
an agenda covering air quality since the last meeting, carried and overdue ledger items with
their age, the worst townships and sites, new inspection findings and escalations of the
rectification loop (``analytics.agenda``). Problems are pre-filled from the worst townships and
sites; the user edits everything and saves through ``services.meetings`` (editors only); a
refused save changes nothing on the page, so what the user typed stays.
"""

from __future__ import annotations

import datetime as dt

import dash
import dash_mantine_components as dmc
from dash import ALL, MATCH, Input, Output, Patch, State, ctx, dcc, html

from dashboard.analytics import district
from dashboard.analytics import meetings as analytics
from dashboard.analytics.agenda import agenda_text
from dashboard.auth import current_language
from dashboard.domain import meeting_record
from dashboard.i18n import t
from dashboard.i18n.formats import format_date, format_datetime
from dashboard.services import meetings as service
from dashboard.ui.components.meeting_parts import (
    fmt_change,
    fmt_number,
    fmt_share,
    meeting_short,
    section,
    simple_table,
    unit_name,
)
from dashboard.ui.data import acting_user, app_settings, read_session
from dashboard.ui.inputs import BadInput, rows

DEFAULT_DEADLINE_DAYS = 7
#: Open items listed in the preparation panel (most overdue first): years of carried items in
#: one table were hundreds of rows and most of the page's bytes; the ledger holds them all.
PREP_SHOWN_ITEMS = 30
PREFILLED_TOWNSHIPS = 2
PREFILLED_SITES = 2
HIDDEN = {"display": "none"}


# --------------------------------------------------------------------------- options
def _options(session, lang: str, on: dt.date, keep: frozenset[int] = frozenset()) -> dict:
    """The form's choices. Retired townships and their units are not offered, except the
    townships in ``keep`` (those the draft's pre-filled problems name: their sites remain)."""
    retired_units = district.retired_unit_ids(session)
    units = [u for u in analytics.units(session) if u.id not in retired_units]
    groups = []
    for kind in ("township", "department", "company"):
        items = [{"value": str(u.id), "label": unit_name(u.name, u.name_en, lang)} for u in units if u.kind == kind]
        if items:
            groups.append({"group": t(f"meetings.unit_kind.{kind}", lang), "items": items})
    every = analytics.townships(session)
    tnames = {tw.id: unit_name(tw.name, tw.name_en, lang) for tw in every}
    townships = [tw for tw in every if tw.active or tw.id in keep]
    sites: list[dict] = []
    by_township: dict[str, list[dict]] = {}
    for site in analytics.sites(session):
        option = {"value": str(site.id), "label": f"{site.name}（{tnames.get(site.township_id, '')}）"}
        sites.append(option)
        by_township.setdefault(str(site.township_id), []).append(option)
    return {
        "units": groups,
        "departments": [
            {"value": str(u.id), "label": unit_name(u.name, u.name_en, lang)} for u in units if u.kind == "department"
        ],
        "townships": [{"value": str(tw.id), "label": tnames[tw.id] + ("" if tw.active else
                                                                      t("sites.retired_suffix", lang))}
                      for tw in townships],
        "sites": sites,
        "sites_by_township": by_township,
        "items": [
            {"value": i.key, "label": i.label_en or i.label if lang == "en" else i.label}
            for i in analytics.checklist_items(session, on)
        ],
        "measures": [{"value": m, "label": t(f"meetings.measure.{m}", lang)} for m in meeting_record.MEASURES],
        "attendees": [u.name for u in units if u.kind != "company"],
    }


# --------------------------------------------------------------------------- rows
def _remove_button(kind: str, index) -> dmc.Button:
    return dmc.Button(
        "×",
        id={"type": f"mf-{kind}-del", "index": index},
        variant="subtle",
        color="gray",
        size="compact-sm",
        **{"aria-label": "remove"},
    )


def _problem_row(index, opts: dict, lang: str, desc: str = "", township=None, site=None, item=None):
    return html.Div(
        dmc.Group(
            [
                dmc.Textarea(
                    id={"type": "mf-problem-desc", "index": index},
                    value=desc,
                    autosize=True,
                    minRows=1,
                    placeholder=t("meetings.form.problem_placeholder", lang),
                    style={"flex": 3},
                ),
                dmc.Select(
                    id={"type": "mf-problem-township", "index": index},
                    data=opts["townships"],
                    value=township,
                    placeholder=t("meetings.form.township", lang),
                    searchable=True,
                    clearable=True,
                    style={"flex": 1},
                ),
                dmc.Select(
                    # A row with its township offers that township's sites (hundreds of sites
                    # in each of four pre-filled rows were most of the form's bytes).
                    id={"type": "mf-problem-site", "index": index},
                    data=_site_options(opts, township),
                    value=site,
                    placeholder=t("meetings.form.site", lang),
                    searchable=True,
                    clearable=True,
                    style={"flex": 1.4},
                ),
                dmc.Select(
                    id={"type": "mf-problem-item", "index": index},
                    data=opts["items"],
                    value=item,
                    placeholder=t("meetings.form.item", lang),
                    searchable=True,
                    clearable=True,
                    style={"flex": 1.2},
                ),
                _remove_button("problem", index),
            ],
            align="flex-start",
            gap="xs",
            wrap="nowrap",
        ),
        id={"type": "mf-problem-row", "index": index},
        className="form-row",
    )


def _site_options(opts: dict, township) -> list[dict]:
    return opts["sites_by_township"].get(str(township), []) if township else opts["sites"]


def _decision_row(index, lang: str, text: str = ""):
    return html.Div(
        dmc.Group(
            [
                dmc.Textarea(
                    id={"type": "mf-decision-text", "index": index},
                    value=text,
                    autosize=True,
                    minRows=1,
                    placeholder=t("meetings.form.decision_placeholder", lang),
                    style={"flex": 1},
                ),
                _remove_button("decision", index),
            ],
            align="flex-start",
            gap="xs",
            wrap="nowrap",
        ),
        id={"type": "mf-decision-row", "index": index},
        className="form-row",
    )


def _acc_row(index, opts: dict, lang: str):
    return html.Div(
        dmc.Group(
            [
                dmc.Select(
                    id={"type": "mf-acc-unit", "index": index},
                    data=opts["units"],
                    searchable=True,
                    clearable=True,
                    placeholder=t("meetings.form.unit", lang),
                    style={"flex": 1.2},
                ),
                dmc.Select(
                    id={"type": "mf-acc-measure", "index": index},
                    data=opts["measures"],
                    value="criticism",
                    allowDeselect=False,
                    style={"flex": 0.8},
                ),
                dmc.TextInput(
                    id={"type": "mf-acc-reason", "index": index},
                    placeholder=t("meetings.form.reason", lang),
                    style={"flex": 2.5},
                ),
                _remove_button("acc", index),
            ],
            align="flex-start",
            gap="xs",
            wrap="nowrap",
        ),
        id={"type": "mf-acc-row", "index": index},
        className="form-row",
    )


def _action_row(index, opts: dict, lang: str, deadline: str):
    return html.Div(
        dmc.Stack(
            [
                dmc.Group(
                    [
                        dmc.TextInput(
                            id={"type": "mf-action-task", "index": index},
                            label=t("ledger.col.task", lang),
                            style={"flex": 2},
                        ),
                        dmc.Select(
                            id={"type": "mf-action-unit", "index": index},
                            data=opts["units"],
                            searchable=True,
                            clearable=True,
                            label=t("ledger.col.unit", lang),
                            style={"flex": 1},
                        ),
                        dmc.Select(
                            id={"type": "mf-action-lead", "index": index},
                            data=opts["departments"],
                            searchable=True,
                            clearable=True,
                            label=t("ledger.col.lead", lang),
                            style={"flex": 1},
                        ),
                        dmc.DateInput(
                            id={"type": "mf-action-deadline", "index": index},
                            value=deadline,
                            valueFormat="YYYY-MM-DD",
                            label=t("ledger.col.deadline", lang),
                            style={"width": 140},
                        ),
                        _remove_button("action", index),
                    ],
                    align="flex-end",
                    gap="xs",
                    wrap="nowrap",
                ),
                dmc.TextInput(
                    id={"type": "mf-action-measures", "index": index}, placeholder=t("ledger.col.measures", lang)
                ),
            ],
            gap=4,
        ),
        id={"type": "mf-action-row", "index": index},
        className="form-row form-row-action",
    )


def _prep_panel(draft: analytics.MeetingDraft, lang: str, tz, labels: dict):
    d = draft.air.get("district", {})
    ch = draft.air.get("change", {})
    air = dmc.Group(
        [
            dmc.Text(
                t(
                    "meetings.air.period",
                    lang,
                    start=format_date(dt.date.fromisoformat(draft.air["period"]["start"]), lang),
                    end=format_date(dt.date.fromisoformat(draft.air["period"]["end"]), lang),
                    days=draft.air["period"]["days"],
                ),
                size="sm",
            ),
            dmc.Text(["PM2.5 ", fmt_number(d.get("pm25")), " µg/m³ ", fmt_change(ch.get("pm25_pct"))], size="sm"),
            dmc.Text(
                t(
                    "meetings.prep.good",
                    lang,
                    good=d.get("n_good", 0),
                    days=d.get("n_valid", 0),
                    share=fmt_share(d.get("good_share")),
                ),
                size="sm",
            ),
        ],
        gap="lg",
    )
    rows = [
        [
            meeting_short(int(r.meeting_number), lang),
            str(r.seq),
            r.task,
            unit_name(r.responsible_unit, r.responsible_unit_en, lang),
            format_date(r.deadline, lang),
            t("meetings.ledger.days", lang, n=int(r.days_overdue)) if r.days_overdue else "—",
            str(int(r.carried)),
            t("meetings.ledger.days", lang, n=int(r.age_days)),
        ]
        for r in draft.open_items.head(PREP_SHOWN_ITEMS).itertuples()
    ]
    total = len(draft.open_items)
    head = [
        t("ledger.col.meeting", lang),
        t("ledger.col.seq", lang),
        t("ledger.col.task", lang),
        t("ledger.col.unit", lang),
        t("ledger.col.deadline", lang),
        t("ledger.col.overdue", lang),
        t("ledger.col.carried", lang),
        t("meetings.prep.age", lang),
    ]
    towns = [
        [unit_name(r.township, r.township_en, lang), str(int(r.failed)), str(int(r.checks))]
        for r in draft.worst_townships.itertuples()
    ]
    sites = [
        [r.site, str(int(r.failed)), labels.get(r.item_key, (r.item_key, r.item_key))[lang == "en"]]
        for r in draft.worst_sites.itertuples()
    ]
    return section(
        t("meetings.prep.title", lang),
        [
            dmc.Text(
                t(
                    "meetings.prep.since",
                    lang,
                    number=draft.last_number or "—",
                    time=format_datetime(draft.since, lang, tz) if draft.since else "—",
                ),
                size="sm",
                c="dimmed",
            ),
            air,
            dmc.Text(t("meetings.prep.open_items", lang, n=total), fw=600, size="sm"),
            (simple_table(head, rows, "prep-open-items", min_width=640) if rows
             else dmc.Text(t("meetings.none", lang), c="dimmed")),
            dmc.Text([t("meetings.prep.more", lang, shown=len(rows), n=total), " ",
                      dcc.Link(t("meetings.prep.more_link", lang), href="/ledger")],
                     size="xs", c="dimmed", id="prep-open-items-more") if total > len(rows) else None,
            dmc.SimpleGrid(
                [
                    simple_table(
                        [
                            t("meetings.prep.township", lang),
                            t("meetings.prep.failed", lang),
                            t("meetings.prep.checks", lang),
                        ],
                        towns,
                        "prep-townships",
                    ),
                    simple_table(
                        [
                            t("meetings.prep.site", lang),
                            t("meetings.prep.failed", lang),
                            t("meetings.prep.top_item", lang),
                        ],
                        sites,
                        "prep-sites",
                    ),
                ],
                cols={"base": 1, "md": 2},
            ),
        ],
        "meeting-prep",
    )


def _prefilled_problems(draft: analytics.MeetingDraft, opts: dict, lang: str, tz, labels: dict) -> list:
    # The first meeting has no previous one: its agenda covers the campaign so far.
    since = format_date(draft.since.astimezone(tz).date(), lang) if draft.since else t("meetings.agenda.start", lang)
    rows = []
    for rank, r in enumerate(draft.worst_townships.head(PREFILLED_TOWNSHIPS).itertuples(), start=1):
        if not r.failed:
            continue
        desc = t(
            "meetings.prefill.township",
            lang,
            name=unit_name(r.township, r.township_en, lang),
            since=since,
            n=int(r.failed),
            rank=rank,
        )
        rows.append(_problem_row(f"p{len(rows)}", opts, lang, desc, township=str(r.township_id)))
    for r in draft.worst_sites.head(PREFILLED_SITES).itertuples():
        item = labels.get(r.item_key, (r.item_key, r.item_key))[lang == "en"]
        desc = t("meetings.prefill.site", lang, name=r.site, item=item, n=int(r.failed))
        rows.append(
            _problem_row(
                f"p{len(rows)}", opts, lang, desc, township=str(r.township_id), site=str(r.site_id), item=r.item_key
            )
        )
    return rows


# --------------------------------------------------------------------------- layout
def layout(**_query):
    lang = current_language()
    settings = app_settings()
    tz = settings.tz
    if not acting_user().at_least("editor"):
        return html.Div(
            [dmc.Title(t("meetings.new", lang), order=2), dmc.Alert(t("meetings.forbidden", lang), color="red")],
            className="page page-meeting-new",
        )
    with read_session() as session:
        draft = analytics.draft_next_meeting(session, tz)
        day = draft.held_at.date()
        named = {int(r.township_id) for frame in (draft.worst_townships.head(PREFILLED_TOWNSHIPS),
                                                  draft.worst_sites.head(PREFILLED_SITES))
                 for r in frame.itertuples()}
        opts = _options(session, lang, day, frozenset(named))
        labels = analytics.item_labels(session)
        agenda = agenda_text(draft, lang, tz, labels)
        prep = _prep_panel(draft, lang, tz, labels)
        problems = _prefilled_problems(draft, opts, lang, tz, labels)
    deadline = (day + dt.timedelta(days=DEFAULT_DEADLINE_DAYS)).isoformat()
    attendees = sorted(set(opts["attendees"]) | set(draft.attendees))
    minutes = t("meetings.form.minutes_template", lang, number=draft.number)

    def add_button(kind: str, label: str):
        return dmc.Button(label, id=f"mf-add-{kind}", variant="light", size="xs", style={"alignSelf": "flex-start"})

    return html.Div(
        [
            dcc.Location(id="mf-location", refresh="callback-nav"),
            dcc.Store(id="mf-deadline-default", data=deadline),
            dmc.Title(t("meetings.form.title", lang, number=draft.number), order=2, id="mf-title"),
            prep,
            section(
                t("meetings.form.basics", lang),
                dmc.Stack(
                    [
                        dmc.Group(
                            [
                                dmc.NumberInput(
                                    id="mf-number",
                                    label=t("meetings.form.number", lang),
                                    value=draft.number,
                                    min=1,
                                    allowDecimal=False,
                                    style={"width": 120},
                                ),
                                dmc.DateInput(
                                    id="mf-date",
                                    label=t("meetings.form.date", lang),
                                    value=day.isoformat(),
                                    valueFormat="YYYY-MM-DD",
                                    style={"width": 150},
                                ),
                                # Mantine's own 24-hour field: the browser's time box follows the
                                # system locale, so a Chinese page could show "09:00 AM".
                                dmc.TimePicker(
                                    id="mf-time",
                                    format="24h",
                                    label=t("meetings.form.time", lang),
                                    value="09:00",
                                    style={"width": 110},
                                ),
                                dmc.TextInput(
                                    id="mf-chair",
                                    label=t("meetings.form.chair", lang),
                                    value=draft.chair_title,
                                    style={"width": 160},
                                ),
                                dmc.TextInput(
                                    id="mf-location-text",
                                    label=t("meetings.form.location", lang),
                                    value=draft.location,
                                    style={"flex": 1},
                                ),
                            ],
                            align="flex-end",
                        ),
                        dmc.TagsInput(
                            id="mf-attendees",
                            label=t("meetings.form.attendees", lang),
                            value=draft.attendees,
                            data=attendees,
                            clearable=True,
                        ),
                        dmc.Textarea(
                            id="mf-agenda",
                            label=t("meetings.form.agenda", lang),
                            value=agenda,
                            autosize=True,
                            minRows=6,
                            maxRows=24,
                        ),
                    ],
                    gap="sm",
                ),
            ),
            section(
                t("meetings.problems", lang),
                [html.Div(problems, id="mf-problems"), add_button("problem", t("meetings.form.add_problem", lang))],
            ),
            section(
                t("meetings.decisions", lang),
                [
                    html.Div([_decision_row("d0", lang)], id="mf-decisions"),
                    add_button("decision", t("meetings.form.add_decision", lang)),
                ],
            ),
            section(
                t("meetings.accountability", lang),
                [html.Div([], id="mf-accs"), add_button("acc", t("meetings.form.add_acc", lang))],
            ),
            section(
                t("meetings.form.actions", lang),
                [html.Div([], id="mf-actions"), add_button("action", t("meetings.form.add_action", lang))],
            ),
            section(
                t("meetings.form.record", lang),
                dmc.Stack(
                    [
                        dmc.Textarea(id="mf-summary", label=t("meetings.form.summary", lang), autosize=True, minRows=3),
                        dmc.Textarea(
                            id="mf-minutes",
                            label=t("meetings.form.minutes", lang),
                            value=minutes,
                            autosize=True,
                            minRows=6,
                            description=t("meetings.form.minutes_help", lang),
                        ),
                    ],
                    gap="sm",
                ),
            ),
            html.Div(id="mf-message"),
            dmc.Group(
                [
                    dmc.Button(t("meetings.form.save", lang), id="mf-save"),
                    dcc.Link(t("meetings.form.cancel", lang), href="/meetings"),
                ]
            ),
        ],
        className="page page-meeting-new",
        style={"display": "flex", "flexDirection": "column", "gap": "14px"},
    )


# --------------------------------------------------------------------------- saving
def _entries(entries) -> list[dict]:
    """Dash's states of one pattern-matching group: [{"id": {"index": ...}, "value": ...}]."""
    entries = rows(entries)
    if not all(isinstance(e.get("id"), dict) and "index" in e["id"] for e in entries):
        raise BadInput("form rows")
    return entries


def _by_index(entries) -> dict:
    return {e["id"]["index"]: e.get("value") for e in _entries(entries)}


def _alive(entries) -> list:
    """Indexes of the rows not removed, in page order."""
    return [e["id"]["index"] for e in _entries(entries)
            if not (isinstance(e.get("value"), dict) and e["value"].get("display") == "none")]


def _rows(states: dict[str, list[dict]], fields: list[str], row_key: str) -> list[dict]:
    values = {f: _by_index(states[f]) for f in fields}
    return [{f: values[f].get(i) for f in fields} for i in _alive(states[row_key])]


def register_callbacks(app: dash.Dash) -> None:
    def _adder(kind: str, container: str, build):
        @app.callback(
            Output(container, "children"),
            Input(f"mf-add-{kind}", "n_clicks"),
            State("mf-deadline-default", "data"),
            prevent_initial_call=True,
        )
        def _add(n_clicks, deadline):
            if not n_clicks:
                raise dash.exceptions.PreventUpdate
            lang = current_language()
            patch = Patch()
            patch.append(build(f"{kind}{n_clicks}", lang, deadline))
            return patch

        @app.callback(
            Output({"type": f"mf-{kind}-row", "index": MATCH}, "style"),
            Input({"type": f"mf-{kind}-del", "index": MATCH}, "n_clicks"),
            prevent_initial_call=True,
        )
        def _remove(n_clicks):
            if not n_clicks:
                raise dash.exceptions.PreventUpdate
            return HIDDEN

    @app.callback(
        Output({"type": "mf-problem-site", "index": MATCH}, "data"),
        Output({"type": "mf-problem-site", "index": MATCH}, "value"),
        Input({"type": "mf-problem-township", "index": MATCH}, "value"),
        State({"type": "mf-problem-site", "index": MATCH}, "value"),
        State("mf-deadline-default", "data"),
        prevent_initial_call=True,
    )
    def _township_sites(township, site, deadline):
        options = _site_options(_opts(current_language(), deadline), township)
        # A site of another township would be saved against the wrong one: it goes.
        return options, site if any(o["value"] == site for o in options) else None

    def _opts(lang: str, deadline: str) -> dict:
        with read_session() as session:
            return _options(session, lang, meeting_record.form_date(deadline) or dt.date.max)

    _adder("problem", "mf-problems", lambda i, lang, d: _problem_row(i, _opts(lang, d), lang))
    _adder("decision", "mf-decisions", lambda i, lang, d: _decision_row(i, lang))
    _adder("acc", "mf-accs", lambda i, lang, d: _acc_row(i, _opts(lang, d), lang))
    _adder("action", "mf-actions", lambda i, lang, d: _action_row(i, _opts(lang, d), lang, d))

    groups = {
        "problem": ["desc", "township", "site", "item"],
        "decision": ["text"],
        "acc": ["unit", "measure", "reason"],
        "action": ["task", "measures", "unit", "lead", "deadline"],
    }
    states = [
        State(x, "value")
        for x in (
            "mf-number",
            "mf-date",
            "mf-time",
            "mf-chair",
            "mf-location-text",
            "mf-attendees",
            "mf-agenda",
            "mf-summary",
            "mf-minutes",
        )
    ]
    keys: list[tuple[str, str]] = []
    for kind, fields in groups.items():
        for f in fields:
            states.append(State({"type": f"mf-{kind}-{f}", "index": ALL}, "value"))
            keys.append((kind, f))
        states.append(State({"type": f"mf-{kind}-row", "index": ALL}, "style"))
        keys.append((kind, "_row"))

    @app.callback(
        Output("mf-message", "children"),
        Output("mf-location", "href"),
        Input("mf-save", "n_clicks"),
        *states,
        prevent_initial_call=True,
    )
    def _save(n_clicks, number, date, time, chair, location, attendees, agenda, summary, minutes, *_rest):
        lang = current_language()
        if not n_clicks:
            raise dash.exceptions.PreventUpdate
        listed = ctx.states_list[9:]
        by_kind: dict[str, dict[str, list[dict]]] = {k: {} for k in groups}
        for (kind, f), entries in zip(keys, listed, strict=True):
            by_kind[kind][f] = entries
        values = {
            "number": number,
            "date": date,
            "time": time,
            "chair": chair,
            "location": location,
            "attendees": attendees,
            "agenda": agenda,
            "summary": summary,
            "minutes": minutes,
            "problems": _rows(by_kind["problem"], groups["problem"], "_row"),
            "decisions": [r["text"] for r in _rows(by_kind["decision"], groups["decision"], "_row")],
            "accs": _rows(by_kind["acc"], groups["acc"], "_row"),
            "actions": _rows(by_kind["action"], groups["action"], "_row"),
        }
        settings = app_settings()
        try:
            saved = service.create_meeting(settings, acting_user(), meeting_record.from_form(values, settings.tz))
        except service.MeetingError as exc:  # MeetingNumberTaken included
            return dmc.Alert(
                t(f"meetings.error.{exc.code}", lang, **_details(exc.details)), color="red", id="mf-error"
            ), dash.no_update
        return dmc.Alert(t("meetings.form.saved", lang, number=saved), color="teal"), f"/meetings/{saved}"


def _details(details: dict) -> dict:
    return {k: v for k, v in details.items() if isinstance(v, (int, str))}


dash.register_page(__name__, path="/meetings/new", name="meeting_new", title="新建调度会", layout=layout)
