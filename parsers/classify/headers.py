"""Case-insensitive lookups over a mail's decoded top-level headers."""

from __future__ import annotations

from email.utils import parseaddr


class HeaderView:
    """Decoded header values by lower-cased name, first occurrence first."""

    def __init__(self, headers: list[tuple[str, str]]) -> None:
        """Index the (name, value) pairs by lower-cased name."""
        self._values: dict[str, list[str]] = {}
        for name, value in headers:
            self._values.setdefault(name.strip().lower(), []).append(str(value or ""))

    def get(self, name: str) -> str:
        """The first value of a header, stripped, or '' when it is absent."""
        values = self._values.get(name.lower())
        return values[0].strip() if values else ""

    def has(self, name: str) -> bool:
        """Whether the header is present at all."""
        return name.lower() in self._values

    def address(self, name: str) -> str:
        """The bare, lower-cased address of an address header, or ''."""
        return parseaddr(self.get(name))[1].strip().lower()

    def display_name(self, name: str) -> str:
        """The display name of an address header, lower-cased."""
        return parseaddr(self.get(name))[0].strip().lower()
