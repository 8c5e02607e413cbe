"""pexbench.tables: the one table writer (atomic, deterministic gzip), reader and text opener,
and reading and writing by table kind (pexbench.columns)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pexbench.columns import column_names
from pexbench.errors import InputError
from pexbench.tables import (
    atomic_path,
    is_gzip,
    open_text,
    read_table,
    read_tables,
    table_text,
    write_table,
)


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


def test_kind_writes_declared_columns_in_order(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"predicted": [0.5], "individual": ["A"], "model": ["m"], "gene_id": ["g"]}
    )
    path = write_table(frame, tmp_path / "p.tsv", kind="predicted")
    assert path.read_text() == "model\tgene_id\tindividual\tpredicted\nm\tg\tA\t0.5\n"
    empty = write_table(pd.DataFrame(columns=["gene_id"]), tmp_path / "e.tsv", kind="eqtl")
    assert empty.read_text().rstrip("\n").split("\t") == column_names("eqtl")
    with pytest.raises(ValueError, match=r"'predicted' table.*lacks \['model'\]"):
        write_table(frame.drop(columns="model"), tmp_path / "x.tsv", kind="predicted")
    with pytest.raises(ValueError, match=r"undeclared \['extra'\]"):
        write_table(frame.assign(extra=1), tmp_path / "x.tsv", kind="predicted")
    stats = pd.DataFrame({"gene_id": ["g"], "n_unique": [1], "records": [2], "n_alleles": [3]})
    stats = stats.assign(window_start=0, window_end=9, n_haplotypes=4)
    written = write_table(stats, tmp_path / "s.tsv", kind="haplotype_stats").read_text()
    assert written.splitlines()[0].split("\t")[-1] == "records"  # extra columns follow


def test_kind_reads_declared_dtypes(tmp_path: Path) -> None:
    path = tmp_path / "v.tsv"
    path.write_text(
        "model\tgene_id\tvariant_id\tchrom\tpos\tdistance_to_tss\tchromatin_state\teqtl_beta\t"
        "eqtl_p\tpredicted_effect\tconcordant\tstatus\n"
        "m\t00123\t1\t22\t5\t-3\tE\t0.5\t0.01\tNA\tNA\toutside model input\n"
        "m\t00124\t2\t22\t6\t4\tTSS\t-0.5\t0.02\t1.5\tFalse\tscored\n"
    )
    table = read_table(path, kind="variant_effects")
    assert table["gene_id"].tolist() == ["00123", "00124"]  # identifiers stay text
    assert table["chrom"].tolist() == ["22", "22"] and table["variant_id"].tolist() == ["1", "2"]
    assert table["pos"].dtype == np.int64 and table["eqtl_beta"].dtype == np.float64
    assert str(table["concordant"].dtype) == "boolean"
    assert table["concordant"].isna().tolist() == [True, False]
    header_only = tmp_path / "h.tsv"
    header_only.write_text("gene_id\n")
    empty = read_table(header_only, kind="haplotype_stats")
    assert list(empty.columns) == column_names("haplotype_stats") and empty.empty
    assert read_tables([header_only], kind="haplotype_stats").empty


def test_kind_names_the_file_and_the_rule_that_writes_it(tmp_path: Path) -> None:
    path = tmp_path / "c.tsv"
    path.write_text("model\tgene_id\n m\tg\n")
    with pytest.raises(InputError, match=r"c\.tsv: a 'gene_correlations' table lacks.*rule corr"):
        read_table(path, kind="gene_correlations")
    bad = tmp_path / "g.tsv"
    bad.write_text("gene_id\tsymbol\tchrom\ttss\tstrand\tshard\ng\tG\t22\tNA\t+\t0\n")
    with pytest.raises(InputError, match=r"g\.tsv: not a 'genes' table as rule gene_table"):
        read_table(bad, kind="genes")


def test_read_tables_concatenates_shards(tmp_path: Path) -> None:
    a = write_table(
        pd.DataFrame({"gene_id": ["g"], "individual": ["A"], "measured": [1.0]}),
        tmp_path / "a.tsv",
        kind="measured",
    )
    b = write_table(pd.DataFrame(columns=["gene_id"]), tmp_path / "b.tsv", kind="measured")
    c = write_table(
        pd.DataFrame({"gene_id": ["h"], "individual": ["B"], "measured": [2.0]}),
        tmp_path / "c.tsv.gz",
        kind="measured",
    )
    table = read_tables([a, b, c], kind="measured")
    assert table["gene_id"].tolist() == ["g", "h"] and table.index.tolist() == [0, 1]
    assert list(read_tables([], kind="measured").columns) == column_names("measured")


def test_table_text_is_what_write_table_writes(tmp_path: Path) -> None:
    frame = pd.DataFrame({"s": [3, 1], "job": ["b", "a"], "rule": ["r", "r"], "repeat": [0, 0]})
    frame["s"] = [0.123456789012, np.nan]
    path = write_table(frame, tmp_path / "t.tsv", kind="benchmarks")
    assert table_text(frame, kind="benchmarks") == path.read_text()
    assert table_text(frame, kind="benchmarks").splitlines()[1] == "r\tb\t0\t0.12345679"
