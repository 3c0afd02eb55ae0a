"""Record or edit one inspection: /inspections/new and /inspections/<id>.

Made for a phone on a construction site: every item starts unanswered, so nothing is recorded
as passed without a look ("其余合格" then passes the rest in one tap, on purpose); a failed item
asks for a note and takes photos. ``?site=<id>`` opens the form for that site and
``?recheck=<rectification id>`` a re-inspection (复查) of exactly that rectification's item.
Apart from 其余合格 (which fills only unanswered items), the callbacks never write to the inputs
the user typed into, so whatever goes wrong on saving (a missing note, someone else's edit, a
server error) the form keeps its contents. Saving goes through ``services.inspections``, which checks
the role and the township.

On a weak signal nothing is lost either (assets/inspection_draft.js): every change is kept on the
phone under the form's address until the server confirms the save, so a reload or a closed tab
brings it back; 提交 goes through an outbox that resends until it is answered, and the form's
idempotency key makes every resend save the same one inspection.
"""

from __future__ import annotations

import datetime as dt
import uuid
from urllib.parse import urlencode

import dash
import dash_mantine_components as dmc
from dash import ALL, MATCH, ClientsideFunction, Input, Output, State, ctx, dcc, html, no_update
from flask import abort, current_app, send_file

from dashboard import analytics
from dashboard.analytics import inspections as store
from dashboard.analytics.photos import PhotoEvidence, photo_evidence
from dashboard.analytics.rectifications import effects_of_inspection, open_for_site, rectifications
from dashboard.analytics.sites import with_positions
from dashboard.auth import current_language
from dashboard.domain.errors import CodedError
from dashboard.domain.inspection import KINDS, UNANSWERED, ItemEntry, may_write
from dashboard.domain.nearby import by_distance, position_from, site_to_preselect
from dashboard.i18n import t
from dashboard.i18n.formats import format_date, format_datetime, format_distance
from dashboard.services import inspections as service
from dashboard.services.access import Forbidden
from dashboard.storage.photos import PhotoRejected, find_photo, is_photo_hash
from dashboard.ui.components import near
from dashboard.ui.data import acting_user, app_settings, read_session
from dashboard.ui.inputs import BadInput, int_or_none, upload_bytes

RESULT_COLORS = {"pass": "teal", "fail": "red", "na": "gray", UNANSWERED: "gray"}
HIDDEN = {"display": "none"}
EFFECT_ORDER = {"opened": 0, "repeat": 1, "closed": 2}


def title(inspection_id: str | None = None, **_kwargs) -> str:
    lang = current_language()
    key = "inspections.form.title_new" if inspection_id in (None, "new") else "inspections.form.title_edit"
    return f"{t(key, lang, id=inspection_id)} · {t('app.title', lang)}"


def _label(item: tuple, lang: str) -> str:
    _key, _pos, label, label_en = item
    return label_en or label if lang == "en" else label


def _site_label(row, lang: str) -> str:
    township = row.township_en or row.township if lang == "en" else row.township
    distance = format_distance(getattr(row, "distance_m", None), lang)
    return f"{row.code} {row.name} · {township}" + (f" · {distance}" if distance else "")


def _own_township(user) -> int | None:
    """An inspector picks among their township's sites only."""
    return user.township_id if user.role == "inspector" else None


def _item_row(item: tuple, entry: ItemEntry | None, lang: str, disabled: bool,
              evidence: dict[str, PhotoEvidence] | None = None) -> html.Div:
    key, position, *_ = item
    result = entry.result if entry else UNANSWERED
    photos = list(entry.photos) if entry else []
    return html.Div(
        [
            html.Div([html.Span(f"{position}.", className="insp-item-no"), _label(item, lang)],
                     className="insp-item-label"),
            dmc.SegmentedControl(
                id={"type": "insp-result", "key": key},
                data=[{"value": r, "label": t(f"inspections.result.{r}", lang)} for r in ("pass", "fail", "na")],
                value=result, color=RESULT_COLORS[result], size="md", disabled=disabled,
            ),
            html.Div(
                [
                    dmc.Textarea(
                        id={"type": "insp-note", "key": key}, value=entry.note if entry else "",
                        label=t("inspections.form.fail_note", lang), autosize=True, minRows=2,
                        placeholder=t("inspections.form.fail_note_hint", lang), disabled=disabled, required=True,
                    ),
                    dcc.Upload(
                        html.Div(t("inspections.form.photo_drop", lang)),
                        id={"type": "insp-upload", "key": key}, accept="image/jpeg,image/png,image/webp",
                        multiple=True, className="insp-upload", disabled=disabled,
                        style=HIDDEN if disabled else None,
                    ),
                    dmc.Text("", id={"type": "insp-photo-msg", "key": key}, c="red", size="sm"),
                    html.Div(_thumbs(key, photos, disabled, evidence, lang), id={"type": "insp-thumbs", "key": key},
                             className="insp-thumbs"),
                    dcc.Store(id={"type": "insp-photos", "key": key}, data=photos),
                ],
                id={"type": "insp-fail-box", "key": key},
                className="insp-fail-box",
                style=None if result == "fail" else HIDDEN,
            ),
        ],
        id={"type": "insp-item", "key": key},
        className=_item_class(result),
        **{"data-key": key},
    )


def _item_class(result: str | None) -> str:
    if result == "fail":
        return "insp-item insp-item-fail"
    return "insp-item insp-item-open" if not result else "insp-item"


def _photo_caption(evidence: PhotoEvidence | None, lang: str) -> html.Div | None:
    """Under a thumbnail: when (Beijing time) and how far from the site it was taken, and a
    warning when either is beyond the limits; photos kept before EXIF was read show nothing."""
    if evidence is None:
        return None
    meta, check, rules = evidence.meta, evidence.check, evidence.rules
    lines: list = []
    if meta.taken_at is not None:
        lines.append(html.Div(f"{meta.taken_at.astimezone(app_settings().tz):%m-%d %H:%M}",
                              className="insp-photo-time"))
    else:
        lines.append(html.Div(t("inspections.evidence.no_time", lang), className="insp-photo-missing"))
    if check.distance_m is not None:
        distance = format_distance(check.distance_m, lang)
        lines.append(html.Div(t("inspections.evidence.distance", lang, distance=distance),
                              className="insp-photo-distance"))
    elif check.no_location:
        lines.append(html.Div(t("inspections.evidence.no_location", lang), className="insp-photo-missing"))
    if check.far:
        lines.append(html.Span(t("inspections.evidence.far", lang), className="insp-photo-flag insp-photo-far",
                               title=t("inspections.evidence.far_title", lang, limit=rules.max_distance_m)))
    if check.off_time:
        lines.append(html.Span(t("inspections.evidence.off_time", lang), className="insp-photo-flag insp-photo-late",
                               title=t("inspections.evidence.off_time_title", lang, limit=rules.max_hours)))
    return html.Div(lines, className="insp-photo-caption")


def _thumbs(key: str, photos: list[str], disabled: bool = False, evidence: dict[str, PhotoEvidence] | None = None,
            lang: str = "zh") -> list:
    evidence = evidence or {}
    return [
        html.Div(
            [
                html.A(html.Img(src=f"/photos/{h}", className="insp-thumb", alt=""), href=f"/photos/{h}",
                       target="_blank"),
                None if disabled else html.Button(
                    "×", id={"type": "insp-photo-remove", "key": key, "hash": h}, className="insp-thumb-remove",
                    title="remove", n_clicks=0,
                ),
                _photo_caption(evidence.get(h), lang),
            ],
            className="insp-thumb-wrap",
        )
        for h in photos
        if is_photo_hash(h)
    ]


def _checklist_text(checklist: store.ChecklistView | None, lang: str) -> str:
    if checklist is None:
        return t("inspections.form.no_checklist", lang)
    name = checklist.name_en or checklist.name if lang == "en" else checklist.name
    return t("inspections.form.checklist", lang, name=name, since=format_date(checklist.valid_from, lang))


def _alert_text(alert, lang: str, tz) -> str:
    if alert is None:
        return ""
    end = format_datetime(alert.ends_at, lang, tz) if alert.ends_at else t("inspections.form.alert_open_end", lang)
    return t("inspections.form.alert_in_force", lang, level=t(f"alert.level.{alert.level}", lang),
             start=format_datetime(alert.starts_at, lang, tz), end=end)


def _open_hint(frame, lang: str) -> list:
    if frame is None or frame.empty:
        return []
    items = [
        html.Li(t("inspections.form.open_rect_overdue" if row.days_overdue > 0 else "inspections.form.open_rect_item",
                  lang, item=(row.item_label_en or row.item_label) if lang == "en" else row.item_label,
                  deadline=format_date(row.deadline, lang), days=int(row.days_overdue)))
        for row in frame.itertuples()
    ]
    return [dmc.Alert([html.Ul(items, style={"margin": 0, "paddingLeft": "1.2em"})],
                      title=t("inspections.form.open_rects", lang, count=len(frame)), color="yellow",
                      id="insp-open-rects")]


def _effects(frame, lang: str) -> dmc.Paper | None:
    """Rectifications this inspection opened, closed or failed again."""
    if frame is None or frame.empty:
        return None
    lines = [
        html.Li(dcc.Link(t(f"inspections.form.effect_{r.effect}", lang,
                           item=(r.item_label_en or r.item_label) if lang == "en" else r.item_label,
                           deadline=format_date(r.deadline, lang)),
                         href=f"/rectifications?status={'open' if r.effect != 'closed' else 'closed'}"
                              f"&search={r.site_code}",
                         className="insp-effect-link"))
        for r in frame.sort_values("effect", key=lambda e: e.map(EFFECT_ORDER), kind="stable").itertuples()
    ]
    return dmc.Paper(
        [
            dmc.Title(t("inspections.form.effects", lang), order=5),
            html.Ul(lines, style={"margin": "6px 0"}),
            dcc.Link(t("inspections.form.to_rectifications", lang), href="/rectifications"),
        ],
        withBorder=True, p="md", id="insp-effects",
    )


def _recheck_of(session, value, today, tz):
    """The open rectification a 复查 link names, or None."""
    rect_id = int_or_none(value)
    if rect_id is None:
        return None
    frame = rectifications(session, today, tz, ids=[rect_id], status="open")
    return None if frame.empty else frame.iloc[0]


def layout(inspection_id: str | None = None, saved: str | None = None, site: str | None = None,
           recheck: str | None = None, **_query) -> html.Div:
    lang = current_language()
    settings = app_settings()
    tz = settings.tz
    user = acting_user()
    is_new = inspection_id in (None, "new")
    with read_session() as session:
        view = None
        if not is_new:
            try:
                view = store.load_inspection(session, int(inspection_id))
            except ValueError:
                view = None
            if view is None:
                return html.Div([dmc.Title(t("inspections.form.title_edit", lang, id=inspection_id), order=2),
                                 dmc.Alert(t("inspections.form.not_found", lang), color="red")],
                                className="page page-inspection-form")
        now = analytics.now(session, tz)
        today = analytics.today(session, tz)
        at = view.inspected_at.astimezone(tz) if view else now.astimezone(tz).replace(second=0, microsecond=0)
        sites = store.site_options(session, township_id=_own_township(user), include=view.site_id if view else None)
        checklist = (store.checklist_by_id(session, view.checklist_version_id) if view
                     else store.checklist_for(session, at.date()))
        alert = store.alert_in_force(session, at)
        followed = None if view else _recheck_of(session, recheck, today, tz)
        chosen = view.site_id if view else int(followed.site_id) if followed is not None else int_or_none(site)
        if chosen is not None and chosen not in set(sites["id"]):
            chosen = None  # not a site this user may inspect: the picker starts empty as usual
        hint = open_for_site(session, chosen, today, tz) if chosen is not None else None
        effects = effects_of_inspection(session, view.id, today, tz) if view else None
        evidence = photo_evidence(session, (h for e in (view.entries.values() if view else ()) for h in e.photos),
                                  chosen, at) if view else {}
    can_write = user.at_least("inspector") and (
        view is None or may_write(user.role, user.township_id, view.township_id))
    disabled = not can_write
    submitted = view is not None and view.status == "submitted"
    entries = view.entries if view else {}
    kind_value = view.kind if view else "recheck" if followed is not None else "routine"
    shown_items = list(checklist.items if checklist else ())
    if followed is not None:
        shown_items = [item for item in shown_items if item[0] == followed.item_key]
    elif view is not None and view.kind == "recheck" and entries:
        # A stored re-inspection covers the items it answered, no more.
        shown_items = [item for item in shown_items if item[0] in entries]

    header = dmc.Group(
        [
            dmc.Title(t("inspections.form.title_edit", lang, id=view.id) if view
                      else t("inspections.form.title_new", lang), order=2),
            dmc.Badge(t(f"inspections.status.{view.status}", lang), color="teal" if submitted else "gray",
                      size="lg", id="insp-status") if view else None,
            dmc.Anchor(t("inspections.form.back", lang), href="/inspections", size="sm"),
        ],
        align="center",
    )
    banner = None
    if saved in ("draft", "submitted", "updated"):
        banner = dmc.Alert(t(f"inspections.form.saved_{saved}", lang), color="teal", id="insp-saved",
                           withCloseButton=True)
    if disabled:
        banner = dmc.Alert(t("inspections.form.read_only", lang), color="gray", id="insp-read-only")

    picker = dmc.Select(
        id="insp-site", label=t("inspections.form.site", lang),
        data=[{"value": str(r.id), "label": _site_label(r, lang)} for r in sites.itertuples()],
        value=str(chosen) if chosen is not None else None, searchable=True, clearable=not view,
        placeholder=t("inspections.form.site_hint", lang), required=True, disabled=disabled,
        nothingFoundMessage=t("inspections.form.site_none", lang), limit=50,
        comboboxProps={"withinPortal": True},
    )
    # Near me only where a site is still to be picked: a new inspection, not a 复查 of a given one.
    nearby = is_new and not disabled and followed is None
    fields = dmc.SimpleGrid(
        [
            html.Div([picker, near.controls("insp", lang)], className="insp-site-picker") if nearby else picker,
            dmc.Group(
                [
                    dmc.DateInput(
                        id="insp-date", label=t("inspections.form.date", lang), value=at.date().isoformat(),
                        valueFormat="YYYY-MM-DD", maxDate=today.isoformat(), required=True, disabled=disabled,
                        w=150,
                    ),
                    # Mantine's 24-hour field: the browser's own time box follows the system
                    # locale and showed "11:59 PM" on a Chinese page.
                    dmc.TimePicker(id="insp-time", label=t("inspections.form.time", lang), format="24h",
                                   value=at.strftime("%H:%M"), required=True, disabled=disabled, w=100),
                ],
                gap="sm", align="flex-start", wrap="nowrap",
            ),
            dmc.TextInput(
                id="insp-inspector", label=t("inspections.form.inspector", lang), required=True,
                value=view.inspector_name if view else user.name, disabled=disabled,
            ),
        ],
        cols={"base": 1, "sm": 3}, spacing="md",
    )
    kind = dmc.Group(
        [
            dmc.Text(t("inspections.form.kind", lang), size="sm", fw=500),
            dmc.SegmentedControl(
                id="insp-kind", value=kind_value, disabled=disabled,
                data=[{"value": k, "label": t(f"inspections.kind.{k}", lang)} for k in KINDS],
            ),
            dmc.Text(_checklist_text(checklist, lang), id="insp-checklist", size="sm", c="dimmed"),
        ],
        gap="md",
    )
    stop_box = dmc.Alert(
        [
            dmc.Text(_alert_text(alert, lang, tz), id="insp-alert-text", size="sm", mb=6),
            dmc.Checkbox(id="insp-wds", label=t("inspections.form.working_during_stop", lang),
                         checked=bool(view and view.working_during_stop), color="red", disabled=disabled),
        ],
        color="orange", id="insp-alert-box", style=None if alert else HIDDEN,
        title=t("inspections.form.alert_title", lang),
    )
    items = dmc.Paper(
        [_item_row(item, entries.get(item[0]), lang, disabled, evidence) for item in shown_items],
        withBorder=True, p=0, id="insp-items",
    )

    actions = dmc.Group(
        [
            # In the bar that stays in view: "offline, kept, will send" must be seen from any item.
            html.Div(id="insp-send-status", className="insp-send-status", role="status"),
            dmc.Button(t("inspections.form.submit_again" if submitted else "inspections.form.submit", lang),
                       id="insp-submit", size="md", disabled=disabled),
            # In the bar that stays at the bottom of a phone's screen: reachable from any item.
            dmc.Button(t("inspections.form.rest_pass", lang), id="insp-rest-pass", variant="light", color="teal",
                       size="md", n_clicks=0, **{"aria-description": t("inspections.form.rest_pass_hint", lang)}),
            dmc.Button(t("inspections.form.save_draft", lang), id="insp-save-draft", variant="default", size="md",
                       disabled=disabled, style=HIDDEN if submitted else None),
            dmc.Button(t("inspections.form.overwrite", lang), id="insp-overwrite", color="orange", variant="light",
                       size="md", style=HIDDEN),
        ],
        className="insp-actions", style=HIDDEN if disabled else None,
    )
    recheck_note = None
    if followed is not None:
        item_label = (followed.item_label_en or followed.item_label) if lang == "en" else followed.item_label
        recheck_note = dmc.Alert(t("inspections.form.recheck_of", lang, item=item_label, id=int(followed.id),
                                   deadline=format_date(followed.deadline, lang)),
                                 color="blue", id="insp-recheck-of")
    # After a save the confirmation and what it did to the rectifications come first, in view.
    confirmation = [banner, _effects(effects, lang)] if saved else [banner]
    restored = html.Div(
        [html.Span(id="insp-restored-text"),
         dmc.Button(t("inspections.draft.discard", lang), id="insp-discard", variant="subtle", color="gray",
                    size="compact-sm", n_clicks=0)],
        id="insp-restored", className="insp-restored", style=HIDDEN,
    )
    return html.Div(
        [
            header,
            *confirmation,
            restored,
            html.Div(id="insp-other-drafts", className="insp-other-drafts"),
            recheck_note,
            fields,
            kind,
            html.Div(_open_hint(hint, lang), id="insp-site-hint"),
            stop_box,
            items,
            dmc.Textarea(id="insp-general-note", label=t("inspections.form.general_note", lang),
                         value=view.note if view else "", autosize=True, minRows=2, disabled=disabled),
            html.Div(id="insp-message"),
            actions,
            None if saved else _effects(effects, lang),
            dcc.Store(id="insp-saved-flag", data=bool(saved)),
            *_draft_parts(_draft_slot(view, site, recheck, disabled), view, saved, lang),
            dcc.Store(id="insp-id", data=view.id if view else None),
            dcc.Store(id="insp-version", data=view.version if view else None),
            dcc.Store(id="insp-latest-version"),
            dcc.Store(id="insp-checklist-id", data=checklist.id if checklist else None),
            dcc.Location(id="insp-nav", refresh="callback-nav"),
        ],
        className="page page-inspection-form",
        style={"display": "flex", "flexDirection": "column", "gap": "14px", "maxWidth": "1100px"},
    )


# --- callbacks ------------------------------------------------------------------------------------


def _draft_slot(view, site: str | None, recheck: str | None, disabled: bool) -> str | None:
    """Where this form's draft is kept on the phone: the form's own address (None: read-only)."""
    if disabled:
        return None
    if view is not None:
        return f"/inspections/{view.id}"
    query = urlencode({k: v for k, v in (("site", site), ("recheck", recheck)) if v})
    return "/inspections/new" + (f"?{query}" if query else "")


def _draft_parts(slot: str | None, view, saved: str | None, lang: str) -> list:
    texts = {k: t(f"inspections.draft.{k}", lang) for k in
             ("kept", "not_kept", "restored", "offline", "sending", "resending", "sent", "other_draft")}
    return [
        dcc.Store(id="insp-slot", data=slot),
        # A new form's idempotency key: every send of it saves the same one inspection.
        dcc.Store(id="insp-key", data=None if view else str(uuid.uuid4())),
        dcc.Store(id="insp-saved-key", data=getattr(view, "client_key", None) if saved else None),
        dcc.Store(id="insp-draft-texts", data=texts),
        dcc.Store(id="insp-outbox"),
        dcc.Store(id="insp-ack"),
        html.Div(id="insp-draft-status", className="insp-draft-status"),
        dcc.Interval(id="insp-outbox-tick", interval=3000, disabled=slot is None),
    ]


def _parse_when(date_value: str | None, time_value: str | None, tz) -> dt.datetime | None:
    if not date_value or not time_value:
        return None
    try:
        day = dt.date.fromisoformat(str(date_value)[:10])
        hour, minute = (int(x) for x in str(time_value).split(":")[:2])
        return dt.datetime.combine(day, dt.time(hour, minute), tz)
    except ValueError:
        return None


def _issue_text(issue, labels: dict[str, str], lang: str) -> str:
    return t(f"inspections.issue.{issue.code}", lang, item=labels.get(issue.key or "", issue.key or ""))


def _message(color: str, title: str, body=None, msg_id: str = "insp-message-alert") -> dmc.Alert:
    return dmc.Alert(body, title=title, color=color, id=msg_id)


def _serve_photo(digest: str):
    if not is_photo_hash(digest):
        abort(404)
    found = find_photo(current_app.config["DASHBOARD_SETTINGS"].upload_dir, digest)
    if found is None:
        abort(404)
    path, mime = found
    response = send_file(path, mimetype=mime, conditional=True, max_age=365 * 24 * 3600)
    # A photo's name is its content hash: it never changes, but it is private (login needed).
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def register_callbacks(app: dash.Dash) -> None:
    # The login guard in dashboard.auth protects this route like every non-public path.
    app.server.add_url_rule("/photos/<digest>", "inspection_photo", _serve_photo)

    @app.callback(
        Output({"type": "insp-fail-box", "key": MATCH}, "style"),
        Output({"type": "insp-result", "key": MATCH}, "color"),
        Output({"type": "insp-item", "key": MATCH}, "className"),
        Input({"type": "insp-result", "key": MATCH}, "value"),
        prevent_initial_call=True,
    )
    def _show_fail_box(result):
        failed = result == "fail"
        return (None if failed else HIDDEN, RESULT_COLORS.get(result, "gray"), _item_class(result))

    near.register(app, "insp", with_status=False)

    @app.callback(
        Output("insp-site", "data"),
        Output("insp-site", "value"),
        *near.status_outputs("insp"),
        Input("insp-near-position", "data"),
        State("insp-site", "value"),
        prevent_initial_call=True,
    )
    def _near(position, chosen):
        # Options nearest first with their distance; the site the inspector stands at is chosen
        # for them only when none is yet and it is unambiguous (domain.nearby.site_to_preselect).
        lang = current_language()
        here = position_from(position)
        with read_session() as session:
            sites = store.site_options(session, township_id=_own_township(acting_user()))
            if here is not None:
                sites = by_distance(with_positions(session, sites), here)
        value, note = no_update, None
        nearest = site_to_preselect(sites, here) if here is not None else None
        if nearest is not None and not chosen:
            value = str(nearest)
            metres = float(sites.loc[sites["id"] == nearest, "distance_m"].iloc[0])
            note = t("near.preselected", lang, distance=format_distance(metres, lang))
        options = [{"value": str(r.id), "label": _site_label(r, lang)} for r in sites.itertuples()]
        return options, value, *near.status(position, lang, note)

    # In the browser, so it works on a weak signal: only the unanswered items become 合格.
    app.clientside_callback(
        """function (n, values) {
            if (!n) { return window.dash_clientside.no_update; }
            return values.map(v => v ? window.dash_clientside.no_update : 'pass');
        }""",
        Output({"type": "insp-result", "key": ALL}, "value"),
        Input("insp-rest-pass", "n_clicks"),
        State({"type": "insp-result", "key": ALL}, "value"),
        prevent_initial_call=True,
    )
    # The confirmation is at the top of the page just opened; a phone kept the scroll position
    # of the long form, so bring it into view.
    app.clientside_callback(
        """function (saved) {
            if (saved) { window.scrollTo({top: 0}); }
            return window.dash_clientside.no_update;
        }""",
        Output("insp-saved-flag", "id"),
        Input("insp-saved-flag", "data"),
    )

    @app.callback(
        Output({"type": "insp-photos", "key": MATCH}, "data"),
        Output({"type": "insp-photo-msg", "key": MATCH}, "children"),
        Input({"type": "insp-upload", "key": MATCH}, "contents"),
        Input({"type": "insp-photo-remove", "key": MATCH, "hash": ALL}, "n_clicks"),
        State({"type": "insp-upload", "key": MATCH}, "filename"),
        State({"type": "insp-photos", "key": MATCH}, "data"),
        prevent_initial_call=True,
    )
    def _photos(contents, _removes, filenames, photos):
        lang = current_language()
        photos = list(photos or [])
        trigger = ctx.triggered_id
        if isinstance(trigger, dict) and trigger.get("type") == "insp-photo-remove":
            if not ctx.triggered[0].get("value"):
                return no_update, no_update
            return [h for h in photos if h != trigger.get("hash")], ""
        if not contents:
            return no_update, no_update
        contents = contents if isinstance(contents, list) else [contents]
        filenames = filenames if isinstance(filenames, list) else [filenames] * len(contents)
        settings, actor = app_settings(), acting_user()
        errors = []
        for content, name in zip(contents, filenames, strict=False):
            try:
                digest = service.save_photo(settings, actor, upload_bytes(content))
            except PhotoRejected as exc:
                errors.append(t(f"inspections.photo.{exc.code}", lang, name=name or "",
                                mb=round((exc.max_bytes or 0) / 1024 / 1024, 1)))
                continue
            if digest not in photos:
                photos.append(digest)
        return photos, " ".join(errors)

    # Every item's thumbnails at once: the site and the time the photos are checked against are
    # the form's, and changing either changes every photo's distance and warnings.
    @app.callback(
        Output({"type": "insp-thumbs", "key": ALL}, "children"),
        Input({"type": "insp-photos", "key": ALL}, "data"),
        Input("insp-site", "value"),
        Input("insp-date", "value"),
        Input("insp-time", "value"),
        State({"type": "insp-photos", "key": ALL}, "id"),
        prevent_initial_call=True,
    )
    def _render_thumbs(photos, site_value, date_value, time_value, store_ids):
        photos, store_ids = (v if isinstance(v, list) else [] for v in (photos, store_ids))
        if len(photos) != len(store_ids) or not all(isinstance(i, dict) and "key" in i for i in store_ids):
            raise BadInput("photos")
        photos = [[h for h in p if is_photo_hash(h)] if isinstance(p, list) else [] for p in photos]
        lang = current_language()
        with read_session() as session:
            evidence = photo_evidence(session, (h for p in photos for h in p), int_or_none(site_value),
                                      _parse_when(date_value, time_value, app_settings().tz))
        return [_thumbs(i["key"], p, evidence=evidence, lang=lang) for i, p in zip(store_ids, photos, strict=True)]

    @app.callback(
        Output("insp-checklist", "children"),
        Output("insp-alert-box", "style"),
        Output("insp-alert-text", "children"),
        Output("insp-items", "children"),
        Output("insp-checklist-id", "data"),
        Input("insp-date", "value"),
        Input("insp-time", "value"),
        State("insp-checklist-id", "data"),
        State({"type": "insp-result", "key": ALL}, "id"),
        State({"type": "insp-result", "key": ALL}, "value"),
        State({"type": "insp-note", "key": ALL}, "value"),
        State({"type": "insp-photos", "key": ALL}, "data"),
        State("insp-site", "value"),
        prevent_initial_call=True,
    )
    def _when_changed(date_value, time_value, checklist_id, ids, results, notes, photos, site_value):
        lang = current_language()
        tz = app_settings().tz
        ids, results, notes, photos = (v if isinstance(v, list) else [] for v in (ids, results, notes, photos))
        if not all(isinstance(i, dict) and "key" in i for i in ids) or len({len(ids), len(results), len(notes),
                                                                            len(photos)}) > 1:
            raise BadInput("checklist items")
        when = _parse_when(date_value, time_value, tz)
        if when is None:
            return no_update, no_update, no_update, no_update, no_update
        with read_session() as session:
            checklist = store.checklist_for(session, when.date())
            alert = store.alert_in_force(session, when)
        items = no_update
        new_id = checklist.id if checklist else None
        if new_id != checklist_id:
            # Another checklist version applies: rebuild the items, keeping what was entered per key.
            typed = {i["key"]: ItemEntry(i["key"], r or UNANSWERED, n or "", tuple(p or ()))
                     for i, r, n, p in zip(ids, results, notes, photos, strict=True)}
            with read_session() as session:
                evidence = photo_evidence(session, (h for e in typed.values() for h in e.photos),
                                          int_or_none(site_value), when)
            items = [_item_row(item, typed.get(item[0]), lang, False, evidence)
                     for item in (checklist.items if checklist else ())]
        return (_checklist_text(checklist, lang), None if alert else HIDDEN, _alert_text(alert, lang, tz),
                items, new_id)

    @app.callback(
        Output("insp-site-hint", "children"),
        Input("insp-site", "value"),
        prevent_initial_call=True,
    )
    def _site_changed(site_value):
        if not site_value:
            return []
        settings = app_settings()
        with read_session() as session:
            frame = open_for_site(session, int_or_none(site_value), analytics.today(session, settings.tz),
                                  settings.tz)
        return _open_hint(frame, current_language())

    _draft_callbacks(app)

    @app.callback(
        Output("insp-message", "children"),
        Output({"type": "insp-note", "key": ALL}, "error"),
        Output("insp-site", "error"),
        Output("insp-inspector", "error"),
        Output("insp-time", "error"),
        Output("insp-nav", "href"),
        Output("insp-overwrite", "style"),
        Output("insp-latest-version", "data"),
        Output("insp-ack", "data"),
        Input("insp-outbox", "data"),
        State("insp-key", "data"),
        State("insp-id", "data"),
        State("insp-version", "data"),
        State("insp-site", "value"),
        State("insp-date", "value"),
        State("insp-time", "value"),
        State("insp-inspector", "value"),
        State("insp-kind", "value"),
        State("insp-wds", "checked"),
        State("insp-general-note", "value"),
        State({"type": "insp-result", "key": ALL}, "id"),
        State({"type": "insp-result", "key": ALL}, "value"),
        State({"type": "insp-note", "key": ALL}, "value"),
        State({"type": "insp-photos", "key": ALL}, "data"),
        prevent_initial_call=True,
    )
    def _save(outbox, client_key, inspection_id, version, site_value, date_value, time_value, inspector, kind,
              wds, general_note, ids, results, notes, photos):
        # The outbox (inspection_draft.js) sends 提交 and 保存草稿, and sends again after a dropped
        # connection: every answer here carries the send's id, so the phone stops resending.
        if not isinstance(outbox, dict) or not isinstance(outbox.get("id"), str):
            raise BadInput("outbox")
        lang = current_language()
        submit = outbox.get("submit") is True
        keys = [i["key"] for i in ids]
        no_errors = [None] * len(keys)
        answered = {"id": outbox["id"], "saved": False}

        def refuse(message, note_errors=None, site_error=None, inspector_error=None, time_error=None,
                   overwrite=HIDDEN, latest=no_update):
            return (message, note_errors or no_errors, site_error, inspector_error, time_error, no_update,
                    overwrite, latest, answered)

        settings = app_settings()
        when = _parse_when(date_value, time_value, settings.tz)
        entries = tuple(ItemEntry(k, r or UNANSWERED, n or "", tuple(p or ()))
                        for k, r, n, p in zip(keys, results, notes, photos, strict=True))
        data = store.InspectionInput(
            site_id=int_or_none(site_value), inspected_at=when, inspector_name=inspector or "",
            entries=entries, kind=kind or "routine", note=general_note or "", working_during_stop=bool(wds),
            client_key=client_key if isinstance(client_key, str) else None,
        )
        with read_session() as session:
            checklist = store.checklist_for(session, when.date()) if when else None
        labels = {it[0]: _label(it, lang) for it in (checklist.items if checklist else ())}
        try:
            saved = service.save_inspection(settings, acting_user(), data, submit=submit,
                                            inspection_id=int_or_none(inspection_id), expected_version=version)
        except Forbidden as refused:
            key = "inspections.msg.forbidden_township" if refused.code == "not_your_township" else "errors.forbidden"
            return refuse(_message("red", t(key, lang)))
        except service.InvalidInspection as exc:
            issues = exc.issues
            note_errors = [t("inspections.issue.note_required_short", lang)
                           if any(i.code == "note_required" and i.key == k for i in issues) else None for k in keys]
            field_error = {f: next((_issue_text(i, labels, lang) for i in issues if i.field == f), None)
                           for f in ("site", "inspector", "time")}
            body = html.Ul([html.Li(_issue_text(i, labels, lang)) for i in issues], style={"margin": 0})
            return refuse(_message("red", t("inspections.msg.invalid", lang), body), note_errors,
                          field_error["site"], field_error["inspector"], field_error["time"])
        except service.InspectionConflict as exc:
            when_text = format_datetime(exc.updated_at, lang, settings.tz) if exc.updated_at else "—"
            body = [dmc.Text(t("inspections.msg.conflict_body", lang, time=when_text)),
                    dmc.Anchor(t("inspections.msg.conflict_open", lang), href=f"/inspections/{inspection_id}",
                               target="_blank")]
            return refuse(_message("orange", t("inspections.msg.conflict", lang), body, "insp-conflict"),
                          overwrite=None, latest=exc.current_version)
        except service.InspectionNotFound:
            return refuse(_message("red", t("inspections.form.not_found", lang)))
        except CodedError as refused:
            return refuse(_message("red", t(f"inspections.msg.{refused.code}", lang)))
        outcome = {"save_draft": "draft", "submit": "submitted", "update": "updated"}[saved.action]
        return (_message("teal", t(f"inspections.form.saved_{outcome}", lang)), no_errors, None, None, None,
                f"/inspections/{saved.inspection_id}?saved={outcome}", HIDDEN, no_update,
                {**answered, "saved": True})

    @app.callback(
        Output("insp-version", "data"),
        Output("insp-overwrite", "style", allow_duplicate=True),
        Output("insp-message", "children", allow_duplicate=True),
        Input("insp-overwrite", "n_clicks"),
        State("insp-latest-version", "data"),
        prevent_initial_call=True,
    )
    def _overwrite(n_clicks, latest):
        if not n_clicks or latest is None:
            return no_update, no_update, no_update
        lang = current_language()
        return latest, HIDDEN, _message("orange", t("inspections.msg.overwrite_armed", lang))


def _draft_callbacks(app: dash.Dash) -> None:
    """The phone-side draft and outbox (assets/inspection_draft.js)."""
    app.clientside_callback(
        ClientsideFunction("inspection_draft", "restore"),
        Output("insp-slot", "id"),
        Input("insp-slot", "data"),
        State("insp-version", "data"),
        State("insp-saved-key", "data"),
        State({"type": "insp-result", "key": ALL}, "id"),
        State("insp-draft-texts", "data"),
    )
    app.clientside_callback(
        ClientsideFunction("inspection_draft", "keep"),
        Output("insp-draft-status", "children"),
        Input("insp-site", "value"),
        Input("insp-date", "value"),
        Input("insp-time", "value"),
        Input("insp-inspector", "value"),
        Input("insp-kind", "value"),
        Input("insp-wds", "checked"),
        Input("insp-general-note", "value"),
        Input({"type": "insp-result", "key": ALL}, "value"),
        Input({"type": "insp-note", "key": ALL}, "value"),
        Input({"type": "insp-photos", "key": ALL}, "data"),
        State({"type": "insp-result", "key": ALL}, "id"),
        State("insp-slot", "data"),
        State("insp-key", "data"),
        State("insp-version", "data"),
        State("insp-site", "data"),
        State("insp-draft-texts", "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("inspection_draft", "send"),
        Output("insp-outbox", "id"),
        Input("insp-submit", "n_clicks"),
        Input("insp-save-draft", "n_clicks"),
        State("insp-slot", "data"),
        State("insp-key", "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("inspection_draft", "ack"),
        Output("insp-send-status", "children"),
        Input("insp-ack", "data"),
        State("insp-slot", "data"),
        State("insp-draft-texts", "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("inspection_draft", "tick"),
        Output("insp-send-status", "children", allow_duplicate=True),
        Input("insp-outbox-tick", "n_intervals"),
        State("insp-key", "data"),
        State("insp-draft-texts", "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("inspection_draft", "discard"),
        Output("insp-discard", "id"),
        Input("insp-discard", "n_clicks"),
        State("insp-slot", "data"),
        prevent_initial_call=True,
    )


dash.register_page(
    __name__, path="/inspections/new", path_template="/inspections/<inspection_id>", name="inspection",
    title=title, layout=layout,
)
