"""The local pool: workers forked from a fork server that imported torch once, yet each sees the
driver's environment and working directory as they are when its pool starts; a worker that dies
loses no run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from bench_helpers import descendants, is_worker

from actopt.bench import Store, _backends, start_pool_server
from actopt.bench._backends import LocalBackend
from actopt.bench._worker import pool_context
from actopt.train import RunSpec


def test_workers_see_the_drivers_environment_and_folder_of_now(tmp_path, monkeypatch):
    start_pool_server()  # as the CLI does, before anything changes
    monkeypatch.setenv("ACTOPT_POOL_PROBE", "set after the server started")
    monkeypatch.chdir(tmp_path)
    backend = LocalBackend(workers=1, threads=1)
    try:
        env = backend.pool.submit(os.getenv, "ACTOPT_POOL_PROBE").result(timeout=120)
        cwd = backend.pool.submit(os.getcwd).result(timeout=120)
        worker = backend.pool.submit(os.getpid).result(timeout=120)
    finally:
        backend.stop()
    assert env == "set after the server started"
    assert os.path.samefile(cwd, tmp_path)
    assert worker != os.getpid()


def test_the_pool_forks_from_a_server_where_the_platform_has_one():
    import multiprocessing

    expected = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    assert pool_context().get_start_method() == expected


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and ps --ppid")
def test_a_killed_worker_loses_no_run(tmp_path):
    """kill -9 of one worker mid-group breaks the pool for both groups: both are sent again to
    a new pool and every run ends ok, in this same command."""
    grid = ["--data", "moons", "--act", "relu,tanh", "--seeds", "2", "--epochs", "150"]
    cmd = [sys.executable, "-m", "actopt", "bench", *grid, "--workers", "2", "--out", str(tmp_path)]
    driver = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline, workers = time.time() + 120, set()
        while time.time() < deadline and len(workers) < 2:
            workers = {p for p in descendants(driver.pid) if is_worker(p)}
            time.sleep(0.05)
        assert len(workers) == 2, "the bench never started its workers"
        time.sleep(1.5)  # both groups training
        os.kill(min(workers), signal.SIGKILL)
        _, err = driver.communicate(timeout=300)
    finally:
        driver.kill()
    assert driver.returncode == 0, err
    with Store(tmp_path, readonly=True) as store:
        rows = store.rows(None)
    assert len(rows) == 4 and {r["status"] for r in rows} == {"ok"}, [r["error"] for r in rows]


def test_a_group_whose_worker_dies_twice_comes_back_as_died(monkeypatch):
    """The pool is restarted once per breakage and a group is sent again once: a second death
    is a crash of each run, marked ``died`` (stored to be run again, not as a final error)."""
    monkeypatch.setattr(_backends, "work", signal.raise_signal)  # the task kills its worker
    backend = LocalBackend(workers=1, threads=1)
    first = backend.pool
    group = [RunSpec(data="moons", seed=s) for s in (0, 1)]
    try:
        backend._send(group, (signal.SIGKILL,))
        events, deadline = [], time.time() + 120
        while not events and time.time() < deadline:
            events = backend.next_done(timeout=1.0)
        assert backend.pool is not first  # restarted
        assert [spec for spec, _ in events] == group
        assert all(p.get("died") and "died twice" in p["crash"] for _, p in events)
        assert not backend.in_flight()
    finally:
        backend.stop(kill=True)


def test_stop_kill_ends_the_pools_thread_before_it_returns(monkeypatch):
    """Ctrl-C stops the pool with ``kill``: its manager thread must be gone when ``stop`` returns.
    Left running, it raced the interpreter's exit ("OSError: Bad file descriptor" traceback from
    multiprocessing after the one-line message, 1 Ctrl-C in ~50 mid-run)."""
    monkeypatch.setattr(_backends, "work", time.sleep)  # a task that outlasts the test
    backend = LocalBackend(workers=1, threads=1)
    backend._send([RunSpec(data="moons")], (600,))
    deadline = time.time() + 120
    while not backend.pool._processes and time.time() < deadline:
        time.sleep(0.05)
    manager = backend.pool._executor_manager_thread
    workers = list(backend.pool._processes.values())
    backend.stop(kill=True)
    assert not manager.is_alive()
    assert all(not p.is_alive() for p in workers)
