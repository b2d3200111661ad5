"""A grid holding one optimizer at two lrs: its configs share ``relu/adam``, so the baseline is
named as the leaderboard labels it, and a real bench compares every config with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from actopt.bench import grid_with_overrides, leaderboard, load, run_grid

TWO_LRS = {"data": ["moons"], "act": ["relu", "tanh"], "width": 8, "seeds": 2, "epochs": 1,
           "opt": [{"name": "adam", "lr": 0.01}, {"name": "adam", "lr": 0.001}]}  # fmt: skip


@pytest.fixture(scope="module")
def two_lrs(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("two-lrs")
    run_grid(grid_with_overrides(TWO_LRS), str(out), workers=1)
    return out


def test_the_default_baseline_is_relu_with_the_first_entry_as_the_leaderboard_labels_it():
    assert grid_with_overrides(TWO_LRS).baseline == "relu/adam [lr=0.01]"
    named = grid_with_overrides({**TWO_LRS, "baseline": "relu/adam [lr=0.001]"})
    assert named.baseline == "relu/adam [lr=0.001]"
    one_lr = grid_with_overrides({**TWO_LRS, "opt": ["adam", "sgd"], "baseline": "relu/sgd"})
    assert one_lr.baseline == "relu/sgd"  # a label that names one config keeps its short form


def test_a_label_two_configs_share_is_refused_naming_both():
    with pytest.raises(ValueError, match=r"'relu/adam' could mean relu/adam \[lr=0.01\], "
                                         r"relu/adam \[lr=0.001\]"):  # fmt: skip
        grid_with_overrides({**TWO_LRS, "baseline": "relu/adam"})


def test_a_real_bench_compares_every_config_with_the_first_entry(two_lrs):
    from actopt.report import read_bench
    from actopt.report._columns import caption

    bench = read_bench(two_lrs)
    board = bench.board.set_index("config")
    assert board.loc["relu/adam [lr=0.01]", "vs_baseline"] == "baseline"
    assert board["is_baseline"].sum() == 1
    others = board.drop("relu/adam [lr=0.01]")
    assert others["p_value"].notna().all() and others["p_holm"].notna().all()
    assert set(others["vs_baseline"]) <= {"better", "worse", "tie"}
    note = caption(bench.board, bench.baseline)
    assert note.startswith("vs baseline relu/adam [lr=0.01]: paired t-test")


def test_a_stored_ambiguous_baseline_says_what_it_could_mean(two_lrs):
    from actopt.report._columns import caption

    board = leaderboard(load(two_lrs), baseline="relu/adam")  # a store of an older version
    assert board["p_value"].isna().all() and not board["is_baseline"].any()
    assert caption(board, "relu/adam").startswith(
        "vs baseline relu/adam: could mean relu/adam [lr=0.01], relu/adam [lr=0.001]; nothing"
    )
    tuned = leaderboard(load(two_lrs).query("lr == 0.01"), baseline="relu/adam [lr=0.001]")
    assert tuned.set_index("config").at["relu/adam", "vs_baseline"] == "baseline"
