"""Parse listen addresses such as '127.0.0.1:2525', '[::1]:25' or ':2525'."""

from __future__ import annotations

from mailgate.errors import ConfigError


def parse_listen(value: str, default_host: str = "127.0.0.1") -> tuple[str, int]:
    """Split HOST:PORT into its parts; IPv6 hosts go in brackets."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"not a HOST:PORT listen address: {value!r}")
    host = host.strip("[]") or default_host
    return host, int(port)
