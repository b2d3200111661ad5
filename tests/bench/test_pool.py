"""The local pool: workers forked from a fork server that imported torch once, yet each sees the
driver's environment and working directory as they are when its pool starts."""

from __future__ import annotations

import os

from actopt.bench import start_pool_server
from actopt.bench._backends import LocalBackend
from actopt.bench._worker import pool_context


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
