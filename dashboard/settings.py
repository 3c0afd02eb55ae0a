"""Settings from the environment, an optional ``.env`` file and built-in defaults.

Precedence: real environment variables > the env file > defaults. The env file is ``.env`` in the
working directory, or the path in ``DASHBOARD_ENV_FILE``.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from dotenv import dotenv_values
from platformdirs import user_data_dir

APP_NAME = "district-air-dashboard"
LANGUAGES = ("zh", "en")


def _env() -> dict[str, str]:
    env_file = os.environ.get("DASHBOARD_ENV_FILE", ".env")
    values: dict[str, str] = {}
    if Path(env_file).is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ)
    return values


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str
    timezone: str = "Asia/Shanghai"
    default_language: str = "zh"
    upload_dir: Path = field(default=Path("uploads"))
    # Tile URL template for maps ({z}/{x}/{y}); empty means a tile-free map (intranets have no internet).
    map_tile_url: str = ""
    map_tile_attribution: str = ""
    csrf_enabled: bool = True
    session_cookie_secure: bool = False
    # URL of a mirror's daily CNEMC files, formatted with date=datetime.date, e.g.
    # "https://example.org/air/china_sites_{date:%Y%m%d}.csv".
    cnemc_url_template: str = ""
    openaq_api_key: str = ""
    openaq_base_url: str = "https://api.openaq.org/v3"
    # Seconds to wait for a connection and for each read of an HTTP response.
    http_timeout: float = 30.0
    # Failed logins within login_window after which a user name, or a client address, is refused.
    login_max_failures: int = 5
    login_max_failures_per_address: int = 20
    login_window: dt.timedelta = dt.timedelta(minutes=15)
    # A session ends after this long without a request, and this long after logging in.
    session_idle: dt.timedelta = dt.timedelta(hours=8)
    session_max: dt.timedelta = dt.timedelta(days=7)
    password_min_length: int = 10
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are believed (0: none).
    trusted_proxies: int = 0
    # Largest request body; a photo travels base64-encoded (4/3 of its size) inside a callback.
    max_request_bytes: int = 20 * 1024 * 1024

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _secret_key(env: dict[str, str], data_dir: Path) -> str:
    """SECRET_KEY from settings, else one generated once and kept beside the default database.

    Keeping it on disk means sessions survive a restart; production sets SECRET_KEY explicitly.
    """
    if env.get("SECRET_KEY"):
        return env["SECRET_KEY"]
    key_file = data_dir / "secret_key"
    if key_file.is_file():
        return key_file.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def load_settings() -> Settings:
    """Read the settings now (the environment may change between calls, e.g. in tests)."""
    env = _env()
    data_dir = Path(env.get("DASHBOARD_DATA_DIR") or user_data_dir(APP_NAME, appauthor=False))
    database_url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'dashboard.db'}"
    language = env.get("DASHBOARD_LANGUAGE", "zh")
    if language not in LANGUAGES:
        raise ValueError(f"DASHBOARD_LANGUAGE must be one of {LANGUAGES}, not {language!r}")
    timezone = env.get("DASHBOARD_TIMEZONE", "Asia/Shanghai")
    ZoneInfo(timezone)  # fail early on a typo
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        secret_key=_secret_key(env, data_dir),
        timezone=timezone,
        default_language=language,
        upload_dir=Path(env.get("DASHBOARD_UPLOAD_DIR") or data_dir / "uploads"),
        map_tile_url=env.get("DASHBOARD_MAP_TILE_URL", ""),
        map_tile_attribution=env.get("DASHBOARD_MAP_TILE_ATTRIBUTION", ""),
        csrf_enabled=_bool(env.get("DASHBOARD_CSRF"), True),
        session_cookie_secure=_bool(env.get("DASHBOARD_SECURE_COOKIES"), False),
        cnemc_url_template=env.get("DASHBOARD_CNEMC_URL_TEMPLATE", ""),
        # OPENAQ_API_KEY is the name OpenAQ's own client reads.
        openaq_api_key=env.get("DASHBOARD_OPENAQ_API_KEY") or env.get("OPENAQ_API_KEY", ""),
        openaq_base_url=env.get("DASHBOARD_OPENAQ_BASE_URL") or "https://api.openaq.org/v3",
        http_timeout=_positive_float(env.get("DASHBOARD_HTTP_TIMEOUT"), 30.0, "DASHBOARD_HTTP_TIMEOUT"),
        login_max_failures=_count(env, "DASHBOARD_LOGIN_MAX_FAILURES", 5, minimum=1),
        login_max_failures_per_address=_count(env, "DASHBOARD_LOGIN_MAX_FAILURES_PER_ADDRESS", 20, minimum=1),
        login_window=dt.timedelta(minutes=_positive_float(
            env.get("DASHBOARD_LOGIN_WINDOW_MINUTES"), 15, "DASHBOARD_LOGIN_WINDOW_MINUTES", "minutes")),
        session_idle=dt.timedelta(hours=_positive_float(
            env.get("DASHBOARD_SESSION_IDLE_HOURS"), 8, "DASHBOARD_SESSION_IDLE_HOURS", "hours")),
        session_max=dt.timedelta(hours=_positive_float(
            env.get("DASHBOARD_SESSION_MAX_HOURS"), 7 * 24, "DASHBOARD_SESSION_MAX_HOURS", "hours")),
        password_min_length=_count(env, "DASHBOARD_PASSWORD_MIN_LENGTH", 10, minimum=1),
        trusted_proxies=_count(env, "DASHBOARD_TRUSTED_PROXIES", 0, minimum=0),
        max_request_bytes=int(_positive_float(
            env.get("DASHBOARD_MAX_REQUEST_MB"), 20, "DASHBOARD_MAX_REQUEST_MB", "megabytes") * 1024 * 1024),
    )


def _positive_float(value: str | None, default: float, name: str, unit: str = "seconds") -> float:
    if value is None or value.strip() == "":
        return default
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number > 0:
        raise ValueError(f"{name} must be a positive number of {unit}, not {value!r}")
    return number


def _count(env: dict[str, str], name: str, default: int, minimum: int) -> int:
    value = env.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < minimum:
        raise ValueError(f"{name} must be a whole number of at least {minimum}, not {value!r}")
    return int(value)
