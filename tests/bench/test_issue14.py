"""Regression tests for issue #14's "wrong today" list, one (or more) per item, each named by it.

Fast ones write stores directly; the ones that train use tiny grids on a 2-D toy."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from bench_helpers import alive, descendants, frame, is_worker

from actopt.bench import Store, grid_with_overrides, leaderboard, load, run_grid
from actopt.cli import main
from actopt.train import RunResult, RunSpec

TOY = {"data": ["moons"], "width": 8, "epochs": 1}


def _put(out: Path, accs: dict[tuple[str, str], list[float]], grid: dict | None = None,
         status: dict | None = None) -> None:  # fmt: skip
    """A store as a bench writes it: (data, act) → test accuracy per seed."""
    with Store(out) as s:
        s.set_meta("grid", grid or {"baseline": "relu/adam", "target_acc": 0.5})
        ids = []
        for (data, act), values in accs.items():
            for seed, acc in enumerate(values):
                spec = RunSpec(data=data, act=act, seed=seed, width=8)
                history = [{"epoch": e, "test_acc": acc * e / 2, "train_acc": acc * e / 2,
                            "train_loss": 1 / e, "test_loss": 1.1 / e, "elapsed_s": 0.1 * e}
                           for e in (1, 2)]  # fmt: skip
                st = (status or {}).get((data, act), "ok")
                s.put(
                    RunResult(
                        spec,
                        status=st,
                        final={"test_acc": acc, "gen_gap": 0.01},
                        history=history,
                        error=None if st == "ok" else "boom",
                    )
                )
                ids.append(spec.run_id)
        s.set_meta("run_ids", ids)


def _figures(page: str) -> dict:
    blob = re.search(r'<script type="application/json" id="figures">(.*?)</script>', page, re.S)
    return json.loads(blob.group(1).replace("<\\/", "</"))


# -- 1. --tune keeps every seed ----------------------------------------------------------------


@pytest.mark.slow
def test_1_tune_keeps_the_seed_that_equals_a_tuning_trial(tmp_path):
    grid = grid_with_overrides(
        {
            **TOY,
            "act": ["tanh"],
            "seeds": 2,
            "tune": True,
            "tune_points": 3,
            "opt": [{"name": "adam", "lr": 0.03}],
        }
    )
    run_grid(grid, str(tmp_path), workers=2)
    df = load(tmp_path)
    assert sorted(df["seed"]) == [0, 1]  # the seed-0 run was a tuning trial too
    board = leaderboard(df, grid.baseline)
    assert board.loc[0, "seeds"] == 2 and board.loc[0, "ok"] == 2
    with Store(tmp_path) as s:
        seed0 = df[df["seed"] == 0]["run_id"].item()
        assert s.roles()[seed0] == {"tune", "run"}  # one row, both roles


# -- 2. per (dataset, model) ------------------------------------------------------------------


def test_2_every_figure_and_statistic_is_per_dataset_and_model(tmp_path, capsys):
    _put(
        tmp_path,
        {
            ("moons", "relu"): [0.8, 0.82, 0.81],
            ("moons", "tanh"): [0.9, 0.92, 0.91],
            ("xor", "relu"): [0.5, 0.52, 0.51],
            ("xor", "tanh"): [0.6, 0.6, 0.61],
        },
    )
    assert main(["report", str(tmp_path)]) == 0
    page = (tmp_path / "report.html").read_text()
    assert 'id="moons-mlp"' in page and 'id="xor-mlp"' in page  # one section each
    figs = _figures(page)
    bars = figs["moons-mlp-accuracy"]["data"][0]
    assert dict(zip(bars["y"], bars["x"], strict=True)) == pytest.approx(
        {"tanh/adam": 0.91, "relu/adam": 0.81}
    )  # moons only: not pooled with xor
    curves = figs["xor-mlp-learning_curves"]["data"]
    test_acc = next(t for t in curves if t.get("name") == "tanh/adam" and t["yaxis"] == "y4")
    assert test_acc["y"][-1] == pytest.approx((0.6 + 0.6 + 0.61) / 3)
    heat = figs["xor-mlp-heatmap"]["data"][0]
    assert heat["z"] == [pytest.approx([0.6033333]), pytest.approx([0.51])]
    text = capsys.readouterr().out
    assert "moons · mlp" in text and "xor · mlp" in text


# -- 3. CIs inside [0, 1]; one seed is n/a ------------------------------------------------------


def test_3_confidence_intervals_respect_the_bounds_and_one_seed_is_na():
    board = leaderboard(frame({"relu": [0.2, 0.95], "tanh": [0.99, 1.0], "elu": [0.5]}),
                        baseline="relu/adam").set_index("config")  # fmt: skip
    assert (board["ci_low"].dropna() >= 0).all() and (board["ci_high"].dropna() <= 1).all()
    assert board.loc["relu/adam", "ci_clipped"] and board.loc["tanh/adam", "ci_high"] == 1.0
    assert board.loc["elu/adam", "vs_baseline"] == "n/a (1 seed)"
    assert board.loc["elu/adam", "ci_low"] != board.loc["elu/adam", "ci_low"]  # NaN
    from actopt.report._columns import fmt_ci

    assert fmt_ci(board.loc["elu/adam"]) == "n/a (1 seed)"
    assert fmt_ci(board.loc["relu/adam"]).endswith("*")  # clipped, and flagged


# -- 4. Holm --------------------------------------------------------------------------------


def test_4_holm_adjusts_over_the_configs_compared():
    base = [0.80, 0.81, 0.79, 0.80, 0.82]
    gain = [0.02, 0.01, 0.0, 0.02, 0.015]
    accs = {"relu": base, "tanh": [b + g for b, g in zip(base, gain, strict=True)]}  # p ≈ 0.025
    for i, act in enumerate(("elu", "swish", "gelu", "selu", "mish")):
        accs[act] = [a + (0.01 if (j + i) % 2 else -0.01) for j, a in enumerate(base)]
    board = leaderboard(frame(accs), baseline="relu/adam").set_index("config")
    tanh = board.loc["tanh/adam"]
    assert tanh["vs_baseline"] == "tie"  # raw p ≈ 0.025 would have said "better"
    assert tanh["p_value"] < 0.05 <= tanh["p_holm"]
    p = board["p_value"].dropna().sort_values()
    m = len(p)
    assert m == 6 and tanh["p_holm"] == pytest.approx(min(1, max(
        (m - i) * v for i, v in enumerate(p) if v <= tanh["p_value"])))  # fmt: skip


# -- 5. tuning edges ------------------------------------------------------------------------


@pytest.mark.slow
def test_5_tuning_widens_past_an_edge_and_says_so(tmp_path, capsys):
    grid = grid_with_overrides(
        {
            **TOY,
            "act": ["tanh"],
            "seeds": 1,
            "tune": True,
            "tune_points": 3,
            "opt": [{"name": "sgd", "lr": 1e-5}],
        }
    )
    totals, done = [], []
    summary = run_grid(grid, str(tmp_path), workers=2, on_start=totals.append,
                       on_done=lambda spec, result: done.append(spec))  # fmt: skip
    assert len(totals) > 1 and len(done) == totals[-1] == summary.total  # the bar ends full
    choice = summary.tuning["moons/mlp/tanh/sgd"]
    lrs = sorted(c["lr"] for c in choice["candidates"])
    assert len(lrs) > 3 and lrs[-1] > 1e-5 * 10**0.5 * 1.01  # widened upwards
    assert (
        choice["lr"]
        == max(choice["candidates"], key=lambda c: (c["val_acc"], -c["val_loss"]))["lr"]
    )
    if choice["edge"]:  # still at the edge after widening as far as allowed: said so
        assert main(["report", str(tmp_path), "-q"]) == 0
        assert "edge" in capsys.readouterr().err
    board = leaderboard(load(tmp_path))
    assert board.loc[0, "lr"] == choice["lr"]  # the lr used, in the leaderboard


# -- 6. one set of defaults ------------------------------------------------------------------


def test_6_a_toml_grid_gets_the_flags_baseline_and_diagnostics(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text('data = ["moons"]\nact = ["tanh", "relu"]\nwidth = 8\nepochs = 1\n')
    from_file = grid_with_overrides(__import__("actopt.bench", fromlist=["x"]).read_grid(path))
    from_flags = grid_with_overrides({}, data=["moons"], act=["tanh", "relu"], width=8, epochs=1)
    assert [r.run_id for r in from_file.runs] == [r.run_id for r in from_flags.runs]
    assert from_file.baseline == "relu/adam" and all(c.diagnostics for c in from_file.configs)


# -- 7 is tests/test_readme.py ----------------------------------------------------------------

# -- 8. aliases and labels -------------------------------------------------------------------


def test_8_names_and_hyper_parameters_are_canonical_before_hashing():
    grid = grid_with_overrides({}, act=["silu", "swish"], opt=["momentum", "heavy_ball",
                               "momentum(momentum=0.9)", "momentum(momentum=0.95)"])  # fmt: skip
    assert [c.label for c in grid.configs] == ["swish/momentum", "swish/momentum(momentum=0.95)"]


def test_8_labels_survive_formulas_with_slash_and_comma(tmp_path, capsys):
    formula = "x/(1+abs(x))"
    _put(tmp_path, {("moons", "relu"): [0.8, 0.82], ("moons", formula): [0.9, 0.91],
                    ("moons", "max(x,0)"): [0.7, 0.75]})  # fmt: skip
    assert main(["report", str(tmp_path), "--table", "csv"]) == 0
    table = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert set(table["config"]) == {"relu/adam", f"{formula}/adam", "max(x,0)/adam"}
    assert main(["report", str(tmp_path), "-q", "--format", "svg"]) == 0
    names = sorted(p.name for p in (tmp_path / "figures").iterdir())
    assert names and all("/" not in n and "," not in n for n in names)
    page = (tmp_path / "report.html").read_text()
    assert f"{formula}/adam" in page


# -- 9. workers die with their driver --------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and ps --ppid")
def test_9_workers_exit_when_the_driver_is_killed(tmp_path):
    cmd = [
        sys.executable,
        "-m",
        "actopt",
        "bench",
        "--data",
        "moons",
        "--act",
        "relu,tanh",
        "--seeds",
        "2",
        "--epochs",
        "400",
        "--workers",
        "2",
        "--out",
        str(tmp_path),
        "-q",
    ]
    driver = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    try:
        deadline = time.time() + 120
        while time.time() < deadline:  # two workers started (maybe still importing)
            workers = {p for p in descendants(driver.pid) if is_worker(p)}
            if len(workers) == 2:
                break
            time.sleep(0.05)
        assert len(workers) == 2, "the bench never started its workers"
        helpers = descendants(driver.pid)  # the workers and the fork server they come from
        driver.kill()  # kill -9 of the driver alone: no clean-up runs
        driver.wait()
        deadline = time.time() + 10
        while any(alive(w) for w in helpers) and time.time() < deadline:
            time.sleep(0.1)
        survivors = [w for w in helpers if alive(w)]
        assert not survivors, f"processes {survivors} outlived their driver"
    finally:
        driver.kill()
        for w in workers | descendants(driver.pid):
            if alive(w):
                os.kill(w, 9)


# -- 10. damaged and read-only stores --------------------------------------------------------


def _damage(out: Path, kind: str) -> None:
    db = out / "actopt.db"
    if kind == "folder":
        db.mkdir(parents=True)
        return
    out.mkdir(parents=True, exist_ok=True)
    if kind == "zero-length":
        db.write_bytes(b"")
    elif kind == "garbage":
        db.write_bytes(os.urandom(8192))
    elif kind == "truncated":
        _put(out, {("moons", "relu"): [0.8] * 40})
        data = db.read_bytes()
        db.write_bytes(data[: len(data) // 3])
    elif kind == "wrong-schema":
        with sqlite3.connect(db) as c:
            c.execute("CREATE TABLE people (name TEXT)")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"


@pytest.mark.parametrize("kind", ["truncated", "zero-length", "garbage", "wrong-schema",
                                  "folder"])  # fmt: skip
@pytest.mark.parametrize("command", ["report", "export", "bench"])
def test_10_a_damaged_store_is_one_clear_line_and_left_as_it_is(tmp_path, capsys, kind, command):
    out = tmp_path / "out"
    _damage(out, kind)
    if kind == "zero-length" and command == "bench":
        pytest.skip("an empty file holds nothing to lose: the bench makes it a store")
    before = _digest(out / "actopt.db")
    argv = [command, str(out)] if command != "bench" else [
        "bench", "--data", "moons", "--act", "relu", "--seeds", "1", "--epochs", "1",
        "--out", str(out), "-q"]  # fmt: skip
    assert main(argv) == 2  # in-process: any other exception fails the test
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "actopt.db" in lines[0], lines
    assert _digest(out / "actopt.db") == before  # never overwritten


@pytest.mark.parametrize("command", ["report", "export"])
def test_10_a_store_with_no_finished_run_says_so(tmp_path, capsys, command):
    Store(tmp_path).close()  # a bench killed before its first run ended
    assert main([command, str(tmp_path)]) == 2
    assert "no finished runs yet" in capsys.readouterr().err


@pytest.mark.skipif(
    not shutil.which("setpriv") or os.geteuid() != 0,
    reason="needs root and setpriv to read as an unprivileged user",
)
def test_10_report_and_export_read_a_store_on_read_only_media():
    import tempfile

    tmp_path = Path(tempfile.mkdtemp(prefix="actopt-ro-"))  # pytest's own are root-only
    tmp_path.chmod(0o755)
    try:
        _read_only_media(tmp_path)
    finally:
        shutil.rmtree(tmp_path)


def _read_only_media(tmp_path: Path) -> None:
    """A store an unprivileged user can read but not write (as on read-only media)."""
    store = tmp_path / "ro"
    _put(store, {("moons", "relu"): [0.8, 0.82], ("moons", "tanh"): [0.9, 0.91]})
    before = sorted(p.name for p in store.iterdir())
    to = tmp_path / "elsewhere"
    to.mkdir(mode=0o777)
    to.chmod(0o777)
    # one unprivileged interpreter runs the three commands (one start-up instead of three)
    script = (
        "import contextlib, io, json, sys\n"
        "from actopt.cli import main\n"
        "done = []\n"
        "for argv in json.loads(sys.argv[1]):\n"
        "    o, e = io.StringIO(), io.StringIO()\n"
        "    with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):\n"
        "        done.append([main(argv), o.getvalue(), e.getvalue()])\n"
        "print(json.dumps(done))\n"
    )
    argvs = [["export", str(store)], ["report", str(store), "--to", str(to)],
             ["report", str(store)]]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "HOME": str(to)}
    # as an unprivileged user, so a write fails as it would on read-only media (root writes anyway)
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    if subprocess.run([*nobody, sys.executable, "-c", "import actopt.cli, pandas"], env=env,
                      capture_output=True).returncode != 0:  # fmt: skip
        pytest.skip("an unprivileged user cannot import this installation (a private checkout)")
    ran = subprocess.run([*nobody, sys.executable, "-c", script, json.dumps(argvs)],
                         capture_output=True, text=True, timeout=180, env=env)  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    exported, reported, here = json.loads(ran.stdout.splitlines()[-1])
    assert exported[0] == 0 and len(exported[1].splitlines()) == 5, exported
    assert reported[0] == 0, reported
    assert (to / "report.html").exists() and sorted(p.name for p in store.iterdir()) == before
    assert here[0] == 2 and "--to" in here[2], here  # no place to write: said so


# -- 11. another grid on the same store -------------------------------------------------------


@pytest.mark.slow
def test_11_a_changed_grid_reports_only_itself(tmp_path, capsys):
    first = ["bench", "--data", "moons", "--act", "relu,tanh,elu", "--seeds", "2", "--out",
             str(tmp_path), "-q"]  # fmt: skip
    assert main([*first, "--epochs", "2"]) == 0
    assert main([*first[:4], "relu,tanh", *first[5:], "--epochs", "1"]) == 0
    capsys.readouterr()
    assert main(["report", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert " elu/adam" not in text and "2/2" in text  # 2 seeds, epoch-1 runs only
    page = (tmp_path / "report.html").read_text()
    assert "4 runs · 2 configs" in page and "Runs of other grids in this store (6)" in page
    df = load(tmp_path)
    assert set(df[df["in_grid"]]["epochs"]) == {1} and len(df) == 10


# -- 12. integrity, 0-ok configs, progress after a resume ------------------------------------


def test_12_partial_page_corruption_is_refused(tmp_path, capsys):
    """A damaged page that a plain read never touches (the run ids' index): only an integrity
    check finds it, and the report must not go on as if nothing were wrong."""
    _put(tmp_path, {("moons", act): [0.8] * 30 for act in ("relu", "tanh", "elu")})
    db = tmp_path / "actopt.db"
    with sqlite3.connect(db) as c:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = c.execute("PRAGMA page_size").fetchone()[0]
        root = c.execute("SELECT rootpage FROM sqlite_master WHERE name = "
                         "'sqlite_autoindex_runs_1'").fetchone()[0]  # fmt: skip
    data = bytearray(db.read_bytes())
    at = (root - 1) * size
    data[at : at + size] = bytes(range(256)) * (size // 256)
    db.write_bytes(bytes(data))
    with sqlite3.connect(db) as c:  # a plain read does not notice
        assert len(c.execute("SELECT spec FROM runs").fetchall()) == 90
    capsys.readouterr()
    assert main(["report", str(tmp_path)]) == 2
    assert "damaged" in capsys.readouterr().err


def test_12_a_config_with_no_ok_run_is_not_a_tie(tmp_path):
    _put(tmp_path, {("moons", "relu"): [0.8, 0.82], ("moons", "tanh"): [0.9, 0.91]},
         status={("moons", "tanh"): "diverged"})  # fmt: skip
    from actopt.report import read_bench

    board = read_bench(tmp_path).board.set_index("config")
    assert board.loc["tanh/adam", "vs_baseline"] == "no ok runs"


@pytest.mark.slow
def test_12_the_progress_ends_at_the_total_after_a_resume(tmp_path):
    from actopt.bench import run_specs

    specs = [RunSpec(data="moons", width=8, epochs=1, act="relu", seed=s) for s in range(4)]
    run_specs(specs[:2], tmp_path, workers=1)
    seen, totals = [], []
    run_specs(specs, tmp_path, workers=1, on_start=totals.append,
              on_done=lambda spec, result: seen.append(result))  # fmt: skip
    assert totals == [4] and len(seen) == 4 and seen.count(None) == 2


# -- 13. two runners -------------------------------------------------------------------------


def test_13_runners_on_one_machine_share_its_cores(tmp_path):
    a, b, c = Store(tmp_path), Store(tmp_path), Store(tmp_path)
    assert a.join(None, cores=2) == 2
    assert b.join(None, cores=2) == 1  # not another 2: the cores are taken
    assert b.busy_cores() == 2  # so its one worker runs one torch thread, not two
    assert c.join(3, cores=2) == 3  # asked for: kept
    a.leave()  # its 2 cores free again; b's 1 and c's 3 still taken
    with Store(tmp_path) as d:
        assert d.join(None, cores=6) == 6 - 1 - 3
    for s in (a, b, c):
        s.close()


@pytest.mark.slow
def test_13_a_runner_waits_for_runs_another_holds_and_takes_over_a_dead_ones(tmp_path):
    from actopt.bench import run_specs

    specs = [RunSpec(data="moons", width=8, epochs=1, act="relu", seed=s) for s in range(2)]
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with Store(tmp_path) as s:
        s.db.execute("INSERT INTO claims VALUES (?, ?, ?, ?, ?)",
                     (specs[0].run_id, "other", s.host, holder.pid, 9e18))  # fmt: skip
    import threading

    threading.Timer(3.0, holder.kill).start()  # the other runner dies mid-run
    summary = run_specs(specs, tmp_path, workers=1)
    holder.wait()
    assert summary.trained == 2  # waited, then took over the dead runner's claim
    assert len(load(tmp_path)) == 2
