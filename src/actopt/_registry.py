"""A name → item table with aliases, shared by the activation and optimizer registries."""

from __future__ import annotations

import difflib
from typing import Generic, TypeVar

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """Lower-case names and explicit aliases; duplicates refused; unknown names answered with
    the closest matches (``KeyError``)."""

    def __init__(self, kind: str, listing: str) -> None:
        self.kind = kind  # "activation", "optimizer": used in error messages
        self.listing = listing  # where users find the names, e.g. "actopt.optim.names()"
        self._items: dict[str, T] = {}
        self._aliases: dict[str, str] = {}  # alias -> canonical name

    def register(self, name: str, aliases: tuple[str, ...], item: T) -> T:
        for key in (name, *aliases):
            if key != key.lower():
                raise ValueError(f"{self.kind} names are lower-case: {key!r}")
            if key in self._items or key in self._aliases:
                raise ValueError(f"{self.kind} {key!r} is already registered")
        self._items[name] = item
        self._aliases.update(dict.fromkeys(aliases, name))
        return item

    def names(self, aliases: bool = False) -> list[str]:
        """Registered names in registration order (with ``aliases=True``, aliases too)."""
        return [*self._items, *self._aliases] if aliases else list(self._items)

    def resolve(self, name: str) -> str:
        """The canonical name for ``name`` or an alias (case and '-'/'_' forgiven)."""
        low = name.strip().lower()
        for key in (low, low.replace("-", "_"), low.replace("_", "-")):
            key = self._aliases.get(key, key)
            if key in self._items:
                return key
        key = low
        close = difflib.get_close_matches(key, self.names(aliases=True), n=4, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"unknown {self.kind} {name!r}{hint} (see {self.listing})")

    def __getitem__(self, name: str) -> T:
        return self._items[self.resolve(name)]
