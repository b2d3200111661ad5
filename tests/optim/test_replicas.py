"""Replicated optimizers: K stacked replicas with per-replica hyper-parameters equal K solo ones.

The reference is K independent optimizers of the same class, one per replica, each over its own
unstacked tensors: the rule is written once, so the replicas must follow it replica by replica.
"""

from __future__ import annotations

import pytest
import torch

import actopt.optim as O
from actopt.optim import _replica
from actopt.optim._replica import BRANCHING

NAMES = O.names()
SHAPES = [(6, 5), (6,), (3, 2, 2)]  # a matrix, a bias, a conv-like kernel


def _values(key: str, v, k: int, branch: bool):
    """Replica k's value of hyper-parameter ``key`` (default v): valid, and distinct per replica.
    A value whose zero picks a branch stays zero or (``branch``) non-zero for every replica."""
    if isinstance(v, tuple):
        return tuple(_values(key, x, k, branch) for x in v)
    if v == 0 and key in BRANCHING:
        return (0.5, 0.7, 0.9)[k] if branch else 0.0
    if v == 0:
        return (0.0, 0.01, 0.1)[k]
    if 0 < v < 1:
        return v * (1 - 0.1 * k)
    return v * (1 + 0.5 * k)


def mixed_hypers(name: str, replicas: int = 3, branch: bool = False) -> list[dict]:
    """Every numeric hyper-parameter of ``name`` different per replica, from its defaults."""
    defaults = O.spec(name).defaults
    out = []
    for k in range(replicas):
        h = {key: v for key, v in defaults.items() if isinstance(v, bool)}
        numeric = {key: v for key, v in defaults.items() if _replica.is_numeric(v)}
        h.update({key: _values(key, v, k, branch) for key, v in numeric.items()})
        h["lr"] = 0.05 * (1 + k) if name in ("sgd", "momentum", "nag") else h["lr"]
        out.append(h)
    return out


def _pair(name: str, hypers: list[dict], fused: bool = False):
    g = torch.Generator().manual_seed(0)
    init = [[torch.randn(s, generator=g, dtype=torch.float64) for s in SHAPES] for _ in hypers]
    solo = [[torch.nn.Parameter(t.clone()) for t in ts] for ts in init]
    solo_opts = [O.get(name)(ps, **h) for ps, h in zip(solo, hypers, strict=True)]
    stacked = [torch.nn.Parameter(torch.stack(col)) for col in zip(*init, strict=True)]
    opt = O.get(name)(stacked, **hypers[0])
    _replica.replicate(opt, hypers)
    if fused:
        for o in solo_opts:
            o.param_groups[0]["fused"] = True
        assert _replica.use_fused(opt)
    return solo, solo_opts, stacked, opt


def _step(solo, solo_opts, stacked, opt, g: torch.Generator) -> None:
    grads = [[torch.randn(p.shape, generator=g, dtype=p.dtype) for p in ps] for ps in solo]
    for ps, gs, o in zip(solo, grads, solo_opts, strict=True):
        for p, gr in zip(ps, gs, strict=True):
            p.grad = gr.clone()
        o.step()
    for p, col in zip(stacked, zip(*grads, strict=True), strict=True):
        p.grad = torch.stack(col)
    opt.step()


def _assert_replicas(solo, stacked, rtol: float, atol: float) -> None:
    for k, ps in enumerate(solo):
        for p, s in zip(ps, stacked, strict=True):
            torch.testing.assert_close(s[k], p, rtol=rtol, atol=atol)


# the optimizers whose default switches a branch off (momentum 0) also run with it on
BRANCHES = [(n, False) for n in NAMES] + [
    (n, True) for n in NAMES if any(O.spec(n).defaults.get(k) == 0 for k in BRANCHING)
]


@pytest.mark.parametrize(("name", "branch"), BRANCHES)
def test_per_replica_hyper_parameters_follow_each_replicas_rule(name, branch):
    """Every numeric hyper-parameter different per replica, float64, 30 steps."""
    pair = _pair(name, mixed_hypers(name, branch=branch))
    assert any(isinstance(v, torch.Tensor) for v in _flat_group(pair[3]))
    g = torch.Generator().manual_seed(1)
    for _ in range(30):
        _step(*pair, g)
    _assert_replicas(pair[0], pair[2], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_shared_hyper_parameters_compute_exactly_the_solo_update(name):
    """Replicas differing only in their data: plain numbers, the single-tensor arithmetic."""
    hypers = [mixed_hypers(name)[1]] * 3
    pair = _pair(name, hypers)
    assert not any(isinstance(v, torch.Tensor) for v in _flat_group(pair[3]))
    g = torch.Generator().manual_seed(2)
    for _ in range(10):
        _step(*pair, g)
    _assert_replicas(pair[0], pair[2], rtol=0, atol=0)


FUSED = [n for n in NAMES if "fused" in O.spec(n).paths]


@pytest.mark.parametrize("shared", [True, False], ids=["shared", "per-replica"])
@pytest.mark.parametrize("name", FUSED)
def test_the_fused_kernel_gives_each_replica_its_solo_bits(name, shared):
    """Shared values: one call on the stacked tensors, the same bits as each solo kernel (it is
    element-wise); per-replica ones: a call per replica, whose step sizes are computed in torch
    float64 (pow and division may differ from Python's by an ulp)."""
    hypers = [mixed_hypers(name)[2]] * 3 if shared else mixed_hypers(name, branch=True)
    pair = _pair(name, hypers, fused=True)
    g = torch.Generator().manual_seed(3)
    for _ in range(10):
        _step(*pair, g)
    tol = 0 if shared else 1e-12
    _assert_replicas(pair[0], pair[2], rtol=tol, atol=tol * 1e-2)


@pytest.mark.parametrize("name", NAMES)
def test_dropping_a_replica_leaves_the_others_on_their_course(name):
    solo, solo_opts, stacked, opt = _pair(name, mixed_hypers(name))
    g = torch.Generator().manual_seed(4)
    for _ in range(3):
        _step(solo, solo_opts, stacked, opt, g)
    keep = torch.tensor([0, 2])
    swapped = {p: torch.nn.Parameter(p.detach()[keep]) for p in stacked}
    _replica.select_replicas(opt, keep, swapped)
    stacked = [swapped[p] for p in stacked]
    solo, solo_opts = [solo[0], solo[2]], [solo_opts[0], solo_opts[2]]
    for _ in range(5):
        _step(solo, solo_opts, stacked, opt, g)
    _assert_replicas(solo, stacked, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_each_replicas_effective_lr_is_its_solo_optimizers(name):
    solo, solo_opts, stacked, opt = _pair(name, mixed_hypers(name))
    _step(solo, solo_opts, stacked, opt, torch.Generator().manual_seed(5))
    for k, o in enumerate(solo_opts):
        ours = _replica.effective_lr(opt, k)
        theirs = o.effective_lr()
        if theirs is None:
            assert ours is None
        else:
            torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=0)


def test_replicate_refuses_unstacked_parameters_and_differing_switches():
    w = torch.nn.Parameter(torch.zeros(3, 4))
    with pytest.raises(ValueError, match="stacked along dim 0"):
        _replica.replicate(O.Adam([w]), [{"lr": 1e-3}, {"lr": 1e-2}])
    with pytest.raises(ValueError, match="amsgrad must be the same"):
        _replica.replicate(O.Adam([w]), [{"amsgrad": v} for v in (True, False, True)])


def _flat_group(opt) -> list:
    out = []
    for key, v in opt.param_groups[0].items():
        if key != "params":
            out += list(v) if isinstance(v, tuple) else [v]
    return out
