"""Cis dosages: read once per window, each record once, named like the gene table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from vcfcase import write_fasta_vcf

from pexbench.dosages import cis_indices, read_dosages


def _case(tmp_path: Path) -> Path:
    # GENERATED fixture: a split multi-allelic site keeping one ID (as bcftools norm -m -any
    # does), a deletion reaching from one gene's window into the next, and far-apart genes.
    lines = [
        "chr1 101 m1 A C . PASS . GT 0/1 1/1",
        "chr1 101 m1 A G . PASS . GT 0/0 0/1",
        f"chr1 150 d1 C{'A' * 66} C . PASS . GT 0|1 .|0",
        "chr1 400 s1 A T . PASS . GT 1|1 0|0",
        "chr1 900 s2 A T . PASS . GT 0|1 0|0",
    ]
    _, vcf = write_fasta_vcf(tmp_path, "A" * 1000, lines, ["I1", "I2"])
    return vcf


def test_read_dosages_keeps_split_alleles_and_reads_each_record_once(tmp_path: Path) -> None:
    vcf = _case(tmp_path)
    genes = pd.DataFrame(
        {"gene_id": ["a", "b", "c"], "chrom": ["1", "1", "1"], "tss": [120, 260, 900]}
    )
    dos = read_dosages(vcf, genes, 50, ["I2", "I1"])
    # windows [70, 171) and [210, 311) (the deletion at 149 overlaps both), [850, 951)
    assert list(dos.columns) == ["variant_id", "chrom", "pos", "I2", "I1"]
    assert dos["variant_id"].tolist() == ["m1", "m1", "d1", "s2"]
    assert dos["pos"].tolist() == [100, 100, 149, 899]
    assert set(dos["chrom"]) == {"1"}
    np.testing.assert_array_equal(dos["I1"], [1, 0, 1, 1])
    assert dos["I2"].tolist()[:2] == [2, 1] and np.isnan(dos["I2"].iloc[2])
    idx = cis_indices(genes, dos, 50)
    assert [idx[g].tolist() for g in "abc"] == [[0, 1, 2], [], [3]]


def test_read_dosages_without_genes(tmp_path: Path) -> None:
    genes = pd.DataFrame({"gene_id": [], "chrom": [], "tss": []})
    dos = read_dosages(_case(tmp_path), genes, 50, ["I1"])
    assert dos.empty and list(dos.columns) == ["variant_id", "chrom", "pos", "I1"]


def test_read_dosages_real_vs_pysam(shared_data: Path) -> None:
    import pysam

    vcf = shared_data / "genotypes" / "geuvadis423.chr22.unphased.vcf.gz"
    genes = pd.DataFrame(
        {"gene_id": ["a", "b"], "chrom": ["chr22", "chr22"], "tss": [20_000_000, 20_003_000]}
    )
    inds = ["HG00096", "NA20828", "HG00097"]
    dos = read_dosages(vcf, genes, 5_000, inds)
    with pysam.VariantFile(str(vcf)) as handle:
        records = list(handle.fetch("22", 20_000_000 - 5_000, 20_003_000 + 5_001))
    assert len(dos) == len(records) > 0
    assert set(dos["chrom"]) == {"chr22"}  # named like the gene table
    for rec, (_, row) in zip(records, dos.iterrows(), strict=True):
        assert row["pos"] == rec.pos - 1 and row["variant_id"] == rec.id
        for s in inds:
            assert row[s] == sum(a > 0 for a in rec.samples[s]["GT"])
