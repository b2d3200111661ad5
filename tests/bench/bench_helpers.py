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


# -- the processes of a bench -------------------------------------------------------------


def children(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                         text=True).stdout  # fmt: skip
    return {int(x) for x in out.split()}


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


def descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        new = children(todo.pop()) - found
        found |= new
        todo += new
    return found


def is_worker(pid: int) -> bool:
    """A pool worker: spawned (``spawn_main``) or forked by the fork server (whose own parent
    is the driver, not another server)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_text(errors="replace").replace("\0", " ")
        parent = int(Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[1])
        parent_cmdline = Path(f"/proc/{parent}/cmdline").read_text(errors="replace")
    except (OSError, ValueError, IndexError):
        return False
    return "spawn_main" in cmdline or ("forkserver" in parent_cmdline and parent != pid)
