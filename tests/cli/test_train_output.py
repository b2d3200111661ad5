"""What ``actopt train`` prints says which train accuracy is which: the epoch rows hold the
running mean over the epoch's batches, the summary the whole train set re-evaluated at the end
(64.47% in the last row beside 'train 71.92%' read as a contradiction)."""

from __future__ import annotations

from actopt.cli import main


def test_the_two_train_accuracies_are_labelled(capsys):
    argv = ["train", "--data", "moons", "--width", "8", "--epochs", "2", "-q"]
    assert main(argv) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "train loss, acc: running mean over the epoch's batches" in shown
    assert "(the whole train set, re-evaluated at the end)" in shown
