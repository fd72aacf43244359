"""Ticket services: create tickets, add email articles and history rows the way Znuny does."""
