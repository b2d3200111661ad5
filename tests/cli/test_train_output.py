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


def test_train_takes_back_the_optimizer_label_it_prints(capsys):
    """``train -o betas=0.8,0.99`` prints ``adam(betas=[0.8, 0.99])``; ``--opt`` takes that
    label back (it said "unknown optimizer 'adam(betas=[0.8, 0.99])'"), with -o on top."""
    args = ["train", "--data", "moons", "--width", "8", "--steps", "2"]
    assert main([*args, "--opt", "adam", "-o", "betas=0.8,0.99"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    label = "adam(betas=[0.8, 0.99])"
    assert label in first
    assert main([*args, "--opt", label]) == 0
    assert capsys.readouterr().out.splitlines()[0] == first  # the same run id: the same spec
    assert main([*args, "--opt", label, "-o", "weight_decay=0.01"]) == 0
    assert "adam(betas=[0.8, 0.99],weight_decay=0.01)" in capsys.readouterr().out
    assert main([*args, "--opt", "adam(betas=0.8"]) == 2
