"""Settings: built once at start-up from the environment and an optional mailgate.toml."""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from mailgate.errors import ConfigError

ENV_PREFIX = "MAILGATE_"
CONFIG_FILE_ENV = "MAILGATE_CONFIG"
DEFAULT_CONFIG_FILE = "mailgate.toml"
SECRET_FIELDS = frozenset({"secret_key"})


@dataclass(frozen=True, slots=True)
class Settings:
    """Effective configuration; each field maps to MAILGATE_<FIELD> and to a key in mailgate.toml."""

    database_url: str = "sqlite:///mailgate.db"
    broker_url: str = ""
    smtp_listen: str = "127.0.0.1:2525"
    lmtp_listen: str = ""
    outbound_smtp: str = "127.0.0.1:1025"
    web_listen: str = "127.0.0.1:8080"
    web_secure_cookies: bool = False  # session cookie Secure even on plain HTTP (over HTTPS it always is)
    web_trusted_proxies: int = 0  # reverse proxies in front whose X-Forwarded-For/-Proto/-Host are believed
    secret_key: str = ""
    system_id: str = "10"
    fqdn: str = "mailgate.localhost"
    max_message_size: int = 50 * 1024 * 1024
    smtp_recipients: str = "system"
    smtp_max_recipients: int = 100
    smtp_timeout: int = 300
    smtp_tls_cert: str = ""
    smtp_tls_key: str = ""
    log_level: str = "INFO"
    autoreply_max_per_address: int = 40  # auto-replies to one address per 24 hours (Znuny: 40)
    autoreply_max_per_ticket: int = 10  # auto-replies on one ticket per 24 hours
    template_dir: str = ""  # folder of admins' mail templates (<queue>/<name>.<lang>.<part>); empty: built-in
    authserv_id: str = ""  # our receiving MTA's Authentication-Results authserv-id(s), comma-separated
    agent_token_days: int = 90  # how long an agent reply address in a notification stays valid

    def masked(self) -> dict[str, str]:
        """The settings as strings, with secrets and URL passwords hidden."""
        out: dict[str, str] = {}
        for item in fields(self):
            value = str(getattr(self, item.name))
            if item.name in SECRET_FIELDS and value:
                value = "********"
            elif item.name.endswith("_url"):
                value = mask_url_password(value)
            out[item.name] = value
        return out


def mask_url_password(url: str) -> str:
    """Replace the password of a URL such as postgresql://user:pw@host/db with asterisks."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":********@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


def _coerce(name: str, raw: Any, kind: type) -> Any:
    if kind is bool:
        return _coerce_bool(name, raw)
    if kind is int:
        try:
            return int(raw)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{ENV_PREFIX}{name.upper()} must be an integer, got {raw!r}") from exc
    return str(raw)


def _kind(declared: Any) -> type:
    """int, bool or str: the type of a Settings field (declared as a string under postponed annotations)."""
    for kind in (int, bool):
        if declared in (kind, kind.__name__):
            return kind
    return str


def _coerce_bool(name: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    word = str(raw).strip().lower()
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
    raise ConfigError(f"{ENV_PREFIX}{name.upper()} must be true or false, got {raw!r}")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    section = data.get("mailgate", data)
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [mailgate] must be a table")
    return section


def load_settings(environ: Mapping[str, str], cwd: Path | None = None) -> Settings:
    """Build Settings from a toml file (MAILGATE_CONFIG or ./mailgate.toml) overlaid by MAILGATE_* vars."""
    known = {item.name: item for item in fields(Settings)}
    values: dict[str, Any] = {}
    config_path = environ.get(CONFIG_FILE_ENV)
    path = Path(config_path) if config_path else (cwd or Path.cwd()) / DEFAULT_CONFIG_FILE
    if config_path and not path.is_file():
        raise ConfigError(f"{CONFIG_FILE_ENV} points to {path}, which is not a file")
    if path.is_file():
        for key, raw in _read_toml(path).items():
            if key not in known:
                raise ConfigError(f"{path}: unknown setting {key!r}")
            values[key] = raw
    for name in known:
        env_name = f"{ENV_PREFIX}{name.upper()}"
        if env_name in environ:
            values[name] = environ[env_name]
    types = {name: _kind(item.type) for name, item in known.items()}
    coerced = {name: _coerce(name, raw, types.get(name, str)) for name, raw in values.items()}
    settings = dataclasses.replace(Settings(), **coerced)
    if settings.smtp_recipients not in ("system", "any"):
        raise ConfigError(
            f"MAILGATE_SMTP_RECIPIENTS must be 'system' or 'any', got {settings.smtp_recipients!r}"
        )
    if settings.web_trusted_proxies < 0:
        raise ConfigError(
            f"MAILGATE_WEB_TRUSTED_PROXIES must be 0 or more, got {settings.web_trusted_proxies}"
        )
    return settings
