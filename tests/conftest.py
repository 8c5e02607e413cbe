"""Shared fixtures: where the real data lives, and skipping cleanly when it does not."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """`../shared/data` beside the checkout; tests that need it skip when it is absent."""
    if not (SHARED_DATA / "SOURCES.md").is_file():
        pytest.skip(f"real data not found at {SHARED_DATA}")
    return SHARED_DATA
