"""Dedup of equivalent forms, pruning of bad functions, strategies deterministic under a seed."""

from __future__ import annotations

import hashlib

import pytest
import torch

from actopt.activations import from_formula
from actopt.search import (
    BETA_RANGE,
    Evolution,
    Random,
    Seen,
    _prune,
    fingerprint,
    make_strategy,
    screen,
    swish_distance,
)

SWISH_FORMS = ["x*sigmoid(x)", "sigmoid(x)*(x)", "x/(1 + exp(-x))", "(x)*(0.5*tanh(x/2) + 0.5)"]


def test_equivalent_forms_of_swish_share_a_fingerprint_and_are_trained_once():
    seen = Seen()
    firsts = []
    for f in SWISH_FORMS:
        s = from_formula(f)
        firsts.append(seen.first(f, s.text, fingerprint(s)))
    assert firsts == [None] + ["x*sigmoid(x)"] * (len(SWISH_FORMS) - 1)


@pytest.mark.parametrize("other", ["x*sigmoid(2*x)", "x*sigmoid(x) + 0.001", "tanh(x)"])
def test_different_functions_are_not_duplicates(other):
    a, b = from_formula("x*sigmoid(x)"), from_formula(other)
    assert fingerprint(a) != fingerprint(b)


@pytest.mark.parametrize(("formula", "beta"), [("x*sigmoid(x)", 1.0), ("x*sigmoid(2*x)", 2.0),
                                             ("x*sigmoid(0.37*x)", 0.37)])  # fmt: skip
def test_swish_distance_is_zero_for_swish_at_its_beta(formula, beta):
    dist, found = swish_distance(from_formula(formula))
    assert dist < 1e-6 and found == pytest.approx(beta, abs=1e-4)


@pytest.mark.parametrize(("formula", "low"), [("max(x, 0)", 0.1), ("tanh(x)", 1.0),
                                              ("x*tanh(softplus(x))", 0.05)])  # fmt: skip
def test_swish_distance_keeps_relu_and_others_away(formula, low):
    dist, beta = swish_distance(from_formula(formula))
    assert dist > low and BETA_RANGE[0] <= beta <= BETA_RANGE[1]
    # the reference: a dense β grid (error between its points < 1e-3), computed separately
    x = torch.linspace(-5, 5, 1001, dtype=torch.float64)
    f = from_formula(formula).forward(x)
    grid = torch.linspace(*BETA_RANGE, 4001, dtype=torch.float64)
    ref = (f - x * torch.sigmoid(grid[:, None] * x)).abs().amax(dim=1).min()
    assert ref - 1e-3 <= dist <= ref + 1e-9


@pytest.mark.parametrize(
    ("formula", "why"),
    [
        ("abs(x)", "even"),
        ("sign(x)*sqrt(abs(x))", "infinite gradient"),
        ("2*x + 1", "linear"),
        ("log(x)", "not finite"),
        ("exp(exp(x))", "not finite"),
        ("sin(x) +", "not a valid formula"),
    ],
)
def test_bad_functions_are_pruned_with_the_reason(formula, why):
    found = screen(formula)
    assert found.pruned and found.spec is None
    assert any(why in r for r in found.reasons), found.reasons


def test_a_formula_sympy_cannot_finish_is_pruned_in_time(monkeypatch):
    monkeypatch.setattr(_prune, "ANALYSIS_S", 0.5)
    slow = "0.25*(abs(min(tanh(x), sign(x)*log(abs(x)+sqrt((x)**2+1)))))+(1-0.25)*(sin(x))"
    found = screen(slow)
    assert found.pruned and "analysis took over" in found.reasons[0]


def test_good_functions_pass_with_a_cost():
    found = screen("x*sigmoid(x)")
    assert not found.pruned and found.cost > 0 and found.fp


def _fake_score(formula: str) -> float:
    return int(hashlib.sha256(formula.encode()).hexdigest()[:6], 16) / 16**6


@pytest.mark.parametrize("name", ["evolution", "random"])
def test_strategies_are_deterministic_under_a_seed(name):
    def run(seed):
        strat = make_strategy(name, seed)
        out = []
        for _ in range(30):
            c = strat.propose()
            strat.tell(c, _fake_score(c.formula))
            out.append(c.formula)
        return out

    assert run(0) == run(0)
    assert run(0) != run(1)


def test_evolution_mutates_tournament_winners_and_ages_out_the_oldest():
    import random

    evo = Evolution(random.Random(0), population=4, tournament=4)
    first = [evo.propose() for _ in range(4)]
    for i, c in enumerate(first):
        evo.tell(c, float(i))
    child = evo.propose()  # the whole population is the tournament: the best is the parent
    diffs = sum(
        a != b
        for ua, ub in zip(first[3].units, child.units, strict=False)
        for a, b in zip(ua, ub, strict=True)
    )
    assert len(child.units) == len(first[3].units) and diffs == 1
    evo.tell(child, 0.0)
    assert [c for c, _ in evo.population] == [*first[1:], child]  # the oldest went
    assert isinstance(make_strategy("random", 0), Random)
    with pytest.raises(ValueError, match="unknown strategy"):
        make_strategy("annealing", 0)
