"""One dispatch meeting: decisions, problems, accountability, its ledger (new and carried items),
the air quality it was told (frozen), what happened since, PM before and after it over N days
(``?days=N``), and the minutes (rendered safely)."""

from __future__ import annotations

import datetime as dt

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, dcc, html

from dashboard import analytics as dashboard_clock
from dashboard.analytics import meeting_effect
from dashboard.analytics import meetings as analytics
from dashboard.auth import current_language
from dashboard.i18n import t
from dashboard.i18n.formats import format_date, format_datetime
from dashboard.services import meetings as service
from dashboard.ui.components.markdown import safe_markdown
from dashboard.ui.components.meeting_effect import effect_body, effect_card
from dashboard.ui.components.meeting_parts import (
    category_chips,
    category_label,
    chair_label,
    fmt_change,
    fmt_iso_date,
    fmt_number,
    fmt_share,
    measure_badge,
    meeting_name,
    meeting_short,
    section,
    simple_table,
    status_badge,
    unit_name,
)
from dashboard.ui.data import acting_user, app_settings, read_session
from dashboard.ui.inputs import BadInput, int_or_none

#: Carried items listed on a meeting's page (most overdue then first; its new items are all
#: listed): a district years in keeps hundreds of open items, which were most of the page's bytes.
SHOWN_CARRIED = 40


def _period_text(period: dict, lang: str) -> str:
    return t(
        "meetings.air.period",
        lang,
        start=fmt_iso_date(period["start"], lang),
        end=fmt_iso_date(period["end"], lang),
        days=period["days"],
    )


def _kpi(label: str, value: str, change=None, element_id: str | None = None) -> dmc.Paper:
    extra = {"id": element_id} if element_id else {}
    return dmc.Paper(
        [
            dmc.Text(label, size="xs", c="dimmed"),
            dmc.Group([dmc.Text(value, fw=700, size="lg"), change or ""], gap=6, align="baseline"),
        ],
        withBorder=True,
        p="xs",
        radius="sm",
        **extra,
    )


def _air_panel(air: analytics.MeetingAir, lang: str, tz, can_edit: bool):
    rec = air.record
    d = rec.get("district", {})
    change = rec.get("change", {})
    if not d.get("n_valid"):
        body = [dmc.Text(t("meetings.air.no_data", lang), c="dimmed")]
    else:
        stations = [
            [
                f"{s['name']}（{s['code']}）" if lang == "zh" else f"{s['name']} ({s['code']})",
                fmt_number(s["pm25"]),
                fmt_number(s["pm10"]),
                f"{s['n_good']}/{s['n_valid']}",
                fmt_change(s["change"].get("pm25_pct")),
            ]
            for s in rec.get("stations", [])
            if not s.get("background")
        ]
        worst = [
            html.Li(
                t(
                    "meetings.air.worst_day",
                    lang,
                    date=fmt_iso_date(w["date"], lang),
                    aqi=w["aqi"],
                    category=category_label(w["category"], lang),
                    primary=w["primary"] or "—",
                )
            )
            for w in d.get("worst_days", [])
        ]
        body = [
            dmc.Text(_period_text(rec["period"], lang), size="sm"),
            dmc.SimpleGrid(
                [
                    _kpi(
                        t("meetings.air.pm25", lang),
                        fmt_number(d.get("pm25")),
                        fmt_change(change.get("pm25_pct")),
                        "air-pm25",
                    ),
                    _kpi(t("meetings.air.pm10", lang), fmt_number(d.get("pm10")), fmt_change(change.get("pm10_pct"))),
                    _kpi(
                        t("meetings.air.good_days", lang),
                        f"{d['n_good']}/{d['n_valid']}（{fmt_share(d.get('good_share'))}）"
                        if lang == "zh"
                        else f"{d['n_good']}/{d['n_valid']} ({fmt_share(d.get('good_share'))})",
                        fmt_change(
                            change.get("good_share_pts"), t("meetings.air.points", lang), better_when_lower=False
                        ),
                    ),
                ],
                cols=3,
                spacing="xs",
            ),
            dmc.Text(t("meetings.air.compared", lang, period=_period_text(rec["before"], lang)), size="xs", c="dimmed"),
            category_chips(d.get("categories", {}), lang),
            dmc.Text(t("meetings.air.worst_days", lang), size="sm", fw=600),
            html.Ul(worst, className="compact-list"),
            simple_table(
                [
                    t("meetings.air.station", lang),
                    "PM2.5",
                    "PM10",
                    t("meetings.air.good_days", lang),
                    t("meetings.air.pm25_change", lang),
                ],
                stations,
            ),
        ]
    if air.frozen:
        note = dmc.Text(
            t(
                "meetings.air.frozen_at",
                lang,
                time=format_datetime(dt.datetime.fromisoformat(rec["computed_at"]), lang, tz),
                standard=rec.get("standard", ""),
            ),
            size="xs",
            c="dimmed",
            id="air-frozen-note",
        )
        right = dmc.Badge(t("meetings.air.frozen", lang), color="teal", variant="light")
    else:
        note = dmc.Alert(
            t("meetings.air.not_frozen", lang, standard=rec.get("standard", "")), color="yellow", id="air-frozen-note"
        )
        right = (
            dmc.Button(
                t("meetings.air.freeze", lang),
                id="meeting-freeze-air",
                size="xs",
                variant="light",
                disabled=not can_edit,
            )
            if can_edit
            else None
        )
    return section(
        t("meetings.air.title", lang), [*body, note, html.Div(id="meeting-freeze-message")], "meeting-air", right
    )


def _since_panel(report: analytics.SinceReport, lang: str, tz):
    if report.end <= report.start:
        return section(
            t("meetings.since.title", lang),
            dmc.Text(t("meetings.since.not_yet", lang), c="dimmed", id="since-window"),
            "since-panel",
        )
    if report.next_number is not None:
        window = t(
            "meetings.since.until_next", lang, start=format_datetime(report.start, lang, tz), number=report.next_number
        )
    else:
        window = t(
            "meetings.since.until_now",
            lang,
            start=format_datetime(report.start, lang, tz),
            end=format_date(report.end.astimezone(tz).date(), lang),
        )
    before, after = report.air_before, report.air_after
    rate_before, rate_after = report.checks_before["rate"], report.checks_after["rate"]
    rate_change = None if rate_before is None or rate_after is None else round((rate_after - rate_before) * 100, 1)
    acc = report.accountability
    acc_items = [
        html.Li(
            [
                measure_badge(r.measure, lang),
                " ",
                unit_name(r.unit, r.unit_en, lang),
                " · ",
                meeting_short(int(r.meeting_number), lang),
                "：" if lang == "zh" else ": ",
                r.reason,
            ]
        )
        for r in acc.itertuples()
    ]
    after_period = (
        t(
            "meetings.air.period",
            lang,
            start=format_date(report.air_after_period[0], lang),
            end=format_date(report.air_after_period[1], lang),
            days=(report.air_after_period[1] - report.air_after_period[0]).days + 1,
        )
        if report.air_after_period
        else "—"
    )
    rows = [
        [
            t("meetings.since.pm25", lang),
            fmt_number(before.get("pm25")),
            fmt_number(after.get("pm25")),
            fmt_change(report.air_change.get("pm25_pct")),
        ],
        [
            t("meetings.since.good_share", lang),
            fmt_share(before.get("good_share")),
            fmt_share(after.get("good_share")),
            fmt_change(
                report.air_change.get("good_share_pts"), t("meetings.air.points", lang), better_when_lower=False
            ),
        ],
        [
            t("meetings.since.pass_rate", lang),
            fmt_share(rate_before),
            fmt_share(rate_after),
            fmt_change(rate_change, t("meetings.air.points", lang), better_when_lower=False),
        ],
        [
            t("meetings.since.checks", lang),
            str(report.checks_before["applicable"]),
            str(report.checks_after["applicable"]),
            "",
        ],
    ]
    return section(
        t("meetings.since.title", lang),
        [
            dmc.Text(window, size="sm", id="since-window"),
            simple_table(
                [
                    t("meetings.since.measure", lang),
                    t("meetings.since.before", lang),
                    t("meetings.since.after", lang),
                    t("meetings.since.change", lang),
                ],
                rows,
                "since-table",
            ),
            dmc.Text(t("meetings.since.air_period", lang, period=after_period), size="xs", c="dimmed"),
            dmc.List(
                [
                    dmc.ListItem(
                        t(
                            "meetings.since.own_items",
                            lang,
                            closed=report.items_closed,
                            total=report.items_total,
                            verified=report.items_verified,
                            overdue=report.items_overdue,
                        )
                    ),
                    dmc.ListItem(
                        t("meetings.since.closed", lang, done=report.closed_since, verified=report.verified_since)
                    ),
                    dmc.ListItem(t("meetings.since.escalations", lang, n=report.escalations)),
                ],
                size="sm",
                id="since-actions",
            ),
            dmc.Text(t("meetings.since.accountability", lang), size="sm", fw=600),
            html.Ul(acc_items, className="compact-list")
            if acc_items
            else dmc.Text(t("meetings.since.no_accountability", lang), size="sm", c="dimmed"),
        ],
        "since-panel",
    )


def _problems(meeting, lang: str, names: dict, sites: dict, items: dict):
    out = []
    for p in meeting.problems:
        tags = []
        if p.township_id in names:
            tags.append(dmc.Badge(names[p.township_id][1 if lang == "en" else 0], variant="outline", size="sm"))
        if p.site_id in sites:
            tags.append(
                dmc.Anchor(
                    dmc.Badge(sites[p.site_id], variant="outline", color="orange", size="sm"),
                    href=f"/sites/{p.site_id}",
                )
            )
        if p.item_key in items:
            tags.append(
                dmc.Badge(items[p.item_key][1 if lang == "en" else 0], variant="outline", color="gray", size="sm")
            )
        out.append(html.Li([p.description, " ", *tags]))
    return html.Ol(out, className="meeting-list") if out else dmc.Text(t("meetings.none", lang), c="dimmed")


def _ledger_table(frame, lang: str, tz):
    if frame.empty:
        return dmc.Text(t("meetings.none", lang), c="dimmed")
    carried = frame[frame["kind"] == "carried"]
    # The frame lists the new items first, then the carried ones most overdue first.
    shown = frame.head(len(frame) - len(carried) + SHOWN_CARRIED)
    rows = []
    for r in shown.itertuples():
        kind = (
            dmc.Badge(t("meetings.ledger.new", lang), color="blue", variant="light")
            if r.kind == "new"
            else dmc.Badge(t("meetings.ledger.carried_n", lang, n=r.carried), color="orange", variant="light")
        )
        overdue = (
            html.Span(t("meetings.ledger.days", lang, n=r.days_overdue), className="change-bad")
            if r.days_overdue
            else "—"
        )
        rows.append(
            [
                kind,
                meeting_short(int(r.meeting_number), lang),
                str(r.seq),
                r.task,
                unit_name(r.responsible_unit, r.responsible_unit_en, lang),
                format_date(r.deadline, lang),
                overdue,
                str(r.carried),
                status_badge(r.status, lang),
            ]
        )
    head = [
        t("meetings.ledger.kind", lang),
        t("ledger.col.meeting", lang),
        t("ledger.col.seq", lang),
        t("ledger.col.task", lang),
        t("ledger.col.unit", lang),
        t("ledger.col.deadline", lang),
        t("meetings.ledger.overdue_then", lang),
        t("ledger.col.carried", lang),
        t("meetings.ledger.status_now", lang),
    ]
    table = simple_table(head, rows, "meeting-ledger-table", min_width=640)
    if len(carried) <= SHOWN_CARRIED:
        return table
    more = dmc.Text([t("meetings.ledger.more", lang, carried=len(carried), shown=SHOWN_CARRIED), " ",
                     dcc.Link(t("meetings.ledger.more_link", lang), href="/ledger")],
                    size="xs", c="dimmed", id="meeting-ledger-more")
    return [table, more]


def layout(number: str = "", days: str | None = None, **_query):
    if number == "new":
        # "/meetings/new" also matches this page's template; the form is its own page.
        from dashboard.ui.pages import meeting_new

        return meeting_new.layout()
    lang = current_language()
    settings = app_settings()
    tz = settings.tz
    try:
        n = int(number)
    except (TypeError, ValueError):
        n = None
    with read_session() as session:
        meeting = analytics.get_meeting(session, n) if n is not None else None
        if meeting is None:
            return html.Div(
                [
                    dmc.Title(t("meetings.not_found", lang), order=2),
                    dmc.Anchor(t("meetings.back", lang), href="/meetings"),
                ],
                className="page page-meeting",
            )
        today = dashboard_clock.today(session, tz)
        air = analytics.meeting_air_quality(session, settings.database_url, meeting, tz)
        report = analytics.since(session, settings.database_url, meeting, tz)
        effect = meeting_effect.meeting_effect(
            session, settings.database_url, meeting, meeting_effect.parse_days(days), tz
        )
        ledger = analytics.meeting_ledger(session, meeting, tz, today)
        names = analytics.township_names(session)
        sites = analytics.site_names(session, [p.site_id for p in meeting.problems if p.site_id])
        items = analytics.item_labels(session)
        prev, nxt = analytics.neighbours(session, meeting.held_at)
        accountability = [
            [measure_badge(a.measure, lang), unit_name(a.unit.name, a.unit.name_en, lang), a.reason]
            for a in meeting.accountability
        ]
        can_edit = acting_user().at_least("editor")
        air_panel = _air_panel(air, lang, tz, can_edit)
        since_panel = _since_panel(report, lang, tz)
        problems = _problems(meeting, lang, names, sites, items)
        decisions = [html.Li(d.text) for d in meeting.decisions]
        header_line = " · ".join(
            x
            for x in [
                format_datetime(meeting.held_at, lang, tz),
                meeting.location,
                t("meetings.chaired_by", lang, chair=chair_label(meeting.chair_title, lang)),
            ]
            if x
        )
        english = {u.name: u.name_en for u in analytics.units(session) if u.name_en}
        attendees = (
            "、".join(meeting.attendees) if lang == "zh" else ", ".join(english.get(a, a) for a in meeting.attendees)
        )
        version = meeting.version
        summary, minutes = meeting.summary, meeting.minutes_md

    nav = dmc.Group(
        [
            dmc.Anchor(t("meetings.previous", lang, number=prev.number), href=f"/meetings/{prev.number}")
            if prev
            else None,
            dmc.Anchor(t("meetings.back", lang), href="/meetings"),
            dmc.Anchor(t("meetings.next", lang, number=nxt.number), href=f"/meetings/{nxt.number}") if nxt else None,
            dmc.Anchor(t("meetings.its_briefing", lang), href=f"/briefing/{n}", id="meeting-briefing-link"),
        ],
        gap="md",
        className="no-print",
    )
    return html.Div(
        [
            dcc.Store(id="meeting-ref", data={"number": n, "version": version}),
            dmc.Group([dmc.Title(meeting_name(n, lang), order=2, id="meeting-title"), nav], justify="space-between"),
            dmc.Text(header_line, c="dimmed", id="meeting-when"),
            dmc.Text(t("meetings.attendees", lang, names=attendees or "—"), size="sm"),
            dmc.Text(summary, size="sm") if summary else None,
            dmc.Grid(
                [
                    dmc.GridCol(
                        dmc.Stack(
                            [
                                section(
                                    t("meetings.decisions", lang),
                                    html.Ol(decisions, className="meeting-list")
                                    if decisions
                                    else dmc.Text(t("meetings.none", lang), c="dimmed"),
                                    "meeting-decisions",
                                ),
                                section(t("meetings.problems", lang), problems, "meeting-problems"),
                                section(
                                    t("meetings.accountability", lang),
                                    simple_table(
                                        [
                                            t("meetings.acc.measure", lang),
                                            t("meetings.acc.unit", lang),
                                            t("meetings.acc.reason", lang),
                                        ],
                                        accountability,
                                    )
                                    if accountability
                                    else dmc.Text(t("meetings.none", lang), c="dimmed"),
                                    "meeting-accountability",
                                ),
                            ],
                            gap="md",
                        ),
                        span={"base": 12, "lg": 6},
                    ),
                    dmc.GridCol(dmc.Stack([air_panel, since_panel], gap="md"), span={"base": 12, "lg": 6}),
                ],
                gutter="md",
            ),
            effect_card(effect, lang),
            section(
                t("meetings.ledger.title", lang),
                [
                    dmc.Text(t("meetings.ledger.explain", lang), size="xs", c="dimmed"),
                    _ledger_table(ledger, lang, tz),
                ],
                "meeting-ledger",
            ),
            section(
                t("meetings.minutes", lang),
                safe_markdown(minutes, id="meeting-minutes")
                if minutes.strip()
                else dmc.Text(t("meetings.none", lang), c="dimmed"),
                "meeting-minutes-section",
            ),
        ],
        className="page page-meeting",
        style={"display": "flex", "flexDirection": "column", "gap": "14px"},
    )


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output("meeting-freeze-message", "children"),
        Input("meeting-freeze-air", "n_clicks"),
        State("meeting-ref", "data"),
        prevent_initial_call=True,
    )
    def _freeze(n_clicks, ref):
        lang = current_language()
        if not n_clicks or not ref:
            raise dash.exceptions.PreventUpdate
        number = ref.get("number") if isinstance(ref, dict) else None
        if not isinstance(number, int):
            raise BadInput("meeting")
        try:
            service.freeze_air_quality(app_settings(), acting_user(), number, ref.get("version"))
        except service.MeetingError as exc:
            return dmc.Alert(t(f"meetings.error.{exc.code}", lang, **_fmt(exc.details)), color="red")
        return [
            dmc.Alert(t("meetings.air.frozen_now", lang), color="teal"),
            dcc.Location(id="meeting-reload", href=f"/meetings/{number}", refresh=True),
        ]


    @app.callback(
        Output("effect-body", "children"),
        Input("effect-days", "value"),
        State("meeting-ref", "data"),
        prevent_initial_call=True,
    )
    def _effect(days, ref):
        number = int_or_none(ref.get("number")) if isinstance(ref, dict) else None
        if number is None:
            raise BadInput("meeting")
        n = meeting_effect.parse_days(days)
        if str(n) != str(days).removesuffix(".0"):
            # Half-typed ("1" on the way to "14") or blank: the input clamps it on blur, and
            # the card should never show another N than the input does.
            raise dash.exceptions.PreventUpdate
        settings = app_settings()
        with read_session() as session:
            meeting = analytics.get_meeting(session, number)
            if meeting is None:
                raise BadInput("meeting")
            effect = meeting_effect.meeting_effect(session, settings.database_url, meeting, n, settings.tz)
        return effect_body(effect, current_language())

    # The URL carries N so the view can be shared. replaceState, not a dcc.Location: a changed
    # search would make the pages router rebuild the whole page on every step of the input.
    app.clientside_callback(
        """
        function (days) {
            const n = Number(days);
            if (!Number.isInteger(n) || n < MIN_DAYS || n > MAX_DAYS) { return window.dash_clientside.no_update; }
            const url = new URL(window.location.href);
            url.searchParams.set("days", String(n));
            window.history.replaceState(window.history.state, "", url.toString());
            return n;
        }
        """.replace("MIN_DAYS", str(meeting_effect.MIN_DAYS)).replace("MAX_DAYS", str(meeting_effect.MAX_DAYS)),
        Output("effect-url-sync", "data"),
        Input("effect-days", "value"),
        prevent_initial_call=True,
    )


def _fmt(details: dict) -> dict:
    return {k: v for k, v in details.items() if isinstance(v, (int, str))}


dash.register_page(__name__, path_template="/meetings/<number>", name="meeting", title="调度会", layout=layout)
