"""Measurement functions for the cache tests (module-level, so a worker process can import
them)."""

from __future__ import annotations

import math
import os
import time
from pathlib import Path


def square(ctx, x: float) -> dict:
    return {"x2": x * x, "nan": math.nan, "pair": (1, 2), "data_dir": ctx.data_dir}


def where(ctx) -> int:
    return os.getpid()


def broken(ctx, x: float) -> float:
    raise ValueError(f"cannot measure {x}")


def busy(ctx, pid_file: str, seconds: float = 600) -> None:
    """Writes its worker's pid, works ``seconds`` (longer than a test waits), then says it ended."""
    with open(pid_file, "w") as f:
        f.write(str(os.getpid()))
    time.sleep(seconds)
    Path(pid_file + ".ended").touch()


def after(ctx, pid_file: str) -> int:
    """Returns once ``busy`` is running (its pid file is written)."""
    while not os.path.exists(pid_file) or not Path(pid_file).read_text():
        time.sleep(0.05)
    return 1
