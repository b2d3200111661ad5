"""Each claim's rule on synthetic evidence with a known answer: supported, not supported and
inconclusive worlds (tests/claims/worlds.py), for every claim in the registry."""

from __future__ import annotations

import pytest
from worlds import INC, NOT, SUP, WORLDS, evidence

from actopt.claims import Setting, Verdict, get, names

FULL = Setting.make(quick=False)


def test_every_claim_has_a_world():
    assert sorted(WORLDS) == sorted(names())


@pytest.mark.parametrize("answer", [SUP, NOT, INC])
@pytest.mark.parametrize("claim_id", names())
def test_the_rule_gives_the_known_answer(claim_id, answer):
    v = get(claim_id).analyse(evidence(claim_id, answer, FULL))
    assert isinstance(v, Verdict)
    detail = "; ".join(f"{p.name}: {p.verdict} ({p.detail})" for p in v.parts)
    assert v.verdict == answer, detail
    assert v.evidence and v.figure and v.figure.startswith(b"\x89PNG")
    assert all(n.label and n.text() for n in v.numbers)


@pytest.mark.parametrize("claim_id", names())
def test_the_quick_setting_runs_the_same_analysis(claim_id):
    """The quick experiment is a smaller version of the same one: the rule reads it alike."""
    v = get(claim_id).analyse(evidence(claim_id, SUP, Setting.make(quick=True)))
    assert v.verdict in (SUP, INC)
