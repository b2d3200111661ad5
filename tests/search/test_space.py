"""The search space: every unary and binary parses and its symbolic f' agrees with autograd;
sampling and mutation are seeded and stay in the space."""

from __future__ import annotations

import random

import pytest
import torch

from actopt.activations import from_formula
from actopt.search import BETAS, BINARIES, UNARIES, Candidate, Op, mutate, sample, screen
from actopt.search._dedup import PROBES


def _beta(name: str) -> float | None:
    return 0.5 if "{beta}" in {**UNARIES, **BINARIES}[name] else None


def _agrees_with_autograd(formula: str) -> None:
    s = from_formula(formula)
    x = torch.tensor(PROBES, dtype=torch.float64, requires_grad=True)
    (auto,) = torch.autograd.grad((s.forward(x) + 0 * x).sum(), x)  # + 0x: a constant too
    torch.testing.assert_close(s.derivative(x.detach()), auto, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", list(UNARIES))
def test_unary_parses_and_derivative_matches_autograd(name):
    # inside a unit, as the search writes it: the unary of x times x, and of 0.7x alone
    op = Op(name, _beta(name))
    _agrees_with_autograd(op.render(a="0.7*x"))
    _agrees_with_autograd(Candidate(((op, Op("x"), Op("add")),)).formula)


@pytest.mark.parametrize("name", list(BINARIES))
def test_binary_parses_and_derivative_matches_autograd(name):
    _agrees_with_autograd(Op(name, _beta(name)).render(p="x", q="tanh(x)"))


def test_sampled_candidates_parse_or_are_pruned_with_a_reason():
    rng = random.Random(3)
    for _ in range(6):
        c = sample(rng)
        found = screen(c.formula)
        if found.spec is not None:
            _agrees_with_autograd(c.formula)
        else:
            assert found.pruned and found.reasons


def test_sampling_and_mutation_are_seeded_and_mutation_changes_one_thing():
    a = [sample(random.Random(7)) for _ in range(3)]
    b = [sample(random.Random(7)) for _ in range(3)]
    assert a == b
    rng = random.Random(1)
    for parent in (sample(rng) for _ in range(40)):
        child = mutate(parent, rng)
        diffs = [
            (i, j)
            for i, (pu, cu) in enumerate(zip(parent.units, child.units, strict=True))
            for j in range(3)
            if pu[j] != cu[j]
        ]
        assert len(diffs) == 1
        i, j = diffs[0]
        new = child.units[i][j]
        assert new.name in (BINARIES if j == 2 else UNARIES)
        assert (new.beta is None) == ("{beta}" not in {**UNARIES, **BINARIES}[new.name])
        assert new.beta is None or new.beta in BETAS


def test_candidate_round_trips_through_its_log_form():
    c = sample(random.Random(5), max_units=2)
    assert Candidate.from_list(c.to_list()) == c
