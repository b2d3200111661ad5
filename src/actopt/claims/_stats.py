"""The statistics a verdict rule uses: t-intervals, a three-way decision, and how per-setting
verdicts combine. Small on purpose, tested on its own, independent of the bench's statistics.

A claim says a quantity θ lies above (or below) a threshold t. With its 95% interval [lo, hi]:

- **supported**: the whole interval is on the claimed side (lo > t);
- **not supported**: the interval excludes the claimed effect by at least ``margin`` — θ is on
  the wrong side, or on the right side by less than ``margin`` (hi < t + margin);
- **inconclusive**: neither (the interval is too wide to tell).

The "not supported" test comes first, so a difference that is significant but smaller than the
margin that matters counts against the claim. ``margin = 0`` is the plain significance test.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = [
    "INCONCLUSIVE",
    "MIXED",
    "NOT_SUPPORTED",
    "SUPPORTED",
    "VERDICTS",
    "Interval",
    "combine",
    "decide",
    "mean_ci",
    "paired_ci",
    "ratio_ci",
    "spearman",
]

SUPPORTED, NOT_SUPPORTED, MIXED, INCONCLUSIVE = (
    "supported",
    "not supported",
    "mixed",
    "inconclusive",
)
VERDICTS = (SUPPORTED, NOT_SUPPORTED, MIXED, INCONCLUSIVE)


@dataclass(frozen=True)
class Interval:
    """A mean with its confidence interval over ``n`` values (NaN bounds when n < 2)."""

    mean: float
    low: float
    high: float
    n: int

    def scaled(self, factor: float) -> Interval:
        """The same interval in other units (×100 for percentage points)."""
        lo, hi = sorted((self.low * factor, self.high * factor))
        return Interval(self.mean * factor, lo, hi, self.n)


def mean_ci(values: Iterable[float], level: float = 0.95) -> Interval:
    """The mean and its t-interval. NaN values are dropped; one value gives NaN bounds; values
    that are all equal give the point itself (no spread, no doubt).

    >>> mean_ci([1.0, 2.0, 3.0]).low < 2.0 < mean_ci([1.0, 2.0, 3.0]).high
    True
    """
    a = np.asarray([v for v in values if v is not None], dtype=float)
    a = a[~np.isnan(a)]
    n = len(a)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    mean = float(a.mean())
    if np.isinf(a).any():
        return Interval(mean, math.nan, math.nan, n)
    if n < 2:
        return Interval(mean, math.nan, math.nan, n)
    sd = float(a.std(ddof=1))
    if sd == 0.0:
        return Interval(mean, mean, mean, n)
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, n)


def paired_ci(a: Sequence[float], b: Sequence[float], level: float = 0.95) -> Interval:
    """The interval of the mean paired difference a − b (pairs with a NaN are dropped)."""
    if len(a) != len(b):
        raise ValueError(f"paired values need equal lengths, got {len(a)} and {len(b)}")
    return mean_ci([x - y for x, y in zip(a, b, strict=True)], level)


def ratio_ci(a: Sequence[float], b: Sequence[float], level: float = 0.95) -> Interval:
    """The geometric-mean ratio a / b with its interval (a t-interval on the log ratios)."""
    logs = [math.log(x / y) if x > 0 and y > 0 else math.nan for x, y in zip(a, b, strict=True)]
    ci = mean_ci(logs, level)
    return Interval(math.exp(ci.mean), math.exp(ci.low), math.exp(ci.high), ci.n)


def decide(
    ci: Interval, *, above: float | None = None, below: float | None = None, margin: float = 0.0
) -> str:
    """The three-way verdict for "θ > above" (or "θ < below") given θ's interval.

    >>> decide(Interval(2.0, 1.0, 3.0, 5), above=0.0)
    'supported'
    >>> decide(Interval(0.2, 0.1, 0.3, 5), above=0.0, margin=0.5)   # real but too small
    'not supported'
    >>> decide(Interval(0.2, -1.0, 1.4, 5), above=0.0, margin=0.5)
    'inconclusive'
    """
    if (above is None) == (below is None):
        raise ValueError("give exactly one of above= or below=")
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    if math.isnan(ci.low) or math.isnan(ci.high):
        return INCONCLUSIVE
    if above is not None:
        if ci.high < above + margin:
            return NOT_SUPPORTED
        return SUPPORTED if ci.low > above else INCONCLUSIVE
    if ci.low > below - margin:
        return NOT_SUPPORTED
    return SUPPORTED if ci.high < below else INCONCLUSIVE


def combine(verdicts: Iterable[str]) -> str:
    """Per-setting (or per-part) verdicts into one: all alike → that one; supported somewhere
    and not supported elsewhere → mixed; otherwise (inconclusive settings beside one kind, or
    a mixed part) → mixed when a part is mixed, else inconclusive.

    >>> combine(["supported", "supported"]), combine(["supported", "not supported"])
    ('supported', 'mixed')
    >>> combine(["supported", "inconclusive"])
    'inconclusive'
    """
    found = list(verdicts)
    for v in found:
        if v not in VERDICTS:
            raise ValueError(f"unknown verdict {v!r}; expected one of {', '.join(VERDICTS)}")
    if not found:
        return INCONCLUSIVE
    kinds = set(found)
    if len(kinds) == 1:
        return found[0]
    if MIXED in kinds or {SUPPORTED, NOT_SUPPORTED} <= kinds:
        return MIXED
    return INCONCLUSIVE


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation (NaN pairs dropped; NaN with fewer than 3 pairs)."""
    pairs = [(a, b) for a, b in zip(x, y, strict=True) if not (math.isnan(a) or math.isnan(b))]
    if len(pairs) < 3:
        return math.nan
    xs, ys = zip(*pairs, strict=True)
    if len(set(xs)) == 1 or len(set(ys)) == 1:
        return 0.0
    return float(stats.spearmanr(xs, ys).statistic)
