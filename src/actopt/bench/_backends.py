"""Where a grid's tasks run: a local process pool or Ray. A task is one group of runs (one run
when the bench does not group); a finished task gives one event per run, and a task whose
worker died gives each of its runs a crash.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Any

from .._processes import kill_pool
from ..train import RunSpec
from ._worker import pool_context, start_pool_server, work, worker_init

__all__ = ["BenchError", "Event", "LocalBackend", "RayBackend"]


class BenchError(RuntimeError):
    """A grid that cannot start (missing data, …): nothing was trained."""


Event = tuple[RunSpec, dict]


def _unpack(group: list[RunSpec], get: Callable[[], list[dict]]) -> list[Event]:
    """One event per run of a finished task; a task that died is a crash of each of its runs."""
    try:
        return list(zip(group, get(), strict=True))
    except Exception as e:  # the worker died (killed, out of memory)
        return [(spec, {"crash": f"{type(e).__name__}: {e}"}) for spec in group]


class LocalBackend:
    """A process pool on this machine. A worker that dies (killed, out of memory) breaks the pool
    for every task in it, the healthy ones too: the pool is started again and each of those
    groups is sent once more; a group that loses its worker a second time comes back as a crash
    of each of its runs, marked ``died`` (the runner stores them to be run again next time)."""

    def __init__(self, workers: int, threads: int) -> None:
        start_pool_server()  # a no-op where the caller started it early
        self.workers, self.threads = workers, threads
        self.pool = self._new_pool()
        self.pending: dict[Any, list[RunSpec]] = {}  # a task: one group of runs
        self._sent: dict[Any, tuple[ProcessPoolExecutor, tuple]] = {}  # task: its pool, args
        self._resent: set[str] = set()  # run_ids of groups already sent again

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.workers, mp_context=pool_context(), initializer=worker_init,
            initargs=(self.threads, os.getpid(), dict(os.environ), os.getcwd()),
        )  # fmt: skip

    def _restart(self, broken: ProcessPoolExecutor) -> None:
        if broken is self.pool:  # once per broken pool, however many tasks it took down
            broken.shutdown(wait=False, cancel_futures=True)
            self.pool = self._new_pool()

    def _send(self, group: list[RunSpec], args: tuple) -> None:
        try:
            task = self.pool.submit(work, *args)
        except BrokenProcessPool:  # a worker died since the last look
            self._restart(self.pool)
            task = self.pool.submit(work, *args)
        self.pending[task] = group
        self._sent[task] = (self.pool, args)

    def submit(self, group: list[RunSpec], data_dir: str | None, download: bool,
               budget: int | None) -> None:  # fmt: skip
        self._send(group, ([s.to_dict() for s in group], data_dir, download, budget))

    def next_done(self, timeout: float) -> list[Event]:
        done, _ = wait(list(self.pending), timeout=timeout, return_when=FIRST_COMPLETED)
        events: list[Event] = []
        for task in done:
            group, (pool, args) = self.pending.pop(task), self._sent.pop(task)
            try:
                events += zip(group, task.result(), strict=True)
            except BrokenProcessPool:
                if not any(s.run_id in self._resent for s in group):
                    self._resent.update(s.run_id for s in group)
                    self._restart(pool)
                    self._send(group, args)
                    continue
                why = (
                    "the worker training it died twice: killed, out of memory (--replicas caps "
                    "a group), or a script that starts a bench outside "
                    "'if __name__ == \"__main__\":' (its workers run the script again)"
                )
                events += [(spec, {"crash": why, "died": True}) for spec in group]
            except Exception as e:  # the task itself failed (it never fails for a bad run)
                events += [(spec, {"crash": f"{type(e).__name__}: {e}"}) for spec in group]
        return events

    def in_flight(self) -> list[RunSpec]:
        return [spec for group in self.pending.values() for spec in group]

    def stop(self, kill: bool = False) -> None:
        if kill:
            kill_pool(self.pool)
        # with nothing in flight the idle workers exit on their own (a second of torch's
        # teardown): the driver goes on to its report meanwhile
        self.pool.shutdown(wait=bool(self.pending), cancel_futures=True)


def _reachable(address: str | None, timeout: float = 5.0) -> None:
    """``BenchError`` unless something listens at a ``HOST:PORT`` (or ``ray://HOST:PORT``)
    address: ray.init would wait for minutes for a cluster that is not there. ``auto`` and
    none are Ray's to resolve (it answers at once)."""
    if not address or address == "auto" or ":" not in address:
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except (OSError, ValueError) as e:
        why = "not a port" if isinstance(e, ValueError) else (e.strerror or str(e))
        raise BenchError(
            f"no Ray cluster at {address} ({why}); start one with 'ray start --head', or leave "
            "out --address to run one here"
        ) from None


class RayBackend:
    def __init__(self, address: str | None, threads: int) -> None:
        try:
            import ray
        except ImportError:
            raise BenchError("the Ray backend needs Ray: pip install 'actopt[ray]'") from None
        if not ray.is_initialized():
            _reachable(address)
            try:
                ray.init(address=address, include_dashboard=False, log_to_driver=False)
            except (ConnectionError, ValueError, RuntimeError) as e:
                where = address or "a new local cluster"
                raise BenchError(f"cannot start or join Ray at {where}: {e}") from None
        self.ray = ray
        self.remote = ray.remote(num_cpus=1)(_ray_work)
        self.threads = threads
        self.pending: dict[Any, list[RunSpec]] = {}  # a task: one group of runs

    def submit(self, group: list[RunSpec], data_dir: str | None, download: bool,
               budget: int | None) -> None:  # fmt: skip
        specs = [s.to_dict() for s in group]
        self.pending[self.remote.remote(specs, data_dir, download, budget, self.threads)] = group

    def next_done(self, timeout: float) -> list[Event]:
        if not self.pending:
            return []
        done, _ = self.ray.wait(list(self.pending), num_returns=1, timeout=timeout)
        out = []
        for ref in done:
            out += _unpack(self.pending.pop(ref), partial(self.ray.get, ref))
        return out

    def in_flight(self) -> list[RunSpec]:
        return [spec for group in self.pending.values() for spec in group]

    def stop(self, kill: bool = False) -> None:
        for ref in self.pending:
            self.ray.cancel(ref, force=True)


def _ray_work(
    specs: list[dict], data_dir: str | None, download: bool, budget: int | None, threads: int
) -> list[dict]:
    import torch

    torch.set_num_threads(threads)
    return work(specs, data_dir, download, budget)
