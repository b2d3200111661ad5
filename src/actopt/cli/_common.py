"""What every command shares: consoles, the usage error, parsing ``K=V`` values."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console

__all__ = ["UsageError", "err", "out", "parse_params", "parse_value", "split_top_level"]

# piped or captured output is not cut to 80 columns: tables stay one row per line for grep and
# files (a terminal still gets its own width; $COLUMNS overrides both)
_PIPE_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 140
out = Console(highlight=False, width=_PIPE_WIDTH)
err = Console(stderr=True, highlight=False, width=_PIPE_WIDTH)


class UsageError(Exception):
    """A bad name or value from the user: reported in one line, exit status 2."""


def parse_value(text: str) -> Any:
    """A command-line value as bool, int, float or str: parsed, never evaluated."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_params(pairs: Sequence[str]) -> dict[str, Any]:
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"expected NAME=VALUE, got {pair!r}")
        params[key.strip()] = parse_value(value)
    return params


def split_top_level(text: str) -> list[str]:
    """Split on commas outside parentheses: ``relu,max(x, 0)`` → ``['relu', 'max(x, 0)']``."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]
