"""Haplotype shards (pexbench.haplotypes.shard): round trip, and the allele frame of a shard."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from vcfcase import write_case

from pexbench.genome import Reference
from pexbench.haplotypes import (
    ALLELE_COLUMNS,
    AnchoredBuilder,
    allele_frame,
    haplotypes_for_gene,
    load_shard,
    save_shard,
)


def test_dedup_and_shard_roundtrip(tmp_path: Path) -> None:
    records = [(5, "T", "A", ["0|1", "0|1", "1|1"]), (20, "G", "C", ["0|0", "0|0", "1|0"])]
    fasta, vcf = write_case(tmp_path, records, samples=("A", "B", "C"))
    reference = Reference(fasta)
    row = {"gene_id": "G1", "symbol": "ONE", "chrom": "chr1", "tss": 12, "strand": "-"}
    gh = haplotypes_for_gene(vcf, reference, row, 16, None, margin=4)
    # haplotypes: ref, A5, ref, A5, A5+C20, A5 -> 3 unique
    assert len(gh.unique) == 3
    assert gh.counts["unique_haplotypes"] == 3 and gh.counts["haplotypes"] == 6
    assert gh.window_start <= 4 and gh.window_end > 19
    assert gh.assignment[0, 1] == gh.assignment[1, 1] == gh.assignment[2, 1]
    assert gh.assignment[0, 0] == gh.assignment[1, 0] != gh.assignment[2, 0]
    path = tmp_path / "shard.npz"
    save_shard(path, [gh, gh])
    with np.load(path, allow_pickle=False) as data:  # no pickle needed
        assert "gene_id" in data.files
    back = load_shard(path)
    assert len(back) == 2
    for other in back:
        assert other.gene_id == "G1" and other.symbol == "ONE" and other.strand == "-"
        assert other.allele_ref == gh.allele_ref and other.allele_alt == gh.allele_alt
        assert other.individuals == gh.individuals and other.counts == gh.counts
        np.testing.assert_array_equal(other.assignment, gh.assignment)
        assert [u.tolist() for u in other.unique] == [u.tolist() for u in gh.unique]
        a = AnchoredBuilder(reference, other, 16)
        b = AnchoredBuilder(reference, gh, 16)
        for u in gh.unique:
            np.testing.assert_array_equal(a.build(u), b.build(u))
    save_shard(tmp_path / "empty.npz", [])
    assert load_shard(tmp_path / "empty.npz") == []


def test_allele_frame_of_a_shard(tmp_path: Path) -> None:
    records = [(5, "T", "A", ["0|1"]), (9, "A", "AGG,G", ["1|2"]), (20, "G", "C", ["1|0"])]
    fasta, vcf = write_case(tmp_path, records)
    reference = Reference(fasta)
    rows = [
        {"gene_id": "G1", "chrom": "chr1", "tss": 8, "strand": "+"},
        {"gene_id": "G2", "chrom": "chr1", "tss": 22, "strand": "+"},
    ]
    genes = [haplotypes_for_gene(vcf, reference, row, 8, None, margin=2) for row in rows]
    path = tmp_path / "shard.npz"
    save_shard(path, genes)
    frame = allele_frame(load_shard(path))
    assert list(frame.columns) == ALLELE_COLUMNS
    expected = [
        (g.gene_id, str(g.allele_id[i]), int(g.allele_pos[i]), i, g.allele_ref[i], g.allele_alt[i])
        for g in genes
        for i in range(len(g.allele_id))
    ]
    assert list(frame.itertuples(index=False, name=None)) == expected
    assert ("G1", "chr1:9:A:AGG,G/AGG", 8, 1, "A", "AGG") in expected  # one row per ALT
    assert ("G2", "chr1:20:G:C", 19, 0, "G", "C") in expected  # indices restart per gene
    empty = allele_frame([])
    assert empty.empty and list(empty.columns) == ALLELE_COLUMNS
