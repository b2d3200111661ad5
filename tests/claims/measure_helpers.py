"""Measurement functions for the cache tests (module-level, so a worker process can import
them)."""

from __future__ import annotations

import math
import os


def square(ctx, x: float) -> dict:
    return {"x2": x * x, "nan": math.nan, "pair": (1, 2), "data_dir": ctx.data_dir}


def where(ctx) -> int:
    return os.getpid()


def broken(ctx, x: float) -> float:
    raise ValueError(f"cannot measure {x}")
