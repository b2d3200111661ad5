"""The reference run every resumed or concurrent bench must equal."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from bench_helpers import bench_cmd


@pytest.fixture(scope="session")
def reference(tmp_path_factory) -> Path:
    """The tiny grid run once, uninterrupted: what every resumed run must equal."""
    out = tmp_path_factory.mktemp("reference")
    subprocess.run(bench_cmd(out), check=True, capture_output=True, text=True, timeout=300)
    return out
