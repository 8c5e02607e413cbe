"""Haplotypes of a window or a gene (pexbench.haplotypes.windows): unphased policies against
bcftools, and the per-gene loop of the haplotypes rule with its statistics table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from vcfcase import bcftools, engine, write_case

from pexbench.encoding import decode
from pexbench.errors import InputError, VariantError
from pexbench.genome import Reference
from pexbench.haplotypes import (
    HAPLOTYPE_MARGIN,
    AnchoredBuilder,
    haplotypes_for_gene,
    haplotypes_for_genes,
    haplotypes_for_region,
    reference_haplotypes,
    variant_reach,
)
from pexbench.variants import random_phase_swaps


def test_unphased_policies(tmp_path: Path) -> None:
    records = [
        (5, "T", "A", ["0/1", "1|0"]),
        (9, "A", "AGG", ["1/0", "1/1"]),
        (20, "G", "C", ["0/1", "0|0"]),
    ]
    rows = [(pos, ref, alt, gts) for pos, ref, alt, gts in records]
    fasta, vcf = write_case(tmp_path, rows, samples=("U", "P"))
    reference = Reference(fasta)
    with pytest.raises(VariantError, match=r"chr1:5 for sample U"):
        haplotypes_for_region(vcf, reference, "chr1", 0, 52)
    # as_phased: file order, which is what bcftools -H 1|2 does regardless of phasing
    for sample in ("U", "P"):
        for hap in (1, 2):
            assert engine(fasta, vcf, 1, 52, sample, hap, unphased="as_phased") == bcftools(
                fasta, vcf, 1, 52, sample, hap
            )
    # random: equal to bcftools on a copy whose unphased calls were swapped by the documented coin
    for seed in (0, 1, 2, 3):
        swapped = []
        for pos, ref, alt, gts in records:
            coin = random_phase_swaps(seed, pos - 1, ref, [alt], ["U", "P"])
            new = []
            for gt, flip in zip(gts, coin, strict=True):
                a, b = gt.replace("|", "/").split("/")
                unphased_het = "/" in gt and a != b
                new.append(f"{b}|{a}" if unphased_het and flip else f"{a}|{b}")
            swapped.append((pos, ref, alt, new))
        sfasta, svcf = write_case(tmp_path / f"seed{seed}", swapped, samples=("U", "P"))
        for hap in (1, 2):
            mine = engine(fasta, vcf, 1, 52, "U", hap, unphased="random", seed=seed)
            assert mine == bcftools(sfasta, svcf, 1, 52, "U", hap)
    # the coin depends on the site and sample, not on the window read
    gh_all = haplotypes_for_region(vcf, reference, "chr1", 0, 52, unphased="random", seed=5)
    gh_sub = haplotypes_for_region(vcf, reference, "chr1", 10, 30, ["U"], unphased="random", seed=5)
    alleles_all = {
        gh_all.allele_pos[a] for a in gh_all.haplotype("U", 1) if gh_all.allele_pos[a] >= 10
    }
    alleles_sub = {gh_sub.allele_pos[a] for a in gh_sub.haplotype("U", 1)}
    assert alleles_all == alleles_sub
    assert gh_all.counts["unphased_heterozygous"] == 3


def test_haplotypes_for_genes_and_their_statistics(tmp_path: Path) -> None:
    records = [(5, "T", "A", ["0|1", "1|1"]), (20, "GGA", "G", ["1|0", "0|0"])]
    fasta, vcf = write_case(tmp_path, records, samples=("A", "B"))
    reference = Reference(fasta)
    table = pd.DataFrame(
        {
            "gene_id": ["G1", "G2"],
            "symbol": ["ONE", "TWO"],
            "chrom": ["chr1", "chr1"],
            "tss": [12, 40],
            "strand": ["+", "-"],
        }
    )
    genes, stats = haplotypes_for_genes(vcf, reference, table, 16, ["B", "A"])
    for gene, row in zip(genes, table.to_dict("records"), strict=True):
        one = haplotypes_for_gene(vcf, reference, row, 16, ["B", "A"])
        assert gene.gene_id == one.gene_id and gene.individuals == ["B", "A"]
        assert [u.tolist() for u in gene.unique] == [u.tolist() for u in one.unique]
        np.testing.assert_array_equal(gene.assignment, one.assignment)
    assert list(stats.columns[:6]) == [
        "gene_id",
        "window_start",
        "window_end",
        "n_alleles",
        "n_haplotypes",
        "n_unique",
    ]
    assert list(stats.columns[6:]) == sorted(genes[0].counts)
    assert stats["gene_id"].tolist() == ["G1", "G2"]
    assert stats["n_haplotypes"].tolist() == [4, 4]
    assert stats["n_unique"].tolist() == [len(g.unique) for g in genes]
    assert stats["window_start"].tolist() == [g.window_start for g in genes]
    assert stats["unique_haplotypes"].tolist() == stats["n_unique"].tolist()
    none, empty = haplotypes_for_genes(vcf, reference, table.iloc[:0], 16, None)
    assert none == [] and empty.empty and list(empty.columns) == ["gene_id"]


def test_gene_window_margin_and_variant_reach(tmp_path: Path) -> None:
    seq = "ACGT" * 10_000
    fasta, vcf = write_case(tmp_path, [(20_001, "A", "G", ["1|0"])], ref_seq=seq)
    row = {"gene_id": "G", "chrom": "chr1", "tss": 20_000, "strand": "+"}
    gene = haplotypes_for_gene(vcf, Reference(fasta), row, 1_000, None)
    assert gene.window_start == 20_000 - 500 - HAPLOTYPE_MARGIN
    assert gene.window_end == 20_000 + 500 + HAPLOTYPE_MARGIN
    # the workflow keeps variants this far from a TSS (normalise_vcf's margin)
    assert variant_reach(1_000) == 500 + 20_000
    assert variant_reach(1_001) == 500 + 20_000


def test_reference_haplotypes_give_the_reference_window(tmp_path: Path) -> None:
    """No genotypes: no alleles, no individuals; the anchored build is the reference window."""
    seq = "ACGTTGCA" * 500
    fasta, _ = write_case(tmp_path, [(21, "T", "G", ["1|0"])], ref_seq=seq)
    reference = Reference(fasta)
    row = {"gene_id": "G", "symbol": "S", "chrom": "chr1", "tss": 1_000, "strand": "-"}
    gene = reference_haplotypes(reference, row, 100)
    assert (gene.window_start, gene.window_end, gene.strand) == (950, 1_050, "-")
    assert gene.unique == [] and gene.individuals == [] and gene.assignment.shape == (0, 2)
    built = AnchoredBuilder(reference, gene, 100).reference()
    assert decode(built) == seq[950:1_050]
    with pytest.raises(InputError, match=r"TSS 9999 .* lies outside chr1"):
        reference_haplotypes(reference, {**row, "tss": 9_999}, 100)
