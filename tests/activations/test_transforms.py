"""torch.func and torch.compile through the custom autograd Function (SpecFunction), against
plain autograd on the same module: what the catalog runs it on, and formulas."""

from __future__ import annotations

import pytest
import torch
from torch.func import functional_call, grad, jacrev, jvp, vmap

import actopt.activations as A


def _cases() -> list[tuple[str, dict]]:
    """Every catalog activation that runs on the Function (default values, and learnable where
    it can be), and formulas (which always do)."""
    cases = []
    for name in A.names():
        s = A.spec(name)
        if s.vector:
            continue
        cases.append((name, {}))
        if "learnable" in s.values:
            cases.append((name, {"learnable": True}))
    cases += [("swish", {"beta": 2.0}), ("x*sigmoid(b*x)", {"b": 1.5, "learnable": True}),
              ("relu(x)**2 + 0.1*x", {}), ("piecewise(x > 0, x, exp(x) - 1)", {})]  # fmt: skip
    return [(n, p) for n, p in cases if not A.spec(n, **p).module().uses_kernel]


CASES = _cases()


def test_the_function_is_covered():
    names = {n for n, _ in CASES}
    assert "step" in names and "swish" in names and "x*sigmoid(b*x)" in names


@pytest.mark.parametrize("name, params", CASES, ids=[f"{n}{p or ''}" for n, p in CASES])
def test_torch_func_matches_autograd(name, params):
    m = A.get(name, **params).double()
    x = torch.randn(5, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    weights = {k: v.detach() for k, v in m.named_parameters()}

    def f(xx, ws=weights):
        return functional_call(m, ws, (xx,))

    xs = x.clone().requires_grad_(True)
    m(xs).sum().backward()
    torch.testing.assert_close(vmap(f)(x), m(x).detach())
    torch.testing.assert_close(grad(lambda xx: f(xx).sum())(x), xs.grad)
    torch.testing.assert_close(vmap(grad(lambda xx: f(xx).sum()))(x), xs.grad)
    jacobian = torch.autograd.functional.jacobian(lambda xx: m(xx), x[0])
    torch.testing.assert_close(jacrev(f)(x[0]), jacobian)
    v = torch.randn_like(x)
    torch.testing.assert_close(jvp(f, (x,), (v,))[1], xs.grad * v)  # element-wise: f'(x)·v
    for k, p in m.named_parameters():  # a trained β: grad and jvp in the parameter too
        dp = grad(lambda ws: f(x, ws).sum())(weights)[k]
        torch.testing.assert_close(dp, p.grad)
        tangent = {n: torch.ones_like(w) if n == k else torch.zeros_like(w)
                   for n, w in weights.items()}  # fmt: skip
        _, t = jvp(lambda ws: f(x, ws), (weights,), (tangent,))
        torch.testing.assert_close(t.sum(), p.grad.sum())  # Σ ∂f/∂β both ways


def test_torch_compile_fullgraph_traces_the_function():
    m = A.get("x*sigmoid(b*x)", b=1.5, learnable=True)
    x = torch.randn(8, 3, requires_grad=True)
    y = torch.compile(m, fullgraph=True)(x)
    (gx, gb) = torch.autograd.grad(y.sum(), (x, m.b))
    (ex, eb) = torch.autograd.grad(m(x).sum(), (x, m.b))
    torch.testing.assert_close(y, m(x))
    torch.testing.assert_close(gx, ex)
    torch.testing.assert_close(gb, eb)


@pytest.mark.parametrize("mode", ["input without grad", "no_grad", "inference_mode"])
def test_torch_compile_fullgraph_with_no_graph_to_record(mode):
    """Inference: Dynamo traced the Function's forward as if it took a ctx ('Tensor' object has
    no attribute 'fast'), so fullgraph compilation failed whenever no gradient was needed."""
    import contextlib

    torch._dynamo.reset()
    net = torch.nn.Sequential(torch.nn.Linear(4, 4), A.get("swish", beta=1.5), A.get("step"),
                              torch.nn.Linear(4, 2)).eval()  # fmt: skip
    x = torch.randn(5, 4)
    context = {"no_grad": torch.no_grad, "inference_mode": torch.inference_mode}.get(
        mode, contextlib.nullcontext
    )
    with context():
        y = torch.compile(net, fullgraph=True)(x)
        torch.testing.assert_close(y, net(x))


@pytest.mark.parametrize("count, shape", [(1, (6,)), (1, (2, 3)), (4, (2, 4, 5))])
def test_vmap_over_stacked_prelu_weights_is_quiet_and_exact(count, shape):
    """vmap over a stack of PReLU slopes with x shared: F.prelu sized its output from x alone
    and torch warned 'An output with one or more elements was resized' (values were right)."""
    import warnings

    m = A.get("prelu", num_parameters=count).double()
    g = torch.Generator().manual_seed(0)
    x = torch.randn(*shape, dtype=torch.float64, generator=g)
    ws = torch.rand(3, count, dtype=torch.float64, generator=g)  # three slopes per channel

    def f(w, xx=x):
        return functional_call(m, {"weight": w}, (xx,))

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        ys = vmap(f)(ws)
        dws = vmap(grad(lambda w: f(w).sum()))(ws)
    for y, dw, w in zip(ys, dws, ws, strict=True):
        torch.testing.assert_close(y, torch.nn.functional.prelu(x, w))
        wr = w.detach().requires_grad_(True)
        torch.nn.functional.prelu(x, wr).sum().backward()
        torch.testing.assert_close(dw, wr.grad)
