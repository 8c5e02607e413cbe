"""Fetching a URL to a file: complete or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from pexbench.downloads import download


def test_download_file_url(tmp_path: Path) -> None:
    src = tmp_path / "src.txt"
    src.write_bytes(b"x" * 5000)
    out = tmp_path / "downloads" / "copy.txt"
    assert download(src.as_uri(), out) == 5000
    assert out.read_bytes() == src.read_bytes()


def test_download_failure_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "downloads" / "copy.txt"
    with pytest.raises(OSError):
        download((tmp_path / "missing.txt").as_uri(), out)
    assert list(out.parent.iterdir()) == []
