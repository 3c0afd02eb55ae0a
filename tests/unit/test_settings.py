from pathlib import Path
from zoneinfo import ZoneInfoNotFoundError

import pytest

from dashboard.settings import load_settings


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "SECRET_KEY", "DASHBOARD_LANGUAGE", "DASHBOARD_TIMEZONE", "DASHBOARD_ENV_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DASHBOARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults_are_sqlite_in_the_data_folder_zh_and_shanghai(clean_env):
    settings = load_settings()
    assert settings.database_url == f"sqlite:///{clean_env / 'data' / 'dashboard.db'}"
    assert settings.default_language == "zh"
    assert settings.timezone == "Asia/Shanghai"
    assert settings.csrf_enabled


def test_generated_secret_key_is_kept_between_starts(clean_env):
    first = load_settings().secret_key
    assert len(first) >= 32
    assert load_settings().secret_key == first
    assert (clean_env / "data" / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_beats_env_file(clean_env, monkeypatch):
    Path(".env").write_text("DATABASE_URL=sqlite:///from-file.db\nSECRET_KEY=file-key\nDASHBOARD_LANGUAGE=en\n")
    settings = load_settings()
    assert settings.database_url == "sqlite:///from-file.db"
    assert settings.secret_key == "file-key"
    assert settings.default_language == "en"
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@localhost/x")
    assert load_settings().database_url == "postgresql://u@localhost/x"


def test_bad_language_or_time_zone_is_refused(clean_env, monkeypatch):
    monkeypatch.setenv("DASHBOARD_LANGUAGE", "fr")
    with pytest.raises(ValueError, match="DASHBOARD_LANGUAGE"):
        load_settings()
    monkeypatch.setenv("DASHBOARD_LANGUAGE", "zh")
    monkeypatch.setenv("DASHBOARD_TIMEZONE", "Asia/Nowhere")
    with pytest.raises(ZoneInfoNotFoundError):
        load_settings()
