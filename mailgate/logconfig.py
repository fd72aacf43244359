"""Logging set-up for the command line: one format, level from the settings."""

from __future__ import annotations

import logging

from mailgate.settings import Settings


def configure_logging(settings: Settings) -> None:
    """Send log records to stderr at the configured level."""
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
