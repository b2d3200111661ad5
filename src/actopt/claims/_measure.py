"""Measurements that are not training runs, cached in the bench's SQLite file.

Each measured value is one row of ``claim_measurements`` in ``OUT/actopt.db``, keyed by the hash
of its function and inputs and written in one transaction, so a rerun measures nothing and
reads the same value back (timings included: a cached timing keeps its verdict). The table is
this module's own; the runs table stays the bench's.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import socket
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._processes import ctrl_c_held, kill_pool
from ..bench import pool_context
from ._claim import Measurement

__all__ = ["Context", "MeasurementStore", "measure_all"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS claim_measurements (
    key TEXT PRIMARY KEY, fn TEXT NOT NULL, params TEXT NOT NULL, value TEXT NOT NULL,
    wall_s REAL, finished REAL, host TEXT
);
"""


@dataclass(frozen=True)
class Context:
    """Where a measurement finds files: never part of what it measures (not in its key)."""

    data_dir: str | None = None
    download: bool = True


class MeasurementStore:
    """The ``claim_measurements`` table of ``<out>/actopt.db`` (WAL, safe across processes)."""

    def __init__(self, out: str | Path) -> None:
        path = Path(out)
        path.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path / "actopt.db", timeout=60, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> MeasurementStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def get(self, keys: Sequence[str]) -> dict[str, tuple[Any, float]]:
        """``key → (value, wall_s)`` for the keys that were measured."""
        found: dict[str, tuple[Any, float]] = {}
        keys = list(keys)
        for i in range(0, len(keys), 500):  # SQLite's limit on bound parameters
            chunk = keys[i : i + 500]
            q = f"SELECT key, value, wall_s FROM claim_measurements WHERE key IN ({','.join('?' * len(chunk))})"  # noqa: E501
            for key, value, wall in self.db.execute(q, chunk):
                found[key] = (json.loads(value), wall or 0.0)
        return found

    def put(self, m: Measurement, value: Any, wall_s: float) -> None:
        """Write one measured value, in one transaction."""
        row = (
            m.key,
            m.fn,
            json.dumps(m.params, sort_keys=True),
            json.dumps(value),
            wall_s,
            time.time(),
            socket.gethostname(),
        )
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("INSERT OR REPLACE INTO claim_measurements VALUES (?,?,?,?,?,?,?)", row)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise


def _call(fn: str, params: dict, ctx: Context) -> tuple[Any, float]:
    module, _, name = fn.partition(":")
    func = getattr(importlib.import_module(module), name)
    t0 = time.perf_counter()
    value = func(ctx, **params)
    wall = time.perf_counter() - t0
    return json.loads(json.dumps(value)), wall  # as the store will give it back


def _worker_init(threads: int) -> None:
    import torch

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver decides what Ctrl-C means
    torch.set_num_threads(threads)


def _alone(m: Measurement, ctx: Context) -> tuple[Any, float]:
    """In this process with one torch thread (a timing wants a quiet, repeatable setting)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _call(m.fn, m.params, ctx)
    finally:
        torch.set_num_threads(threads)


def measure_all(
    measurements: Sequence[Measurement],
    out: str | Path,
    ctx: Context,
    *,
    workers: int | None = None,
    on_done: Callable[[Measurement], None] | None = None,
) -> tuple[int, list[str]]:
    """Measure what ``out`` does not hold yet (a process pool, then the exclusive ones alone).

    Returns how many were measured and one line per measurement that raised: a failure is not
    stored (it runs again next time) and the others go on; its claim's analysis says it is
    missing.
    """
    notify = on_done or (lambda m: None)
    unique = list({m.key: m for m in measurements}.values())
    with MeasurementStore(out) as store:
        have = store.get([m.key for m in unique])
        todo = [m for m in unique if m.key not in have]
        pooled = [m for m in todo if not m.exclusive]
        failures: list[str] = []
        if pooled:
            cores = os.cpu_count() or 1
            n = max(1, min(workers or cores, len(pooled)))
            # forked from the bench's fork server, which ignores Ctrl-C: so are its workers,
            # from their start (spawned ones printed torch-import tracebacks on a Ctrl-C)
            with ProcessPoolExecutor(
                n, mp_context=pool_context(), initializer=_worker_init,
                initargs=(max(1, cores // n),),
            ) as pool:  # fmt: skip
                try:
                    with ctrl_c_held():  # the pool starts its workers as the tasks come
                        pending = {pool.submit(_call, m.fn, m.params, ctx): m for m in pooled}
                    while pending:
                        done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                        for fut in done:
                            m = pending.pop(fut)
                            try:
                                value, wall = fut.result()
                            except Exception as e:  # the others still count
                                failures.append(f"{m.fn}: {type(e).__name__}: {e}")
                                continue
                            store.put(m, value, wall)
                            notify(m)
                except BaseException:  # Ctrl-C: what is in flight is lost, not waited for
                    kill_pool(pool)
                    raise
        for m in (m for m in todo if m.exclusive):
            try:
                value, wall = _alone(m, ctx)
            except Exception as e:
                failures.append(f"{m.fn}: {type(e).__name__}: {e}")
                continue
            store.put(m, value, wall)
            notify(m)
    return len(todo) - len(failures), failures
