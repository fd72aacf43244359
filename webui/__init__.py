"""Flask web UI for agents and admins."""
