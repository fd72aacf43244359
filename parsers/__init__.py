"""Raw mail bytes to ParsedMessage: pure functions, no I/O."""

from parsers.limits import ParseOptions
from parsers.message import parse

__all__ = ["ParseOptions", "parse"]
