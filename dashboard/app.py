"""Build the Dash app: Flask server, login guard, transport headers, the shell and its pages."""

from __future__ import annotations

from urllib.parse import urlsplit

import dash
from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from dashboard import __version__
from dashboard.auth import current_language, init_auth
from dashboard.i18n import t
from dashboard.paths import ASSETS_DIR
from dashboard.settings import Settings, load_settings
from dashboard.store.db import ensure_schema
from dashboard.ui.notices import callback_failed


class _DashboardApp(dash.Dash):
    def interpolate_index(self, **kwargs) -> str:
        # The page's language attribute follows the user's language (screen readers, CJK fonts).
        html_lang = "zh-CN" if current_language() == "zh" else "en"
        return super().interpolate_index(**kwargs).replace("<html>", f'<html lang="{html_lang}">', 1)


def create_app(settings: Settings | None = None) -> dash.Dash:
    """A ready-to-serve app for ``settings`` (read from the environment when omitted)."""
    settings = settings or load_settings()
    ensure_schema(settings.database_url)

    server = Flask("dashboard")
    server.config["DASHBOARD_SETTINGS"] = settings
    server.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    if settings.trusted_proxies:
        # Only then are X-Forwarded-For/-Proto believed: without a proxy in front, anyone could
        # set them and choose the address that the login limits count.
        n = settings.trusted_proxies
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=n, x_proto=n)
    init_auth(server, settings)

    app = _DashboardApp(
        "dashboard",
        server=server,
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS_DIR),
        serve_locally=True,
        title=t("app.title"),
        update_title=None,
        suppress_callback_exceptions=True,
        on_error=callback_failed,
    )

    # Importing a page module registers its page with dash.page_registry (once per process);
    # callbacks are attached to this app by each module's register_callbacks.
    from dashboard.ui import shell
    from dashboard.ui.pages import page_modules

    app.layout = shell.layout
    shell.register_callbacks(app)
    for page in page_modules():
        if hasattr(page, "register_callbacks"):
            page.register_callbacks(app)
    server.config["DASHBOARD_VERSION"] = __version__
    _transport_rules(app, settings)
    _settle_process()
    return app


_settled = False


def _settle_process() -> None:
    """Pay a process's one-off costs when the app is built, not in a new worker's first page
    (once per process): plotly's tables and classes (``figures.warm_up``, ~0.1-0.2 s), then a
    collection and ``gc.freeze()``. A full collection scans every tracked object, ~250,000
    after start-up (modules, classes, plotly's validator table): 135 ms on the 2-core machine,
    paid by whichever page view triggers it every few requests. Frozen, start-up's objects are
    left out of later passes (~5 ms); garbage made later is collected as before, and a
    pre-forking server's workers keep sharing those pages (the use ``gc.freeze`` is meant for)."""
    global _settled
    if _settled:
        return
    import gc

    from dashboard.figures.warm_up import warm_up

    warm_up()
    gc.collect()
    gc.freeze()
    _settled = True


def content_security_policy(app: dash.Dash, settings: Settings) -> str:
    """The CSP of every response: nothing from elsewhere, no inline script but Dash's own by hash.

    The strictest policy under which every page runs with a clean console (checked in Chromium):
    styles need 'unsafe-inline' because Dash, dcc, Mantine, AG Grid and plotly insert <style>
    elements and style attributes at run time (a style cannot run script); images need data:
    (AG Grid's icons, plotly) and blob: (plotly's "download as PNG"). A configured tile server
    may serve images and be fetched from, and MapLibre (plotly's map traces) runs its workers
    from blob: URLs.
    """
    images, connect = ["'self'", "data:", "blob:"], ["'self'"]
    directives = {
        "default-src": ["'none'"],
        "script-src": ["'self'", *app.csp_hashes()],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": images,
        "font-src": ["'self'"],
        "connect-src": connect,
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    if settings.map_tile_url:
        tiles = urlsplit(settings.map_tile_url)
        images.append(f"{tiles.scheme}://{tiles.netloc}")
        connect.append(images[-1])
        directives["worker-src"] = ["'self'", "blob:"]
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def _transport_rules(app: dash.Dash, settings: Settings) -> None:
    """Security headers on every response; an over-large request body answered clearly."""
    server = app.server

    @server.after_request
    def _security_headers(response: Response) -> Response:
        # Computed per response: Dash adds the inline scripts of some callbacks at first request.
        response.headers["Content-Security-Policy"] = content_security_policy(app, settings)
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    @server.errorhandler(RequestEntityTooLarge)
    def _too_large(_error):
        limit_mb = round(settings.max_request_bytes / 1024 / 1024, 1)
        if request.path.startswith("/_"):
            return jsonify(error="request too large", max_bytes=settings.max_request_bytes), 413
        lang = current_language()
        page = (f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><meta charset="utf-8">'
                f"<title>413</title><p>{t('error.too_large', lang, mb=limit_mb)}</p></html>")
        return Response(page, status=413, mimetype="text/html")
