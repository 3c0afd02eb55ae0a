"""Login limits, session lifetimes, password length, proxies and the body limit come from settings."""

import datetime as dt
from pathlib import Path

import pytest

from dashboard.settings import load_settings

NAMES = ("DASHBOARD_LOGIN_MAX_FAILURES", "DASHBOARD_LOGIN_MAX_FAILURES_PER_ADDRESS",
         "DASHBOARD_LOGIN_WINDOW_MINUTES", "DASHBOARD_SESSION_IDLE_HOURS", "DASHBOARD_SESSION_MAX_HOURS",
         "DASHBOARD_PASSWORD_MIN_LENGTH", "DASHBOARD_TRUSTED_PROXIES", "DASHBOARD_MAX_REQUEST_MB")


@pytest.fixture
def env(monkeypatch, tmp_path):
    for name in (*NAMES, "DASHBOARD_ENV_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DASHBOARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_defaults(env):
    s = load_settings()
    assert (s.login_max_failures, s.login_max_failures_per_address) == (5, 20)
    assert s.login_window == dt.timedelta(minutes=15)
    assert (s.session_idle, s.session_max) == (dt.timedelta(hours=8), dt.timedelta(days=7))
    assert s.password_min_length == 10 and s.trusted_proxies == 0
    assert s.max_request_bytes == 20 * 1024 * 1024


def test_environment_sets_them(env):
    for name, value in zip(NAMES, ("3", "50", "1.5", "0.5", "24", "12", "1", "2.5"), strict=True):
        env.setenv(name, value)
    s = load_settings()
    assert (s.login_max_failures, s.login_max_failures_per_address) == (3, 50)
    assert s.login_window == dt.timedelta(seconds=90)
    assert (s.session_idle, s.session_max) == (dt.timedelta(minutes=30), dt.timedelta(hours=24))
    assert (s.password_min_length, s.trusted_proxies) == (12, 1)
    assert s.max_request_bytes == int(2.5 * 1024 * 1024)


@pytest.mark.parametrize("name, value", [("DASHBOARD_LOGIN_MAX_FAILURES", "0"),
                                         ("DASHBOARD_LOGIN_MAX_FAILURES", "five"),
                                         ("DASHBOARD_TRUSTED_PROXIES", "-1"),
                                         ("DASHBOARD_SESSION_IDLE_HOURS", "0"),
                                         ("DASHBOARD_MAX_REQUEST_MB", "lots")])
def test_bad_values_are_refused_by_name(env, name, value):
    env.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        load_settings()


def test_each_is_documented_in_the_readme_configuration_table():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    for name in NAMES:
        assert f"| `{name}` |" in table, name
