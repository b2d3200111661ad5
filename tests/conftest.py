"""Shared fixtures: the team's real datasets, found beside the project root."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/datasets`` (real MNIST and Fashion-MNIST); tests needing it skip without it."""
    if not (SHARED_DATA / "mnist" / "train-images-idx3-ubyte.gz").exists():
        pytest.skip(f"real datasets not found at {SHARED_DATA}")
    return SHARED_DATA
