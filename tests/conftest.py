"""Shared fixtures: where the real data lives, and skipping cleanly when it does not."""

from __future__ import annotations

from pathlib import Path

import pytest
import realdata

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


@pytest.fixture(scope="session")
def phased_renamed(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The phased 1000 Genomes VCF (chr22:50.3-51.0 Mb, 5 individuals) with its contig renamed
    to the synthetic reference's `chr22`, indexed."""
    tmp = tmp_path_factory.mktemp("phased")
    return realdata.rename_chr22(shared_data / realdata.PHASED, tmp / "renamed.vcf.gz")


@pytest.fixture(scope="session")
def phased_normalised(shared_data: Path, phased_renamed: Path) -> Path:
    """`phased_renamed` normalised against the synthetic reference, like the workflow does."""
    out = phased_renamed.with_name("norm.vcf.gz")
    return realdata.normalise(phased_renamed, shared_data / realdata.FASTA, out)
