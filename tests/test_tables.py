"""pexbench.tables: the one table writer (atomic, deterministic gzip), reader and text opener."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pexbench.tables import atomic_path, is_gzip, open_text, read_table, write_table


def test_write_table_roundtrip_and_deterministic(tmp_path: Path) -> None:
    df = pd.DataFrame({"a": [1, 2], "b": [0.1, np.nan], "c": ["x", "y"]})
    path = write_table(df, tmp_path / "sub" / "t.tsv.gz")
    first = path.read_bytes()
    back = pd.read_csv(path, sep="\t")
    pd.testing.assert_frame_equal(back, df)
    write_table(df, path)
    assert path.read_bytes() == first
    assert sorted(p.name for p in path.parent.iterdir()) == ["t.tsv.gz"]
    plain = write_table(df, tmp_path / "t.tsv")
    assert plain.read_text().splitlines()[0] == "a\tb\tc"
    assert plain.read_text().splitlines()[2] == "2\tNA\ty"


def test_write_table_failure_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    df = pd.DataFrame({"a": [1]})
    target = tmp_path / "t.tsv"

    def boom(self: pd.DataFrame, path: Path, *args: object, **kwargs: object) -> None:
        Path(path).write_text("a\n")  # partly written, then fails
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", boom)
    with pytest.raises(OSError, match="disk full"):
        write_table(df, target)
    assert list(tmp_path.iterdir()) == []


def test_write_table_atomic(tmp_path):
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    write_table(df, tmp_path / "sub" / "t.tsv.gz")
    assert pd.read_csv(tmp_path / "sub" / "t.tsv.gz", sep="\t").equals(df)
    assert not list((tmp_path / "sub").glob(".*tmp"))


def test_gzip_header_has_no_name_or_time_and_floats_have_8_digits(tmp_path: Path) -> None:
    df = pd.DataFrame({"x": [1 / 3, 2.0e-12, np.nan]})
    path = write_table(df, tmp_path / "t.tsv.gz")
    head = path.read_bytes()[:10]
    # RFC 1952: FLG (byte 3) without FNAME (bit 3), MTIME (bytes 4-7) zero
    assert head[:2] == b"\x1f\x8b" and head[3] & 8 == 0 and head[4:8] == b"\0\0\0\0"
    assert gzip.decompress(path.read_bytes()).decode() == "x\n0.33333333\n2e-12\nNA\n"
    assert read_table(path)["x"].isna().tolist() == [False, False, True]


def test_open_text_plain_and_gzip(tmp_path: Path) -> None:
    plain = tmp_path / "a.txt"
    plain.write_text("héllo\n", encoding="utf-8")
    packed = tmp_path / "a.txt.gz"  # the name does not matter, the magic bytes do
    packed.write_bytes(gzip.compress("héllo\n".encode()))
    renamed = tmp_path / "b.txt"
    renamed.write_bytes(packed.read_bytes())
    assert not is_gzip(plain) and is_gzip(packed) and is_gzip(renamed)
    for path in (plain, packed, renamed):
        with open_text(path) as fh:
            assert fh.read() == "héllo\n"


def test_atomic_path_removes_the_temporary_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.txt"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("partial")
        raise RuntimeError("fail")
    assert list((tmp_path / "sub").iterdir()) == []
    with atomic_path(target) as tmp:
        tmp.write_text("done")
    assert target.read_text() == "done" and list((tmp_path / "sub").iterdir()) == [target]
