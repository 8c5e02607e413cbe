"""Scratch directories beside an output and index freshness."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pexbench.paths import is_fresh, scratch_dir


def test_scratch_dir_is_beside_and_removed(tmp_path: Path) -> None:
    final = tmp_path / "out" / "x.vcf.gz"
    with scratch_dir(final) as tmp:
        assert tmp.parent == final.parent and tmp.name.startswith(".x.vcf.gz.tmp-")
        (tmp / "part").write_text("data")
    assert list(final.parent.iterdir()) == []
    with pytest.raises(RuntimeError), scratch_dir(final) as tmp:
        (tmp / "part").write_text("data")
        raise RuntimeError("failed")
    assert list(final.parent.iterdir()) == []


def test_is_fresh(tmp_path: Path) -> None:
    data, index = tmp_path / "g.fa", tmp_path / "g.fa.fai"
    data.write_text(">a\nAC\n")
    assert not is_fresh(index, data)
    index.write_text("a\t2\t3\t2\t3\n")
    os.utime(data, (1_000, 1_000))
    os.utime(index, (2_000, 2_000))
    assert is_fresh(index, data)
    os.utime(data, (3_000, 3_000))
    assert not is_fresh(index, data)
