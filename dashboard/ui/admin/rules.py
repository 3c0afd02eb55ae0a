"""Admin tab 规则: the rules the staff tune, each with what it means and what saving it does —
each year's campaign targets, the plate rules, the rectification deadline and escalation ladder,
how far from the site and the inspection time an evidence photo may be taken, how old the
newest reading may be before the command-centre wall shows it in red, when a site dust monitor
counts as offline or stuck, and the site dust monitors' rules that open 待核查 tasks
(``services.dust_tasks``).

Saving goes through ``services.settings`` (admins only, audited with before and after); what a
change does to plates and open rectifications is decided and documented there.
"""

from __future__ import annotations

from collections import Counter

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, html

from dashboard import analytics
from dashboard.analytics.dust_tasks import rules_in_force as dust_rules_in_force
from dashboard.analytics.rules import rules_in_force
from dashboard.analytics.targets import year_targets
from dashboard.auth import current_language
from dashboard.domain import dust_tasks as dust_rules
from dashboard.domain.compliance import PLATE_BOUNDS
from dashboard.domain.photo_evidence import PHOTO_BOUNDS
from dashboard.domain.rectification import LEVELS, RECTIFICATION_BOUNDS, THRESHOLD_BOUNDS
from dashboard.domain.rules import InvalidRule
from dashboard.domain.site_dust_rules import LIMIT_BOUNDS as DUST_BOUNDS
from dashboard.domain.targets import YEAR_BOUNDS, InvalidTarget, YearTargets, year_bounds
from dashboard.i18n import t
from dashboard.services import dust_tasks as dust_service
from dashboard.services import settings as service
from dashboard.ui.data import acting_user, app_settings, read_session

#: The yearly target fields: form input id suffix, catalog key suffix.
TARGET_FIELDS = {"pm25": "pm25", "pm10": "pm10", "good_day_share": "share", "heavy_days": "heavy"}

ORDER = 50
KEY = "rules"

PLATE_NUMBERS = ("window_days", "red_failures", "red_overdue_rectifications", "yellow_failures",
                 "yellow_open_rectifications")
RECT_NUMBERS = ("deadline_days", "repeat_window_days", "repeat_cap")
PHOTO_NUMBERS = ("max_distance_m", "max_hours")


def label(lang: str) -> str:
    return t("admin.rules.tab", lang)


def _number(field: str, value: int, bounds: tuple[int, int], lang: str, prefix: str) -> dmc.NumberInput:
    low, high = bounds
    return dmc.NumberInput(id=f"admin-rules-{field.replace('_', '-')}", value=value, min=low, max=high, step=1,
                           allowDecimal=False, label=t(f"admin.rules.{prefix}.{field}", lang),
                           description=t(f"admin.rules.{prefix}.{field}.help", lang, low=low, high=high))


def _grid(children: list) -> dmc.SimpleGrid:
    return dmc.SimpleGrid(children, cols={"base": 1, "sm": 2, "lg": 3}, spacing="md", verticalSpacing="sm")


def _section(title_key: str, explain_key: str, body: list, save_id: str, message_id: str, lang: str,
             section_id: str) -> dmc.Paper:
    return dmc.Paper([
        dmc.Title(t(title_key, lang), order=4),
        dmc.Text(t(explain_key, lang), size="sm", c="dimmed", mb="sm"),
        *body,
        dmc.Group([dmc.Button(t("admin.rules.save", lang), id=save_id)], mt="md"),
        html.Div(id=message_id, style={"marginTop": "8px"}),
    ], withBorder=True, p="md", radius="md", id=section_id)


def _subtitle(key: str, lang: str) -> dmc.Text:
    return dmc.Text(t(key, lang), fw=600, size="sm", mt="md", mb=4)


#: The dust rules' form: (kind, field) of each number input, in the callback's State order.
DUST_NUMBERS = tuple((kind, name) for kind in dust_rules.KINDS for name in dust_rules.FIELDS[kind])


def _dust_id(kind: str, name: str) -> str:
    return f"admin-rules-dust-{kind.replace('_', '-')}-{name}"


def _dust_section(rules: tuple[dust_rules.DustRule, ...], lang: str) -> dmc.Paper:
    blocks = []
    for rule in rules:
        inputs = []
        for name in dust_rules.FIELDS[rule.kind]:
            low, high = dust_rules.BOUNDS[name]
            inputs.append(dmc.NumberInput(id=_dust_id(rule.kind, name), value=getattr(rule, name), min=low, max=high,
                                          step=1, allowDecimal=False,
                                          label=t(f"admin.rules.dust.{rule.kind}.{name}", lang),
                                          description=t("admin.rules.dust.range", lang, low=low, high=high)))
        blocks += [
            dmc.Group([_subtitle(f"admin.rules.dust.{rule.kind}", lang),
                       dmc.Switch(id=_dust_id(rule.kind, "enabled"), checked=rule.enabled,
                                  label=t("admin.rules.dust.enabled", lang), mt="md")], gap="md"),
            dmc.Text(t(f"admin.rules.dust.{rule.kind}.help", lang), size="xs", c="dimmed"),
            _grid(inputs),
        ]
    return _section("admin.rules.dust.title", "admin.rules.dust.explain", blocks, "admin-rules-dust-save",
                    "admin-rules-dust-message", lang, "admin-rules-dust")


def _form_value(field: str, targets: YearTargets) -> float:
    # The form shows the share as a percentage; the rule is a fraction.
    value = getattr(targets, field)
    return round(value * 100, 1) if field == "good_day_share" else value


def _target_input(field: str, targets: YearTargets, lang: str) -> dmc.NumberInput:
    low, high = YEAR_BOUNDS[field]
    key = f"admin.rules.targets.{TARGET_FIELDS[field]}"
    if field == "good_day_share":
        return dmc.NumberInput(id="admin-rules-target-share", label=t(key, lang), value=_form_value(field, targets),
                               min=low * 100, max=high * 100, step=1, suffix="%", description=t(f"{key}.help", lang))
    return dmc.NumberInput(id=f"admin-rules-target-{TARGET_FIELDS[field]}", label=t(key, lang),
                           value=_form_value(field, targets), min=low, max=high, step=1,
                           allowDecimal=field != "heavy_days",
                           description=t(f"{key}.help", lang, low=f"{low:g}", high=f"{high:g}"))


def _own_note(year: int, targets: YearTargets, lang: str) -> str:
    return t("admin.rules.targets.own" if targets.own else "admin.rules.targets.defaults", lang, year=year)


def _target_refusal(exc: InvalidTarget, lang: str) -> dmc.Alert:
    details = dict(exc.details)
    field = str(details.get("target", ""))
    low, high = details.get("low"), details.get("high")
    if field == "good_day_share" and low is not None and high is not None:
        low, high = low * 100, high * 100  # the form's percentages
    name = t(f"admin.rules.targets.{TARGET_FIELDS[field]}", lang) if field in TARGET_FIELDS else field
    bounds = {k: f"{v:g}" if isinstance(v, (int, float)) else "" for k, v in (("low", low), ("high", high))}
    text = t(f"admin.rules.targets.error.{exc.code}", lang, field=name, **bounds)
    return dmc.Alert(text, color="red", className="admin-rules-error")


def panel(lang: str) -> html.Div:
    with read_session() as session:
        rules = rules_in_force(session)
        dust = dust_rules_in_force(session)
        today = analytics.today(session, app_settings().tz)
        year_now = year_targets(session, today.year)
    plates, rect = rules.plates, rules.rectification
    low_year, high_year = year_bounds(today)
    years = [{"value": str(y), "label": str(y)} for y in range(high_year, low_year - 1, -1)]
    targets = _section("admin.rules.targets.title", "admin.rules.targets.explain", [
        _grid([dmc.Select(id="admin-rules-target-year", label=t("admin.rules.targets.year", lang), data=years,
                          value=str(today.year), allowDeselect=False, searchable=True,
                          description=t("admin.rules.targets.year.help", lang))]),
        dmc.Text(_own_note(today.year, year_now, lang), size="sm", c="dimmed", mt="xs",
                 id="admin-rules-target-own"),
        _grid([_target_input(field, year_now, lang) for field in TARGET_FIELDS]),
    ], "admin-rules-targets-save", "admin-rules-targets-message", lang, "admin-rules-targets")
    plate = {f: _number(f, getattr(plates, f), PLATE_BOUNDS[f], lang, "plates") for f in PLATE_NUMBERS}
    plate_section = _section("admin.rules.plates.title", "admin.rules.plates.explain", [
        _grid([plate["window_days"]]),
        _subtitle("admin.rules.plates.red", lang),
        _grid([plate["red_failures"], plate["red_overdue_rectifications"],
               dmc.Switch(id="admin-rules-red-on-working-during-stop", checked=plates.red_on_working_during_stop,
                          label=t("admin.rules.plates.red_on_working_during_stop", lang),
                          description=t("admin.rules.plates.red_on_working_during_stop.help", lang), mt="xs")]),
        _subtitle("admin.rules.plates.yellow", lang),
        _grid([plate["yellow_failures"], plate["yellow_open_rectifications"]]),
    ], "admin-rules-plates-save", "admin-rules-plates-message", lang, "admin-rules-plates")
    low_level, high_level = RECTIFICATION_BOUNDS["max_level"]
    levels = [{"value": str(n), "label": t("admin.rules.rect.level_option", lang, n=n,
                                           name=t(f"rectifications.level.{LEVELS[n]}", lang))}
              for n in range(low_level, high_level + 1)]
    rect_section = _section("admin.rules.rect.title", "admin.rules.rect.explain", [_grid([
        *(_number(f, getattr(rect, f), RECTIFICATION_BOUNDS[f], lang, "rect") for f in RECT_NUMBERS),
        dmc.TextInput(id="admin-rules-late-thresholds", label=t("admin.rules.rect.late_thresholds", lang),
                      value=", ".join(str(d) for d in rect.late_thresholds), placeholder="0, 7",
                      description=t("admin.rules.rect.late_thresholds.help", lang, high=THRESHOLD_BOUNDS[1])),
        dmc.Select(id="admin-rules-max-level", label=t("admin.rules.rect.max_level", lang), data=levels,
                   value=str(rect.max_level), allowDeselect=False,
                   description=t("admin.rules.rect.max_level.help", lang)),
    ])], "admin-rules-rect-save", "admin-rules-rect-message", lang, "admin-rules-rect")
    photo_section = _section("admin.rules.photos.title", "admin.rules.photos.explain", [_grid([
        _number(f, getattr(rules.photos, f), PHOTO_BOUNDS[f], lang, "photos") for f in PHOTO_NUMBERS
    ])], "admin-rules-photos-save", "admin-rules-photos-message", lang, "admin-rules-photos")
    low_stale, high_stale = service.STALE_MINUTES_RANGE
    wall_section = _section("wall.stale.title", "wall.stale.help", [_grid([
        dmc.NumberInput(id="admin-rules-wall-stale", label=t("wall.stale.label", lang),
                        value=rules.wall_stale_minutes, min=low_stale, max=high_stale, step=10, allowDecimal=False,
                        description=t("wall.stale.range", lang, min=low_stale, max=high_stale)),
    ])], "admin-rules-wall-save", "admin-rules-wall-message", lang, "admin-rules-wall")
    dust_health = _section("dust.rules.title", "dust.rules.help", [_grid([
        dmc.NumberInput(id=f"admin-rules-dusthealth-{name.replace('_', '-')}", value=getattr(rules.dust, name),
                        min=DUST_BOUNDS[name][0], max=DUST_BOUNDS[name][1], step=1, allowDecimal=False,
                        label=t(f"dust.rules.{name}", lang),
                        description=t(f"dust.rules.{name}.help", lang, low=DUST_BOUNDS[name][0],
                                      high=DUST_BOUNDS[name][1]))
        for name in DUST_BOUNDS
    ])], "admin-rules-dusthealth-save", "admin-rules-dusthealth-message", lang, "admin-rules-dusthealth")
    return html.Div([
        dmc.Text(t("admin.rules.explain", lang), size="sm", c="dimmed"),
        targets,
        plate_section,
        rect_section,
        photo_section,
        wall_section,
        dust_health,
        _dust_section(dust, lang),
    ], style={"display": "flex", "flexDirection": "column", "gap": "12px"})


def _field_name(field: str, lang: str) -> str:
    if "." in field:  # a dust rule's "<kind>.<name>"
        kind, name = field.split(".", 1)
        label = t(f"admin.rules.dust.{kind}.{name}", lang)
        return f"{t(f'admin.rules.dust.{kind}', lang)} · {label}"
    if field in dust_rules.KINDS:
        return t(f"admin.rules.dust.{field}", lang)
    for prefix in ("plates", "rect", "photos"):
        key = f"admin.rules.{prefix}.{field}"
        text = t(key, lang)
        if text != key:
            return text
    return field


def _refusal(exc: InvalidRule, lang: str) -> dmc.Alert:
    details = dict(exc.details)
    field = str(details.get("field", ""))
    details["field"] = _field_name(field, lang)
    # Which yellow threshold is at or above its red one decides what to say.
    key = f"admin.rules.error.{exc.code}" + (f".{field}" if exc.code == "yellow_not_below_red" else "")
    return dmc.Alert(t(key, lang, **details), color="red", className="admin-rules-error")


def _saved(text: str) -> dmc.Alert:
    return dmc.Alert(text, color="teal", className="admin-rules-saved")


def _plate_counts(plates: dict[int, tuple[str, str]], lang: str) -> str:
    counts = Counter(new for _old, new in plates.values())
    sep = "、" if lang == "zh" else ", "
    return sep.join(t("admin.rules.plates.now", lang, n=counts[p], plate=t(f"plate.{p}", lang))
                    for p in ("red", "yellow", "green") if counts[p])


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        *(Output(f"admin-rules-target-{suffix}", "value") for suffix in TARGET_FIELDS.values()),
        Output("admin-rules-target-own", "children"),
        Input("admin-rules-target-year", "value"),
        prevent_initial_call=True,
    )
    def _show_year(year):
        lang = current_language()
        try:
            number = int(year)
        except (TypeError, ValueError):
            raise dash.exceptions.PreventUpdate from None
        with read_session() as session:
            targets = year_targets(session, number)
        return (*(_form_value(field, targets) for field in TARGET_FIELDS), _own_note(number, targets, lang))

    @app.callback(
        Output("admin-rules-targets-message", "children"),
        Input("admin-rules-targets-save", "n_clicks"),
        State("admin-rules-target-year", "value"),
        *(State(f"admin-rules-target-{suffix}", "value") for suffix in TARGET_FIELDS.values()),
        prevent_initial_call=True,
    )
    def _save_targets(n_clicks, year, *values):
        lang = current_language()
        if not n_clicks:
            raise dash.exceptions.PreventUpdate
        form = dict(zip(TARGET_FIELDS, values, strict=True))
        share = form["good_day_share"]
        # The form shows a percentage; the rule is a fraction.
        if isinstance(share, (int, float)) and not isinstance(share, bool):
            form["good_day_share"] = share / 100
        try:
            saved = service.set_year_targets(app_settings(), acting_user(), year, form)
        except InvalidTarget as exc:
            # Only the message changes: the form keeps what the user typed.
            return _target_refusal(exc, lang)
        if not saved.changed:
            return _saved(t("admin.rules.unchanged", lang))
        v = saved.targets
        return _saved(t("admin.rules.targets.saved", lang, year=saved.year, pm25=f"{v.pm25:g}", pm10=f"{v.pm10:g}",
                        share=f"{v.good_day_share * 100:g}", heavy=v.heavy_days))

    @app.callback(
        Output("admin-rules-plates-message", "children"),
        Input("admin-rules-plates-save", "n_clicks"),
        *(State(f"admin-rules-{f.replace('_', '-')}", "value") for f in PLATE_NUMBERS),
        State("admin-rules-red-on-working-during-stop", "checked"),
        prevent_initial_call=True,
    )
    def _save_plates(n_clicks, *values):
        lang = current_language()
        if not n_clicks:
            raise dash.exceptions.PreventUpdate
        form = dict(zip((*PLATE_NUMBERS, "red_on_working_during_stop"), values, strict=True))
        try:
            saved = service.set_plate_rules(app_settings(), acting_user(), form)
        except InvalidRule as exc:
            return _refusal(exc, lang)
        if not saved.changed:
            return _saved(t("admin.rules.unchanged", lang))
        if not saved.plates:
            return _saved(t("admin.rules.plates.saved_none", lang))
        return _saved(t("admin.rules.plates.saved", lang, n=len(saved.plates),
                        counts=_plate_counts(saved.plates, lang)))

    @app.callback(
        Output("admin-rules-rect-message", "children"),
        Input("admin-rules-rect-save", "n_clicks"),
        *(State(f"admin-rules-{f.replace('_', '-')}", "value") for f in RECT_NUMBERS),
        State("admin-rules-late-thresholds", "value"),
        State("admin-rules-max-level", "value"),
        prevent_initial_call=True,
    )
    def _save_rectification(n_clicks, *values):
        lang = current_language()
        if not n_clicks:
            raise dash.exceptions.PreventUpdate
        form = dict(zip((*RECT_NUMBERS, "late_thresholds", "max_level"), values, strict=True))
        try:
            saved = service.set_rectification_rules(app_settings(), acting_user(), form)
        except InvalidRule as exc:
            return _refusal(exc, lang)
        if not saved.changed:
            return _saved(t("admin.rules.unchanged", lang))
        return _saved(t("admin.rules.rect.saved", lang, n=len(saved.levels)))

    @app.callback(
        Output("admin-rules-photos-message", "children"),
        Input("admin-rules-photos-save", "n_clicks"),
        *(State(f"admin-rules-{f.replace('_', '-')}", "value") for f in PHOTO_NUMBERS),
        prevent_initial_call=True,
    )
    def _save_photos(n_clicks, *values):
        lang = current_language()
        if not n_clicks:
            raise dash.exceptions.PreventUpdate
        try:
            rules, changed = service.set_photo_rules(app_settings(), acting_user(),
                                                     dict(zip(PHOTO_NUMBERS, values, strict=True)))
        except InvalidRule as exc:
            return _refusal(exc, lang)
        if not changed:
            return _saved(t("admin.rules.unchanged", lang))
        return _saved(t("admin.rules.photos.saved", lang, distance=rules.max_distance_m, hours=rules.max_hours))

    @app.callback(
        Output("admin-rules-wall-message", "children"),
        Input("admin-rules-wall-save", "n_clicks"),
        State("admin-rules-wall-stale", "value"),
        prevent_initial_call=True,
    )
    def _save_wall(n_clicks, minutes):
        lang = current_language()
        if not n_clicks:
            raise dash.exceptions.PreventUpdate
        try:
            saved = service.set_wall_stale_minutes(app_settings(), acting_user(), minutes)
        except service.InvalidStaleLimit as exc:
            # Only the message changes: the form keeps what the user typed.
            return dmc.Alert(t("wall.stale.bad", lang, **exc.details), color="red", className="admin-rules-error")
        return _saved(t("wall.stale.saved", lang, minutes=saved))

    @app.callback(
        Output("admin-rules-dust-message", "children"),
        Input("admin-rules-dust-save", "n_clicks"),
        *(State(_dust_id(kind, "enabled"), "checked") for kind in dust_rules.KINDS),
        *(State(_dust_id(kind, name), "value") for kind, name in DUST_NUMBERS),
        prevent_initial_call=True,
    )
    def _save_dust(n_clicks, *values):
        lang = current_language()
        if not n_clicks:
            raise dash.exceptions.PreventUpdate
        enabled = dict(zip(dust_rules.KINDS, values[:len(dust_rules.KINDS)], strict=True))
        numbers = dict(zip(DUST_NUMBERS, values[len(dust_rules.KINDS):], strict=True))
        form = [{"kind": kind, "enabled": enabled[kind],
                 **{name: numbers[(kind, name)] for name in dust_rules.FIELDS[kind]}} for kind in dust_rules.KINDS]
        try:
            saved = dust_service.set_dust_rules(app_settings(), acting_user(), form)
        except InvalidRule as exc:
            # Only the message changes: the form keeps what the user typed.
            return _refusal(exc, lang)
        if not saved.changed:
            return _saved(t("admin.rules.unchanged", lang))
        return _saved(t("admin.rules.dust.saved", lang))

    @app.callback(
        Output("admin-rules-dusthealth-message", "children"),
        Input("admin-rules-dusthealth-save", "n_clicks"),
        *(State(f"admin-rules-dusthealth-{name.replace('_', '-')}", "value") for name in DUST_BOUNDS),
        prevent_initial_call=True,
    )
    def _save_dust_health(n_clicks, *values):
        lang = current_language()
        if not n_clicks:
            raise dash.exceptions.PreventUpdate
        try:
            saved = service.set_dust_limits(app_settings(), acting_user(), dict(zip(DUST_BOUNDS, values, strict=True)))
        except InvalidRule as exc:
            details = dict(exc.details)
            field = str(details.get("field", ""))
            details["field"] = t(f"dust.rules.{field}", lang) if field in DUST_BOUNDS else field
            # Only the message changes: the form keeps what the user typed.
            return dmc.Alert(t(f"admin.rules.error.{exc.code}", lang, **details), color="red",
                             className="admin-rules-error")
        return _saved(t("dust.rules.saved", lang, minutes=saved.offline_minutes, count=saved.stuck_count))
