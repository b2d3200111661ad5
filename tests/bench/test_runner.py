"""The runner end to end: resume after kill -9, Ctrl-C, two runners at once, divergence, Ray,
tuning, and the report rendered in headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from bench_helpers import bench_cmd, start

from actopt.bench import BenchInterrupted, Store, grid_from_dict, load, run_grid
from actopt.cli import main

pytestmark = pytest.mark.slow


def _count(out: Path) -> int:
    db = out / "actopt.db"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=5) as c:
            return c.execute("SELECT COUNT(*) FROM runs WHERE status = 'ok'").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _wait_for(out: Path, n: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    t0 = time.time()
    while _count(out) < n:
        assert proc.poll() is None, proc.communicate()
        assert time.time() - t0 < timeout, "runner made no progress"
        time.sleep(0.05)


def _accuracies(out: Path) -> dict[str, float]:
    df = load(out)
    return dict(zip(df["run_id"], df["test_acc"], strict=True))


def test_kill_9_then_resume_loses_nothing_and_matches(tmp_path, reference):
    out = tmp_path / "out"
    proc = start(out, "--workers", "1")
    _wait_for(out, 3, proc)
    os.killpg(proc.pid, signal.SIGKILL)  # the runner and its workers, no chance to clean up
    proc.wait()
    with Store(out) as s:
        before = {r["run_id"]: r["finished"] for r in s.rows()}
    assert 3 <= len(before) < 12
    done = subprocess.run(bench_cmd(out), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with Store(out) as s:
        rows = s.rows()
        assert s.integrity() == "ok"
        assert s.db.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0
    assert len(rows) == 12 and len({r["run_id"] for r in rows}) == 12
    kept = {r["run_id"]: r["finished"] for r in rows if r["run_id"] in before}
    assert kept == before  # every run finished before the kill is kept as it was
    assert _accuracies(out) == _accuracies(reference)  # same seeds, same numbers


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_marks_in_flight_runs_and_exits_nonzero(tmp_path, reference, sig):
    out = tmp_path / "out"
    proc = start(out, "--workers", "2")
    _wait_for(out, 2, proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err, err
    with Store(out) as s:
        statuses = [r["status"] for r in s.rows()]
    # some finished, not all: the runs in flight (whole groups) are stored ``interrupted``
    assert "ok" in statuses and statuses.count("ok") < 12
    assert set(statuses) <= {"ok", "interrupted"}
    again = subprocess.run(bench_cmd(out), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and _accuracies(out) == _accuracies(reference)


def test_ctrl_c_while_loading_is_one_line_not_a_traceback(tmp_path):
    """Ctrl-C to the whole terminal (the driver and the fork server importing torch)."""
    proc = start(tmp_path / "out", "--workers", "2")
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err, err


def test_two_runners_on_one_store_train_each_run_once(tmp_path, reference):
    out = tmp_path / "out"
    a, b = (start(out, "--workers", "1", quiet=False) for _ in range(2))
    outs = [p.communicate(timeout=300) for p in (a, b)]
    assert a.returncode == 0 and b.returncode == 0, outs
    with Store(out) as s:
        rows = s.rows()
        owners = {}
        for r in rows:
            owners[r["owner"]] = owners.get(r["owner"], 0) + 1
    assert len(rows) == 12 and sum(owners.values()) == 12
    trained = [int(m.group(1)) for _, err in outs for m in [re.search(r"(\d+) runs? trained", err)]
               if m]  # fmt: skip
    assert sum(trained) == 12, outs  # nothing trained twice
    assert _accuracies(out) == _accuracies(reference)


def test_a_diverging_config_is_stored_and_the_grid_completes(tmp_path):
    grid = grid_from_dict({"data": ["moons"], "act": ["elu"], "seeds": 2, "epochs": 3,
                           "width": 8, "opt": [{"name": "sgd", "lr": 1e12}, "adam"]})  # fmt: skip
    summary = run_grid(grid, str(tmp_path), workers=2)
    df = load(tmp_path)
    assert summary.statuses == {"diverged": 2, "ok": 2}
    assert set(df[df["opt"] == "sgd"]["status"]) == {"diverged"}


def test_tuning_chooses_on_validation_and_stores_every_trial(tmp_path):
    grid = grid_from_dict({"data": ["moons"], "act": ["tanh"], "seeds": 2, "epochs": 2,
                           "width": 8, "tune": True, "tune_points": 3,
                           "opt": [{"name": "sgd", "lr": 0.1}]})  # fmt: skip
    summary = run_grid(grid, str(tmp_path), workers=2)
    choice = summary.tuning["moons/mlp/tanh/sgd"]
    lrs = sorted(round(c["lr"], 6) for c in choice["candidates"])
    assert {0.031623, 0.1, 0.316228} <= set(lrs)  # widened past an edge where the best was
    best = max(choice["candidates"], key=lambda c: (c["val_acc"], -c["val_loss"]))
    assert choice["lr"] == best["lr"]
    assert len(load(tmp_path, role="tune")) == len(lrs)
    assert set(load(tmp_path)["lr"]) == {choice["lr"]}


def test_ray_backend_on_a_local_cluster(tmp_path):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        grid = grid_from_dict({"data": ["moons"], "act": ["relu", "tanh"], "seeds": 2,
                               "epochs": 2, "width": 8})  # fmt: skip
        summary = run_grid(grid, str(tmp_path), backend="ray")
    finally:
        ray.shutdown()
    assert summary.statuses == {"ok": 4} and len(load(tmp_path)) == 4


def test_report_formats_and_tables(tmp_path, reference, capsys):
    """Static figures in every format at a chosen dpi; the leaderboard as md, LaTeX and CSV."""
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    assert main(["report", str(out), "--format", "png,svg,pdf", "--dpi", "300", "-q"]) == 0
    figures = sorted(p.name for p in (out / "figures").iterdir())
    assert "moons-mlp-accuracy.png" in figures and "moons-mlp-learning_curves.pdf" in figures
    assert len(figures) == 3 * 3  # accuracy, learning curves, heatmap × png, svg, pdf
    from PIL import Image

    with Image.open(out / "figures" / "moons-mlp-accuracy.png") as im:
        assert round(im.info["dpi"][0]) == 300
    capsys.readouterr()
    for kind, marker in (("md", "| rank | config |"), ("latex", r"\begin{tabular}"),
                         ("csv", "data,model,rank,config")):  # fmt: skip
        assert main(["report", str(out), "--table", kind]) == 0
        text = capsys.readouterr().out
        assert marker in text and "relu/adam" in text
    assert main(["report", str(out), "--format", "gif"]) == 2


def test_cli_bench_export_and_errors(tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["bench", "--data", "xor", "--act", "relu", "--seeds", "2", "--epochs", "2",
                 "--out", str(out), "-q"]) == 0  # fmt: skip
    text = capsys.readouterr().out
    assert "relu/adam" in text and "test acc" in text
    assert main(["export", str(out), "--csv", str(tmp_path / "runs.csv")]) == 0
    assert len((tmp_path / "runs.csv").read_text().splitlines()) == 3
    assert main(["bench", "--act", "relux", "--out", str(tmp_path / "x")]) == 2
    assert main(["bench", "--lr", "-1", "--out", str(tmp_path / "x")]) == 2
    assert not (tmp_path / "x").exists()
    assert main(["report", str(tmp_path / "nothing")]) == 2


def test_cli_bench_notes_what_the_model_leaves_out_once(tmp_path, capsys):
    """``bench --model linear --act relu,tanh`` trained identity alone without a word."""
    argv = ["bench", "--data", "xor", "--model", "linear", "--act", "relu,tanh", "--seeds", "2",
            "--epochs", "1", "--workers", "1", "--out", str(tmp_path), "-q"]  # fmt: skip
    assert main(argv) == 0
    captured = capsys.readouterr()
    notes = [line for line in captured.err.splitlines() if line.startswith("note:")]
    assert notes == ["note: model linear has no activation: relu, tanh are not used; one "
                     "identity run per seed"], captured.err  # fmt: skip
    assert "identity/adam" in captured.out and "relu" not in captured.out


def test_run_specs_trains_any_list_once_and_keeps_its_role(tmp_path):
    """The primitive claims and other callers use: a plain list of RunSpecs through the store."""
    from actopt.bench import run_specs
    from actopt.train import RunSpec

    specs = [
        RunSpec(data="moons", width=8, act=act, epochs=1, seed=seed)
        for act in ("relu", "tanh")
        for seed in (0, 1)
    ]
    seen = []
    first = run_specs(specs + specs[:1], tmp_path, role="probe", workers=2,
                      on_done=lambda spec, result: seen.append(spec.run_id))  # fmt: skip
    assert (first.total, first.trained, first.skipped) == (4, 4, 0)  # a repeated spec runs once
    assert sorted(seen) == sorted(s.run_id for s in specs)
    with Store(tmp_path) as store:
        rows = store.rows("probe")
    assert {r["run_id"] for r in rows} == {s.run_id for s in specs}
    assert all(r["status"] == "ok" for r in rows)
    again = run_specs(specs, tmp_path, role="probe", workers=1)
    assert (again.trained, again.skipped) == (0, 4)  # cached: nothing trains twice


def test_a_ctrl_c_with_no_run_in_flight_still_stops(tmp_path):
    """Every run already stored, so none is in flight when Ctrl-C comes: the flag the first
    Ctrl-C sets was never acted on, and the claims went on to take their measurements."""
    grid = grid_from_dict({"data": ["moons"], "act": ["tanh"], "seeds": 1, "epochs": 1,
                           "width": 8})  # fmt: skip
    run_grid(grid, str(tmp_path), workers=1)

    def ctrl_c(n: int) -> None:
        os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(BenchInterrupted, match="no run was in flight"):
        run_grid(grid, str(tmp_path), workers=1, on_start=ctrl_c)


def test_a_ctrl_c_the_caller_ignores_stays_ignored(tmp_path):
    """``nohup actopt bench &`` ignores Ctrl-C; the runner keeps that choice."""
    grid = grid_from_dict({"data": ["moons"], "act": ["tanh"], "seeds": 1, "epochs": 1,
                           "width": 8})  # fmt: skip
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        ran = run_grid(grid, str(tmp_path), workers=1,
                       on_start=lambda n: os.kill(os.getpid(), signal.SIGINT))  # fmt: skip
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
    assert ran.trained == 1
