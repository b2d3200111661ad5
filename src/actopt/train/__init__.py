"""The training engine: a run spec in, a result out, with optional diagnostics.

>>> from actopt.train import RunSpec, run, run_many
>>> result = run(RunSpec(data="moons", model="mlp", width=16, act="tanh", opt="adam", epochs=3))
>>> result.status, round(result.final["test_acc"], 2)             # doctest: +SKIP
('ok', 0.87)

``run_many(specs)`` trains many runs, those that differ only in seed, optimizer hyper-parameters
or element-wise activation as one batched computation per group (the replica engine).
"""

from ._diagnostics import SATURATION_THRESHOLD, Diagnostics, Record
from ._loop import Fitted, evaluate, fit, load_data, resolve_device, run
from ._replica import run_group, run_many
from ._replica_plan import default_memory_budget, group_key, plan_groups, replica_memory
from ._result import STATUSES, RunResult, environment
from ._schedule import make_scheduler
from ._spec import LOSSES, SCHEDULES, RunSpec

__all__ = [
    "LOSSES",
    "SATURATION_THRESHOLD",
    "SCHEDULES",
    "STATUSES",
    "Diagnostics",
    "Fitted",
    "Record",
    "RunResult",
    "RunSpec",
    "default_memory_budget",
    "environment",
    "evaluate",
    "fit",
    "group_key",
    "load_data",
    "make_scheduler",
    "plan_groups",
    "replica_memory",
    "resolve_device",
    "run",
    "run_group",
    "run_many",
]
