"""The exception hierarchy: every error mailgate raises descends from MailgateError."""


class MailgateError(Exception):
    """Root of all mailgate errors."""


class ConfigError(MailgateError):
    """The settings are invalid or incomplete."""


class StorageUnavailableError(MailgateError):
    """The database could not be reached or refused the write; the caller must not acknowledge."""
