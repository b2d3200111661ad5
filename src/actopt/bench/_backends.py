"""Where a grid's tasks run: a local process pool or Ray. A task is one group of runs (one run
when the bench does not group); a finished task gives one event per run, and a task whose
worker died gives each of its runs a crash.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from functools import partial
from typing import Any

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
    def __init__(self, workers: int, threads: int) -> None:
        start_pool_server()  # a no-op where the caller started it early
        self.pool = ProcessPoolExecutor(
            workers, mp_context=pool_context(), initializer=worker_init,
            initargs=(threads, os.getpid(), dict(os.environ), os.getcwd()),
        )  # fmt: skip
        self.pending: dict[Any, list[RunSpec]] = {}  # a task: one group of runs

    def submit(self, group: list[RunSpec], data_dir: str | None, download: bool,
               budget: int | None) -> None:  # fmt: skip
        task = self.pool.submit(work, [s.to_dict() for s in group], data_dir, download, budget)
        self.pending[task] = group

    def next_done(self, timeout: float) -> list[Event]:
        done, _ = wait(list(self.pending), timeout=timeout, return_when=FIRST_COMPLETED)
        return [e for fut in done for e in _unpack(self.pending.pop(fut), fut.result)]

    def in_flight(self) -> list[RunSpec]:
        return [spec for group in self.pending.values() for spec in group]

    def stop(self, kill: bool = False) -> None:
        procs = list((getattr(self.pool, "_processes", None) or {}).values())  # no public kill
        # with nothing in flight the idle workers exit on their own (a second of torch's
        # teardown): the driver goes on to its report meanwhile
        self.pool.shutdown(wait=not kill and bool(self.pending), cancel_futures=True)
        if kill:
            for proc in procs:
                proc.terminate()


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
