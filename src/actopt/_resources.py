"""Resource caps shared by every layer: what this machine's memory allows, and one error for a
request beyond it that names the estimate and how to insist.

A component estimates what a request needs (``train`` a run's parameters, optimizer state,
activations and data; ``landscapes`` the paths it keeps) and calls :func:`check_memory`; the
command line passes ``allow_large=True`` for ``--allow-large``.
"""

from __future__ import annotations

import os

__all__ = [
    "MEMORY_FRACTION",
    "WORKER_BYTES",
    "ResourceError",
    "check_memory",
    "check_workers",
    "fmt_bytes",
    "memory_budget",
]

MEMORY_FRACTION = 0.5  # a request may take half the machine's memory without --allow-large
WORKER_BYTES = 512 << 20  # one worker process: Python, torch and a small run (measured ~450 MB)


class ResourceError(ValueError):
    """A request whose estimated size exceeds what this machine can hold."""


def memory_budget() -> int:
    """Bytes a single request may use: a fixed fraction of the machine's physical memory."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not POSIX: assume a small machine
        total = 8 << 30
    return int(total * MEMORY_FRACTION)


def fmt_bytes(n: float) -> str:
    """``1.5 GB``: a byte count for people (powers of 1024, as memory is sold)."""
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1024 or unit == "PB":
            return f"{n:.3g} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    raise AssertionError("unreachable")


def check_memory(need: float, what: str, detail: str = "", allow_large: bool = False) -> None:
    """``ResourceError`` when ``need`` bytes exceed :func:`memory_budget` (unless
    ``allow_large``); the message gives the estimate, its parts and the override.

    >>> check_memory(1e30, "this run", "1e29 parameters")
    Traceback (most recent call last):
    actopt._resources.ResourceError: this run needs about 8.88e+14 PB (1e29 parameters), ...
    """
    budget = memory_budget()
    if allow_large or need <= budget:
        return
    parts = f" ({detail})" if detail else ""
    raise ResourceError(
        f"{what} needs about {fmt_bytes(need)}{parts}, more than half this machine's memory "
        f"({fmt_bytes(budget)}); make it smaller, or pass --allow-large to try anyway"
    )


def check_workers(workers: int, allow_large: bool = False) -> None:
    """``ValueError`` for fewer than one worker; ``ResourceError`` when that many worker
    processes (each its own Python with torch, :data:`WORKER_BYTES`) exceed the memory budget
    (``bench --workers 500``), unless ``allow_large``.

    >>> check_workers(2)
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a whole number >= 1, got {workers!r}")
    check_memory(workers * WORKER_BYTES, f"{workers:,} worker processes",
                 f"about {fmt_bytes(WORKER_BYTES)} each", allow_large)  # fmt: skip
