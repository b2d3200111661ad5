"""What a local pool worker runs: arm its death with the driver, then train one group at a time.

Kept apart from the runner and light to import: a spawned worker loads this module (to unpickle
its initializer) before anything else, so the parent-death signal is armed within a second of
the worker's start, not after the ten seconds torch can take to import on a busy machine. A
kill -9 of the driver during that import must not leave a worker behind.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

__all__ = ["die_with", "work", "worker_init"]

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_WATCH_S = 0.5  # how often the watchdog looks at the parent's pid


def die_with(parent: int) -> None:
    """Exit when the driver ``parent`` dies, however it dies (a kill -9 runs no clean-up)."""
    if sys.platform.startswith("linux"):
        try:  # the kernel sends SIGKILL when the parent exits
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # it died before the signal was armed
        os._exit(1)

    def watch() -> None:  # everywhere: a re-parented worker exits
        while os.getppid() == parent:
            time.sleep(_WATCH_S)
        os._exit(1)

    threading.Thread(target=watch, name="actopt-parent-watchdog", daemon=True).start()


def worker_init(threads: int, parent: int) -> None:
    """A pool worker's initializer: die with ``parent``, ignore Ctrl-C, use ``threads`` threads."""
    die_with(parent)  # first: before the slow import below
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver decides what Ctrl-C means
    import torch

    torch.set_num_threads(threads)


def work(
    specs: list[dict], data_dir: str | None, download: bool, memory_budget: int | None = None
) -> list[dict]:
    """Train a group of canonical specs (as dicts) as one batched computation (a list of one: a
    solo run); per spec, its result as a dict and when the group started. ``memory_budget``
    (bytes) splits a group whose replicas would need more, as ``run_many`` does."""
    from ..train import RunSpec, run_many

    started = time.time()
    # the driver validated these specs when the grid was made and planned the group: taken as
    # they are, one group (run_many still splits it past the memory budget)
    results = run_many(
        [RunSpec.from_canonical(s) for s in specs], data_dir=data_dir, download=download,
        max_replicas=len(specs), memory_budget=memory_budget,
    )  # fmt: skip
    return [{"result": r.to_dict(), "started": started} for r in results]
