"""The bench trains compatible runs as replica groups: the same results as one run per task,
a run of its own where a run cannot share a group, a cap, resume after a killed group, tuning
rounds as groups, and the CLI's flags.

Tolerances: a run trained alone (``--no-vectorize``, ``replicas=1``) is exactly ``train.run``;
a replica of a group agrees with it in its first recorded loss to 1e-4 relative (float32
rounding of a batched matmul against a plain one, grown through a few adaptive steps) and in
test accuracy within ``ACC_TOLERANCE`` of the engine's own tests (0.02: rounding differences
can flip a few borderline test points after a short training).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from bench_helpers import bench_cmd, start

from actopt.bench import Store, grid_from_dict, run_grid, run_specs
from actopt.cli import main
from actopt.train import RunSpec, group_key, run

pytestmark = pytest.mark.slow

ACC_TOLERANCE = 0.02

# groupable runs (relu, tanh: two seeds each, width 8), a vector activation (softmax) and a
# random one in training (rrelu) that must train alone, and a second width: its own group
MIXED = [
    RunSpec(data="moons", act=act, width=width, epochs=3, seed=seed)
    for width, acts in ((8, ("relu", "tanh", "softmax", "rrelu")), (16, ("relu",)))
    for act in acts
    for seed in (0, 1)
]


def _rows(out: Path, role: str = "run") -> dict[str, dict]:
    with Store(out) as s:
        return {r["run_id"]: r for r in s.rows(role)}


def _losses(history: list[dict]) -> list[float]:
    return [row["train_loss"] for row in history]


def test_groups_equal_one_run_per_task_and_record_their_size(tmp_path):
    grouped = run_specs(MIXED, tmp_path / "grouped", workers=1)
    alone = run_specs(MIXED, tmp_path / "alone", workers=1, replicas=1)
    assert grouped.statuses == alone.statuses == {"ok": len(MIXED)}
    a, b = _rows(tmp_path / "grouped"), _rows(tmp_path / "alone")
    assert a.keys() == b.keys() == {s.run_id for s in MIXED}
    for spec in MIXED:
        ra, rb = a[spec.run_id], b[spec.run_id]
        assert rb["timing"]["group_size"] == 1
        must_be_alone = group_key(spec) is None
        # one worker: each key's runs in one group (relu+tanh at width 8: 4; relu at 16: 2)
        want = 1 if must_be_alone else 4 if spec.width == 8 else 2
        assert ra["timing"]["group_size"] == want, (spec.act, spec.width)
        if must_be_alone:  # the same solo run either way
            assert _losses(ra["history"]) == _losses(rb["history"])
            assert ra["final"]["test_acc"] == rb["final"]["test_acc"]
        else:
            assert abs(ra["final"]["test_acc"] - rb["final"]["test_acc"]) <= ACC_TOLERANCE
            assert ra["history"][0]["train_loss"] == pytest.approx(
                rb["history"][0]["train_loss"], rel=1e-4
            )
            assert ra["timing"]["group_wall_s"] >= ra["timing"]["wall_s"]


def test_replicas_1_is_train_run_exactly_and_a_cap_splits_groups(tmp_path):
    specs = [s for s in MIXED if s.width == 8 and s.act in ("relu", "tanh")]
    run_specs(specs, tmp_path / "one", workers=1, replicas=1)
    rows = _rows(tmp_path / "one")
    for spec in specs:
        solo = run(spec)
        assert rows[spec.run_id]["final"]["test_acc"] == solo.final["test_acc"]
        assert _losses(rows[spec.run_id]["history"]) == _losses(solo.history)
    run_specs(specs, tmp_path / "capped", workers=1, replicas=3)
    sizes = sorted(r["timing"]["group_size"] for r in _rows(tmp_path / "capped").values())
    assert sizes == [2, 2, 2, 2]  # 4 runs, at most 3 a group: two near-equal groups


def test_each_worker_gets_a_share_of_a_key(tmp_path):
    specs = [RunSpec(data="moons", act="relu", width=8, epochs=3, seed=k) for k in range(6)]
    run_specs(specs, tmp_path, workers=2)
    assert sorted(r["timing"]["group_size"] for r in _rows(tmp_path).values()) == [3] * 6


def test_tuning_rounds_train_as_groups(tmp_path):
    grid = grid_from_dict({"data": ["moons"], "act": ["relu", "tanh"], "seeds": 2, "epochs": 2,
                           "width": 8, "tune": True, "tune_points": 3,
                           "opt": [{"name": "sgd", "lr": 0.1}]})  # fmt: skip
    summary = run_grid(grid, str(tmp_path), workers=1)
    tune = _rows(tmp_path, "tune")
    first = {grid.trial(c, k).run_id for c in grid.configs for k in range(3)}
    # the first round: 3 lrs × 2 activations, one group of 6 (one worker)
    assert {tune[r]["timing"]["group_size"] for r in first} == {6}
    for key, choice in summary.tuning.items():
        best = max(choice["candidates"], key=lambda c: (c["val_acc"], -c["val_loss"]))
        assert choice["lr"] == best["lr"], key
    assert summary.statuses == {"ok": summary.trained}


def _ok(out: Path) -> int:
    try:
        with sqlite3.connect(out / "actopt.db", timeout=5) as c:
            return c.execute("SELECT COUNT(*) FROM runs WHERE status = 'ok'").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_a_killed_group_loses_only_its_runs_in_flight(tmp_path):
    out = tmp_path / "out"
    proc = start(out, "--workers", "1", "--replicas", "3")  # 12 runs: 4 groups of 3
    t0 = time.time()
    while _ok(out) < 3:
        assert proc.poll() is None, proc.communicate()
        assert time.time() - t0 < 120, "runner made no progress"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # mid-group: its runs' claims die with the driver
    proc.wait()
    with Store(out) as s:
        before = {r["run_id"]: r["finished"] for r in s.rows()}
        claimed = s.db.execute("SELECT COUNT(*) FROM claims").fetchone()[0]
    assert len(before) % 3 == 0 and 3 <= len(before) < 12  # whole groups only
    assert claimed in (0, 3)  # the group in flight (unless killed between two groups)
    done = subprocess.run(bench_cmd(out, "--replicas", "3"), capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    with Store(out) as s:
        rows = s.rows()
        assert s.db.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0
    assert len(rows) == 12 and {r["status"] for r in rows} == {"ok"}
    assert {r["run_id"]: r["finished"] for r in rows if r["run_id"] in before} == before
    assert {r["timing"]["group_size"] for r in rows if r["run_id"] in before} == {3}


def test_cli_replica_flags(tmp_path, capsys):
    for bad in ("0", "-1", "two"):
        with pytest.raises(SystemExit) as e:
            main(["bench", "--replicas", bad, "--out", str(tmp_path / "x")])
        assert e.value.code == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and "--replicas" in lines[0] and "error:" in lines[0]
    with pytest.raises(SystemExit) as e:
        main(["bench", "--replicas", "2", "--no-vectorize", "--out", str(tmp_path / "x")])
    assert e.value.code == 2
    assert not (tmp_path / "x").exists()
    out = tmp_path / "cli"
    assert main(["bench", "--data", "xor", "--act", "relu,tanh", "--seeds", "2", "--epochs", "2",
                 "--no-vectorize", "--out", str(out), "-q"]) == 0  # fmt: skip
    assert {r["timing"]["group_size"] for r in _rows(out).values()} == {1}
