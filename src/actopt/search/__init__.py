"""Activation search: rediscover Swish-like functions on a laptop (issue 18).

The space of Ramachandran, Zoph & Le (2017), core units ``b(u1(x), u2(x))``; every candidate
screened by the formula language and the auditor before it trains, duplicates (the same
function written another way) dropped by a numerical fingerprint, the rest trained on MNIST-1D
through the bench store; random search or regularised evolution propose.

>>> from actopt.search import search, write_search_report
>>> result = search("out", strategy="evolution", budget=100)   # doctest: +SKIP
>>> write_search_report("out")                                 # doctest: +SKIP
"""

from ._dedup import Seen, fingerprint, swish_distance
from ._evaluate import CHILD, Score, evaluate
from ._prune import Screen, screen
from ._search import SWISH_TOL, SearchResult, log_path, search
from ._space import BETAS, BINARIES, UNARIES, Candidate, Op, mutate, sample
from ._strategy import STRATEGIES, Evolution, Random, make_strategy

__all__ = [
    "BETAS",
    "BINARIES",
    "CHILD",
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
    "log_path",
    "make_strategy",
    "mutate",
    "sample",
    "screen",
    "search",
    "swish_distance",
]
