"""Run a grid: a local process pool (or Ray), every result written to the store as it lands.

The driver owns the store: it plans the runs to train into replica groups (runs that differ
only in seed, optimizer hyper-parameters or element-wise activation train as one batched
computation, ``actopt.train.run_many``), claims every run of a group, hands the group to a
worker as one task, and writes each run's result in its own transaction when the group comes
back. A run's claim, row, status and ``on_done`` call are its own, grouped or not. Workers
ignore Ctrl-C; the driver's first Ctrl-C (or SIGTERM) stops scheduling and marks the runs in
flight ``interrupted`` (run again next time), a second one exits at once. A kill -9 loses only
the runs in flight: their claims go stale and are retaken, and the driver's workers die with it
(a parent-death signal on Linux, a watchdog on the driver's pid everywhere). A worker that dies
costs nothing: its pool is started again and its group sent again (``LocalBackend``).

``_execute`` is the core: a list of canonical RunSpecs in, results in the store out. Grids,
tuning and their bookkeeping (``run_grid``, ``_tune``) sit above it.
"""

from __future__ import annotations

import math
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..train import RunResult, RunSpec, default_memory_budget, load_data, plan_groups
from ._backends import BenchError, LocalBackend, RayBackend
from ._grid import Grid
from ._store import Store

__all__ = ["BenchError", "BenchInterrupted", "Summary", "run_grid", "run_specs"]


class BenchInterrupted(KeyboardInterrupt):
    """Ctrl-C: scheduling stopped, runs in flight marked interrupted."""


@dataclass
class Summary:
    total: int = 0
    skipped: int = 0  # already in the store
    trained: int = 0
    failed: int = 0  # error or diverged
    interrupted: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    tuning: dict[str, Any] = field(default_factory=dict)
    wall_s: float = 0.0


# -- the driver ------------------------------------------------------------------------------


def _preflight(specs: Sequence[RunSpec], data_dir: str | None, download: bool) -> None:
    """Load every file-backed dataset once (downloading if needed) so a missing one fails
    before any run. Generated ones (mnist1d, the toys) cannot be missing and are skipped."""
    from .. import data

    for spec in {s.data: s for s in specs}.values():
        if not data.spec(spec.data).needs_files:
            continue
        try:
            load_data(spec, data_dir, quiet=False, download=download)
        except Exception as e:
            raise BenchError(f"dataset {spec.data}: {e}") from None


class _Interrupts:
    """First Ctrl-C (or SIGTERM, how a job scheduler stops a job) sets a flag; the second exits
    at once. A flag no run loop acted on (nothing was in flight) is raised as the block ends."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.hit = False

    def __enter__(self) -> _Interrupts:
        self.previous = {sig: signal.getsignal(sig) for sig in self.SIGNALS}
        if threading.current_thread() is threading.main_thread():
            for sig, before in self.previous.items():
                if before != signal.SIG_IGN:  # a background job's ignored Ctrl-C stays ignored
                    signal.signal(sig, self._handle)
        return self

    def _handle(self, *_: Any) -> None:
        if self.hit:
            os._exit(130)
        self.hit = True

    def __exit__(self, kind: Any, *_: Any) -> None:
        if threading.current_thread() is threading.main_thread():
            for sig, handler in self.previous.items():
                signal.signal(sig, handler)
        if self.hit and kind is None:  # came with nothing in flight: still a stop (the claims
            # went on to their measurements, and the Ctrl-C was never heard)
            raise BenchInterrupted("interrupted: no run was in flight")


@dataclass
class _Session:
    """What one driver holds while it trains: the store, the backend, Ctrl-C, where data lives."""

    store: Store
    backend: Any
    stop: _Interrupts
    capacity: int  # tasks (groups) in flight at once: one per worker
    replicas: int | None  # the most runs in one group (1: every run alone)
    budget: int | None  # bytes one group may use (a worker's share of the memory)
    data_dir: str | None
    download: bool
    on_start: Callable[[int], None]  # the number of runs this session will go through
    on_done: Callable[[RunSpec, RunResult | None], None]  # None: finished elsewhere


@contextmanager
def _session(
    out: str | Path, backend: str, workers: int | None, address: str | None, n_total: int,
    replicas: int | None, data_dir: str | None, download: bool,
    on_start: Callable[[int], None] | None,
    on_done: Callable[[RunSpec, RunResult | None], None] | None,
) -> Iterator[_Session]:  # fmt: skip
    cores = os.cpu_count() or 1
    with Store(out) as store, _Interrupts() as stop:
        workers = max(1, min(store.join(workers, cores), max(n_total, 1)))
        # torch threads from the cores left to this runner: a second runner's lone worker
        # running 2 threads on cores the first one's workers use was 6× slower per run
        threads = max(1, (cores - store.busy_cores()) // workers)
        engine = (
            RayBackend(address, threads) if backend == "ray" else LocalBackend(workers, threads)
        )
        ended = False
        try:
            yield _Session(
                store,
                engine,
                stop,
                workers,
                replicas,
                None if replicas == 1 else default_memory_budget() // workers,
                data_dir,
                download,
                on_start or (lambda n: None),
                on_done or (lambda spec, r: None),
            )
            ended = True
        finally:  # on an exception (Ctrl-C as it starts, an error) the workers are not waited for
            engine.stop(kill=not ended)
            store.leave()


_POLL_S = 1.0  # how often a runner looks again at runs another runner holds


def _plan(specs: list[RunSpec], replicas: int | None, workers: int) -> list[list[RunSpec]]:
    """The groups to train ``specs`` in, each one task: runs of one ``group_key`` together,
    at most ``replicas`` per group, and each key's runs split into ``workers`` near-equal groups.

    The split, by measurement (the default grid: 21 MNIST-1D MLP runs of one key, on 2 cores
    shared with other jobs, load 4–5): two groups of 10 and 11 with one torch thread each took
    17–28 s, one group of 21 with two threads 159 s. The engine's per-step Python work runs on
    one core while its matmuls are too small to keep two threads busy, and two threads wait on
    each other when the cores are shared. Splitting every key (rather than only when there are
    fewer keys than workers) keeps the workers equally loaded to the end. A group still has
    ``replicas`` runs at most, and the worker's ``run_many`` splits one past the memory budget.
    """
    out = []
    for whole in plan_groups(specs):
        cap = min(math.ceil(len(whole) / workers), replicas or len(whole))
        members = [specs[i] for i in whole]
        out += [[members[i] for i in part] for part in plan_groups(members, max_replicas=cap)]
    return out


def _execute(
    specs: Sequence[RunSpec], role: str, session: _Session, summary: Summary
) -> list[RunResult]:
    """Train every spec not finished in the store, through the session's backend; a spec some
    other role or runner finished counts for ``role`` too. Runs another live runner holds are
    waited for (and taken over if it dies), so every spec is finished when this returns."""
    store, backend, stop = session.store, session.backend, session.stop
    groups, held, results = _todo(specs, role, session, summary), [], []
    last_look = last_beat = time.time()
    while groups or held or backend.in_flight():
        if not groups and held and time.time() - last_look >= _POLL_S:
            # look again at the others' runs
            groups, held, last_look = _todo(held, role, session, summary), [], time.time()
        while groups and len(backend.pending) < session.capacity and not stop.hit:
            claimed = []
            for spec in groups.pop(0):  # finished or held by another runner meanwhile: later
                (claimed if store.claim(spec.run_id) else held).append(spec)
            if claimed:
                backend.submit(claimed, session.data_dir, session.download, session.budget)
        if stop.hit:
            _interrupt(backend, store, role, summary)
        if backend.in_flight():
            events = backend.next_done(timeout=_POLL_S)
        else:
            events = []
            if held and not groups:
                time.sleep(_POLL_S)
        for spec, payload in events:
            if "crash" in payload:
                # a run whose worker died is not a result: the next run of the command retries it
                status = "interrupted" if payload.get("died") else "error"
                result = RunResult(spec, status=status, error=payload["crash"])
                started = None
            else:
                result = RunResult.from_dict(payload["result"])
                started = payload["started"]
            store.put(result, role, started)
            summary.trained += 1
            summary.statuses[result.status] = summary.statuses.get(result.status, 0) + 1
            summary.failed += result.status != "ok"
            session.on_done(spec, result)
            results.append(result)
        if time.time() - last_beat > 10:
            store.heartbeat()
            last_beat = time.time()
    return results


def _todo(
    specs: Sequence[RunSpec], role: str, session: _Session, summary: Summary
) -> list[list[RunSpec]]:
    """The groups to train the specs not finished in the store in; a finished one counts for
    ``role`` too and is done."""
    finished = session.store.finished()
    todo = []
    for spec in specs:
        if spec.run_id in finished:
            session.store.add_role([spec.run_id], role)
            summary.skipped += 1
            session.on_done(spec, None)
        else:
            todo.append(spec)
    return _plan(todo, session.replicas, session.capacity)


def _interrupt(backend, store: Store, role: str, summary: Summary) -> None:
    flying = backend.in_flight()
    backend.stop(kill=True)
    why = "interrupted (Ctrl-C or SIGTERM)"
    for spec in flying:
        store.put(RunResult(spec, status="interrupted", error=why), role)
    summary.interrupted = len(flying)
    raise BenchInterrupted(f"interrupted: {len(flying)} run(s) in flight marked interrupted")


def run_specs(
    specs: Sequence[RunSpec],
    out: str | Path,
    *,
    role: str = "run",
    backend: str = "local",
    workers: int | None = None,
    address: str | None = None,
    replicas: int | None = None,
    data_dir: str | None = None,
    download: bool = True,
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[RunSpec, RunResult | None], None] | None = None,
) -> Summary:
    """Train every spec not yet finished in ``out``'s store, as the bench does: cached (a
    finished run is never trained again, and counts for ``role`` too), resumable, shared with
    other runners through claims, on a local process pool or Ray. ``on_done(spec, None)``: a
    run finished before (or by another runner). Read the results back with ``Store(out)`` or
    ``load(out)``.

    Runs that can share a replica group (``actopt.train.group_key``) train as one batched
    computation, one group per task, at most ``replicas`` per group (1: every run alone, as
    ``--no-vectorize``); each run still has its own claim, result row and ``on_done`` call, and
    its ``timing["group_size"]`` says how many trained together.

    >>> from actopt.train import RunSpec
    >>> specs = [RunSpec(data="moons", act=a, epochs=2, seed=s) for a in ("relu", "tanh")
    ...          for s in range(3)]
    >>> run_specs(specs, "out").trained                   # doctest: +SKIP
    6
    """
    t0 = time.time()
    specs = list(dict.fromkeys(specs))  # one run per run_id, in order
    _preflight(specs, data_dir, download)
    summary = Summary(total=len(specs))
    with _session(out, backend, workers, address, len(specs), replicas, data_dir, download,
                  on_start, on_done) as session:  # fmt: skip
        session.on_start(len(specs))
        _execute(specs, role, session, summary)
    summary.wall_s = time.time() - t0
    return summary


def run_grid(
    grid: Grid,
    out: str,
    *,
    backend: str = "local",
    workers: int | None = None,
    address: str | None = None,
    replicas: int | None = None,
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[RunSpec, RunResult | None], None] | None = None,
) -> Summary:
    """Train every run of ``grid`` not yet in ``out``'s store; returns what happened.

    With ``grid.tune``, each config's lr is first chosen on the validation split (``_tune``:
    the search widens past an edge; each round's trials, over every config, go out together, so
    they share replica groups); ``on_start`` is called again when the total grows. ``replicas``
    as for :func:`run_specs`."""
    from ._tune import tune

    t0 = time.time()
    _preflight(grid.runs, grid.data_dir, grid.download)
    n_total = len(grid.runs) + (len(grid.configs) * grid.tune_points if grid.tune else 0)
    summary = Summary(total=n_total)
    with _session(out, backend, workers, address, n_total, replicas, grid.data_dir,
                  grid.download, on_start, on_done) as session:  # fmt: skip
        store = session.store
        store.set_meta("grid", grid.to_dict())
        session.on_start(n_total)
        runs = list(grid.runs)
        if grid.tune:
            chosen = tune(grid, session, summary, lambda specs: _execute(specs, "tune", session,
                                                                         summary))  # fmt: skip
            runs = grid.final_runs(chosen)
        store.set_meta("run_ids", [s.run_id for s in runs])
        _execute(runs, "run", session, summary)
    summary.wall_s = time.time() - t0
    return summary
