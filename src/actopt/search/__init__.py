"""Activation search: rediscover Swish-like functions on a laptop (issue 18).

The space of Ramachandran, Zoph & Le (2017), core units ``b(u1(x), u2(x))``; every candidate
screened by the formula language and the auditor before it trains, duplicates (the same
function written another way) dropped by a numerical fingerprint, the rest trained on MNIST-1D
through the bench store; random search or regularised evolution propose. ``validate`` trains
the best again on Fashion-MNIST with a deeper net against relu, swish and gelu.

>>> from actopt.search import search, write_search_report
>>> result = search("out", strategy="evolution", budget=100)   # doctest: +SKIP
>>> write_search_report("out")                                 # doctest: +SKIP
"""

from ._dedup import BETA_RANGE, Seen, fingerprint, swish_distance
from ._evaluate import CHILD, Score, evaluate
from ._prune import Screen, screen
from ._search import SWISH_TOL, SearchResult, leaderboard, log_path, read_results, search
from ._space import BETAS, BINARIES, UNARIES, Candidate, Op, mutate, sample
from ._strategy import STRATEGIES, Evolution, Random, make_strategy
from ._validate import BASELINES, NET, read_validation, validate

__all__ = [
    "BASELINES",
    "BETAS",
    "BETA_RANGE",
    "BINARIES",
    "CHILD",
    "NET",
    "STRATEGIES",
    "SWISH_TOL",
    "UNARIES",
    "Candidate",
    "Evolution",
    "Op",
    "Random",
    "Score",
    "Screen",
    "SearchResult",
    "Seen",
    "evaluate",
    "fingerprint",
    "leaderboard",
    "log_path",
    "make_strategy",
    "mutate",
    "read_results",
    "read_validation",
    "sample",
    "screen",
    "search",
    "swish_distance",
    "validate",
]
