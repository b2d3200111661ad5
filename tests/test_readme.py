"""README's pasted bench output is what the code prints (issue #14.7): the main job is rerun and
its leaderboard compared line for line with the README's (the results are bit-identical on CPU:
seeded, one thread per run)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _pasted(command: str) -> list[str]:
    """The lines README shows under ``$ <command>`` in a fenced block."""
    text = README.read_text()
    block = re.search(rf"```\n\$ {re.escape(command)}\n(.*?)```", text, re.S)
    assert block, f"README has no '$ {command}' block"
    return block.group(1).rstrip("\n").splitlines()


@pytest.mark.slow
def test_readme_bench_table_is_what_actopt_bench_prints(tmp_path):
    out = tmp_path / "bench-out"
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}  # as piped: 140 columns
    done = subprocess.run([sys.executable, "-m", "actopt", "bench", "--out", str(out)],
                          capture_output=True, text=True, timeout=600, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    printed = done.stdout.replace(f"{out}/", "bench-out/").rstrip("\n").splitlines()
    assert printed == _pasted("actopt bench")
