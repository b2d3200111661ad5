"""Shared fixtures: the team's real datasets, found beside the project root."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"

# The commands the tests start get Ctrl-C as a terminal's foreground job does, even when pytest
# itself was started in the background (which ignores SIGINT, and its children would inherit that)
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/datasets`` (real MNIST and Fashion-MNIST); tests needing it skip without it."""
    if not (SHARED_DATA / "mnist" / "train-images-idx3-ubyte.gz").exists():
        pytest.skip(f"real datasets not found at {SHARED_DATA}")
    return SHARED_DATA
