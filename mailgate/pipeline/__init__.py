"""The ingest pipeline: a spooled raw mail becomes a new ticket or an article on an existing one."""
