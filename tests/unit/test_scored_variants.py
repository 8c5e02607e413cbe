"""The select_variants rule's logic (pexbench.scored_variants): eQTL selection mapped onto a
shard's allele tables, with ambiguous ids reported."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest
from vcfcase import write_fasta_vcf

from pexbench.eqtl import AMBIGUOUS_ID, OUTSIDE_WINDOW, SCORED, map_to_alleles, select_variants
from pexbench.genome import Reference
from pexbench.haplotypes import allele_frame, haplotypes_for_gene
from pexbench.scored_variants import variants_to_score

SEQ = "ACGTTGCAAGCTAGCTTACGGATCCATGCAAGTCGATCGGCTAAGCTTGCAT"


def test_variants_to_score(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    lines = [
        "chr1 5 rs2 T A . . . GT 0|1",
        "chr1 9 rs1 A AGG . . . GT 1|0",  # a split multi-allelic site that kept one ID
        "chr1 9 rs1 A G . . . GT 0|1",
    ]
    fasta, vcf = write_fasta_vcf(tmp_path, SEQ, lines, ["S"])
    row = {"gene_id": "G1", "chrom": "chr1", "tss": 8, "strand": "+"}
    genes = [haplotypes_for_gene(vcf, Reference(fasta), row, 8, None, margin=2)]
    eqtl = pd.DataFrame(
        {
            "gene_id": ["G1", "G1", "G1", "G1"],
            "variant_id": ["rs1", "rs2", "rsX", "rs3"],
            "chrom": ["chr1"] * 4,
            "pos": [8, 4, 30, 6],
            "distance_to_tss": [0, -4, 22, -2],
            "beta": [0.5, -0.2, 0.1, 0.3],
            "p": [1e-8, 1e-3, 1e-6, 0.5],
        }
    )
    kw = {"how": "threshold", "p_threshold": 1e-2, "max_per_gene": 10}
    with caplog.at_level(logging.INFO, logger="pexbench.scored_variants"):
        table = variants_to_score(eqtl, genes, **kw)
    expected = map_to_alleles(
        select_variants(eqtl, mode="threshold", p_threshold=1e-2, max_per_gene=10),
        allele_frame(genes),
    )
    pd.testing.assert_frame_equal(table, expected)
    assert dict(zip(table["variant_id"], table["scored"], strict=True)) == {
        "rs1": AMBIGUOUS_ID,
        "rsX": OUTSIDE_WINDOW,
        "rs2": SCORED,
    }
    assert table.loc[table["variant_id"] == "rs2", "allele_index"].tolist() == [0]
    assert "1 selected variants have an ambiguous id" in caplog.text and "rs1" in caplog.text
    assert "3 variants selected (threshold, p < 0.01)" in caplog.text
    lead = variants_to_score(eqtl, genes, how="lead", p_threshold=1e-2, max_per_gene=10)
    assert lead["variant_id"].tolist() == ["rs1"]
