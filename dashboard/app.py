"""Build the Dash app: Flask server, login guard, the shell and its pages."""

from __future__ import annotations

import dash
from flask import Flask

from dashboard import __version__
from dashboard.auth import init_auth
from dashboard.i18n import t
from dashboard.paths import ASSETS_DIR
from dashboard.settings import Settings, load_settings
from dashboard.store.db import ensure_schema
from dashboard.ui.notices import callback_failed


class _DashboardApp(dash.Dash):
    def interpolate_index(self, **kwargs) -> str:
        # The page's language attribute follows the user's language (screen readers, CJK fonts).
        from dashboard.auth import current_language

        html_lang = "zh-CN" if current_language() == "zh" else "en"
        return super().interpolate_index(**kwargs).replace("<html>", f'<html lang="{html_lang}">', 1)


def create_app(settings: Settings | None = None) -> dash.Dash:
    """A ready-to-serve app for ``settings`` (read from the environment when omitted)."""
    settings = settings or load_settings()
    ensure_schema(settings.database_url)

    server = Flask("dashboard")
    server.config["DASHBOARD_SETTINGS"] = settings
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
    return app
