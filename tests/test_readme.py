"""README's pasted bench output is what the code prints (issue #14.7).

Always (cheap): the pasted table has the leaderboard's columns, the main job's configs with all
their seeds, and the caption the code writes for such a table. On request (it reruns the main
job, about 40 s of both cores: ``ACTOPT_CHECK_README=1 pytest tests/test_readme.py``): the whole
output, line for line (the results are bit-identical on CPU: seeded, one thread per run).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from actopt.bench import DEFAULT_GRID, grid_with_overrides
from actopt.report._columns import LEADERBOARD, caption

README = Path(__file__).resolve().parents[1] / "README.md"


def _pasted(command: str) -> list[str]:
    """The lines README shows under ``$ <command>`` in a fenced block."""
    text = README.read_text()
    block = re.search(rf"```\n\$ {re.escape(command)}\n(.*?)```", text, re.S)
    assert block, f"README has no '$ {command}' block"
    return block.group(1).rstrip("\n").splitlines()


def _cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"[┃│]", line)[1:-1]]


def test_readme_bench_table_has_the_codes_columns_configs_and_caption():
    lines = _pasted("actopt bench")
    header = next(line for line in lines if line.startswith("┃"))
    assert _cells(header) == [c.title for c in LEADERBOARD]
    rows = [_cells(line) for line in lines if line.startswith("│")]
    grid = grid_with_overrides({})
    seeds = DEFAULT_GRID["seeds"]
    assert sorted(r[1] for r in rows) == sorted(c.label for c in grid.configs)
    assert {r[-1] for r in rows} == {f"{seeds}/{seeds}"}
    board = pd.DataFrame(
        {"data": "mnist1d", "model": "mlp", "config": [r[1] for r in rows],
         "p_value": [None if r[6] == "—" else 0.5 for r in rows],
         "ci_clipped": [r[4].endswith("*") for r in rows], "ok": seeds}
    )  # fmt: skip
    end = next(i for i, line in enumerate(lines) if line.startswith("└"))
    said = "".join(lines[end + 1 : end + 3])  # the terminal wraps it at 140 columns
    assert said == caption(board, grid.baseline)


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("ACTOPT_CHECK_README"),
    reason="reruns the main job (~40 s of 2 cores): ACTOPT_CHECK_README=1 to run it",
)
def test_readme_bench_table_is_what_actopt_bench_prints(tmp_path):
    out = tmp_path / "bench-out"
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}  # as piped: 140 columns
    done = subprocess.run([sys.executable, "-m", "actopt", "bench", "--out", str(out)],
                          capture_output=True, text=True, timeout=600, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    printed = done.stdout.replace(f"{out}/", "bench-out/").rstrip("\n").splitlines()
    assert printed == _pasted("actopt bench")
