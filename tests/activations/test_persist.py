"""Activation modules survive deepcopy, pickle, torch.save and spawn, with trained values."""

from __future__ import annotations

import copy
import io
import multiprocessing
import pickle

import pytest
import torch
from torch import nn

import actopt.activations as A
import actopt.models as M

# every catalog entry, plus non-default, learnable and formula ones (trainable constants too)
CASES = [(n, {}) for n in A.names()] + [
    ("elu", {"alpha": 0.5}),
    ("gelu", {"approximate": "tanh"}),
    ("prelu", {"num_parameters": 4, "init": 0.1}),
    ("swish", {"beta": 0.5, "learnable": True}),
    ("x*sigmoid(b*x)", {"b": 1.5, "learnable": True}),
    ("max(x, 0) + a*min(x, 0)", {"a": 0.1}),
    ("relu(x) + 0.1*x", {}),
]
IDS = [A.spec(n, **p).describe() for n, p in CASES]


def _model(name: str, params: dict) -> nn.Sequential:
    """Linear → activation → Linear, with any trainable activation parameter moved off its
    initial value (as training would), so a copy that resets it is caught."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), A.get(name, **params), nn.Linear(4, 2)).double()
    with torch.no_grad():
        for p in model[1].parameters():
            p.add_(torch.linspace(0.1, 0.4, p.numel(), dtype=p.dtype).view_as(p))
    return model.eval()


X = torch.linspace(-3, 3, 15, dtype=torch.float64).reshape(5, 3)


def _assert_same(a: nn.Module, b: nn.Module, x: torch.Tensor) -> None:
    assert type(b[1]) is A.Activation and b[1].spec.describe() == a[1].spec.describe()
    assert b[1].spec.values == a[1].spec.values
    assert [n for n, _ in b.named_parameters()] == [n for n, _ in a.named_parameters()]
    for (name, p), q in zip(a.named_parameters(), b.parameters(), strict=True):
        assert isinstance(q, nn.Parameter) and q.requires_grad, name
        torch.testing.assert_close(q, p, rtol=0, atol=0)
    torch.testing.assert_close(b(x), a(x), rtol=0, atol=0)


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_deepcopy_is_equal_and_independent(name, params):
    model, x = _model(name, params), X
    twin = copy.deepcopy(model)
    _assert_same(model, twin, x)
    before = twin(x)
    with torch.no_grad():  # an EMA copy must not move when the original trains
        for p in model.parameters():
            p.add_(1.0)
    torch.testing.assert_close(twin(x), before, rtol=0, atol=0)
    shared = {p.data_ptr() for p in model.parameters()} & {p.data_ptr() for p in twin.parameters()}
    assert not shared


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_pickle_every_protocol(name, params):
    model, x = _model(name, params), X
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        _assert_same(model, pickle.loads(pickle.dumps(model, protocol)), x)


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_torch_save_whole_model_and_state_dict(name, params):
    model, x = _model(name, params), X
    buffer = io.BytesIO()
    torch.save(model, buffer)
    buffer.seek(0)
    _assert_same(model, torch.load(buffer, weights_only=False), x)

    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    fresh = nn.Sequential(nn.Linear(3, 4), A.get(name, **params), nn.Linear(4, 2)).double()
    fresh.load_state_dict(torch.load(buffer, weights_only=True))
    _assert_same(model, fresh.eval(), x)


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_the_spec_itself_pickles_and_copies(name, params):
    s = A.spec(name, **params)
    for twin in (copy.deepcopy(s), pickle.loads(pickle.dumps(s))):
        assert twin.name == s.name and twin.values == s.values and twin.text == s.text
        x = torch.linspace(-2, 2, 16, dtype=torch.float64).reshape(2, 8)
        torch.testing.assert_close(twin.fn(x, **twin.values), s.fn(x, **s.values))


def test_an_unregistered_spec_is_refused_with_a_reason():
    mine = A.ActivationSpec(
        name="my_act",
        fn=lambda x: 2 * x,
        grad=lambda x: torch.full_like(x, 2.0),
        latex="2x",
        latex_grad="2",
        text="2*x",
        text_grad="2",
        properties=A.Properties(
            output_range="(-∞, ∞)",
            monotonic=True,
            smooth=True,
            zero_centered=True,
            bounded_above=False,
            bounded_below=False,
            saturates="none",
        ),
    )
    with pytest.raises(pickle.PicklingError, match=r"my_act.*register it"):
        pickle.dumps(mine.module())
    namesake = A.spec("relu").bind()  # same name as a catalog entry but other functions
    object.__setattr__(namesake, "fn", lambda x: x)
    with pytest.raises(pickle.PicklingError, match="'relu' is neither registered"):
        pickle.dumps(namesake)


def test_a_model_travels_through_a_spawn_process_pool():
    torch.manual_seed(0)
    acts = [
        A.spec("prelu", num_parameters=8),
        A.spec("swish", learnable=True),
        A.spec("x*tanh(softplus(b*x))", b=1.0, learnable=True),
    ]
    model = M.mlp((3,), 2, depth=3, width=8, act=acts, norm="layer")
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(1.5)  # trained values, not the initial ones
    model.requires_grad_(False)  # the output comes back pickled: no autograd graph on it
    x = torch.randn(4, 3)
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        out = pool.apply(model, (x,))  # the model itself is pickled and called in the child
    torch.testing.assert_close(out, model(x), rtol=0, atol=0)
