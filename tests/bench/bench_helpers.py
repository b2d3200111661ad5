"""A tiny fast grid, a way to run ``actopt bench`` as a separate process, and a runs frame
written by hand for the statistics."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# 12 quick runs on a 2-D toy: 2 activations × 2 optimizers × 3 seeds
TINY = ["--data", "moons", "--act", "relu,tanh", "--opt", "adam,sgd", "--seeds", "3",
        "--epochs", "4", "--baseline", "relu/adam", "--target-acc", "0.8"]  # fmt: skip


def bench_cmd(out: Path, *extra: str, quiet: bool = True) -> list[str]:
    flags = ["-q"] if quiet else []
    return [sys.executable, "-m", "actopt", "bench", *TINY, "--out", str(out), *flags, *extra]


def start(out: Path, *extra: str, quiet: bool = True) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(bench_cmd(out, *extra, quiet=quiet), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)  # fmt: skip


def frame(values: dict[str, list[float]]):
    """The runs DataFrame of moons runs: activation → test accuracy per seed."""
    from actopt.bench import to_frame
    from actopt.train import RunSpec

    rows = []
    for act, accs in values.items():
        for seed, acc in enumerate(accs):
            spec = RunSpec(data="moons", act=act, seed=seed)
            rows.append({"run_id": f"{act}{seed}", "role": "run", "spec": spec.to_dict(),
                         "opt_label": spec.opt_label, "status": "ok",
                         "final": {"test_acc": acc}, "history": [], "diagnostics": [],
                         "error": None, "host": "h", "finished": 0.0})  # fmt: skip
    return to_frame(rows)
