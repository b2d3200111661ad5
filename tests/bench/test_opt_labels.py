"""Optimizer labels and ``-o key=value`` options: what the leaderboard prints reads back.

A pair such as ``betas`` prints as ``[0.8, 0.99]``; ``--opt`` and a grid's opt strings take that
label back, and ``train -o`` takes the pair bare, in parentheses or in brackets.
"""

from __future__ import annotations

import pytest

import actopt.optim as O
from actopt._numbers import parse_plain
from actopt.bench import grid_with_overrides
from actopt.cli import parse_params
from actopt.train import RunSpec


def _changed(name: str) -> dict:
    """Every tuple hyper-parameter moved off its default, and a weight decay besides."""
    defaults = O.spec(name).defaults
    params = {
        k: tuple(round(x * 0.9, 4) for x in v) for k, v in defaults.items() if isinstance(v, tuple)
    }
    if "weight_decay" in defaults:
        params["weight_decay"] = 0.05
    return params


@pytest.mark.parametrize("name", O.names())
def test_every_label_reads_back_to_the_same_spec(name):
    spec = RunSpec(opt=name, act="relu", lr=0.01, opt_params=_changed(name))
    [config] = grid_with_overrides({"act": ["relu"], "lr": 0.01}, opt=[spec.opt_label]).configs
    assert (config.opt, config.opt_params, config.label) == (spec.opt, spec.opt_params, spec.label)


@pytest.mark.parametrize(
    "label", ["adam(betas=[0.8, 0.99])", "adam(betas=[0.8,0.99])", "adam(betas=(0.8, 0.99))",
              "adam( betas = [ 0.8 , 0.99 ] , eps=1e-6 )"],
)  # fmt: skip
def test_a_pair_reads_in_brackets_or_parentheses(label):
    [config] = grid_with_overrides({"act": ["relu"]}, opt=[label]).configs
    assert config.opt_params["betas"] == [0.8, 0.99]


def test_an_unbracketed_pair_in_a_label_shows_the_syntax():
    with pytest.raises(ValueError, match=r"got '0\.99' \(a pair in brackets: adam\(betas=\["):
        grid_with_overrides({"act": ["relu"]}, opt=["adam(betas=0.8,0.99)"])


@pytest.mark.parametrize("text", ["0.8,0.99", "(0.8,0.99)", "[0.8,0.99]", "[0.8, 0.99]",
                                  " ( 0.8 , 0.99 ) "])  # fmt: skip
def test_train_options_take_a_pair_in_every_spelling(text):
    spec = RunSpec(opt="adam", act="relu", opt_params=parse_params([f"betas={text}"]))
    assert spec.opt_params["betas"] == [0.8, 0.99]
    assert spec.opt_label == "adam(betas=[0.8, 0.99])"


@pytest.mark.parametrize("text", ["0.8", "0.8,0.99,0.5", "[0.8]", "[a, b]", "()"])
def test_a_bad_pair_names_the_syntax(text):
    with pytest.raises(ValueError, match=r"betas must be a pair .*betas=\[0\.9, 0\.999\]"):
        RunSpec(opt="adam", act="relu", opt_params=parse_params([f"betas={text}"]))


def test_only_numbers_make_a_list():
    """A formula or a name with commas stays text, never a list (and is never evaluated)."""
    assert parse_plain("max(x, 0)") == "max(x, 0)"
    assert parse_plain("relu,tanh") == "relu,tanh"
    assert parse_plain("true,false") == "true,false"
    assert parse_plain("1,2") == [1, 2] and parse_plain("(1e-3, 2)") == [0.001, 2]
