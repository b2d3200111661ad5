"""``optim.create``: any registered optimizer from a model, with the usual no-decay groups."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import actopt.optim as O

NAMES = O.names()


def _model() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv1d(2, 4, 3, bias=False),  # 0 (a bias before BatchNorm gets no gradient)
        nn.BatchNorm1d(4),  # 1
        nn.Flatten(),  # 2
        nn.Linear(24, 8),  # 3
        nn.LayerNorm(8),  # 4
        nn.PReLU(),  # 5
        nn.Linear(8, 8),  # 6
        nn.GroupNorm(2, 8),  # 7
        nn.Linear(8, 3),  # 8
    )


# written out by hand, not by the rule under test
DECAYED = {"0.weight", "3.weight", "6.weight", "8.weight"}
EXEMPT = {"1.weight", "1.bias", "3.bias", "4.weight", "4.bias", "5.weight", "6.bias"}
EXEMPT |= {"7.weight", "7.bias", "8.bias"}


def _names(model: nn.Module, group: dict) -> set[str]:
    ids = {id(p) for p in group["params"]}
    return {n for n, p in model.named_parameters() if id(p) in ids}


def _step(model: nn.Module, opt: torch.optim.Optimizer) -> None:
    before = [p.detach().clone() for p in model.parameters()]
    x = torch.randn(5, 2, 8, generator=torch.Generator().manual_seed(1))
    model(x).square().mean().backward()
    opt.step()
    moved = [not torch.equal(b, p) for b, p in zip(before, model.parameters(), strict=True)]
    assert all(moved)


@pytest.mark.parametrize("name", NAMES)
def test_every_optimizer_from_a_model_with_no_decay_groups(name):
    model = _model()
    opt = O.create(model, name, lr=0.01, weight_decay=0.1)
    assert type(opt) is O.get(name)
    decayed, exempt = opt.param_groups
    assert _names(model, decayed) == DECAYED and _names(model, exempt) == EXEMPT
    assert decayed["weight_decay"] == 0.1 and exempt["weight_decay"] == 0.0
    assert decayed["lr"] == exempt["lr"] == 0.01
    _step(model, opt)


@pytest.mark.parametrize("name", NAMES)
def test_defaults_come_from_the_optimizer(name):
    model = _model()
    opt = O.create(model, name)
    default = O.spec(name).defaults
    assert all(g["lr"] == default["lr"] for g in opt.param_groups)
    if default["weight_decay"]:  # adamw: decays by default, so groups
        assert [g["weight_decay"] for g in opt.param_groups] == [default["weight_decay"], 0.0]
    else:  # nothing to exempt from: one group
        assert len(opt.param_groups) == 1
        assert _names(model, opt.param_groups[0]) == DECAYED | EXEMPT


def test_the_flag_decays_everything_and_plain_iterables_make_one_group():
    model = _model()
    opt = O.create(model, "adamw", weight_decay=0.1, filter_bias_and_norm=False)
    (group,) = opt.param_groups
    assert _names(model, group) == DECAYED | EXEMPT and group["weight_decay"] == 0.1
    opt = O.create(model.parameters(), "sgd", lr=0.1, weight_decay=0.1, momentum=0.9)
    (group,) = opt.param_groups
    assert len(group["params"]) == len(DECAYED | EXEMPT) and group["momentum"] == 0.9
    groups = [{"params": model[0].parameters(), "lr": 0.5}, {"params": model[3].parameters()}]
    opt = O.create(groups, "adam", lr=0.01)  # torch's parameter groups pass through
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.01]


def test_frozen_parameters_are_left_out_and_tied_ones_counted_once():
    model = _model()
    model[0].requires_grad_(False)
    tied = nn.Sequential(model, nn.Linear(8, 8))
    tied[1].weight = model[6].weight
    opt = O.create(tied, "adamw", weight_decay=0.1)
    everything = [p for g in opt.param_groups for p in g["params"]]
    assert len(everything) == len({id(p) for p in everything})
    assert not {id(p) for p in model[0].parameters()} & {id(p) for p in everything}
    assert any(p is model[6].weight for p in opt.param_groups[0]["params"])


def test_unknown_names_and_bad_values_fail_as_the_registry_and_optimizer_do():
    model = _model()
    with pytest.raises(KeyError, match="unknown optimizer 'adma'; did you mean adam"):
        O.create(model, "adma", lr=0.1)
    with pytest.raises(ValueError, match="lr must be >= 0, got -1"):
        O.create(model, "adam", lr=-1)
    with pytest.raises(ValueError, match=r"weight_decay must be >= 0, got -0\.1"):
        O.create(model, "adamw", weight_decay=-0.1)
    with pytest.raises(ValueError, match=r"betas\[0\] must be in \[0, 1\), got 1.5"):
        O.create(model, "adam", betas=(1.5, 0.9))
    with pytest.raises(TypeError, match="betas"):
        O.create(model, "sgd", betas=(0.9, 0.99))
