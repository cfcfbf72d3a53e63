"""Settings: SFAGENT_ prefix, .env files, one-line errors naming the bad setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfagent.config import load_settings
from sfagent.errors import ConfigurationError


def test_defaults_are_the_embedded_stack() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///./var/sfagent.db"
    assert settings.redis_url is None
    assert settings.tier("free").max_message_length == 5000
    assert settings.tier("free").inactivity_timeout_minutes == 30


def test_environment_overrides_with_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SFAGENT_PORT", "9001")
    monkeypatch.setenv("SFAGENT_REDIS_URL", "redis://localhost:6379/2")
    monkeypatch.setenv("SFAGENT_TIERS__FREE__REQUESTS_PER_MINUTE", "7")
    settings = load_settings()
    assert settings.port == 9001
    assert settings.redis_url == "redis://localhost:6379/2"
    assert settings.tier("free").requests_per_minute == 7


def test_dotenv_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("SFAGENT_PORT=9100\nSFAGENT_LOG_LEVEL=DEBUG\n")
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert (settings.port, settings.log_level) == (9100, "DEBUG")


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("SFAGENT_DATABASE_URL", "mysql://db", "SFAGENT_DATABASE_URL"),
        ("SFAGENT_PORT", "eighty", "SFAGENT_PORT"),
        ("SFAGENT_REDIS_URL", "http://cache", "SFAGENT_REDIS_URL"),
        ("SFAGENT_SECRET_KEY", "short", "at least 32"),
        ("SFAGENT_MAX_BODY_BYTES", "0", "SFAGENT_MAX_BODY_BYTES"),
    ],
)
def test_bad_setting_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, fragment: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    message = caught.value.message
    assert fragment in message
    assert "\n" not in message


def test_production_refuses_the_development_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SFAGENT_ENVIRONMENT", "production")
    with pytest.raises(ConfigurationError, match="SFAGENT_SECRET_KEY"):
        load_settings()


def test_masked_view_hides_secrets_and_url_passwords() -> None:
    settings = load_settings(
        secret_key="s" * 40,
        database_url="postgresql+asyncpg://app:hunter2hunter2@db:5432/sfagent",
    )
    shown = settings.masked()
    assert shown["secret_key"] == "********"
    assert "hunter2" not in shown["database_url"]
    assert shown["database_url"] == "postgresql+asyncpg://app:********@db:5432/sfagent"
