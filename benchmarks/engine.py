"""The replica engine against K plain PyTorch loops, and against the machine's matmul roofline.

For each workload and group (K seeds; "10 lrs": 10 seeds with an lr each) the engine trains the
replicas as one group (``run_group``; its samples/s counts training only), and plain loops
(``plain_loop``: the loop a PyTorch user writes, as in ``benchmarks/train.py``) train the same
network. K plain loops one after another take K times as long as one, so their
replica-samples/s is one loop's samples/s, measured right after each group, with SGEMM on
2048² matrices: other jobs come in bursts, so ratios are taken pair by pair and medians
reported. GFLOP/s counts a training step's matmul/convolution work (forward, input and weight
gradients); "ceiling" is the ratio an engine running all of them at SGEMM's speed would reach
(SGEMM ÷ the plain loop's GFLOP/s): no batching of these FLOPs goes past it. ``--grid`` times a
whole grid through ``run_many`` (evaluation included); ``--strategies`` times the batched layer
forms the engine chose between; ``--roofline`` the matmuls of one step alone at the engine's
shapes (the most the engine could reach).

    ACTOPT_DATA=../shared/datasets python benchmarks/engine.py [--repeat 5] [--grid] [--strategies]
        [--roofline]
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from rich.console import Console
from rich.table import Table
from torch import nn

import actopt.data as D
import actopt.models as M
from actopt.train import RunSpec, run, run_group, run_many
from actopt.train._replica_model import build_replicas

WORKLOADS = {  # name: (spec, steps measured per group); MLPs 2×256, Adam 1e-3, ReLU
    "mnist1d-mlp": (RunSpec(data="mnist1d", width=256, batch_size=100), 180),
    "mnist-mlp": (RunSpec(data="mnist", width=256, batch_size=128), 40),
    "mnist1d-cnn": (RunSpec(data="mnist1d", model="cnn", batch_size=100), 120),
}
# groups measured: K seeds, and "10 lrs" (10 seeds, each its own lr: per-replica values)
GROUPS = ("1", "4", "10", "32", "10 lrs")


def plain_net(spec: RunSpec, shape: tuple[int, ...]) -> nn.Module:
    """The network of ``spec`` in plain torch.nn modules (ReLU, He init)."""
    if spec.model == "mlp":
        n_in = math.prod(shape)
        return nn.Sequential(
            nn.Flatten(), nn.Linear(n_in, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
            nn.Linear(256, 10),
        )  # fmt: skip
    return nn.Sequential(
        nn.Conv1d(1, 25, 5, stride=2, padding=1), nn.ReLU(),
        nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(125, 10),
    )  # fmt: skip


def plain_loop(ds: D.Dataset, spec: RunSpec, steps: int, seed: int) -> float:
    """The loop a PyTorch user writes by hand; returns training samples per second."""
    torch.manual_seed(seed)
    model = M.initialize(plain_net(spec, ds.input_shape), "he")
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(seed)
    x, y, batch = ds.x_train, ds.y_train, int(spec.batch_size)
    seen, step, t0 = 0, 0, time.perf_counter()
    while step < steps:
        perm = torch.randperm(len(y), generator=g)
        for i in range(0, len(y), batch):
            if step == steps:
                break
            idx = perm[i : i + batch]
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
            seen, step = seen + len(idx), step + 1
    return seen / (time.perf_counter() - t0)


def engine(ds: D.Dataset, spec: RunSpec, steps: int, group: str, r: int) -> float:
    """Replica-samples/s of one group (its training time only)."""
    k, lrs = int(group.split()[0]), group.endswith("lrs")
    specs = [spec.replace(steps=steps, seed=100 * r + i, device="cpu",
                          lr=1e-3 * 1.3**i if lrs else 1e-3) for i in range(k)]  # fmt: skip
    results = run_group(specs, dataset=ds)
    assert all(res.status == "ok" for res in results), results[0].error
    return results[0].final["samples_per_s"]  # the group's, per replica: K · samples / time


def step_flops(model: nn.Module, shape: tuple[int, ...]) -> float:
    """Multiply-add FLOPs of one example's training step: forward, input and weight gradients
    (the first layer's input gradient is not needed)."""
    flops, first = 0.0, True

    def count(m: nn.Module, inputs: tuple, out: torch.Tensor) -> None:
        nonlocal flops, first
        fwd = 2 * out[0].numel() * m.weight[0].numel()
        flops += fwd * (2 if first else 3)
        first = False

    hooks = [
        m.register_forward_hook(count)
        for m in model.modules()
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d))
    ]
    with torch.no_grad():
        model(torch.zeros(1, *shape))
    for h in hooks:
        h.remove()
    return flops


def sgemm_gflops(size: int = 2048, repeat: int = 10) -> float:
    a, b = torch.randn(size, size), torch.randn(size, size)
    c = torch.empty(size, size)
    torch.mm(a, b, out=c)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        torch.mm(a, b, out=c)
        times.append(time.perf_counter() - t0)
    return 2 * size**3 / statistics.median(times) / 1e9


def load(spec: RunSpec) -> D.Dataset:
    """MNIST-1D whole; MNIST cut to 12,800 training and 1,000 val/test examples: samples/s does
    not depend on it, and the evaluations (not in the rate) then cost seconds, not minutes."""
    if spec.data == "mnist1d":
        return D.load("mnist1d")
    ds = D.load("mnist", quiet=True)
    cut = {f"{k}_{s}": getattr(ds, f"{k}_{s}")[: 12_800 if s == "train" else 1000]
           for k in "xy" for s in ("train", "val", "test")}  # fmt: skip
    return D.Dataset("mnist", **cut, num_classes=10)


def bench_workloads(args: argparse.Namespace, console: Console) -> None:
    """Each engine group is measured next to a plain loop and SGEMM: other jobs on the machine
    come in bursts, so the ratios are taken pair by pair and their medians reported."""
    roofline = []
    for name, (spec, steps) in WORKLOADS.items():
        if name not in args.only:
            continue
        table = Table(title=f"replica-samples/s: engine vs K plain loops · Adam · {args.threads} "
                      f"threads · medians of {args.repeat} adjacent pairs")  # fmt: skip
        for col in ("workload", "K", "engine", "K plain loops", "ratio", "GFLOP/s", "÷ SGEMM",
                    "ceiling"):  # fmt: skip
            table.add_column(col, justify="left" if col == "workload" else "right")
        ds = load(spec)
        flops = step_flops(plain_net(spec, ds.input_shape), ds.input_shape)
        pairs: dict[str, list[tuple[float, float, float]]] = {g: [] for g in GROUPS}
        for r in range(args.repeat):
            for g in GROUPS if r % 2 == 0 else reversed(GROUPS):
                rate = engine(ds, spec, steps, g, r)
                peak = sgemm_gflops(repeat=3)
                pairs[g].append((rate, plain_loop(ds, spec, steps, seed=r), peak))
                roofline.append(peak)
        for g in GROUPS:
            rate, plain, peak = (statistics.median(col) for col in zip(*pairs[g], strict=True))
            ratio = statistics.median(e / p for e, p, _ in pairs[g])
            share = statistics.median(e * flops / 1e9 / s for e, _, s in pairs[g])
            # the ratio an engine running every FLOP at SGEMM's speed would reach
            ceiling = statistics.median(s / (p * flops / 1e9) for _, p, s in pairs[g])
            gflops = rate * flops / 1e9
            table.add_row(name, g, f"{rate:,.0f}", f"{plain:,.0f}", f"{ratio:.2f}×",
                          f"{gflops:.1f}", f"{share:.2f}", f"{ceiling:.2f}×")  # fmt: skip
        console.print(table)  # each workload as soon as it is measured
    console.print(f"SGEMM 2048² in this process: {statistics.median(roofline):.0f} GFLOP/s "
                  f"(range {min(roofline):.0f}–{max(roofline):.0f})")  # fmt: skip


def bench_grid(args: argparse.Namespace, console: Console) -> None:
    """MNIST-1D MLP trainings per hour through run_many: 1200 steps, batch 100, Adam."""
    ds = D.load("mnist1d")
    base = RunSpec(data="mnist1d", width=256, batch_size=100, steps=1200, device="cpu")
    specs = [base.replace(lr=lr, seed=s) for lr in (3e-4, 1e-3, 3e-3, 1e-2) for s in range(8)]
    for diagnostics in (False, True):
        grid = [s.replace(diagnostics=diagnostics) for s in specs]
        t0 = time.perf_counter()
        results = run_many(grid, dataset=ds)
        wall = time.perf_counter() - t0
        ok = sum(r.status == "ok" for r in results)
        console.print(f"grid: {len(grid)} trainings (4 lrs × 8 seeds, diagnostics "
                      f"{'on' if diagnostics else 'off'}) in {wall:.1f} s: "
                      f"{len(grid) / wall * 3600:,.0f} trainings/hour ({ok} ok)")  # fmt: skip
        t0 = time.perf_counter()
        run(grid[0], dataset=ds)
        wall = time.perf_counter() - t0
        console.print(f"  one solo run() of it: {wall:.2f} s = {3600 / wall:,.0f} trainings/hour")
    t0 = time.perf_counter()
    plain_loop(ds, base, 1200, seed=0)
    wall = time.perf_counter() - t0
    console.print(f"one plain loop of 1200 steps (no evaluation): {wall:.2f} s = "
                  f"{3600 / wall:,.0f} trainings/hour")  # fmt: skip


def _median_time(fn: Callable[[], object], repeat: int) -> float:
    """Seconds of one call of ``fn``: the median of ``repeat`` after a warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _grouped(nets: list[nn.Module], x: torch.Tensor, y: torch.Tensor) -> None:
    """The K networks with every convolution as one grouped convolution (``groups=K``)."""
    k = len(nets)
    h = x.transpose(0, 1).flatten(1, 2)  # [B, K·C, *spatial]
    for j, m in enumerate(nets[0]):
        column = [net[j] for net in nets]
        if isinstance(m, (nn.Conv1d, nn.Conv2d)):
            conv = F.conv1d if isinstance(m, nn.Conv1d) else F.conv2d
            w, b = torch.cat([c.weight for c in column]), torch.cat([c.bias for c in column])
            h = conv(h, w, b, m.stride, m.padding, 1, k)
        elif isinstance(m, nn.MaxPool2d):
            h = F.max_pool2d(h, m.kernel_size)
        elif isinstance(m, nn.Flatten):
            h = h.unflatten(1, (k, -1)).flatten(2).transpose(0, 1)  # [K, B, F]
        elif isinstance(m, nn.Linear):
            w = torch.stack([c.weight.t() for c in column])
            h = torch.baddbmm(torch.stack([c.bias for c in column]).unsqueeze(1), h, w)
        else:
            h = F.relu(h)
    F.cross_entropy(h.flatten(0, 1), y.flatten()).backward()


def bench_strategies(args: argparse.Namespace, console: Console) -> None:
    """Forward+backward ms of the batched layer forms the engine chose between."""
    from torch.func import functional_call, stack_module_state, vmap

    table = Table(title="batched layers: forward + backward of one batch, ms (median of 5)")
    for col in ("network", "K", "engine", "grouped conv", "vmap(functional_call)", "K modules"):
        table.add_column(col, justify="left" if col == "network" else "right")
    cases = [  # name, spec, input shape, batch
        ("mnist1d-mlp", WORKLOADS["mnist1d-mlp"][0], (1, 40), 100),
        ("mnist1d-cnn", WORKLOADS["mnist1d-cnn"][0], (1, 40), 100),
        ("mnist-cnn (LeNet)", RunSpec(data="mnist", model="cnn"), (1, 28, 28), 128),
    ]
    for name, spec, shape, batch in cases:
        for k in (4, 10, 32) if len(shape) == 2 else (4, 10):
            specs = [spec.replace(seed=i) for i in range(k)]
            model, _ = build_replicas(specs, shape, 10)
            nets = [M.build(spec.model, shape, 10, width=spec.width) for _ in range(k)]
            params, buffers = stack_module_state(nets)
            meta = M.build(spec.model, shape, 10, width=spec.width).to("meta")
            x, y = torch.randn(k, batch, *shape), torch.randint(0, 10, (k, batch))
            idx, flat = torch.arange(k * batch).view(k, batch), x.flatten(0, 1)

            def ours(model=model, flat=flat, idx=idx, y=y):
                out = model(model.gather(flat, idx))
                F.cross_entropy(out.flatten(0, 1), y.flatten()).backward()

            def func(params=params, buffers=buffers, meta=meta, x=x, y=y):
                call = vmap(lambda p, b, xb: functional_call(meta, (p, b), (xb,)))
                F.cross_entropy(call(params, buffers, x).flatten(0, 1), y.flatten()).backward()

            def loop(nets=nets, x=x, y=y):
                for net, xb, yb in zip(nets, x, y, strict=True):
                    F.cross_entropy(net(xb), yb).backward()

            row = [name, str(k)]
            grouped = None if name.endswith("mlp") else (lambda n=nets, x=x, y=y: _grouped(n, x, y))
            for fn in (ours, grouped, func, loop):
                if fn is None:
                    row.append("—")
                    continue
                row.append(f"{_median_time(fn, 5) * 1e3:.1f}")
            table.add_row(*row)
    console.print(table)


def bench_roofline(args: argparse.Namespace, console: Console) -> None:
    """The matmuls of one MLP training step alone, at the engine's shapes (forward ``baddbmm``,
    input and weight gradients as autograd takes them), against SGEMM 2048²: the most the
    engine could reach at these shapes if nothing else took time."""
    table = Table(title=f"matmuls of one training step alone, engine's shapes · {args.threads} "
                  "threads · median of 10")  # fmt: skip
    for col in ("workload", "K", "ms", "GFLOP/s", "÷ SGEMM"):
        table.add_column(col, justify="left" if col == "workload" else "right")
    for name in ("mnist1d-mlp", "mnist-mlp"):
        spec = WORKLOADS[name][0]
        shape, batch = ((1, 40) if spec.data == "mnist1d" else (1, 28, 28)), int(spec.batch_size)
        dims = [math.prod(shape), 256, 256, 10]
        flops = step_flops(plain_net(spec, shape), shape)
        for k in (1, 4, 10, 32):
            products = []
            for i, (n_in, n_out) in enumerate(itertools.pairwise(dims)):
                h, w = torch.randn(k, batch, n_in), torch.randn(k, n_in, n_out)
                b, g = torch.randn(k, 1, n_out), torch.randn(k, batch, n_out)
                products.append(lambda b=b, h=h, w=w: torch.baddbmm(b, h, w))
                if i:  # the input's gradient is not needed
                    products.append(lambda g=g, w=w: torch.bmm(g, w.transpose(1, 2)))
                products.append(lambda h=h, g=g: torch.bmm(h.transpose(1, 2), g))

            def step(products=products) -> None:
                for product in products:
                    product()

            ms = _median_time(step, 10)
            peak = sgemm_gflops(repeat=3)
            rate = flops * batch * k / ms / 1e9
            table.add_row(name, str(k), f"{ms * 1e3:.2f}", f"{rate:.1f}", f"{rate / peak:.2f}")
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", default=",".join(WORKLOADS), help="workloads, comma-separated")
    parser.add_argument("--grid", action="store_true", help="also the grid throughput")
    parser.add_argument("--strategies", action="store_true", help="also the layer forms")
    parser.add_argument("--roofline", action="store_true", help="also the matmuls alone")
    args = parser.parse_args()
    args.only = args.only.split(",")
    torch.set_num_threads(args.threads)
    console = Console()
    load_before = os.getloadavg()[0]
    if args.strategies:
        bench_strategies(args, console)
    if args.roofline:
        bench_roofline(args, console)
    if any(name in WORKLOADS for name in args.only):
        bench_workloads(args, console)
    if args.grid:
        bench_grid(args, console)
    console.print(f"load average (1 min): {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")


if __name__ == "__main__":
    main()
