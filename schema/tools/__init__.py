"""Developer tools that generate files shipped in the schema package."""
