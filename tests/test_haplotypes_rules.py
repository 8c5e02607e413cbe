"""bcftools consensus rules, one small hand-made VCF + FASTA per rule.

Oracle: pysam's bundled `bcftools consensus -H h -s S` on `samtools faidx` region output wherever
bcftools accepts the input; a hand-written expected sequence where it does not (symbolic and `*`
alleles, which the engine skips and counts, and unphased policies other than file order).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pysam
import pysam.bcftools
import pytest
from vcfcase import GT_HEADER, write_fasta_vcf

from pexbench.encoding import decode
from pexbench.errors import VariantError
from pexbench.genome import Reference
from pexbench.haplotypes import (
    AnchoredBuilder,
    build_region,
    haplotypes_for_gene,
    haplotypes_for_region,
    load_shard,
    save_shard,
    variant_type,
)
from pexbench.variants import random_phase_swaps

#          1234567890123456789012345678901234567890123456789012
REF_SEQ = "ACGTTGCAAGCTAGCTTACGGATCCATGCAAGTCGATCGGCTAAGCTTGCAT"

Record = tuple[int, str, str, Sequence[str]]  # POS (1-based), REF, ALT, one GT per sample


def write_case(
    tmp: Path,
    records: Sequence[Record],
    samples: Sequence[str] = ("S",),
    ref_seq: str = REF_SEQ,
    name: str = "case",
) -> tuple[Path, Path]:
    """FASTA (contig chr1, faidx-indexed) and bgzipped, tabix-indexed VCF."""
    body = []
    for pos, ref, alt, gts in records:
        info = "."
        if alt.startswith("<"):
            info = f"SVTYPE={alt[1:-1]};END={pos + len(ref) + 3}"
        body.append("\t".join(["chr1", str(pos), ".", ref, alt, ".", ".", info, "GT", *gts]))
    meta = [
        '##ALT=<ID=DEL,Description="Deletion">',
        '##ALT=<ID=CN0,Description="Copy number 0">',
        '##INFO=<ID=END,Number=1,Type=Integer,Description="End">',
        '##INFO=<ID=SVTYPE,Number=1,Type=String,Description="SV type">',
        GT_HEADER,
    ]
    return write_fasta_vcf(
        tmp, ref_seq, body, samples, meta=meta, fasta_name=f"{name}.fa", vcf_name=f"{name}.vcf"
    )


def bcftools(fasta: Path, vcf: Path, start1: int, end1: int, sample: str, hap: int) -> str:
    region = f"chr1:{start1}-{end1}"
    out = fasta.parent / "region.fa"
    pysam.faidx(str(fasta), region, "-o", str(out))
    text = pysam.bcftools.consensus("-H", str(hap), "-s", sample, "-f", str(out), str(vcf))
    return "".join(text.splitlines()[1:]).upper()


def engine(
    fasta: Path, vcf: Path, start1: int, end1: int, sample: str, hap: int, **kw: object
) -> str:
    reference = Reference(fasta)
    gh = haplotypes_for_region(vcf, reference, "chr1", start1 - 1, end1, **kw)  # type: ignore[arg-type]
    return decode(build_region(reference, gh, gh.haplotype(sample, hap)))


def assert_parity(
    tmp: Path,
    records: Sequence[Record],
    regions: Sequence[tuple[int, int]] = ((1, len(REF_SEQ)),),
    ref_seq: str = REF_SEQ,
    expected: dict[tuple[int, int, int], str] | None = None,
) -> None:
    """Engine == bcftools for every haplotype and region; and == `expected` where given."""
    fasta, vcf = write_case(tmp, records, ref_seq=ref_seq)
    for start1, end1 in regions:
        for hap in (1, 2):
            theirs = bcftools(fasta, vcf, start1, end1, "S", hap)
            mine = engine(fasta, vcf, start1, end1, "S", hap)
            assert mine == theirs, (start1, end1, hap, records)
            if expected and (start1, end1, hap) in expected:
                assert mine == expected[(start1, end1, hap)]


def test_variant_type_matches_htslib_classes() -> None:
    assert variant_type("C", "T") == (False, 1)
    assert variant_type("C", "CAA") == (True, 2)
    assert variant_type("CAG", "C") == (True, -2)
    assert variant_type("AC", "GT") == (False, 2)  # MNP
    assert variant_type("ACG", "AT")[0] is False  # complex: no overlap exception
    assert variant_type("C", "C") == (False, 0)


def test_overlapping_deletions_first_applied_wins(tmp_path: Path) -> None:
    records = [(5, "TGCA", "T", ["1|0"]), (6, "GCAAG", "G", ["1|1"]), (8, "A", "G", ["1|1"])]
    #  hap 1: the first deletion wins, the second and the SNV inside it are skipped
    #  hap 2: REF at the first record does not block: the second deletion applies
    expected = {
        (1, 52, 1): REF_SEQ[:5] + REF_SEQ[8:],
        (1, 52, 2): REF_SEQ[:6] + REF_SEQ[10:],
    }
    assert_parity(tmp_path, records, expected=expected)


def test_indel_anchored_on_last_base_of_deletion(tmp_path: Path) -> None:
    # deletion TGC>T covers bases 5-7; an insertion anchored on base 7 still applies
    records = [(5, "TGC", "T", ["1|1"]), (7, "C", "CTTT", ["1|0"]), (8, "A", "G", ["0|1"])]
    expected = {(1, 52, 1): REF_SEQ[:5] + "TTT" + REF_SEQ[7:]}
    assert_parity(tmp_path, records, expected=expected)
    # a deletion anchored on that base applies as well; an SNV there does not
    records = [(5, "TGC", "T", ["1|1"]), (7, "CA", "C", ["1|0"]), (7, "C", "G", ["0|1"])]
    expected = {(1, 52, 1): REF_SEQ[:5] + REF_SEQ[8:], (1, 52, 2): REF_SEQ[:5] + REF_SEQ[7:]}
    assert_parity(tmp_path / "b", records, expected=expected)


def test_indel_after_insertion_at_same_base_is_skipped(tmp_path: Path) -> None:
    records = [(7, "C", "CAA", ["1|1"]), (7, "C", "CGG", ["1|0"]), (7, "CA", "C", ["0|1"])]
    expected = {(1, 52, 1): REF_SEQ[:7] + "AA" + REF_SEQ[7:]}
    assert_parity(tmp_path, records, expected=expected)


def test_snv_and_insertion_at_one_position_keep_the_snv_base(tmp_path: Path) -> None:
    records = [(7, "C", "T", ["1|1"]), (7, "C", "CAA", ["1|0"])]
    expected = {
        (1, 52, 1): REF_SEQ[:6] + "TAA" + REF_SEQ[7:],
        (1, 52, 2): REF_SEQ[:6] + "T" + REF_SEQ[7:],
    }
    assert_parity(tmp_path, records, expected=expected)


def test_soft_masked_reference_case_rule(tmp_path: Path) -> None:
    """bcftools writes an insertion in the case of its anchor base; lower case changes the rule."""
    lower = REF_SEQ[:3] + REF_SEQ[3:12].lower() + REF_SEQ[12:]
    for n, records in enumerate(
        [
            [(7, "C", "T", ["1|1"]), (7, "C", "CAA", ["1|0"])],
            [(5, "TGC", "T", ["1|1"]), (7, "C", "CAA", ["1|1"])],
            [(5, "T", "A", ["1|1"]), (5, "TGC", "T", ["1|1"]), (7, "C", "CAA", ["1|0"])],
        ]
    ):
        assert_parity(tmp_path / str(n), records, ref_seq=lower)


def test_deletion_crossing_window_start_and_end(tmp_path: Path) -> None:
    records = [(3, "GTTGC", "G", ["1|1"]), (7, "C", "CTTT", ["1|0"]), (18, "ACGGA", "A", ["1|1"])]
    expected = {
        (5, 52, 2): REF_SEQ[7:18]
        + REF_SEQ[22:],  # bases 5-7 of the deletion are trimmed off the output start
        (1, 20, 2): REF_SEQ[:3] + REF_SEQ[7:18],  # output ends early: 19-20 deleted
    }
    assert_parity(
        tmp_path, records, regions=[(5, 52), (1, 20), (4, 19), (8, 40)], expected=expected
    )


def test_indel_on_last_window_base_after_deletion_cut_at_window_end(tmp_path: Path) -> None:
    """bcftools cuts a deletion at the window end first, so it covers up to the last window
    base only: an insertion anchored there is applied (it would be skipped inside the window)."""
    records = [(18, "ACGGA", "A", ["1|1"]), (20, "G", "GTT", ["1|0"])]
    expected = {(1, 20, 1): REF_SEQ[:18] + "TT", (1, 25, 1): REF_SEQ[:18] + REF_SEQ[22:25]}
    assert_parity(tmp_path, records, regions=[(1, 20), (1, 25), (1, 21)], expected=expected)


def test_mnp_and_complex_alleles_crossing_window_edges(tmp_path: Path) -> None:
    """REF and ALT lose the same leading bases at the window start. (Where that leaves no ALT
    base of an MNP/complex allele, bcftools 1.24 corrupts its heap; such windows are avoided.)"""
    records = [(3, "GTT", "CA", ["1|0"]), (19, "CGG", "TTTAA", ["1|1"]), (30, "AAG", "T", ["0|1"])]
    assert_parity(tmp_path, records, regions=[(4, 20), (4, 31), (1, 52), (20, 40), (21, 31)])


def test_missing_alleles_keep_the_reference(tmp_path: Path) -> None:
    records = [(5, "T", "A", ["./."]), (6, "G", "T", [".|1"]), (8, "A", "ATT", ["1|."])]
    expected = {
        (1, 52, 1): REF_SEQ[:7] + "ATT" + REF_SEQ[8:],
        (1, 52, 2): REF_SEQ[:5] + "T" + REF_SEQ[6:],
    }
    assert_parity(tmp_path, records, expected=expected)


def test_multiallelic_records(tmp_path: Path) -> None:
    records = [(5, "T", "A,C", ["2|1"]), (9, "A", "AGG,G", ["1|2"]), (12, "T", "C,G,TA", ["0|3"])]
    expected = {
        (1, 52, 1): REF_SEQ[:4] + "C" + REF_SEQ[5:8] + "AGG" + REF_SEQ[9:],
        (1, 52, 2): REF_SEQ[:4] + "A" + REF_SEQ[5:8] + "G" + REF_SEQ[9:11] + "TA" + REF_SEQ[12:],
    }
    assert_parity(tmp_path, records, expected=expected)


def _safe_start(records: Sequence[Record], start: int) -> int:
    """Move a window start until no MNP/complex allele crossing it loses all its ALT bases
    (bcftools 1.24 corrupts its heap on those; the engine trims REF and ALT alike)."""
    while any(
        pos < start < pos + len(ref)
        and len(alt) <= start - pos
        and not (len(alt) == 1 and alt[0] == ref[0])
        for pos, ref, alt, _ in records
    ):
        start += 1
    return start


def test_randomised_against_bcftools(tmp_path: Path) -> None:
    """Random overlapping SNVs, MNPs, insertions, deletions and complex alleles."""
    rng = np.random.default_rng(7)
    ref_seq = "".join(rng.choice(list("ACGT"), size=120))
    bases = np.array(list("ACGT"))
    for case in range(60):
        records: list[Record] = []
        for pos in np.sort(rng.choice(np.arange(1, 110), size=14, replace=True)):
            kind = rng.integers(0, 5)
            ref_len = 1 if kind in (0, 1) else int(rng.integers(2, 6))
            ref = ref_seq[pos - 1 : pos - 1 + ref_len]
            if kind == 0:
                alt = str(rng.choice([b for b in "ACGT" if b != ref]))
            elif kind == 1:
                alt = ref + "".join(rng.choice(bases, size=int(rng.integers(1, 4))))
            elif kind == 2:
                alt = ref[0]
            elif kind == 3:
                alt = "".join(rng.choice(bases, size=ref_len))
            else:
                alt = "".join(rng.choice(bases, size=int(rng.integers(1, 7))))
            if alt == ref:
                continue
            gt = "|".join(str(x) for x in rng.choice([0, 1, 1, "."], size=2))
            records.append((int(pos), ref, alt, [gt]))
        start = _safe_start(records, int(rng.integers(1, 40)))
        end = int(rng.integers(start + 10, 121))
        if records and case % 2:  # end the window inside a record's REF span
            pos, ref, _, _ = records[int(rng.integers(len(records)))]
            end = max(pos + len(ref) - 2, start + 1)
        assert_parity(
            tmp_path / str(case), records, regions=[(start, end), (1, 120)], ref_seq=ref_seq
        )


def test_star_allele_skipped_and_counted(tmp_path: Path) -> None:
    records = [(5, "TGC", "T", ["0|1"]), (6, "G", "*", ["0|1"]), (9, "A", "G,*", ["2|1"])]
    fasta, vcf = write_case(tmp_path, records)
    reference = Reference(fasta)
    gh = haplotypes_for_region(vcf, reference, "chr1", 0, 52)
    assert gh.counts["skipped_star"] == 1
    assert gh.counts["unusable_allele_calls"] == 1
    assert decode(build_region(reference, gh, gh.haplotype("S", 1))) == REF_SEQ
    assert decode(build_region(reference, gh, gh.haplotype("S", 2))) == (
        REF_SEQ[:5] + REF_SEQ[7:8] + "G" + REF_SEQ[9:]
    )


def test_symbolic_alleles_skipped_and_counted(tmp_path: Path) -> None:
    records = [(3, "G", "<DEL>", ["1|1"]), (10, "G", "<CN0>", ["1|0"]), (20, "G", "T", ["1|1"])]
    fasta, vcf = write_case(tmp_path, records)
    reference = Reference(fasta)
    gh = haplotypes_for_region(vcf, reference, "chr1", 0, 52)
    assert gh.counts["skipped_symbolic"] == 2
    expected = REF_SEQ[:19] + "T" + REF_SEQ[20:]
    for hap in (1, 2):
        assert decode(build_region(reference, gh, gh.haplotype("S", hap))) == expected
    # bcftools itself refuses <CN0>; with symbolic records excluded as it advises, it agrees
    with pytest.raises(pysam.utils.SamtoolsError):
        bcftools(fasta, vcf, 1, 52, "S", 1)
    region = tmp_path / "all.fa"
    pysam.faidx(str(fasta), "chr1:1-52", "-o", str(region))
    out = pysam.bcftools.consensus(
        "-H", "1", "-s", "S", "-e", 'ALT~"<.*>"', "-f", str(region), str(vcf)
    )
    assert "".join(out.splitlines()[1:]).upper() == expected


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
            coin = random_phase_swaps(seed, "chr1", pos - 1, ref, [alt], ["U", "P"])
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


def test_random_policy_swaps_about_half() -> None:
    samples = [f"S{i}" for i in range(2000)]
    coins = random_phase_swaps(0, "chr1", 12345, "A", ["G"], samples)
    assert 900 < coins.sum() < 1100
    assert (coins == random_phase_swaps(0, "chr1", 12345, "A", ["G"], samples)).all()
    assert (coins != random_phase_swaps(1, "chr1", 12345, "A", ["G"], samples)).any()


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
