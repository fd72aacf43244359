"""Logging set-up for the command line: one format, level from the settings."""

from __future__ import annotations

import logging

from mailgate.settings import Settings

# flanker's address lexer logs a warning, with the whole offending header, for every malformed
# address; the parser already records each as a defect of the mail, so these only flood the logs
# (flanker sets those loggers' level itself when imported, so a filter is used rather than a level)
NOISY_LIBRARY_LOGGERS = (
    "flanker.addresslib._parser.lexer",
    "flanker.addresslib._parser.parser",
    "flanker.addresslib.address",
)


def errors_only(record: logging.LogRecord) -> bool:
    """A logging filter that passes ERROR and above."""
    return record.levelno >= logging.ERROR


def quiet_noisy_libraries() -> None:
    """Let libraries that log per-mail noise through only at ERROR and above."""
    for name in NOISY_LIBRARY_LOGGERS:
        logging.getLogger(name).addFilter(errors_only)


def configure_logging(settings: Settings) -> None:
    """Send log records to stderr at the configured level."""
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    quiet_noisy_libraries()
