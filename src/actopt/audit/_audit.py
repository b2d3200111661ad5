"""Is this a good activation? Named checks with evidence, and a verdict with reasons.

Each check is ``pass``, ``warn`` or ``fail`` with a detail sentence and numbers. A ``fail`` in
any check makes the verdict ``bad``; a ``warn`` in a *risk* check (continuity, saturation,
dead zone, the float32 module overflowing, signal propagation) makes it ``caveats``; the other
checks (monotonic, zero-centred, bounded, backprop cost, a kink) describe without judging. No
status depends on how fast the machine is: the backprop cost is judged by an operation count,
its timing is only evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..activations import ActivationSpec, names, spec
from ._checks import Check, run_checks

__all__ = ["RISK", "AuditReport", "Check", "audit"]

RISK = {"continuous", "saturation", "dead_zone", "float32_stable", "signal_propagation"}


@dataclass
class AuditReport:
    activation: str
    formula: str
    derivative: str
    checks: dict[str, Check]
    verdict: str
    reasons: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "activation": self.activation,
            "formula": self.formula,
            "derivative": self.derivative,
            "verdict": self.verdict,
            "reasons": self.reasons,
            "checks": {
                n: {"status": c.status, "detail": c.detail, "evidence": c.evidence}
                for n, c in self.checks.items()
            },
        }


# -- the report ------------------------------------------------------------------------------


def _resolve(target: ActivationSpec | str, params: dict[str, Any]) -> ActivationSpec:
    if isinstance(target, ActivationSpec):
        return target.bind(**params) if params else target
    return spec(target, **params)


def audit(
    target: ActivationSpec | str, *, timing: bool = True, signal: bool = True, **params: Any
) -> AuditReport:
    """Audit a catalog name, a formula or a spec: every check, then a verdict with reasons.

    >>> audit("sign(x)*sqrt(abs(x))").reasons
    ['infinite gradient at 0']
    """
    s = _resolve(target, params)
    if s.vector:
        raise ValueError(
            f"{s.name} is vector-valued (softmax-like): the audit is for element-wise activations"
        )
    checks = run_checks(s, timing=timing, signal=signal)
    by_name = {c.name: c for c in checks}
    fails = [c.reason or c.detail for c in checks if c.status == "fail"]
    risks = [c.reason or c.detail for c in checks if c.status == "warn" and c.name in RISK]
    verdict = "bad" if fails else "caveats" if risks else "good"
    return AuditReport(
        activation=s.describe() if s.name in names() else s.name,  # a formula: its text
        formula=s.text,
        derivative=s.text_grad,
        checks=by_name,
        verdict=verdict,
        reasons=fails or risks,
    )
