"""Complex parameters: optimised as their real view, as torch.optim does, on every path.

|z|² has the gradient 2z̄'s real view (2re, 2im); a rule that squared the complex gradient
itself (g² = re² − im² + 2i·re·im) instead of each real coordinate diverges from torch.optim.
"""

from __future__ import annotations

import copy

import pytest
import torch
from test_optimizers import LR, PARITY, PARITY_IDS

import actopt.optim as O

C = torch.tensor([0.3 - 0.7j, 1.1 + 0.2j, -0.4 + 0.9j], dtype=torch.complex128)


def _paths(name):
    fused = [{"fused": True}] if O.spec(name).fused else []
    return [{"foreach": False}, {"foreach": True}, *fused]


def _loss(z, w):
    """A real loss whose gradient mixes the real and imaginary parts, plus a real parameter."""
    return (z.abs() ** 2).sum() + (z * C).real.sum() + (w**2).sum() * (z.real**2).sum()


def _flat(z, w):
    return torch.cat([torch.view_as_real(z.detach()).reshape(-1), w.detach()])


def _run(make, steps=6):
    z = torch.tensor([1 + 2j, -0.5 + 0.3j, 0.2 - 1.5j], dtype=torch.complex128)
    w = torch.tensor([0.7, -1.3], dtype=torch.float64)
    z, w = (torch.nn.Parameter(t) for t in (z, w))
    opt = make([z, w])
    path = []
    for _ in range(steps):
        opt.zero_grad()
        _loss(z, w).backward()
        opt.step()
        path.append(_flat(z, w))
    return torch.stack(path), opt


def _real_view_run(name, hyper, steps=6):
    """The same problem on real parameters holding (re, im) pairs: the semantics asked for."""
    z = torch.nn.Parameter(torch.tensor([[1, 2], [-0.5, 0.3], [0.2, -1.5]], dtype=torch.float64))
    w = torch.nn.Parameter(torch.tensor([0.7, -1.3], dtype=torch.float64))
    opt = O.get(name)([z, w], **hyper)
    path = []
    for _ in range(steps):
        opt.zero_grad()
        _loss(torch.view_as_complex(z), w).backward()
        opt.step()
        path.append(torch.cat([z.detach().reshape(-1), w.detach()]))
    return torch.stack(path)


@pytest.mark.parametrize(("name", "hyper"), PARITY, ids=PARITY_IDS)
def test_complex_parameters_follow_torch_optim_on_every_path(name, hyper):
    hyper = {"lr": LR.get(name, 1e-2) * 10, **hyper}
    expected = _real_view_run(name, hyper)
    ref = O.spec(name).torch_equivalent
    if ref is not None:
        cls, kwargs = ref
        theirs, _ = _run(lambda ps: cls(ps, **{**kwargs, **hyper}, foreach=False))
        torch.testing.assert_close(expected, theirs, rtol=1e-12, atol=1e-14)
    for path in _paths(name):
        ours, opt = _run(lambda ps, p=path: O.get(name)(ps, **hyper, **p))
        torch.testing.assert_close(ours, expected, rtol=1e-12, atol=1e-14, msg=str(path))
        z = opt.param_groups[0]["params"][0]
        for key, v in opt.state[z].items():  # state stays complex, like its parameter
            if isinstance(v, torch.Tensor) and v.dim() > 0:
                assert v.dtype == torch.complex128 and v.shape == z.shape, key


@pytest.mark.parametrize("name", O.names())
def test_complex_state_dict_round_trip_continues_identically(name):
    """Exactly, except NAdam: torch's load_state_dict casts its float32 μ product to float64 for
    the real float64 parameter (as it does for torch.optim.NAdam), which moves the last digits."""
    tol = 1e-9 if name == "nadam" else 0
    hyper = {"lr": LR.get(name, 1e-2) * 10}
    for path in _paths(name):
        make = lambda ps, p=path: O.get(name)(ps, **hyper, **p)  # noqa: E731
        full, _ = _run(make, steps=6)
        first, opt = _run(make, steps=3)
        saved = copy.deepcopy(opt.state_dict())
        z, w = (torch.nn.Parameter(p.detach().clone()) for p in opt.param_groups[0]["params"])
        opt2 = make([z, w])
        opt2.load_state_dict(saved)
        assert opt2.state[z].keys() == opt.state[opt.param_groups[0]["params"][0]].keys()
        rest = []
        for _ in range(3):
            opt2.zero_grad()
            _loss(z, w).backward()
            opt2.step()
            rest.append(_flat(z, w))
        got = torch.cat([first, torch.stack(rest)])
        torch.testing.assert_close(got, full, rtol=tol, atol=tol, msg=str(path))


@pytest.mark.parametrize("name", [n for n in O.names() if O.spec(n).adaptive])
def test_effective_lr_of_a_complex_parameter_is_per_real_coordinate(name):
    _, opt = _run(lambda ps: O.get(name)(ps, lr=0.1), steps=2)
    eff = opt.effective_lr()
    assert eff.dtype == torch.float64 and eff.numel() == 3 * 2 + 2
    assert torch.isfinite(eff).all() and (eff > 0).all()
