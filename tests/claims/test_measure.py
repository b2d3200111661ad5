"""The measurement cache: one row per measured value in the bench's SQLite file."""

from __future__ import annotations

import math
import os
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import measure_helpers as H
import pytest

from actopt.claims import Context, MeasurementStore, _measure
from actopt.claims._claim import measure
from actopt.claims._measure import measure_all


def test_a_key_is_the_function_and_its_inputs():
    a, b = measure(H.square, x=2.0), measure(H.square, x=2.0)
    assert a.key == b.key and a.fn == "measure_helpers:square"
    assert measure(H.square, x=3.0).key != a.key
    assert measure(H.square, x=(1, 2)).params == {"x": [1, 2]}  # as JSON will give it back


def test_measured_once_then_read_back(tmp_path):
    ms = [measure(H.square, x=float(i)) for i in range(3)]
    done = []
    n, failures = measure_all(ms, tmp_path, Context("/data"), workers=2, on_done=done.append)
    assert (n, failures, len(done)) == (3, [], 3)
    with MeasurementStore(tmp_path) as store:
        got = store.get([m.key for m in ms])
    value, wall = got[ms[2].key]
    assert value["x2"] == 4.0 and math.isnan(value["nan"]) and value["pair"] == [1, 2]
    assert value["data_dir"] == "/data" and wall >= 0
    assert measure_all(ms, tmp_path, Context()) == (0, [])  # nothing measured again
    assert (tmp_path / "actopt.db").exists()


def test_a_failure_is_reported_and_not_stored(tmp_path):
    ms = [measure(H.broken, x=1.0), measure(H.square, x=1.0)]
    n, failures = measure_all(ms, tmp_path, Context(), workers=1)
    assert n == 1 and len(failures) == 1 and "cannot measure 1.0" in failures[0]
    with MeasurementStore(tmp_path) as store:
        assert set(store.get([m.key for m in ms])) == {ms[1].key}


def test_an_exclusive_measurement_runs_alone_in_this_process(tmp_path):
    m = measure(H.where, exclusive=True)
    assert measure_all([m], tmp_path, Context()) == (1, [])
    with MeasurementStore(tmp_path) as store:
        assert store.get([m.key])[m.key][0] == os.getpid()


def test_ctrl_c_stops_the_measurements_in_flight(tmp_path):
    """Ctrl-C (here raised as the first result comes in) stops the workers mid-task: waiting
    for them kept the command alive up to a minute after the 'interrupted' line."""
    pid_file = tmp_path / "busy.pid"

    def ctrl_c(_):
        raise KeyboardInterrupt

    ms = [measure(H.busy, pid_file=str(pid_file)), measure(H.after, pid_file=str(pid_file))]
    with pytest.raises(KeyboardInterrupt):
        measure_all(ms, tmp_path, Context(), workers=2, on_done=ctrl_c)
    worker = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(worker, 0)  # gone, and reaped
    with MeasurementStore(tmp_path) as store:
        assert set(store.get([m.key for m in ms])) == {ms[1].key}  # what finished is kept


def test_ctrl_c_while_the_tasks_are_sent_stops_the_workers_too(tmp_path, monkeypatch):
    """A Ctrl-C that lands while the tasks are being sent (a held one comes out there, as the
    workers start) left the pool to finish every task first: 80 measurements, ~50 s."""
    pid_file = tmp_path / "busy.pid"

    class CtrlCOnTheSecondTask(ProcessPoolExecutor):
        def submit(self, *args, **kwargs):
            if getattr(self, "sent", False):
                while not pid_file.exists() or not pid_file.read_text():
                    time.sleep(0.05)  # the first task runs
                raise KeyboardInterrupt
            self.sent = True
            return super().submit(*args, **kwargs)

    monkeypatch.setattr(_measure, "ProcessPoolExecutor", CtrlCOnTheSecondTask)
    ms = [measure(H.busy, pid_file=str(pid_file), seconds=10), measure(H.square, x=1.0)]
    with pytest.raises(KeyboardInterrupt):
        measure_all(ms, tmp_path, Context(), workers=2)
    assert not Path(f"{pid_file}.ended").exists()  # stopped, not waited for


def test_ctrl_c_while_the_tasks_are_sent_waits_till_all_are_sent(tmp_path, monkeypatch):
    """Raised inside ``submit``, Ctrl-C could leave a worker forked but not registered: never
    stopped, it printed a traceback after the driver had gone. It is raised after the sending."""
    sent = []

    class CtrlCOnTheFirstTask(ProcessPoolExecutor):
        def submit(self, *args, **kwargs):
            sent.append(args)
            if len(sent) == 1:
                os.kill(os.getpid(), signal.SIGINT)
            return super().submit(*args, **kwargs)

    monkeypatch.setattr(_measure, "ProcessPoolExecutor", CtrlCOnTheFirstTask)
    ms = [measure(H.square, x=float(i)) for i in range(3)]
    with pytest.raises(KeyboardInterrupt):
        measure_all(ms, tmp_path, Context(), workers=2)
    assert len(sent) == 3
