"""Mailgate: receives mail, stores it durably, turns it into tickets and orchestrates the rest."""
