"""``actopt export --tensorboard`` read back with TensorBoard's own reader, and ``actopt
compare`` on two stores with known differences."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from actopt.bench import Store
from actopt.cli import main
from actopt.train import RunResult, RunSpec


def _store(out: Path, accs: dict[str, list[float]]) -> Path:
    with Store(out) as s:
        s.set_meta("grid", {"baseline": "relu/adam", "target_acc": 0.5})
        ids = []
        for act, values in accs.items():
            for seed, acc in enumerate(values):
                spec = RunSpec(data="moons", act=act, seed=seed, width=8)
                history = [{"epoch": e, "train_loss": 1.0 / e, "test_acc": acc * e / 2,
                            "test_loss": 1.2 / e, "elapsed_s": 0.1} for e in (1, 2)]  # fmt: skip
                s.put(RunResult(spec, final={"test_acc": acc}, history=history))
                ids.append(spec.run_id)
        s.set_meta("run_ids", ids)
    return out


def test_tensorboard_export_reads_back_with_tensorboard(tmp_path, capsys):
    pytest.importorskip("tensorboard", reason="the tensorboard extra is not installed")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    formula = "x/(1+abs(x))"
    out = _store(tmp_path / "b", {"relu": [0.8, 0.82], formula: [0.9, 0.91]})
    logdir = tmp_path / "tb"
    assert main(["export", str(out), "--tensorboard", str(logdir)]) == 0
    assert "wrote 4 runs" in capsys.readouterr().out
    runs = sorted(p for p in logdir.iterdir() if p.is_dir())
    assert len(runs) == 4 and all("/" not in p.name[len(str(logdir)) :] for p in runs)
    plain = next(p for p in runs if "x-1-abs-x" in p.name and "seed1" in p.name)
    acc = EventAccumulator(str(plain), size_guidance={"scalars": 0, "tensors": 0})
    acc.Reload()
    assert set(acc.Tags()["scalars"]) >= {"train/loss", "test/acc", "test/loss"}
    assert [round(e.value, 4) for e in acc.Scalars("test/acc")] == [0.455, 0.91]
    session = acc.summary_metadata["_hparams_/session_start_info"].plugin_data.content
    assert formula.encode() in session  # the exact label travels as an hparam
    root = EventAccumulator(str(logdir))
    root.Reload()
    assert "_hparams_/experiment" in root.summary_metadata


def test_compare_matches_configs_and_tests_the_difference(tmp_path, capsys):
    a = _store(tmp_path / "a", {"relu": [0.80, 0.81, 0.79], "tanh": [0.85, 0.86, 0.84]})
    b = _store(tmp_path / "b", {"relu": [0.90, 0.92, 0.91], "tanh": [0.85, 0.86, 0.845],
                                "elu": [0.7, 0.7, 0.7]})  # fmt: skip
    from actopt.report import compare_benches

    table = compare_benches(a, b).set_index("config")
    assert table.loc["relu/adam", "verdict"] == "second better"
    assert table.loc["relu/adam", "diff"] == pytest.approx(0.91 - 0.80)
    assert table.loc["relu/adam", "test"] == "paired t-test"
    assert table.loc["tanh/adam", "verdict"] == "tie"  # the leaderboard's word
    assert table.loc["elu/adam", "only"] == "second"
    assert table["p_holm"].dropna().ge(table["p_value"].dropna()).all()
    capsys.readouterr()
    assert main(["compare", str(a), str(b)]) == 0
    text = capsys.readouterr().out
    assert re.search(r"relu/adam .*80\.00% .*91\.00% .*\+11\.00 pt.*second better", text)
    assert re.search(r"tanh/adam .*│ tie\s*│", text) and not re.search(r"\bsame\b", text)
    assert "only in second" in text


def test_compare_says_how_many_runs_each_side_has_and_why_they_are_not_ok(tmp_path, capsys):
    """A config whose runs all diverged in the second bench read ``0/0``: its ok runs over its
    runs, and the statuses of the rest, as ``3/3 · 0/3 (3 diverged)``."""
    a = _store(tmp_path / "a", {"relu": [0.80, 0.81, 0.79], "tanh": [0.85, 0.86, 0.84]})
    b = _store(tmp_path / "b", {"tanh": [0.85, 0.86, 0.845]})
    with Store(b) as s:
        ids = s.get_meta("run_ids")
        for seed in range(3):
            spec = RunSpec(data="moons", act="relu", seed=seed, width=8)
            s.put(RunResult(spec, status="diverged", diverged_step=5))
            ids.append(spec.run_id)
        s.set_meta("run_ids", ids)
    from actopt.report import COMPARISON, compare_benches

    table = compare_benches(a, b).set_index("config")
    relu = table.loc["relu/adam"]
    assert (relu["seeds_1"], relu["runs_1"], relu["seeds_2"], relu["runs_2"]) == (3, 3, 0, 3)
    assert relu["not_ok_2"] == "3 diverged" and relu["verdict"] == "n/a (no ok runs)"
    cell = next(c for c in COMPARISON if c.title == "ok/runs").cell
    assert cell(relu) == "3/3 · 0/3 (3 diverged)"
    assert cell(table.loc["tanh/adam"]) == "3/3 · 3/3"
    capsys.readouterr()
    assert main(["compare", str(a), str(b)]) == 0
    assert re.search(r"relu/adam .*3/3 · 0/3 \(3 diverged\)", capsys.readouterr().out)
