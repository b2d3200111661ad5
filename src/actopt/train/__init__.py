"""The training engine: a run spec in, a result out, with optional diagnostics.

>>> from actopt.train import RunSpec, run
>>> result = run(RunSpec(data="moons", model="mlp", width=16, act="tanh", opt="adam", epochs=3))
>>> result.status, round(result.final["test_acc"], 2)             # doctest: +SKIP
('ok', 0.87)
"""

from ._diagnostics import SATURATION_THRESHOLD, Diagnostics, Record
from ._loop import evaluate, load_data, resolve_device, run
from ._resources import MemoryEstimate, check_resources, estimate_memory
from ._result import STATUSES, RunResult, environment
from ._schedule import make_scheduler
from ._spec import LOSSES, SCHEDULES, RunSpec

__all__ = [
    "LOSSES",
    "SATURATION_THRESHOLD",
    "SCHEDULES",
    "STATUSES",
    "Diagnostics",
    "MemoryEstimate",
    "Record",
    "RunResult",
    "RunSpec",
    "check_resources",
    "environment",
    "estimate_memory",
    "evaluate",
    "load_data",
    "make_scheduler",
    "resolve_device",
    "run",
]
