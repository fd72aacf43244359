"""Subcommands of the `mailgate` CLI, one module each."""
