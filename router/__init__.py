"""Routing: admin-defined rules that decide queue, priority, state and more for a mail."""
