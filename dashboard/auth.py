"""Login, roles, CSRF and the guard in front of every page and Dash endpoint.

Every request needs a logged-in session except ``/login``, ``/health`` and static files; an
unauthenticated request to a ``/_dash-*`` endpoint gets 401 (JSON), a page request a redirect to
the login form. Dash 4's renderer sends the ``_csrf_token`` cookie back as ``X-CSRFToken`` on
every callback, which Flask-WTF's CSRFProtect checks, so the cookie is set on every response to
a logged-in user. Who may write what is decided by ``services/``, on the server.

Sessions are Flask's signed cookies: the server keeps no list of them, so a copied cookie is as
good as the original until something on the server says otherwise. That something is the user's
``session_version``, copied into the session at login and compared on every request: logging out,
a password reset, a role or township change and disabling all raise it (``store.users``), which
ends *every* session of that user, on every device. That is the price of cookie sessions (a wall
display should have an account of its own). Sessions also end after ``session_idle`` without a
request and ``session_max`` after logging in, whatever happens in between.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from flask import (
    Flask,
    Response,
    current_app,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template_string,
    request,
    url_for,
)
from flask import session as cookie_session
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf

from dashboard.domain import roles
from dashboard.i18n import LANGUAGES, normalise, t
from dashboard.services import display, sessions
from dashboard.services.access import Actor
from dashboard.settings import Settings
from dashboard.store import users as user_store
from dashboard.store.db import read_scope
from dashboard.store.models import utcnow

LANG_COOKIE = "lang"
CSRF_COOKIE = "_csrf_token"
PUBLIC_PATHS = {"/login", "/health", "/favicon.ico", "/_favicon.ico"}
# Static files: our assets and the JavaScript bundles of the component libraries.
PUBLIC_PREFIXES = ("/assets/", "/_dash-component-suites/")

login_manager = LoginManager()
csrf = CSRFProtect()

# A wall display's token: given once in the URL, then carried by its own cookie (the renderer's
# requests to /_dash-* carry no query string). It is a principal of its own, never a session.
DISPLAY_PARAM = "token"
DISPLAY_COOKIE = "display_token"
WALL_PATH = "/wall"
# What Dash's renderer fetches to start a page; the callbacks are checked one by one.
DISPLAY_DASH_PATHS = {"/_dash-layout", "/_dash-dependencies"}
# Callback keys (``app.callback_map``) the wall registers: the only ones a token may call.
DISPLAY_CALLBACKS = "DISPLAY_CALLBACKS"
PAGES_ROUTER = ".._pages_content.children..._pages_store.data.."


@dataclass(frozen=True)
class SessionUser:
    """The logged-in user as the request sees it (detached from the database session)."""

    id: int
    username: str
    display_name: str
    role: str
    township_id: int | None
    language: str | None

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)

    def at_least(self, role: str) -> bool:
        return roles.at_least(self.role, role)


def _session_user(user) -> SessionUser:
    return SessionUser(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        township_id=user.township_id,
        language=user.language,
    )


def _settings() -> Settings:
    return current_app.config["DASHBOARD_SETTINGS"]


# Keys of the session cookie besides Flask-Login's own.
SESSION_VERSION = "session_version"
LOGIN_AT = "login_at"
SEEN_AT = "seen_at"
# Last-seen is rewritten at most this often, not on every callback (each rewrite is a Set-Cookie).
SEEN_RESOLUTION = 60


def _start_session(user) -> None:
    cookie_session.clear()  # nothing from before the login survives it, the CSRF token included
    login_user(_session_user(user))
    now = int(time.time())
    cookie_session.update({SESSION_VERSION: user.session_version, LOGIN_AT: now, SEEN_AT: now})


ONE_TIME_PARAM = "one_time_login"


def new_one_time_token() -> str:
    return secrets.token_urlsafe(32)


def grant_one_login(server: Flask, user_id: int, token: str, lang: str | None = None) -> None:
    """Let ``token`` (``new_one_time_token``) log ``user_id`` in on ``server`` once (``?one_time_login=…``).

    For a page this process renders itself (``dashboard.printing``): only code that holds the
    server object can grant one, the token is good for one request, and the server that serves
    users never grants any."""
    spent = threading.Event()

    def _one_time_login():
        given = request.args.get(ONE_TIME_PARAM)
        if given is None or spent.is_set() or not secrets.compare_digest(given, token):
            return None
        spent.set()
        with read_scope(_settings().database_url) as session:
            user = user_store.get_user(session, user_id)
            if user is None or not user.active:
                return None
            _start_session(user)
        rest = {k: v for k, v in request.args.items() if k != ONE_TIME_PARAM}
        response = redirect(request.path + ("?" + urlencode(rest) if rest else ""))
        if lang in LANGUAGES:
            response.set_cookie(LANG_COOKIE, lang, samesite="Lax")
        return response

    # First in line: the login guard would otherwise send the request to the login form.
    server.before_request_funcs.setdefault(None, []).insert(0, _one_time_login)


def _session_in_time(settings: Settings) -> bool:
    """Within both lifetimes; notes this request as the last one seen."""
    now = int(time.time())
    login_at, seen_at = cookie_session.get(LOGIN_AT), cookie_session.get(SEEN_AT)
    if not isinstance(login_at, int) or not isinstance(seen_at, int):
        return False
    if now - login_at > settings.session_max.total_seconds():
        return False
    if now - seen_at > settings.session_idle.total_seconds():
        return False
    if now - seen_at >= SEEN_RESOLUTION:
        cookie_session[SEEN_AT] = now
    return True


@login_manager.user_loader
def _load_user(user_id: str) -> SessionUser | None:
    settings = _settings()
    if _session_in_time(settings):
        with read_scope(settings.database_url) as session:
            user = user_store.get_user(session, int(user_id))
            if user is not None and user.active and user.session_version == cookie_session.get(SESSION_VERSION):
                return _session_user(user)
    cookie_session.clear()  # an ended session: drop it, the browser's cookie too
    return None


def current_display() -> display.DisplayPrincipal | None:
    """The wall display making this request, if it is one (not a person)."""
    return g.get("display") if has_request_context() else None


def current_actor() -> Actor:
    """The logged-in user as services see them (anonymous outside a request or a login); a
    display token acts as the ``display`` role, which no service lets write."""
    if not has_request_context() or not getattr(current_user, "is_authenticated", False):
        principal = current_display()
        if principal is not None:
            return Actor(user_id=None, role=principal.role, name=principal.name)
        return Actor.anonymous()
    return Actor(user_id=current_user.id, role=current_user.role, township_id=current_user.township_id,
                 name=current_user.display_name or current_user.username)


def current_language() -> str:
    """The language of this request: the switch's cookie, then the user's choice, then settings."""
    lang = request.cookies.get(LANG_COOKIE)
    if lang in LANGUAGES:
        return lang
    user_lang = getattr(current_user, "language", None)
    if user_lang in LANGUAGES:
        return user_lang
    return normalise(_settings().default_language)


def _is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths, so the login form cannot be used as an open redirect."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


LOGIN_TEMPLATE = """<!doctype html>
<html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ t('login.title', lang) }} · {{ t('app.title', lang) }}</title>
<link rel="stylesheet" href="/assets/login.css">
</head>
<body class="login-page">
<main class="login-card">
  <h1>{{ t('app.title', lang) }}</h1>
  <p class="login-sub">{{ t('app.subtitle', lang, district=(district + ' · ') if district else '') }}</p>
  {% if error %}<p class="login-error" role="alert">{{ error }}</p>{% endif %}
  <form method="post" action="/login">
    <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
    <input type="hidden" name="next" value="{{ next_url }}">
    <label for="username">{{ t('login.username', lang) }}</label>
    <input id="username" name="username" autocomplete="username" value="{{ username }}" required autofocus>
    <label for="password">{{ t('login.password', lang) }}</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required>
    <button type="submit" id="login-submit">{{ t('login.submit', lang) }}</button>
  </form>
  <p class="login-lang">
    {% for code in languages %}<a href="/login?lang={{ code }}&next={{ next_url|urlencode }}"
      {% if code == lang %}aria-current="true"{% endif %}>{{ t('lang.' ~ code, code) }}</a>{% endfor %}
  </p>
</main>
</body>
</html>"""


def _district_name(settings: Settings) -> str:
    from dashboard.analytics.district import district_name

    with read_scope(settings.database_url) as session:
        return district_name(session)


def _display_secret() -> tuple[str | None, bool]:
    """The token this request presents (the URL's before the cookie's), and whether from the URL."""
    given = request.args.get(DISPLAY_PARAM)
    if given:
        return given, True
    return request.cookies.get(DISPLAY_COOKIE), False


def _wall_callback(server: Flask) -> bool:
    """Whether this callback request is one of the wall's own (by its callback_map key), or
    the page router asked for ``/wall`` and nothing else."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return False
    key = body["output"]
    if key in server.config.get(DISPLAY_CALLBACKS, ()):
        return True
    if key != PAGES_ROUTER:
        return False
    inputs = body.get("inputs")
    paths = [i.get("value") for i in inputs if isinstance(i, dict) and i.get("property") == "pathname"] \
        if isinstance(inputs, list) else []
    return paths == [WALL_PATH]


def _display_may(server: Flask) -> bool:
    if request.path == WALL_PATH:
        return request.method in ("GET", "HEAD")
    if request.path in DISPLAY_DASH_PATHS:
        return True
    return request.path == "/_dash-update-component" and request.method == "POST" and _wall_callback(server)


DISPLAY_REFUSED = """<!doctype html><html lang="{html_lang}"><meta charset="utf-8"><title>{status}</title>
<body style="background:#0b1220;color:#e8eef8;font:4vh sans-serif;display:grid;place-items:center;height:96vh">
<p>{message}</p></body></html>"""


def _display_refusal(status: int, key: str):
    if request.path.startswith("/_"):
        return jsonify(error=t(key, "en")), status
    lang = normalise(request.args.get("lang") or _settings().default_language)
    page = DISPLAY_REFUSED.format(html_lang="zh-CN" if lang == "zh" else "en", status=status, message=t(key, lang))
    return Response(page, status=status, mimetype="text/html")


def init_auth(server: Flask, settings: Settings) -> None:
    server.config.update(
        SECRET_KEY=settings.secret_key,
        WTF_CSRF_ENABLED=settings.csrf_enabled,
        # The token is bound to the session; a wall display must not lose it after an hour.
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
    )
    login_manager.init_app(server)

    # Registered before CSRFProtect's own hook, so that an anonymous request is told 401 first.
    @server.before_request
    def _guard():
        if _is_public(request.path) or current_user.is_authenticated:
            return None
        secret, from_url = _display_secret()
        if secret:
            principal = display.authenticate(settings, secret)
            if principal is not None:
                if not _display_may(server):
                    return _display_refusal(403, "wall.refused.scope")
                g.display = principal
                g.display_secret = secret if from_url else None
                return None
            if from_url or request.path.startswith("/_"):
                return _display_refusal(401, "wall.refused.token")
        if request.path.startswith("/_"):
            return jsonify(error="authentication required"), 401
        return redirect(url_for("login", next=request.full_path.rstrip("?")))

    csrf.init_app(server)

    @server.after_request
    def _csrf_cookie(response: Response) -> Response:
        new_secret = g.get("display_secret")
        if new_secret:
            # HttpOnly: the page's scripts never need the secret, only the browser does.
            response.set_cookie(DISPLAY_COOKIE, new_secret, max_age=10 * 365 * 24 * 3600, httponly=True,
                                samesite="Strict", secure=settings.session_cookie_secure)
            lang = request.args.get("lang")
            if lang in LANGUAGES:
                response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax")
        if (current_user.is_authenticated or current_display() is not None) and settings.csrf_enabled:
            # Readable by the Dash renderer (not httponly); useless to another site (SameSite).
            response.set_cookie(
                CSRF_COOKIE,
                generate_csrf(),
                samesite="Strict",
                secure=settings.session_cookie_secure,
            )
        return response

    @server.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        if request.path.startswith("/_"):
            return jsonify(error="CSRF check failed", reason=error.description), 400
        return redirect(url_for("login"))

    @server.route("/health")
    def health():
        return jsonify(status="ok")

    @server.route("/login", methods=["GET", "POST"])
    def login():
        lang = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
        lang = normalise(lang if lang in LANGUAGES else settings.default_language)
        next_url = _safe_next(request.values.get("next"))
        error = ""
        username = ""
        status = 200
        headers = {}
        if request.method == "POST":
            username = request.form.get("username", "").strip()
            outcome = sessions.log_in(settings, username, request.form.get("password", ""),
                                      request.remote_addr or "")
            if outcome.user is not None:
                _start_session(outcome.user)
                return redirect(next_url)
            locked_until = outcome.locked_until
            if locked_until is None:
                error = t("login.failed", lang)
            else:
                wait = max(1, math.ceil((locked_until - utcnow()).total_seconds()))
                error = t("login.locked", lang, minutes=math.ceil(wait / 60))
                status, headers = 429, {"Retry-After": str(wait)}
        html = render_template_string(
            LOGIN_TEMPLATE,
            t=t,
            lang=lang,
            error=error,
            username=username,
            next_url=next_url,
            languages=LANGUAGES,
            district=_district_name(settings),
        )
        response = Response(html, status=status, headers=headers)
        if request.args.get("lang") in LANGUAGES:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax")
        return response

    @server.route("/logout", methods=["POST"])
    def logout():
        if current_user.is_authenticated:
            # Clearing this browser's cookie would not stop a copy of it: end them all.
            sessions.log_out(settings, current_actor())
        logout_user()
        cookie_session.clear()
        return redirect(url_for("login"))
