"""The textbook's claims about activations and optimizers, each as an experiment with a verdict.

Every claim is a small pre-registered experiment on real data: its runs go through the bench's
store (cached, resumable, on Ray if asked), its other measurements are cached beside them, and
its verdict rule — written as code and as a sentence before any result was seen — says
**supported**, **not supported**, **mixed** or **inconclusive**, with 95% intervals and a figure.

>>> import actopt.claims as C
>>> C.names()[:3]
['linear-collapse', 'nonlinear-problems', 'universal-approximation']
>>> report = C.run(["relu-is-cheap"], out="claims-out")          # doctest: +SKIP
>>> report.outcomes[0].verdict.verdict                           # doctest: +SKIP
'supported'
"""

from ._catalog import get, names
from ._claim import (
    FAMILIES,
    Claim,
    Evidence,
    Experiment,
    Measurement,
    Number,
    Part,
    Setting,
    Verdict,
)
from ._measure import Context, MeasurementStore
from ._render import write_html, write_markdown
from ._runner import Outcome, Report, evaluate, run
from ._stats import VERDICTS, Interval, combine, decide, mean_ci, paired_ci, ratio_ci

__all__ = [
    "FAMILIES",
    "VERDICTS",
    "Claim",
    "Context",
    "Evidence",
    "Experiment",
    "Interval",
    "Measurement",
    "MeasurementStore",
    "Number",
    "Outcome",
    "Part",
    "Report",
    "Setting",
    "Verdict",
    "combine",
    "decide",
    "evaluate",
    "get",
    "mean_ci",
    "names",
    "paired_ci",
    "ratio_ci",
    "run",
    "write_html",
    "write_markdown",
]
