"""read_variants: records in a window, skipped alleles counted, REF check, unphased policies."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pysam
import pytest

from pexbench.contigs import ContigError
from pexbench.errors import InputError, VariantError
from pexbench.genome import Reference
from pexbench.variants import random_phase_swaps, read_variants, vcf_samples

SEQ = "ACGTTGCAAGCTAGCTTACGGATCCATGCAAGTCGATCGGCTAAGCTTGCAT"


def _case(
    tmp: Path,
    lines: Sequence[str],
    samples: Sequence[str] = ("A", "B"),
    contig: str = "chr1",
    index: bool = True,
) -> tuple[Path, Path]:
    tmp.mkdir(parents=True, exist_ok=True)
    fasta = tmp / "ref.fa"
    fasta.write_text(">chr1\n" + SEQ + "\n")
    pysam.faidx(str(fasta))
    head = [
        "##fileformat=VCFv4.2",
        f"##contig=<ID={contig},length={len(SEQ)}>",
        '##ALT=<ID=DEL,Description="Deletion">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(samples),
    ]
    plain = tmp / "v.vcf"
    plain.write_text("\n".join(head + [line.replace(" ", "\t") for line in lines]) + "\n")
    vcf = tmp / "v.vcf.gz"
    pysam.tabix_compress(str(plain), str(vcf), force=True)
    if index:
        pysam.tabix_index(str(vcf), preset="vcf", force=True)
    return fasta, vcf


LINES = [
    "chr1 3 rs1 GTTGC G . . . GT 0|1 1|1",  # deletion starting upstream of the window
    "chr1 6 . G A,T . . . GT:DP 2|1:7 .|1:3",  # multi-allelic, half-missing
    "chr1 8 . A * . . . GT 0|1 1|1",  # star only: skipped
    "chr1 9 . A <DEL> . . . GT 0|1 1|1",  # symbolic only: skipped
    "chr1 10 . G C,<DEL> . . . GT 1|2 ./.",  # mixed: <DEL> calls become missing
    "chr1 12 . T TA . . . GT 1 0",  # haploid calls
    "chr1 20 . G C . . . GT 0|0 0|1",  # outside [5, 15)
]


def test_window_records_counts_and_genotypes(tmp_path: Path) -> None:
    fasta, vcf = _case(tmp_path, LINES)
    block = read_variants(vcf, "chr1", 4, 15, reference=Reference(fasta))
    assert block.chrom == "chr1"
    assert block.pos.tolist() == [2, 5, 9, 11]
    assert block.ref == ["GTTGC", "G", "G", "T"]
    assert block.alts == [("G",), ("A", "T"), ("C", "<DEL>"), ("TA",)]
    assert block.ids == ["rs1", "chr1:6:G:A,T", "chr1:10:G:C,<DEL>", "chr1:12:T:TA"]
    assert block.samples == ["A", "B"]
    assert block.genotypes.dtype == np.int16
    assert block.genotypes.tolist() == [
        [[0, 1], [1, 1]],
        [[2, 1], [-1, 1]],
        [[1, -1], [-1, -1]],
        [[1, -1], [0, -1]],
    ]
    assert block.counts["records"] == 4
    assert block.counts["skipped_star"] == 1
    assert block.counts["skipped_symbolic"] == 1
    assert block.counts["unusable_allele_calls"] == 1
    assert block.counts["haploid_calls"] == 2
    assert block.counts["missing_alleles"] == 4  # .|1 (1), ./. (2), <DEL> call (1)
    dos = block.dosages()
    assert dos[0].tolist() == [1.0, 2.0]
    assert np.isnan(dos[1, 1]) and dos[1, 0] == 2.0
    assert np.isnan(dos[3]).all()  # haploid: second allele absent
    assert block.phased[:2].all()
    np.testing.assert_array_equal(block.ends(), [7, 6, 10, 12])


def test_sample_selection_and_order(tmp_path: Path) -> None:
    _, vcf = _case(tmp_path, LINES)
    assert vcf_samples(vcf) == ["A", "B"]
    both = read_variants(vcf, "chr1", 0, 52)
    rev = read_variants(vcf, "chr1", 0, 52, samples=["B", "A"])
    assert rev.samples == ["B", "A"]
    np.testing.assert_array_equal(rev.genotypes, both.genotypes[:, ::-1])
    with pytest.raises(InputError, match=r"1 sample\(s\) not in VCF .*v.vcf.gz: NOPE"):
        read_variants(vcf, "chr1", 0, 52, samples=["A", "NOPE"])


def test_ref_mismatch_names_the_site(tmp_path: Path) -> None:
    fasta, vcf = _case(tmp_path, ["chr1 5 . C T . . . GT 0|1 1|1"])
    with pytest.raises(VariantError) as err:
        read_variants(vcf, "chr1", 0, 52, reference=Reference(fasta))
    msg = str(err.value)
    assert "chr1:5" in msg and "'C'" in msg and "'T'" in msg  # VCF REF C, FASTA T
    assert "v.vcf.gz" in msg and "bcftools norm" in msg and "same build" in msg


def test_malformed_line_names_file_and_line(tmp_path: Path) -> None:
    lines = [
        "chr1 2 . C G . . . GT 0|1 1|1",
        "chr1 5 . T G . . . GT 0|1",
        "chr1 9 . A T . . . GT 0|1 0|0",
    ]
    _, vcf = _case(tmp_path, lines)
    with pytest.raises(InputError, match=r"malformed VCF .*v\.vcf\.gz, line 8"):
        read_variants(vcf, "chr1", 0, 52)


def test_unmatched_contig_and_missing_index(tmp_path: Path) -> None:
    fasta, vcf = _case(tmp_path, ["chr2 5 . T G . . . GT 0|1 1|1"], contig="chr2")
    with pytest.raises(ContigError, match=r"'chr1'.*no counterpart"):
        read_variants(vcf, "chr1", 0, 52)
    with pytest.raises(ContigError, match="'chr2'"):
        read_variants(vcf, "chr2", 0, 52, reference=Reference(fasta))
    _, noidx = _case(tmp_path / "x", ["chr1 5 . T G . . . GT 0|1 1|1"], index=False)
    with pytest.raises(InputError, match="no index"):
        read_variants(noidx, "chr1", 0, 52)
    with pytest.raises(InputError, match="unknown unphased policy"):
        read_variants(noidx, "chr1", 0, 52, unphased="guess")


def test_contig_names_harmonised(tmp_path: Path) -> None:
    fasta, vcf = _case(tmp_path, ["1 5 . T G . . . GT 0|1 1|1"], contig="1")
    block = read_variants(vcf, "chr1", 0, 52, reference=Reference(fasta))
    assert block.chrom == "chr1" and len(block) == 1


def test_unphased_policies(tmp_path: Path) -> None:
    lines = [
        "chr1 5 . T G . . . GT 0/1 1/1",  # A het unphased; B hom unphased
        "chr1 9 . A T . . . GT 1/0 0|1",
        "chr1 13 . A C . . . GT 0/. 0/0",  # half-missing unphased counts as heterozygous
    ]
    fasta, vcf = _case(tmp_path, lines)
    with pytest.raises(VariantError, match=r"chr1:5 for sample A.*3 such calls"):
        read_variants(vcf, "chr1", 0, 52)
    kept = read_variants(vcf, "chr1", 0, 52, unphased="as_phased")
    assert kept.genotypes[:, 0].tolist() == [[0, 1], [1, 0], [0, -1]]
    assert kept.counts["unphased_heterozygous"] == 3
    assert kept.counts["unphased_homozygous"] == 2
    assert not kept.phased[0, 0] and kept.phased[1, 1]
    ref = Reference(fasta)
    for seed in range(6):
        rnd = read_variants(vcf, "chr1", 0, 52, reference=ref, unphased="random", seed=seed)
        again = read_variants(vcf, "chr1", 0, 52, reference=ref, unphased="random", seed=seed)
        np.testing.assert_array_equal(rnd.genotypes, again.genotypes)
        for i, (pos, r, a) in enumerate([(4, "T", "G"), (8, "A", "T"), (12, "A", "C")]):
            swap = random_phase_swaps(seed, "chr1", pos, r, [a], ["A", "B"])[0]
            expected = kept.genotypes[i, 0][::-1] if swap else kept.genotypes[i, 0]
            assert rnd.genotypes[i, 0].tolist() == expected.tolist()
        assert rnd.genotypes[:, 1].tolist() == kept.genotypes[:, 1].tolist()  # B unchanged
        # a narrower window gives the same phase for the same site
        sub = read_variants(vcf, "chr1", 8, 10, samples=["A"], unphased="random", seed=seed)
        assert sub.genotypes[0, 0].tolist() == rnd.genotypes[1, 0].tolist()
