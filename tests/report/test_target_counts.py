"""``ep→target`` averages the seeds that reached the target: it says how many did, in every
table, whenever not all did."""

from __future__ import annotations

import csv
import io

from actopt.bench import leaderboard, load
from actopt.report import leaderboard_table, read_bench
from actopt.report._columns import fmt_to_target

LONG_ACT = "x*sigmoid(1.702*x)+0.05*sin(x)"  # conftest.write_hard_store's formula


def test_the_cell_counts_the_seeds_that_reached_the_target(make_hard_store, tmp_path):
    """At 81%: relu/adam's seeds end at 80% and 81% (one reaches it, at epoch 3), the formula's
    at 85% and 86% (both), lr 0 at 50% (neither)."""
    bench = read_bench(make_hard_store(tmp_path, target=0.81))
    board = bench.board.set_index("config")
    cells = {c: fmt_to_target(r) for c, r in board.iterrows()}
    assert cells["relu/adam(amsgrad=True)"] == "3.0 (1/2)"
    assert cells[f"{LONG_ACT}/adam(amsgrad=True)"] == "3.0"
    assert cells["relu/sgd"] == cells[f"{LONG_ACT}/sgd"] == "— (0/2)"
    assert "| 3.0 (1/2) |" in leaderboard_table(bench, "md")
    rows = {r["config"]: r for r in csv.DictReader(io.StringIO(leaderboard_table(bench, "csv")))}
    assert rows["relu/adam(amsgrad=True)"]["reached_target"] == "1"
    assert rows["relu/adam(amsgrad=True)"]["epochs_to_target"] == "3.0"
    assert rows["relu/sgd"]["reached_target"] == "0" and rows["relu/sgd"]["epochs_to_target"] == ""


def test_no_target_no_count(make_hard_store, tmp_path):
    out = make_hard_store(tmp_path)
    board = leaderboard(load(out).assign(target_acc=float("nan"), epochs_to_target=float("nan")))
    assert {fmt_to_target(r) for _, r in board.iterrows()} == {"—"}
