"""SQLAlchemy models of the Znuny-compatible schema and mailgate_ tables, with Alembic migrations."""
