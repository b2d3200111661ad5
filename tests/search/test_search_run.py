"""A tiny end-to-end search through the CLI, killed mid-way and resumed without retraining."""

from __future__ import annotations

import html
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from actopt.cli import main
from actopt.search import SearchResult, log_path

SRC = Path(__file__).resolve().parents[2] / "src"
# a tiny child network: the point is the machinery, not the accuracy
ARGS = ["search", "--budget", "2", "--seeds", "2", "--batch", "1", "--steps", "15",
        "--width", "8", "--quiet"]  # fmt: skip


def _finished(db: Path) -> dict[str, float]:
    if not db.exists():
        return {}
    with sqlite3.connect(db) as con:
        try:
            rows = con.execute("SELECT run_id, finished FROM runs WHERE status = 'ok'").fetchall()
        except sqlite3.OperationalError:  # the table is not made yet
            return {}
    return dict(rows)


def test_search_killed_then_resumed_trains_nothing_twice(tmp_path, capsys):
    out = tmp_path / "s"
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "actopt", *ARGS, "--out", str(out)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.time() + 240
        while len(_finished(out / "actopt.db")) < 2 and time.time() < deadline:
            assert proc.poll() is None, "the search ended before it could be killed"
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the search and its training workers, at once
        proc.wait()
    before = _finished(out / "actopt.db")
    assert len(before) >= 2

    assert main([*ARGS, "--out", str(out)]) == 0
    after = _finished(out / "actopt.db")
    assert {k: after[k] for k in before} == before  # the runs finished before the kill stand
    result = SearchResult.read(log_path(out, "evolution"))
    trained = result.trained()
    assert len(trained) == 2 and len(after) == 2 * 2
    # every training belongs to a candidate that passed the screen: no pruned one trained
    with sqlite3.connect(out / "actopt.db") as con:
        acts = {row[0] for row in con.execute("SELECT json_extract(spec, '$.act') FROM runs")}
    assert acts == {e["formula"] for e in trained}
    assert all(e["reasons"] for e in result.log if e["status"] == "pruned")
    table = capsys.readouterr().out
    assert "val acc" in table and "2 trained" in table
    page = (out / "search.html").read_text()
    assert page.count("<img") == 3 and html.escape(trained[0]["text"]) in page


def test_a_restart_takes_the_screens_logged_before_the_round_trained(tmp_path, monkeypatch):
    """The screen's CPU-time limit can prune a candidate on one start and pass it on the next;
    a restart reuses the logged screens, so it trains what the first start was training."""
    from actopt.search import _search
    from actopt.search._prune import Screen

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # while the round trains

    args = {"budget": 2, "seeds": 1, "batch": 2, "steps": 15, "width": 8}
    monkeypatch.setattr(_search, "evaluate", killed)
    with pytest.raises(KeyboardInterrupt):
        _search.search(tmp_path, **args)
    log = SearchResult.read(log_path(tmp_path, "evolution")).log
    queued = [e["formula"] for e in log if e["status"] == "queued"]
    assert len(queued) == 2  # the round's screens were on disk before it trained

    monkeypatch.undo()
    over_the_limit = ["analysis took over 5 CPU s (sympy)"]  # this time, for every candidate
    monkeypatch.setattr(_search, "screen", lambda f: Screen(f, True, over_the_limit))
    result = _search.search(tmp_path, **args)
    assert [e["formula"] for e in result.trained()] == queued


def test_a_bad_child_network_fails_before_anything_is_screened_or_written(tmp_path):
    from actopt.search import search

    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        search(tmp_path / "s", budget=1, steps=0)
    assert not (tmp_path / "s").exists()


def test_validate_says_when_it_must_search_first(tmp_path, monkeypatch, capsys):
    """``--validate`` on a folder with no search (a mistyped --out) would search 50 candidates
    first: it says so before it starts."""
    import actopt.search

    def search(*args, **kwargs):
        raise ValueError("stopped here")

    monkeypatch.setattr(actopt.search, "search", search)
    assert main(["search", "--validate", "2", "--out", str(tmp_path / "typo"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "holds no search yet: searching first (--budget 50" in err
