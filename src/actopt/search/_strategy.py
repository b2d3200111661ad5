"""Search strategies: what to try next, given what scored how.

Both are seeded and deterministic: the same seed and the same scores give the same proposals.
``Evolution`` is regularised evolution (Real et al. 2019): a population of the last
``population`` trained candidates (aging: the oldest dies, whatever its score), each child a
one-step mutation of the best of ``tournament`` members drawn at random.

>>> import random
>>> s = Random(random.Random(0))
>>> s.propose().formula == Random(random.Random(0)).propose().formula
True
"""

from __future__ import annotations

import random
from collections import deque

from ._space import Candidate, mutate, sample

__all__ = ["STRATEGIES", "Evolution", "Random", "make_strategy"]


class Random:
    """Uniform samples from the space, ignoring scores."""

    name = "random"

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def propose(self) -> Candidate:
        return sample(self.rng)

    def tell(self, candidate: Candidate, score: float) -> None:
        """A trained candidate's score (random search does not use it)."""


class Evolution:
    """Regularised evolution: random until the population is full, then tournament + mutate."""

    name = "evolution"

    def __init__(self, rng: random.Random, population: int = 8, tournament: int = 3) -> None:
        if not 1 <= tournament <= population:
            raise ValueError(f"tournament must be in [1, population], got {tournament}")
        self.rng = rng
        self.population: deque[tuple[Candidate, float]] = deque()
        self.size, self.tournament = population, tournament

    def propose(self) -> Candidate:
        if len(self.population) < self.size:
            return sample(self.rng)
        picked = self.rng.sample(list(self.population), self.tournament)
        parent = max(picked, key=lambda cs: cs[1])[0]
        return mutate(parent, self.rng)

    def tell(self, candidate: Candidate, score: float) -> None:
        self.population.append((candidate, score))
        if len(self.population) > self.size:
            self.population.popleft()  # aging: the oldest goes, not the worst


STRATEGIES = {"evolution": Evolution, "random": Random}


def make_strategy(name: str, seed: int) -> Random | Evolution:
    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}; choose from {', '.join(STRATEGIES)}")
    return STRATEGIES[name](random.Random(seed))
