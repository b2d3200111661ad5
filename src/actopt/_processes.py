"""Worker processes: started deaf to Ctrl-C, stopped at once.

The driver decides what Ctrl-C means (store what finished, mark the rest, one line). A worker
that ignores it only once its own start-up code has run prints a traceback when the Ctrl-C of a
whole terminal lands while it still imports torch. Started inside ``children_ignore_ctrl_c``, it
inherits "ignore" (the disposition survives fork and exec), while a Ctrl-C to the driver
meanwhile waits, blocked, and is delivered when the block ends. (Blocked in the main thread
only: where other threads run, the kernel may hand it to one of them while it is ignored, and
a Ctrl-C of those few milliseconds is lost.) ``ctrl_c_held`` keeps a Ctrl-C out of a pool that
is starting workers; ``kill_pool`` stops a pool without letting its workers finish their tasks
first (a minute of a claim's measurements) before the process can exit.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

__all__ = ["children_ignore_ctrl_c", "ctrl_c_held", "kill_pool"]


@contextmanager
def children_ignore_ctrl_c() -> Iterator[None]:
    """Processes started inside the block ignore SIGINT; this one gets its Ctrl-C afterwards."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "pthread_sigmask"
    ):
        yield
        return
    # blocked first: a SIGINT that comes now stays pending (Linux never drops a blocked signal
    # as ignored) rather than being lost to the SIG_IGN below
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@contextmanager
def ctrl_c_held() -> Iterator[None]:
    """A Ctrl-C inside the block is raised as it ends. A pool stopped half-way through starting
    a worker (forked, not yet registered) never stops that worker, which then prints a
    traceback as it reads the pool's semaphores after the driver has gone."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    hits: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: hits.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if hits:
            signal.raise_signal(signal.SIGINT)


def kill_pool(pool: ProcessPoolExecutor) -> None:
    """Stop the pool's workers mid-task and wait for its thread to see them gone. Shut down
    without waiting, the thread raced the interpreter's exit ("OSError: Bad file descriptor"
    traceback from multiprocessing, 1 Ctrl-C in ~50)."""
    for proc in list((getattr(pool, "_processes", None) or {}).values()):  # no public kill
        proc.terminate()
    pool.shutdown(wait=True, cancel_futures=True)
