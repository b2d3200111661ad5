"""Optimizer step time: actopt against torch.optim's fastest CPU variant, measured in one run.

~9.4M parameters in 44 tensors (20×[512, 512], 20×[512], 4×[2048, 512]). For each optimizer:
actopt's single-tensor, vectorised (foreach) and, where it has one, fused paths, and torch.optim's
single-tensor, foreach and (where torch has one on CPU) fused variants; the ratio is the fastest
actopt path over the fastest torch one. Fused paths are opt-in in both (``fused=True``); the
default on CPU is the single-tensor path in both.

    python benchmarks/optimizers.py [--repeat 15] [--only adam,rmsprop]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
from rich.console import Console
from rich.table import Table

import actopt.optim as O

SHAPES = [(512, 512)] * 20 + [(512,)] * 20 + [(2048, 512)] * 4
LR = {"adadelta": 1.0}
PATHS = {"single": {"foreach": False}, "foreach": {"foreach": True}, "fused": {"fused": True}}


def _params() -> list[torch.nn.Parameter]:
    g = torch.Generator().manual_seed(0)
    ps = [torch.nn.Parameter(torch.randn(s, generator=g) * 0.01) for s in SHAPES]
    for p in ps:
        p.grad = torch.randn(p.shape, generator=g) * 1e-3
    return ps


def _fused_on_cpu(cls: type, kwargs: dict) -> bool:
    """Whether this torch.optim class runs fused=True on CPU (torch says so by building one)."""
    try:
        cls([torch.nn.Parameter(torch.ones(2))], **kwargs, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return False
    return True


def time_steps(makers: dict[str, Callable], repeat: int) -> dict[str, float]:
    """Median ms per ``step()`` of each variant after warm-up (state allocated, caches hot).

    The variants step in turn, in a rotating order, so that noise from the machine (a shared
    VM drifts by tens of percent over a minute) falls on all of them alike.
    """
    opts = {label: make(_params()) for label, make in makers.items()}
    for opt in opts.values():
        for _ in range(3):
            opt.step()
    times: dict[str, list[float]] = {label: [] for label in opts}
    labels = list(opts)
    for r in range(repeat):
        for label in labels[r % len(labels) :] + labels[: r % len(labels)]:
            t0 = time.perf_counter()
            opts[label].step()
            times[label].append(time.perf_counter() - t0)
    return {label: statistics.median(t) * 1e3 for label, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else O.names()
    n = sum(torch.Size(s).numel() for s in SHAPES)
    console = Console(width=150)
    console.print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {n / 1e6:.2f}M params "
        f"in {len(SHAPES)} tensors; median of {args.repeat} steps (ms)"
    )
    variants = [f"{lib} {path}" for lib in ("actopt", "torch") for path in PATHS]
    table = Table()
    table.add_column("optimizer")
    for col in [*variants, "actopt best / torch best"]:
        table.add_column(col, justify="right")
    for name in names:
        spec = O.spec(name)
        hyper = {"lr": LR.get(name, 1e-3)}
        makers: dict[str, Callable] = {
            f"actopt {path}": (lambda ps, s=spec, h=hyper, e=extra: s.make(ps, **h, **e))
            for path, extra in PATHS.items()
            if path != "fused" or spec.fused
        }
        if spec.torch_equivalent:
            cls, kwargs = spec.torch_equivalent
            for path, extra in PATHS.items():
                if path != "fused" or _fused_on_cpu(cls, kwargs):
                    makers[f"torch {path}"] = lambda ps, c=cls, k=kwargs, e=extra, h=hyper: c(
                        ps, **k, **h, **e
                    )
        measured = time_steps(makers, args.repeat)
        ours = min(v for k, v in measured.items() if k.startswith("actopt"))
        theirs = [v for k, v in measured.items() if k.startswith("torch")]
        cell = lambda v: f"{v:.1f}" if v is not None else "—"  # noqa: E731
        table.add_row(
            name,
            *(cell(measured.get(v)) for v in variants),
            f"{ours / min(theirs):.2f}x" if theirs else "— (no torch.optim equivalent)",
        )
    console.print(table)


if __name__ == "__main__":
    main()
