"""A registry of small named classes (fields, operators, actions) that refuses duplicate names."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Generic, Protocol, TypeVar

from router.errors import DuplicateNameError, UnknownNameError


class Named(Protocol):
    """Anything with a registry name."""

    @property
    def name(self) -> str:
        """The unique name under which the item is registered."""
        ...


T = TypeVar("T", bound=Named)


class Registry(Generic[T]):
    """Items of one kind, looked up by name; registering a name twice is an error."""

    def __init__(self, kind: str, items: Iterable[T] = ()) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        for item in items:
            self.register(item)

    def register(self, item: T) -> T:
        """Add an item; raise DuplicateNameError if its name is taken."""
        if item.name in self._items:
            raise DuplicateNameError(f"{self.kind} {item.name!r} is already registered")
        self._items[item.name] = item
        return item

    def get(self, name: str) -> T:
        """The item registered under name; UnknownNameError lists the known names."""
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items))
            raise UnknownNameError(f"unknown {self.kind} {name!r} (known: {known})") from None

    def names(self) -> list[str]:
        """All registered names, sorted."""
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[T]:
        return iter(self._items.values())

    def __len__(self) -> int:
        return len(self._items)
