"""What a local pool worker runs: arm its death with the driver, then train one group at a time.

Kept apart from the runner and light to import: a worker loads this module (to unpickle its
initializer) before anything else, so the parent-death signal is armed within a second of the
worker's start. A kill -9 of the driver must not leave a worker behind.

Workers come from a fork server where the platform has one (``pool_context``): one process that
imports torch and the training stack once and forks each worker ready to train, instead of every
spawned worker importing torch again (2 s of CPU each); ``start_pool_server`` starts it early,
so that import overlaps the driver's own.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time

from .._processes import children_ignore_ctrl_c

__all__ = ["die_with", "pool_context", "start_pool_server", "work", "worker_init"]

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_WATCH_S = 0.5  # how often the watchdog looks at the parent's pid
# what the fork server imports before it forks a worker: everything a group's training needs
_PRELOAD = ["actopt.bench._preload"]


def pool_context() -> multiprocessing.context.BaseContext:
    """The local pool's start method: a fork server (Linux, macOS), else spawn."""
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


def start_pool_server() -> None:
    """Start the fork server now, in the background, if it is not running: call it before the
    driver's own heavy imports. (Its preload is fixed when it starts.)"""
    if pool_context().get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    multiprocessing.set_forkserver_preload(_PRELOAD)
    with children_ignore_ctrl_c():
        forkserver.ensure_running()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def die_with(driver: int) -> None:
    """Exit when the ``driver`` dies, however it dies (a kill -9 runs no clean-up). The worker's
    parent is the driver, or the fork server, which exits when the driver does."""
    if sys.platform.startswith("linux"):
        try:  # the kernel sends SIGKILL when the parent exits
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    parent = os.getppid()
    if parent == 1 or not _alive(driver):  # it died before the signal was armed
        os._exit(1)

    def watch() -> None:  # everywhere: a re-parented worker, or one whose driver is gone, exits
        while os.getppid() == parent and _alive(driver):
            time.sleep(_WATCH_S)
        os._exit(1)

    threading.Thread(target=watch, name="actopt-parent-watchdog", daemon=True).start()


def worker_init(
    threads: int, parent: int, env: dict[str, str] | None = None, cwd: str | None = None
) -> None:
    """A pool worker's initializer: die with ``parent``, ignore Ctrl-C, use ``threads`` threads,
    and the driver's environment and working directory as they are now (a forked worker has the
    fork server's, from when it started: ``ACTOPT_DATA`` set since, or a ``chdir``, would be
    missed, and a relative ``--data-dir`` read from elsewhere)."""
    die_with(parent)  # first: before the slow import below
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver decides what Ctrl-C means
    if env is not None:
        os.environ.clear()
        os.environ.update(env)
    if cwd is not None:
        os.chdir(cwd)
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
