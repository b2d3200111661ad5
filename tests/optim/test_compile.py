"""Every optimizer's step under ``torch.compile`` against its eager step."""

from __future__ import annotations

import pytest
import torch

import actopt.optim as O


@pytest.mark.slow
@pytest.mark.parametrize("name", O.names())
def test_compiled_step_follows_the_eager_step(name):
    """``torch.compile(opt.step)`` gives the eager iterates, step after step.

    Four steps: a Python number read from the state changes at every step, and dynamo makes such
    a number a dynamic input on its third value, where the iterates of a step count read with
    ``.item()`` went wrong (and AdamW's decoupled decay crashed). The single-tensor path (the CPU
    default) only: a cold inductor compile costs seconds per case, and the vectorised path runs
    the same rules through the same ``Ops`` interface.
    """
    torch._dynamo.reset()
    torch.manual_seed(0)
    start = [torch.randn(4, 3), torch.randn(3)]
    compiled = [torch.nn.Parameter(p.clone()) for p in start]
    eager = [torch.nn.Parameter(p.clone()) for p in start]
    opt_c = O.get(name)(compiled, lr=0.01, foreach=False)
    opt_e = O.get(name)(eager, lr=0.01, foreach=False)
    step = torch.compile(opt_c.step)
    for i in range(4):
        for p, q in zip(compiled, eager, strict=True):
            p.grad = torch.randn(p.shape, generator=torch.Generator().manual_seed(i))
            q.grad = p.grad.clone()
        step()
        opt_e.step()
        for p, q in zip(compiled, eager, strict=True):
            torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6, msg=f"{name} step {i + 1}")
    torch._dynamo.reset()


def test_vectorised_addcdiv_takes_per_tensor_values_as_tensors():
    """Under compile the per-tensor step sizes reach ``FOREACH.addcdiv_`` as 0-d tensors (the
    step counts stay in the graph); that branch computes what the numbers give."""
    from actopt.optim._ops import FOREACH

    g = torch.Generator().manual_seed(0)
    xs, a, b = ([torch.randn(5, generator=g), torch.randn(2, 3, generator=g)] for _ in range(3))
    b = [v.abs() + 1 for v in b]
    ys = [x.clone() for x in xs]
    FOREACH.addcdiv_(xs, a, b, [-0.5, 0.25])
    FOREACH.addcdiv_(ys, a, b, [torch.tensor(-0.5), torch.tensor(0.25)])
    torch.testing.assert_close(ys, xs)
