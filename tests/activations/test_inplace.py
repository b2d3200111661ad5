"""`get(name, inplace=True)`: honoured where torch has an in-place kernel; results unchanged."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import actopt.activations as A

CASES = [(n, {}) for n in A.names()] + [
    ("swish", {"beta": 2.0}),  # no torch kernel for β ≠ 1: accepted, ignored
    ("swish", {"learnable": True}),
    ("leaky_relu", {"negative_slope": 0.2}),
    ("elu", {"alpha": 0.5}),
    ("x*tanh(softplus(x))", {}),
]
IDS = [A.spec(n, **p).describe() for n, p in CASES]


def _run(name: str, params: dict, inplace: bool, training: bool):
    torch.manual_seed(0)
    act = A.get(name, inplace=inplace, **params)
    model = nn.Sequential(nn.Linear(6, 8), act, nn.Linear(8, 3)).double().train(training)
    x = torch.randn(5, 6, dtype=torch.float64)
    torch.manual_seed(1)  # rrelu draws its random slopes in training mode
    out = model(x)
    out.square().sum().backward()
    return act, out.detach(), {n: p.grad for n, p in model.named_parameters()}


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_inplace_gives_the_same_outputs_and_gradients(name, params, training):
    _, out, grads = _run(name, params, False, training)
    act, out_inplace, grads_inplace = _run(name, params, True, training)
    s = act.spec
    assert act.inplace == (s.fast.inplace and act.uses_kernel and not s.trainable)
    # in-place elu/selu/celu differentiate from their output, not the input: last-bit rounding
    torch.testing.assert_close(out_inplace, out, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(grads_inplace, grads, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_inplace_overwrites_the_input_only_where_honoured(name, params):
    act = A.get(name, inplace=True, **params)
    x = torch.randn(4, 8)
    kept = x.clone()
    y = act(x)
    if act.inplace:
        assert y.data_ptr() == x.data_ptr() and "inplace=True" in repr(act)
    else:
        torch.testing.assert_close(x, kept, rtol=0, atol=0)
        assert "inplace" not in repr(act)


def test_the_usual_in_place_activations_are_honoured():
    honoured = {n for n in A.names() if A.get(n, inplace=True).inplace}
    assert {"relu", "relu6", "leaky_relu", "elu", "selu", "swish", "hard_swish"} <= honoured
    assert not A.get("prelu", inplace=True).inplace  # a trained slope: never in place
    assert not A.get("swish", learnable=True, inplace=True).inplace
    assert not A.get("relu").inplace


def test_inplace_must_be_a_bool():
    with pytest.raises(ValueError, match="relu: inplace must be True or False, got 'yes'"):
        A.get("relu", inplace="yes")
