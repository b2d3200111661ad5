"""Every optimizer's step under ``torch.compile`` against its eager step."""

from __future__ import annotations

import logging

import pytest
import torch

import actopt.optim as O

# every optimizer on the single-tensor path (the CPU default); the vectorised path too where the
# rule turns the step counts into per-tensor scalars (the adaptive ones): a compile takes seconds
CASES = [(n, False) for n in O.names()] + [(n, True) for n in O.names() if O.spec(n).adaptive]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "foreach"), CASES, ids=[f"{n}-{f}" for n, f in CASES])
def test_compiled_step_follows_the_eager_step(name, foreach):
    """``torch.compile(opt.step)`` gives the eager iterates, step after step.

    Four steps: a Python number read from the state changes at every step, and dynamo makes such
    a number a dynamic input on its third value, where the iterates of a step count read with
    ``.item()`` went wrong (and AdamW's decoupled decay crashed); both paths, since the counts
    kept as tensors in the graph reach the vectorised ops as per-tensor scalars.
    """
    torch._dynamo.reset()
    torch.manual_seed(0)
    start = [torch.randn(4, 3), torch.randn(3)]
    compiled = [torch.nn.Parameter(p.clone()) for p in start]
    eager = [torch.nn.Parameter(p.clone()) for p in start]
    opt_c = O.get(name)(compiled, lr=0.01, foreach=foreach)
    opt_e = O.get(name)(eager, lr=0.01, foreach=foreach)
    step = torch.compile(opt_c.step)
    logging.getLogger("torch._dynamo").setLevel(logging.ERROR)  # graph-break warnings
    for i in range(4):
        for p, q in zip(compiled, eager, strict=True):
            p.grad = torch.randn(p.shape, generator=torch.Generator().manual_seed(i))
            q.grad = p.grad.clone()
        step()
        opt_e.step()
        for p, q in zip(compiled, eager, strict=True):
            torch.testing.assert_close(
                p, q, rtol=1e-5, atol=1e-6, msg=f"{name} foreach={foreach} step {i + 1}"
            )
    torch._dynamo.reset()
