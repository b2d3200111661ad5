"""A learning rate given as a one-element tensor, as torch.optim takes it: the step uses its
current value, so a scheduler can change it in place."""

from __future__ import annotations

import pytest
import torch
from test_optimizers import LR, rosenbrock

import actopt.optim as O

NAMES = O.names()


def _paths(name):
    fused = [{"fused": True}] if O.spec(name).fused else []
    return [{"foreach": False}, {"foreach": True}, *fused]


def _scheduled(make, lr, steps=30):
    """Rosenbrock (float64) with the lr halved every 10 steps by a torch scheduler."""
    w = torch.nn.Parameter(torch.tensor([-1.2, 1.0], dtype=torch.float64))
    opt = make([w], lr)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    path = []
    for _ in range(steps):
        opt.zero_grad()
        rosenbrock(w).backward()
        opt.step()
        sched.step()
        path.append(w.detach().clone())
    return torch.stack(path), opt


@pytest.mark.parametrize("name", NAMES)
def test_a_tensor_lr_steps_as_its_value_and_follows_a_scheduler(name):
    lr = LR.get(name, 1e-2)
    for path in _paths(name):
        make = lambda ps, v, p=path: O.get(name)(ps, lr=v, **p)  # noqa: E731
        expected, _ = _scheduled(make, lr)
        got, opt = _scheduled(make, torch.tensor(lr, dtype=torch.float64))
        torch.testing.assert_close(got, expected, rtol=0, atol=0, msg=str(path))
        assert isinstance(opt.param_groups[0]["lr"], torch.Tensor)  # filled in place
        assert opt.param_groups[0]["lr"].item() == pytest.approx(lr / 8)  # 3 halvings
    ref = O.spec(name).torch_equivalent
    if ref is not None:  # torch.optim with the same tensor lr: the same iterates
        # (float64: torch's Adams compute lr / (1 − β₁ᵗ) in the lr tensor's dtype, so a float32
        # lr rounds their step size to float32 where actopt keeps the value's float64 quotient)
        cls, kwargs = ref
        lr64 = lambda: torch.tensor(lr, dtype=torch.float64)  # noqa: E731 (filled in place)
        theirs, _ = _scheduled(lambda ps, v: cls(ps, lr=v, **kwargs, foreach=False), lr64())
        ours, _ = _scheduled(lambda ps, v: O.get(name)(ps, lr=v), lr64())
        torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_a_float32_or_one_element_lr_tensor_is_taken(name):
    w = torch.nn.Parameter(torch.ones(3))
    for lr in (torch.tensor(1e-3), torch.tensor([1e-3], dtype=torch.float64)):
        opt = O.get(name)([w], lr=lr)
        w.grad = torch.ones(3)
        opt.step()
    assert torch.isfinite(w).all() and not torch.equal(w.data, torch.ones(3))
    if O.spec(name).adaptive:
        assert opt.effective_lr() is not None


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    ("lr", "match"),
    [
        (torch.tensor([1e-3, 1e-2]), r"lr as a tensor must hold one real number, got a \(2,\)"),
        (torch.tensor(1e-3 + 0j), "lr as a tensor must hold one real number"),
        (torch.tensor(True), "lr as a tensor must hold one real number"),
        (torch.tensor(-0.1), "lr must be >= 0, got -0.1"),
        (torch.tensor(float("nan")), "lr must be a finite number >= 0, got nan"),
    ],
)
def test_a_bad_lr_tensor_gets_one_clear_error(name, lr, match):
    with pytest.raises(ValueError, match=match):
        O.get(name)([torch.nn.Parameter(torch.ones(2))], lr=lr)
