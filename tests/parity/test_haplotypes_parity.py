"""Parity of the haplotype engine with `bcftools consensus` on real phased 1000 Genomes data.

Data: the phased 1000 Genomes phase 1 VCF of chr22:50.3-51.0 Mb (5 individuals, 407 indels) and
`chr22.synthetic_background.fa.gz`, a synthetic reference: random background sequence with every
real REF allele of the VCF written at its true GRCh37 position (no real hg19 sequence is available
offline). The REF alleles, positions and indels are real, so bcftools applies every record, and
the test compares sequence building, not biology.

Oracle: pysam's bundled bcftools (`samtools faidx REGION | bcftools consensus -H h -s S`), run on
the same normalised VCF as the engine (contigs renamed `22` -> `chr22`, then
`bcftools norm -f FASTA -m -any`, like the workflow). Every individual x haplotype x 56 regions
of 10-200 kb (seeded random, plus regions that start or end inside deletions) must be
byte-identical up to case.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pysam
import pysam.bcftools
import pytest
from realdata import FASTA, PHASED, rename_chr22
from realdata import normalise as normalise_vcf

from pexbench.encoding import decode
from pexbench.genome import Reference
from pexbench.haplotypes import build_region, haplotypes_for_region
from pexbench.variants import read_variants

SPAN = (50_300_078, 50_999_964)  # 1-based inclusive, the VCF's extent


def _regions(vcf: Path, reference: Reference) -> list[tuple[int, int]]:
    """0-based half-open regions: 40 seeded random ones and 16 that cut through deletions."""
    rng = np.random.default_rng(20230601)
    regions = []
    for _ in range(40):
        size = int(rng.integers(10_000, 200_001))
        start = int(rng.integers(SPAN[0] - 2_000, SPAN[1] - size + 2_000))
        regions.append((start, start + size))
    block = read_variants(vcf, "chr22", SPAN[0] - 1, SPAN[1], reference=reference)
    carried = (block.genotypes > 0).any(axis=(1, 2))
    ref_len = np.array([len(r) for r in block.ref])
    alt_len = np.array([len(a[0]) for a in block.alts])
    dels = np.flatnonzero(carried & (ref_len > alt_len) & (ref_len >= 2))
    assert dels.size >= 16, "the phased VCF should carry many deletions"
    picks = rng.choice(dels, size=16, replace=False)
    for n, i in enumerate(picks):
        inside = int(block.pos[i]) + 1 + int(rng.integers(0, ref_len[i] - 1))  # a deleted base
        size = int(rng.integers(10_000, 200_001))
        if n % 2 == 0:
            regions.append((inside, inside + size))  # starts inside the deletion
        else:
            regions.append((inside + 1 - size, inside + 1))  # ends inside the deletion
    return regions


def _bcftools(fasta: Path, vcf: Path, region: str, sample: str, hap: int, tmp: Path) -> str:
    region_fa = tmp / "region.fa"
    pysam.faidx(str(fasta), region, "-o", str(region_fa))
    out = pysam.bcftools.consensus("-H", str(hap), "-s", sample, "-f", str(region_fa), str(vcf))
    lines = out.splitlines()
    assert lines[0] == f">{region}"
    return "".join(lines[1:]).upper()


def test_parity_with_bcftools_consensus(
    shared_data: Path, phased_normalised: Path, tmp_path: Path
) -> None:
    fasta = shared_data / FASTA
    reference = Reference(fasta)
    regions = _regions(phased_normalised, reference)
    assert len(regions) >= 50
    compared = differing = 0
    n_indel_applied = 0
    for start, end in regions:
        gh = haplotypes_for_region(phased_normalised, reference, "chr22", start, end)
        assert len(gh.individuals) == 5
        region = f"chr22:{start + 1}-{end}"
        for sample in gh.individuals:
            for hap in (1, 2):
                applied = gh.haplotype(sample, hap)
                n_indel_applied += sum(
                    len(gh.allele_ref[a]) != len(gh.allele_alt[a]) for a in applied
                )
                mine = decode(build_region(reference, gh, applied))
                theirs = _bcftools(fasta, phased_normalised, region, sample, hap, tmp_path)
                compared += 1
                if mine != theirs:
                    differing += 1
                    first = next(
                        (i for i, (a, b) in enumerate(zip(mine, theirs, strict=False)) if a != b),
                        min(len(mine), len(theirs)),
                    )
                    pytest.fail(
                        f"{region} {sample} -H {hap}: lengths {len(mine)} vs {len(theirs)}, "
                        f"first difference at offset {first}: "
                        f"{mine[first - 5 : first + 10]} vs {theirs[first - 5 : first + 10]}"
                    )
    assert compared >= 500 and differing == 0
    assert n_indel_applied > 100  # the comparison really exercised indels


def test_contig_names_are_harmonised(shared_data: Path, phased_normalised: Path) -> None:
    """The raw VCF says `22`, the FASTA `chr22`: reading either name gives the same records."""
    reference = Reference(shared_data / FASTA)
    a = read_variants(shared_data / PHASED, "chr22", 50_500_000, 50_520_000, reference=reference)
    b = read_variants(shared_data / PHASED, "22", 50_500_000, 50_520_000, reference=reference)
    assert a.chrom == b.chrom == "chr22"
    assert len(a) == len(b) > 0
    np.testing.assert_array_equal(a.genotypes, b.genotypes)


EXOME = "genotypes/hapmap_exome.chr22.unphased.vcf.gz"


@pytest.mark.parametrize("normalise", [False, True])
def test_parity_on_edge_case_exome_vcf(shared_data: Path, tmp_path: Path, normalise: bool) -> None:
    """GATK exome calls after 49 Mb: multi-allelic records (raw or split), long deletions,
    unphased calls (policy `as_phased` = bcftools' `-H` "regardless of phasing"), sample names
    with an `@` suffix, non-PASS filters. All 22 individuals x 2 haplotypes x 2 regions."""
    fasta = shared_data / FASTA
    vcf = rename_chr22(shared_data / EXOME, tmp_path / "renamed.vcf.gz")
    if normalise:  # only the part after 49 Mb: the synthetic reference is N before it
        region = "chr22:49000001-51304566"
        vcf = normalise_vcf(vcf, fasta, tmp_path / "norm.vcf.gz", region=region)
    reference = Reference(fasta)
    multi = 0
    for start, end in [(49_500_000, 50_500_000), (50_454_940, 51_200_000)]:
        gh = haplotypes_for_region(vcf, reference, "chr22", start, end, unphased="as_phased")
        assert len(gh.individuals) == 22
        multi += sum("/" in i for i in gh.allele_id)
        for sample in gh.individuals:
            for hap in (1, 2):
                mine = decode(build_region(reference, gh, gh.haplotype(sample, hap)))
                region = f"chr22:{start + 1}-{end}"
                assert mine == _bcftools(fasta, vcf, region, sample, hap, tmp_path), (
                    region,
                    sample,
                    hap,
                )
    assert (multi > 0) != normalise  # multi-allelic records were really exercised raw


REAL_FASTA = "reference/chr22.GRCh37.real_16.05-22Mb.fa.gz"  # UCSC hg19, soft-masked
REAL_PHASED = "genotypes/1kg_phase1.chr22_16.05-22.0Mb.geuvadis423.phased.vcf.gz"  # contig 22


def test_parity_on_real_softmasked_reference(shared_data: Path, tmp_path: Path) -> None:
    """Real hg19 sequence (soft-masked) and the real phased 423-individual VCF: 30 seeded
    regions x 4 individuals x both haplotypes, equal to bcftools 1.24 byte for byte, the
    reference's lower case included (`pexbench haplotype` writes `region_text`)."""
    from pexbench.haplotypes.layout import region_text

    fasta, vcf_in = shared_data / REAL_FASTA, shared_data / REAL_PHASED
    if not (fasta.is_file() and vcf_in.is_file()):
        pytest.skip("real chr22 reference or phased VCF absent")
    renamed = rename_chr22(vcf_in, tmp_path / "renamed.vcf.gz")
    vcf = normalise_vcf(renamed, fasta, tmp_path / "norm.vcf.gz")
    reference = Reference(fasta)
    samples = list(pysam.VariantFile(str(vcf)).header.samples)
    rng = np.random.default_rng(20261202)
    compared = lower = indels = 0
    for _ in range(30):
        size = int(rng.integers(10_000, 100_001))
        start = int(rng.integers(16_050_000, 22_000_000 - size))
        chosen = [samples[i] for i in rng.choice(len(samples), size=4, replace=False)]
        gh = haplotypes_for_region(vcf, reference, "chr22", start, start + size, chosen)
        region = f"chr22:{start + 1}-{start + size}"
        region_fa = tmp_path / "region.fa"
        pysam.faidx(str(fasta), region, "-o", str(region_fa))
        for sample in chosen:
            for hap in (1, 2):
                applied = gh.haplotype(sample, hap)
                indels += sum(len(gh.allele_ref[a]) != len(gh.allele_alt[a]) for a in applied)
                mine = region_text(reference, gh, applied)
                out = pysam.bcftools.consensus(
                    "-H", str(hap), "-s", sample, "-f", str(region_fa), str(vcf)
                )
                theirs = "".join(out.splitlines()[1:])
                assert mine == theirs, (region, sample, hap)
                compared += 1
                lower += sum(c.islower() for c in mine[:2000])
    assert compared == 240 and lower > 0 and indels > 0
