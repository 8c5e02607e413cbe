"""Joining normalised VCF parts (pexbench.vcf_concat): records of every part in position order,
counts summed, excluded REF mismatches listed together; parts with other samples refused."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pysam
import pytest

from pexbench.errors import InputError
from pexbench.tables import read_table, write_table
from pexbench.vcf_concat import join_normalised_parts, sum_counts


def _part(path: Path, positions: list[int], samples: tuple[str, ...] = ("s1", "s2")) -> Path:
    lines = [
        "##fileformat=VCFv4.2",
        "##contig=<ID=chr1,length=1000>",
        "##contig=<ID=chr2,length=1000>",
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="GT">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(samples),
    ]
    lines += [f"{c}\t{p}\t.\tA\tC\t.\t.\t.\tGT" + "\t0|1" * len(samples) for c, p in positions]
    plain = path.with_suffix("")
    plain.write_text("\n".join(lines) + "\n")
    pysam.tabix_compress(str(plain), str(path), force=True)
    pysam.tabix_index(str(path), preset="vcf", force=True)
    return path


def test_join_parts(tmp_path: Path) -> None:
    a = _part(tmp_path / "a.vcf.gz", [("chr1", 5), ("chr1", 50)])
    b = _part(tmp_path / "b.vcf.gz", [("chr1", 20), ("chr2", 7)])  # overlaps a's contig
    counts, mismatches = [], []
    for name, n in (("a", 2), ("b", 3)):
        counts.append(
            write_table(
                pd.DataFrame({"what": ["records_in", "mismatch_removed"], "count": [n, n - 2]}),
                tmp_path / f"{name}.counts.tsv",
                kind="genotype_counts",
            )
        )
        rows = (
            []
            if n == 2
            else [{"vcf": "b", "chrom": "1", "pos": 9, "ref_vcf": "A", "ref_fasta": "G"}]
        )
        mismatches.append(
            write_table(
                pd.DataFrame(rows, columns=["vcf", "chrom", "pos", "ref_vcf", "ref_fasta"]),
                tmp_path / f"{name}.mm.tsv",
                kind="ref_mismatches",
            )
        )
    out = tmp_path / "out" / "all.vcf.gz"
    out.parent.mkdir()
    total = join_normalised_parts(
        [a, b], counts, mismatches, out, tmp_path / "c.tsv", tmp_path / "m.tsv"
    )
    with pysam.VariantFile(str(out)) as vcf:
        assert [(r.chrom, r.pos) for r in vcf] == [
            ("chr1", 5),
            ("chr1", 20),
            ("chr1", 50),
            ("chr2", 7),
        ]
    assert Path(f"{out}.tbi").is_file()
    assert dict(zip(total["what"], total["count"], strict=True)) == {
        "records_in": 5,
        "mismatch_removed": 1,
        "vcf_parts": 2,
    }
    listed = read_table(tmp_path / "m.tsv", kind="ref_mismatches")
    assert listed["pos"].tolist() == [9]
    assert sorted(p.name for p in out.parent.iterdir()) == ["all.vcf.gz", "all.vcf.gz.tbi"]


def test_parts_must_share_samples(tmp_path: Path) -> None:
    a = _part(tmp_path / "a.vcf.gz", [("chr1", 5)])
    b = _part(tmp_path / "b.vcf.gz", [("chr1", 9)], samples=("s2", "s1"))
    with pytest.raises(InputError, match="same samples in the same order"):
        join_normalised_parts([a, b], [], [], tmp_path / "o.vcf.gz", tmp_path / "c", tmp_path / "m")


def test_sum_counts() -> None:
    a = pd.DataFrame({"what": ["x", "y"], "count": [1, 2]})
    b = pd.DataFrame({"what": ["y", "z"], "count": [10, 5]})
    got = sum_counts([a, b])
    assert got.values.tolist() == [["x", 1], ["y", 12], ["z", 5]]
