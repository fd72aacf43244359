"""Raw mail bytes to ParsedMessage: pure functions, no I/O."""
