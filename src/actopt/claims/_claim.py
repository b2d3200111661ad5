"""What a claim is: its words, its experiment (runs and measurements), its rule and its verdict.

A ``Claim`` is registered once with everything a reader needs: the statement in our words, the
kind of text that makes it, the verdict rule as a sentence, ``experiment(setting)`` (the
``RunSpec``\\ s trained through the bench's store and the ``Measurement``\\ s cached beside
them) and ``analyse(evidence)``, the same rule as code, which returns a ``Verdict``.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._registry import Registry
from ._stats import VERDICTS, Interval

if TYPE_CHECKING:
    from ..train import RunResult, RunSpec

__all__ = [
    "FAMILIES",
    "Claim",
    "Evidence",
    "Experiment",
    "Measurement",
    "Number",
    "Part",
    "Setting",
    "Verdict",
    "measure",
    "png",
    "register",
]

FAMILIES = ("nonlinearity", "activation behaviour", "optimizers")
FULL_SEEDS, QUICK_SEEDS = 5, 2  # seeds where a statistical test decides


@dataclass(frozen=True)
class Setting:
    """How big the experiments are: ``quick`` (CI: fewer seeds, epochs, starts) or full."""

    quick: bool = False
    seeds: int = FULL_SEEDS

    @classmethod
    def make(cls, quick: bool = False, seeds: int | None = None) -> Setting:
        if seeds is None:
            seeds = QUICK_SEEDS if quick else FULL_SEEDS
        if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
            raise ValueError(f"seeds must be an integer >= 1, got {seeds!r}")
        return cls(quick, seeds)

    def pick(self, quick: Any, full: Any) -> Any:
        """``quick`` in the quick setting, else ``full``: one budget knob in one line."""
        return quick if self.quick else full


@dataclass(frozen=True)
class Measurement:
    """A measurement that is not a training run: ``fn(ctx, **params)`` returns plain data.

    ``fn`` is ``"module:function"`` (run in a worker process); ``params`` hold everything the
    result depends on, so ``key`` (a hash of both) caches it. ``exclusive`` ones (timings) run
    alone in the driver after the others.
    """

    fn: str
    params: dict
    exclusive: bool = False

    @property
    def key(self) -> str:
        text = json.dumps({"fn": self.fn, "params": self.params}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def __hash__(self) -> int:
        return hash(self.key)


def measure(fn: Callable[..., Any], *, exclusive: bool = False, **params: Any) -> Measurement:
    """The measurement ``fn(ctx, **params)``: ``fn`` must be a module-level function."""
    plain = json.loads(json.dumps(params))  # tuples become lists: the key of the round trip
    return Measurement(f"{fn.__module__}:{fn.__qualname__}", plain, exclusive)


@dataclass(frozen=True)
class Experiment:
    """What a claim needs measured, and the setup in words (with the budget it ran at)."""

    setup: str
    runs: Sequence[RunSpec] = ()
    measurements: Sequence[Measurement] = ()


@dataclass(frozen=True)
class Number:
    """A key number: a value with its 95% interval, in ``unit``.

    Units: ``%`` (a fraction shown in percent), ``pt`` (a difference of fractions, shown in
    percentage points), ``x`` (a ratio), anything else is printed after the value.
    """

    label: str
    ci: Interval
    unit: str = ""

    def text(self) -> str:
        ci = self.ci.scaled(100) if self.unit in ("%", "pt") else self.ci
        suffix = {"%": "%", "pt": " pt", "x": "×"}.get(
            self.unit, f" {self.unit}" if self.unit else ""
        )
        value = _fmt(ci.mean, signed=self.unit == "pt") + suffix
        if math.isnan(ci.low) or math.isnan(ci.high) or ci.low == ci.high:
            return value
        return f"{value} [{_fmt(ci.low)}, {_fmt(ci.high)}]"

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "unit": self.unit,
            "mean": _num(self.ci.mean),
            "low": _num(self.ci.low),
            "high": _num(self.ci.high),
            "n": self.ci.n,
        }


def _fmt(v: float, signed: bool = False) -> str:
    if math.isnan(v):
        return "—"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    a = abs(v)
    text = f"{v:.3g}" if a >= 1e-3 or a == 0 else f"{v:.1e}"
    if a >= 1000:
        text = f"{v:,.0f}"
    return ("+" if signed and v > 0 else "") + text


def _num(v: float) -> float | None:
    return None if math.isnan(v) else v


@dataclass(frozen=True)
class Part:
    """One setting or sub-claim with its own verdict, and a short sentence of numbers."""

    name: str
    verdict: str
    detail: str

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {self.verdict!r}")


@dataclass
class Verdict:
    """The answer: supported / not supported / mixed / inconclusive, the evidence in one
    sentence, the key numbers (the first ones go in the table), the parts and one figure."""

    verdict: str
    evidence: str
    numbers: list[Number] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)
    figure: bytes | None = None  # PNG

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {self.verdict!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "evidence": self.evidence,
            "numbers": [n.to_dict() for n in self.numbers],
            "parts": [
                {"name": p.name, "verdict": p.verdict, "detail": p.detail} for p in self.parts
            ],
        }


def png(fig: Any) -> bytes:
    """A matplotlib figure as PNG bytes (no timestamp in the file: the same data, the same
    bytes)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


class Evidence:
    """What the store holds for one claim: finished runs by id and measured values by key."""

    def __init__(
        self, setting: Setting, results: dict[str, RunResult], measured: dict[str, Any]
    ) -> None:
        self.setting = setting
        self._results = results
        self._measured = measured

    def result(self, spec: RunSpec) -> RunResult | None:
        """The finished run of ``spec`` (ok, diverged or error), or None if it is missing."""
        return self._results.get(spec.run_id)

    def final(self, specs: Sequence[RunSpec], metric: str, ok_only: bool = True) -> list[float]:
        """``metric`` of each spec's final result, NaN where missing (or not ok)."""
        out = []
        for s in specs:
            r = self.result(s)
            good = r is not None and (r.status == "ok" or not ok_only)
            v = r.final.get(metric) if good else None
            out.append(float(v) if isinstance(v, (int, float)) else math.nan)
        return out

    def last_record(self, specs: Sequence[RunSpec], read: Callable[[dict], float]) -> list[float]:
        """``read`` of each ok run's last diagnostics record (NaN where there is none)."""
        out = []
        for s in specs:
            r = self.result(s)
            good = r is not None and r.status == "ok" and r.diagnostics
            out.append(read(r.diagnostics[-1]) if good else math.nan)
        return out

    def statuses(self, specs: Sequence[RunSpec]) -> list[str]:
        return [r.status if (r := self.result(s)) else "missing" for s in specs]

    def value(self, m: Measurement) -> Any:
        """The measured value of ``m`` (``KeyError`` when it was not measured)."""
        if m.key not in self._measured:
            raise KeyError(f"measurement {m.fn} {m.params} is missing")
        return self._measured[m.key]


@dataclass(frozen=True)
class Claim:
    """One textbook claim: words, experiment, rule, analysis. ``number`` orders the list."""

    id: str
    number: int
    family: str
    statement: str
    source: str
    rule: str
    experiment: Callable[[Setting], Experiment]
    analyse: Callable[[Evidence], Verdict]

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"family must be one of {', '.join(FAMILIES)}, got {self.family!r}")


REGISTRY: Registry[Claim] = Registry("claim", "actopt claims --list")


def register(claim: Claim) -> Claim:
    """Add ``claim`` to the registry (ids are kebab-case and unique)."""
    if not claim.id.replace("-", "").isalnum() or claim.id != claim.id.lower():
        raise ValueError(f"claim ids are lower-case kebab-case, got {claim.id!r}")
    return REGISTRY.register(claim.id, (), claim)
