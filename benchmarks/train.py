"""Trainer throughput: actopt's ``train.run`` against a hand-written plain PyTorch loop.

Same model (MNIST MLP 784-256-256-10, ReLU, He init), same data in memory, same batch (128),
same optimizer (SGD, momentum 0.9, lr 0.01), measured in the same process, alternating, so
machine noise hits both. samples/s counts training steps only (evaluation excluded on both
sides). actopt is measured with diagnostics off and on (once per epoch).

    ACTOPT_DATA=../shared/datasets python benchmarks/train.py [--epochs 2] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from rich.console import Console
from rich.table import Table

import actopt.data as D
import actopt.models as M
from actopt.train import RunSpec, run

SPEC = RunSpec(data="mnist", model="mlp", depth=2, width=256, act="relu", opt="momentum",
               lr=0.01, batch_size=128, device="cpu")  # fmt: skip


def plain_loop(ds: D.Dataset, epochs: int, seed: int) -> float:
    """The loop a PyTorch user writes by hand; returns training samples per second."""
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Linear(784, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 10),
    )  # fmt: skip
    M.initialize(model, "he")
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    g = torch.Generator().manual_seed(seed)
    x, y = ds.x_train, ds.y_train
    seen, elapsed = 0, 0.0
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(len(y), generator=g)
        for i in range(0, len(y), 128):
            idx = perm[i : i + 128]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            seen += len(idx)
        elapsed += time.perf_counter() - t0
    return seen / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=6)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    ds = D.load("mnist")
    rates: dict[str, list[float]] = {"plain": [], "off": [], "on": []}
    spec = SPEC.replace(epochs=args.epochs)
    measure = {
        "plain": lambda r: plain_loop(ds, args.epochs, r),
        "off": lambda r: run(spec.replace(seed=r), dataset=ds).final["samples_per_s"],
        "on": lambda r: run(spec.replace(seed=r, diagnostics=True), dataset=ds).final[
            "samples_per_s"
        ],
    }
    order = list(measure)
    for r in range(args.repeat):  # rotate the order so drift (heat, other load) hits all alike
        for key in order[r % 3 :] + order[: r % 3]:
            rates[key].append(measure[key](r))
    med = {k: statistics.median(v) for k, v in rates.items()}
    table = Table(title=f"trainer throughput, MNIST MLP 784-256-256-10, batch 128, SGD momentum, "
                  f"{args.threads} threads, median of {args.repeat}")  # fmt: skip
    for col in ("loop", "samples/s", "range", "ratio vs plain", "goal"):
        table.add_column(col, justify="right" if col != "loop" else "left")
    labels = {"plain": "plain PyTorch loop", "off": "actopt, diagnostics off",
              "on": "actopt, diagnostics on"}  # fmt: skip
    goals = {"plain": "", "off": "≥ 0.95", "on": "≥ 0.80"}
    for key, label in labels.items():
        spread = f"{min(rates[key]):,.0f}–{max(rates[key]):,.0f}"
        ratio = f"{med[key] / med['plain']:.2f}"
        table.add_row(label, f"{med[key]:,.0f}", spread, ratio, goals[key])
    Console().print(table)


if __name__ == "__main__":
    main()
