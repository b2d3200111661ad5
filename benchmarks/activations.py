"""Activation speed: actopt's modules against the nearest torch built-in, measured in one run.

For every catalog activation: forward and forward+backward time on 1M and 16M float32 elements,
the ratio to a torch baseline timed in the same run, and the memory autograd keeps for backward
(the part of peak memory that differs between implementations; CPU torch has no peak counter).

Custom-Function activations are compared with their nearest built-in: learnable and fixed-β
Swish with F.silu, and with the autograd composition x * sigmoid(βx) for memory.

    python benchmarks/activations.py [--sizes 1e6,16e6] [--repeat 7] [--only relu,swish]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from rich.console import Console
from rich.table import Table

import actopt.activations as A

# the built-in each activation is measured against (default: the spec's own torch_ref)
BASELINE: dict[str, tuple[str, Callable]] = {
    "step": ("F.relu", F.relu),  # torch.heaviside has no backward: the nearest cheap gate
    "tanh": ("torch.tanh", torch.tanh),
    "swish": ("F.silu", F.silu),
    "swish(beta=2.0)": ("F.silu", F.silu),
    "swish(learnable=True)": ("F.silu", F.silu),
}
_BETA = torch.tensor(1.0, requires_grad=True)
# learnable β against the same function composed of built-ins, autograd doing the backward
EXTRA_BASELINES = {
    "swish(learnable=True)": ("F.silu(βx)/β", lambda t: F.silu(_BETA * t) / _BETA),
}
EXTRA = [("swish", {"beta": 2.0}), ("swish", {"learnable": True})]


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def saved_mb(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> float:
    """MB of tensors autograd saves for backward (distinct storages, the input excluded)."""
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        ptr = t.untyped_storage().data_ptr()
        if ptr != x.untyped_storage().data_ptr():
            seen[ptr] = t.untyped_storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn(x)
    return sum(seen.values()) / 2**20


def measure(fn: Callable, x: torch.Tensor, repeat: int) -> tuple[float, float]:
    xg = x.clone().requires_grad_()
    g = torch.ones_like(x)

    def fwd():
        with torch.no_grad():
            fn(x)

    def fwd_bwd():
        xg.grad = None
        fn(xg).backward(g)

    return _median_ms(fwd, repeat), _median_ms(fwd_bwd, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e6,16e6")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    cases = [(n, {}) for n in A.names()] + EXTRA
    if args.only:
        keep = set(args.only.split(","))
        cases = [c for c in cases if c[0] in keep]

    console = Console(width=170)
    console.print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, float32")
    for size in sizes:
        table = Table(title=f"{size / 1e6:g}M elements (times in ms; ratio = actopt / baseline)")
        for col in ("activation", "path", "baseline", "fwd", "base fwd", "ratio"):
            table.add_column(
                col, justify="right" if col not in ("activation", "baseline") else "left"
            )
        for col in ("fwd+bwd", "base f+b", "ratio", "saved MB", "base MB"):
            table.add_column(col, justify="right")
        x = torch.randn(size, generator=torch.Generator().manual_seed(0))
        for name, params in cases:
            s = A.spec(name, **params)
            label = s.describe()
            module = s.module().eval()
            base_name, base = BASELINE.get(label, (s.torch_name, None))
            if base is None:
                base = lambda t, s=s: s.torch_ref(t, **s.values)  # noqa: E731
            baselines = [(base_name, base)]
            if label in EXTRA_BASELINES:
                baselines.append(EXTRA_BASELINES[label])
            xin = x.view(-1, 1000) if s.vector else x
            ours_f, ours_fb = measure(module, xin, args.repeat)
            composed = None
            if label.startswith("swish"):  # memory against the autograd-composed version
                beta = torch.tensor(float(s.values["beta"]), requires_grad=s.learnable)
                composed = saved_mb(
                    lambda t, b=beta: t * torch.sigmoid(b * t), xin.detach().requires_grad_()
                )
            ours_mb = saved_mb(module, xin.detach().requires_grad_())
            for base_name, base in baselines:
                base_f, base_fb = measure(base, xin, args.repeat)
                table.add_row(
                    label,
                    "kernel" if module.uses_kernel else "Function",
                    base_name,
                    f"{ours_f:.2f}",
                    f"{base_f:.2f}",
                    f"{ours_f / base_f:.2f}",
                    f"{ours_fb:.2f}",
                    f"{base_fb:.2f}",
                    f"{ours_fb / base_fb:.2f}",
                    f"{ours_mb:.0f}",
                    f"{composed:.0f}" if composed is not None else "",
                )
        console.print(table)
    console.print("base MB: memory the autograd composition x·sigmoid(βx) saves (swish rows only).")


if __name__ == "__main__":
    main()
