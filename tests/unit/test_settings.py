"""Settings come from defaults, then mailgate.toml, then MAILGATE_* environment variables."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from mailgate.cli import cli
from mailgate.errors import ConfigError
from mailgate.settings import Settings, load_settings, mask_url_password


def test_defaults_match_the_design(tmp_path: Path) -> None:
    settings = load_settings({}, cwd=tmp_path)
    assert settings == Settings()
    assert settings.database_url == "sqlite:///mailgate.db"
    assert settings.broker_url == ""
    assert settings.smtp_listen == "127.0.0.1:2525"
    assert settings.lmtp_listen == ""
    assert settings.outbound_smtp == "127.0.0.1:1025"
    assert settings.web_listen == "127.0.0.1:8080"
    assert settings.web_secure_cookies is False  # http://127.0.0.1:8080 must keep working
    assert settings.web_trusted_proxies == 0  # no X-Forwarded-* header is believed


def test_environment_overrides_toml(tmp_path: Path) -> None:
    (tmp_path / "mailgate.toml").write_text(
        '[mailgate]\nsmtp_listen = "0.0.0.0:25"\nmax_message_size = 1000\nfqdn = "from-file"\n'
    )
    settings = load_settings({"MAILGATE_FQDN": "from-env"}, cwd=tmp_path)
    assert settings.smtp_listen == "0.0.0.0:25"
    assert settings.max_message_size == 1000
    assert settings.fqdn == "from-env"


def test_explicit_config_file_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "other.toml"
    path.write_text('broker_url = "redis://r:6379/0"\n')
    assert load_settings({"MAILGATE_CONFIG": str(path)}).broker_url == "redis://r:6379/0"
    with pytest.raises(ConfigError, match="not a file"):
        load_settings({"MAILGATE_CONFIG": str(tmp_path / "missing.toml")})
    path.write_text("no_such_setting = 1\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings({"MAILGATE_CONFIG": str(path)})
    with pytest.raises(ConfigError, match="integer"):
        load_settings({"MAILGATE_MAX_MESSAGE_SIZE": "big"}, cwd=tmp_path)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("Yes", True), ("ON", True), ("0", False), ("off", False), ("", False)],
)
def test_web_secure_cookies_reads_true_and_false_words(tmp_path: Path, raw: str, expected: bool) -> None:
    settings = load_settings({"MAILGATE_WEB_SECURE_COOKIES": raw}, cwd=tmp_path)
    assert settings.web_secure_cookies is expected


def test_web_proxy_settings_from_toml_and_their_errors(tmp_path: Path) -> None:
    (tmp_path / "mailgate.toml").write_text("web_secure_cookies = true\nweb_trusted_proxies = 1\n")
    settings = load_settings({}, cwd=tmp_path)
    assert settings.web_secure_cookies is True and settings.web_trusted_proxies == 1
    assert load_settings({"MAILGATE_WEB_TRUSTED_PROXIES": "2"}, cwd=tmp_path).web_trusted_proxies == 2
    with pytest.raises(ConfigError, match="MAILGATE_WEB_SECURE_COOKIES must be true or false"):
        load_settings({"MAILGATE_WEB_SECURE_COOKIES": "sometimes"}, cwd=tmp_path)
    with pytest.raises(ConfigError, match="MAILGATE_WEB_TRUSTED_PROXIES must be 0 or more"):
        load_settings({"MAILGATE_WEB_TRUSTED_PROXIES": "-1"}, cwd=tmp_path)
    with pytest.raises(ConfigError, match="integer"):
        load_settings({"MAILGATE_WEB_TRUSTED_PROXIES": "yes"}, cwd=tmp_path)


def test_masking_hides_secrets_and_url_passwords() -> None:
    assert (
        mask_url_password("postgresql+psycopg://u:pw@h:5432/db")
        == "postgresql+psycopg://u:********@h:5432/db"
    )
    assert mask_url_password("sqlite:///mailgate.db") == "sqlite:///mailgate.db"
    masked = Settings(secret_key="s3cret", broker_url="redis://:pw@r:6379/0").masked()
    assert masked["secret_key"] == "********"
    assert "pw" not in masked["broker_url"]


def test_config_command_prints_masked_settings() -> None:
    result = CliRunner().invoke(
        cli,
        ["config"],
        env={"MAILGATE_SECRET_KEY": "s3cret", "MAILGATE_DATABASE_URL": "postgresql://u:pw@h/db"},
    )
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output and ":pw@" not in result.output
    assert "MAILGATE_SMTP_LISTEN" in result.output
