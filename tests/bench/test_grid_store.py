"""Grid specs, the SQLite store and its claims, statistics."""

from __future__ import annotations

import math
import multiprocessing
import sqlite3
import subprocess
import sys

import pytest
from bench_helpers import frame

from actopt.bench import (
    DEFAULT_GRID,
    BenchError,
    Store,
    StoreError,
    grid_from_dict,
    grid_with_overrides,
    leaderboard,
    load,
    load_grid,
    run_grid,
)  # fmt: skip
from actopt.train import RunResult, RunSpec


def test_toml_spec_expands_to_validated_runs(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text("""
data = ["moons", "xor"]
act = ["relu", "x*tanh(softplus(x))"]
seeds = 2
epochs = 3
width = 8
[[opt]]
name = "momentum"
lr = 0.05
momentum = 0.95
[[opt]]
name = "adam"
""")
    grid = load_grid(path)
    runs = grid.runs
    assert len(runs) == 2 * 2 * 2 * 2 and len({r.run_id for r in runs}) == 16
    mom = next(r for r in runs if r.opt == "momentum")
    assert mom.lr == 0.05 and mom.opt_params["momentum"] == 0.95 and mom.width == 8
    assert mom.label == "relu/momentum(momentum=0.95)"


def test_a_grid_of_activations_on_a_linear_model_is_one_config():
    grid = grid_from_dict({"model": ["linear", "mlp"], "act": ["relu", "tanh"], "seeds": 2})
    labels = sorted({(r.model, r.label) for r in grid.runs})
    assert labels == [("linear", "identity/adam"), ("mlp", "relu/adam"), ("mlp", "tanh/adam")]
    assert len(grid.runs) == 3 * 2


@pytest.mark.parametrize("models", [["linear", "mlp"], ["mlp", "linear"], ["cnn", "mlp"]])
def test_a_model_listed_first_leaves_nothing_out_of_the_others(models):
    """``--model linear,mlp --width 64 --depth 3`` trained the MLP at the default width and
    depth (and without its activation's parameters): the first config was built as a linear
    model, which leaves those out, and the others were made from it."""
    grid = grid_from_dict({"data": ["mnist"], "model": models, "act": ["elu"], "width": 64,
                           "depth": 3, "act_params": {"alpha": 0.5}})  # fmt: skip
    mlp = next(c for c in grid.configs if c.model == "mlp")
    assert (mlp.width, mlp.depth, mlp.act_params) == (64, 3, {"alpha": 0.5})
    other = next(c for c in grid.configs if c.model != "mlp")
    assert other.depth != 3  # neither linear nor cnn reads the depth


@pytest.mark.parametrize(("d", "notes"), [
    ({"model": ["linear"], "act": ["relu", "tanh"]},
     ["model linear has no activation: relu, tanh are not used; one identity run per seed"]),
    ({"model": ["linear", "mlp"], "act": ["identity", "silu"], "opt": ["adam", "sgd"],
      "width": 64},
     ["model linear has no activation: silu is not used; one identity run per optimizer and "
      "seed; it ignores width 64"]),
    ({"data": ["mnist", "mnist1d"], "model": ["cnn", "mlp"], "depth": 3, "width": 32},
     ["model cnn ignores depth 3; it ignores width 32 on mnist1d"]),
    ({"model": ["linear"], "act": ["identity"], "init": "orthogonal"},
     ["model linear ignores init 'orthogonal'"]),
    ({"model": ["linear"], "act": ["identity"]}, []),  # the grid defaults: nothing was given
    ({"model": ["mlp", "cnn"], "data": ["mnist"], "act": ["relu", "tanh"], "width": 8}, []),
])  # fmt: skip
def test_the_grid_notes_what_a_model_leaves_out(d, notes):
    """``--model linear --act relu,tanh`` printed one row, identity/adam, without a word on
    the activations it dropped; a field given that a model never reads is named too."""
    grid = grid_from_dict({"data": ["moons"], **d})
    assert list(grid.notes) == notes
    assert "notes" not in grid.to_dict()  # what the store records of the grid is unchanged


@pytest.mark.parametrize("d, message", [
    ({"data": "moons", "model": "cnn"}, "bench spec: model: cnn needs images"),
    ({"act": ["relu", "relux"]}, "did you mean relu"),
    ({"lr": -1.0}, "lr must be >= 0"),
    ({"colour": "red"}, "unknown bench field.*colour"),
    ({"seeds": 0}, "seeds"),
    ({"opt": [{"lr": 0.1}]}, "'name'"),
    ({"lr": 0.1, "opt": [{"name": "sgd", "lr": 0.2}]}, "lr: given at the top level.*for sgd"),
    ({"seeds": [0, -1]}, "seed must be an integer >= 0"),
    ({"depth": 0}, "depth must be an integer >= 1"),
    ({"baseline": "relu/lion"}, "baseline"),
    ({"target_acc": 2.0}, "target_acc"),
    ({"epochs": 0}, "epochs must be an integer >= 1"),
])  # fmt: skip
def test_bad_specs_fail_fast_with_the_field(d, message):
    with pytest.raises(ValueError, match=message):
        grid_from_dict(d)


def test_bad_toml_names_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("act = [relu")
    with pytest.raises(ValueError, match=r"bad\.toml: not valid TOML"):
        load_grid(bad)


def test_missing_dataset_fails_before_any_run(tmp_path):
    grid = grid_from_dict({"data": ["mnist"], "data_dir": str(tmp_path / "nothing"),
                           "download": False, "seeds": 1, "epochs": 1})  # fmt: skip
    with pytest.raises(BenchError, match=r"train-images-idx3-ubyte\.gz"):
        run_grid(grid, str(tmp_path / "out"))
    assert not (tmp_path / "out" / "actopt.db").exists()


def test_default_grid_is_the_main_job():
    grid = grid_from_dict(DEFAULT_GRID)
    assert len(grid.runs) == 7 * 3 and grid.datasets == ("mnist1d",)
    assert {(c.opt, c.lr, c.epochs, c.diagnostics) for c in grid.configs} == {
        ("adam", 1e-2, 15, True)
    }
    assert grid.baseline == "relu/adam" and grid.target_acc == 0.5


def test_flags_and_a_toml_file_share_one_set_of_defaults(tmp_path):
    """A file grid gets the baseline, diagnostics and budget a flag grid gets (issue #14.6)."""
    path = tmp_path / "grid.toml"
    path.write_text('act = ["tanh", "relu"]\n')
    from_file = load_grid(path)
    from_flags = grid_with_overrides({}, act=["tanh", "relu"])
    assert [c.run_id for c in from_file.runs] == [c.run_id for c in from_flags.runs]
    assert from_file.baseline == from_flags.baseline == "relu/adam"
    assert from_file.configs[0].diagnostics and from_file.configs[0].epochs == 15
    no_relu = grid_with_overrides({"act": ["tanh", "elu"]})
    assert no_relu.baseline == "tanh/adam"  # the first config when relu is not in the grid


def test_one_meaning_of_lr():
    """An entry's lr is its own; a top-level lr (key or flag) is every optimizer's; a flag
    replaces the file's top-level key; nothing given: the optimizer's default."""
    entries = {"opt": [{"name": "sgd", "lr": 0.2}, "adam"]}
    lrs = lambda g: [c.lr for c in g.configs]  # noqa: E731
    assert lrs(grid_with_overrides({**entries, "act": ["relu"]})) == [0.2, 1e-3]
    assert lrs(grid_with_overrides({**entries, "act": ["relu"]}, lr=0.05)) == [0.05, 0.05]
    assert lrs(grid_with_overrides({"lr": 0.3, "opt": ["sgd"], "act": ["relu"]})) == [0.3]
    assert lrs(grid_with_overrides({"lr": 0.3, "act": ["relu"]})) == [0.3]  # the default adam
    assert lrs(grid_with_overrides({"act": ["relu"]}, opt=["sgd", "adadelta"])) == [1e-3, 1.0]


def test_aliases_are_one_config_and_the_baseline_may_use_them():
    grid = grid_with_overrides({"act": ["silu", "swish", "relu"], "opt": ["heavy_ball"],
                                "baseline": "silu/heavy_ball"}, seeds=2)  # fmt: skip
    assert [c.label for c in grid.configs] == ["swish/momentum", "relu/momentum"]
    assert grid.baseline == "swish/momentum" and len(grid.runs) == 4


def test_the_grid_is_expanded_and_validated_once(monkeypatch, tmp_path):
    """Each optimizer entry's hyper-parameters are checked once, when the grid is made; the
    runner trusts the expanded runs (it checks nothing again, builds no spec of its own)."""
    import actopt.optim as O

    calls = []
    real = O.OptimizerSpec.validate
    monkeypatch.setattr(
        O.OptimizerSpec, "validate", lambda s, h: calls.append(s.name) or real(s, h)
    )
    grid = grid_with_overrides({"data": ["moons"], "act": ["relu", "tanh", "elu"], "width": 8,
                                "opt": ["sgd", "adam"], "seeds": 2, "epochs": 1})  # fmt: skip
    assert calls == ["sgd", "adam"] and len(grid.runs) == 12
    calls.clear()
    run_grid(grid, str(tmp_path), workers=1)
    assert calls == []


# -- the store -------------------------------------------------------------------------------


def _result(seed: int = 0, status: str = "ok", acc: float = 0.9) -> RunResult:
    return RunResult(RunSpec(data="moons", seed=seed), status=status,
                     final={"test_acc": acc}, history=[{"epoch": 1, "test_acc": acc,
                                                        "elapsed_s": 0.1}])  # fmt: skip


def test_claims_keep_two_runners_apart(tmp_path):
    a, b = Store(tmp_path), Store(tmp_path)
    r = _result()
    assert a.claim(r.run_id) and not b.claim(r.run_id)
    a.put(r)
    assert not b.claim(r.run_id) and r.run_id in b.finished()
    assert sqlite3.connect(a.path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    a.close()
    b.close()


def _open_at(out, barrier, answers):
    barrier.wait()
    try:
        Store(out).close()
        answers.put("ok")
    except StoreError as e:
        answers.put(str(e))


def test_runners_starting_together_on_a_new_folder_all_open_it(tmp_path):
    """Three at once, thirty times: before opening was serialised, about one start in ten
    failed ("database is locked" while switching to WAL, or a half-made schema)."""
    ctx = multiprocessing.get_context("fork")
    answers = ctx.Queue()
    for i in range(30):
        barrier = ctx.Barrier(3)
        procs = [ctx.Process(target=_open_at, args=(tmp_path / str(i), barrier, answers))
                 for _ in range(3)]  # fmt: skip
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=60)
        assert [answers.get(timeout=5) for _ in procs] == ["ok"] * 3, i


def test_a_dead_runners_claim_is_taken_over(tmp_path):
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead_pid = int(proc.stdout)
    with Store(tmp_path) as s:
        r = _result(seed=3)
        s.db.execute("INSERT INTO claims VALUES (?, ?, ?, ?, ?)",
                     (r.run_id, "gone", s.host, dead_pid, 9e18))  # fmt: skip
        assert s.claim(r.run_id)  # its owner is dead: taken over


def test_interrupted_runs_are_run_again_and_rows_round_trip(tmp_path):
    with Store(tmp_path) as s:
        r = _result(seed=1, status="interrupted")
        s.put(r)
        assert r.run_id not in s.finished() and s.claim(r.run_id)
        ok = _result(seed=2)
        s.put(ok)
        back = Store.result(next(row for row in s.rows() if row["run_id"] == ok.run_id))
        assert back.spec == ok.spec and back.final == ok.final and back.history == ok.history
        assert s.integrity() == "ok"


# -- statistics ------------------------------------------------------------------------------


def test_leaderboard_statistics_and_ties():
    df = frame({"relu": [0.80, 0.82, 0.81, 0.79], "tanh": [0.90, 0.93, 0.91, 0.90],
                 "elu": [0.81, 0.80, 0.83, 0.78]})  # fmt: skip
    board = leaderboard(df, baseline="relu/adam").set_index("config")
    tanh = board.loc["tanh/adam"]
    assert tanh["rank"] == 1 and tanh["vs_baseline"] == "better" and tanh["p_value"] < 0.01
    assert board.loc["elu/adam", "vs_baseline"] == "tie"
    assert board.loc["relu/adam", "vs_baseline"] == "baseline"
    accs = [0.90, 0.93, 0.91, 0.90]
    mean = sum(accs) / 4
    sd = math.sqrt(sum((a - mean) ** 2 for a in accs) / 3)
    half = 3.182446305284263 * sd / 2  # t(0.975, 3) · s / √4
    assert tanh["test_acc"] == pytest.approx(mean)
    assert (tanh["ci_low"], tanh["ci_high"]) == pytest.approx((mean - half, mean + half))


def test_load_gives_one_column_per_spec_field_and_metric(tmp_path):
    grid = grid_from_dict({"data": ["moons"], "act": ["relu"], "seeds": 2, "epochs": 2,
                           "width": 8, "target_acc": 0.5})  # fmt: skip
    run_grid(grid, str(tmp_path), workers=1)
    df = load(tmp_path)
    for col in ("run_id", "data", "act", "opt", "lr", "seed", "epochs", "test_acc", "gen_gap",
                "epochs_to_target", "time_to_target_s", "wall_s", "status"):  # fmt: skip
        assert col in df.columns
    assert len(df) == 2 and set(df["status"]) == {"ok"}


def test_tuning_refuses_one_optimizer_at_two_lrs():
    """Both entries tuned to one lr and trained the same runs twice: the lr is the search's."""
    asked = {"act": ["relu"], "opt": [{"name": "adam", "lr": 0.01}, {"name": "adam", "lr": 0.001}]}
    assert len(grid_from_dict(asked).configs) == 2  # without tuning: two configs
    with pytest.raises(ValueError, match=r"relu/adam is listed at lr 0\.01 and 0\.001"):
        grid_from_dict({**asked, "tune": True})
    one = grid_from_dict({**asked, "opt": ["adam", "sgd"], "tune": True})
    assert len(one.configs) == 2
