"""bcftools consensus overlap rules (pexbench.haplotypes.alleles), one small hand-made VCF +
FASTA per rule.

Oracle: pysam's bundled `bcftools consensus -H h -s S` on `samtools faidx` region output wherever
bcftools accepts the input; a hand-written expected sequence where it does not (symbolic and `*`
alleles, which the engine skips and counts); for `select_alleles` on random records, the rules
applied record by record in pure Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pysam
import pysam.bcftools
import pytest
from vcfcase import REF_SEQ, Record, assert_parity, bcftools, random_alt, write_case

from pexbench.encoding import decode
from pexbench.genome import Reference
from pexbench.haplotypes import (
    AlleleTable,
    allele_table,
    build_region,
    haplotypes_for_region,
    select_alleles,
    variant_type,
)
from pexbench.variants import VariantBlock


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
    records = [(3, "G", "<INV>", ["1|1"]), (10, "G", "<CN0>", ["1|0"]), (20, "G", "T", ["1|1"])]
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


def _rules_oracle(
    pos: Sequence[int], ref: Sequence[str], alt: Sequence[str], calls: Sequence[int], end: int
) -> list[int]:
    """bcftools' overlap rules for one haplotype, record by record (pure Python).

    `calls[i]` is 1 when the haplotype carries record i's ALT. Returns the applied records.
    """
    applied: list[int] = []
    frz, prev_ins = -(10**9), False
    for i, (p, r, a) in enumerate(zip(pos, ref, alt, strict=True)):
        if not calls[i]:
            continue
        is_indel, n = variant_type(r, a)
        exception = is_indel and n != 0 and r[0] == a[0]
        if p <= frz and not (p == frz and exception and not prev_ins):
            continue
        applied.append(i)
        frz = min(p + len(r), end) - 1
        prev_ins = len(a) > len(r)
    return applied


def test_clustered_selection_matches_sequential_rules() -> None:
    """select_alleles (overlap clusters, grouped patterns) == the rules applied per haplotype."""
    rng = np.random.default_rng(11)
    seq = "".join(rng.choice(list("ACGT"), size=400))
    for case in range(40):
        n_rec, n_smp = int(rng.integers(1, 60)), int(rng.integers(1, 30))
        pos = np.sort(rng.integers(0, 380, size=n_rec))
        refs, alts = [], []
        for p in pos:
            kind = int(rng.integers(0, 4))
            r = seq[p : p + (1 if kind < 2 else int(rng.integers(2, 8)))]
            a = random_alt(rng, r, kind, complex_below=6)
            refs.append(r)
            alts.append(a)
        gt = (rng.random((n_rec, n_smp, 2)) < rng.uniform(0.1, 0.9)).astype(np.int16)
        block = VariantBlock(
            chrom="chr1",
            pos=pos.astype(np.int64),
            ref=refs,
            alts=[(a,) for a in alts],
            ids=[str(i) for i in range(n_rec)],
            samples=[f"S{i}" for i in range(n_smp)],
            genotypes=gt,
            phased=np.ones((n_rec, n_smp), dtype=bool),
        )
        end = int(rng.integers(200, 401))
        index, apos, aref, aalt, _ = allele_table(block)
        table = AlleleTable.build(apos, aref, aalt)
        applied = select_alleles(block, index, table, end)
        for s in range(n_smp):
            for h in range(2):
                expected = _rules_oracle(pos.tolist(), refs, alts, gt[:, s, h].tolist(), end)
                assert np.flatnonzero(applied[2 * s + h]).tolist() == expected, (case, s, h)


def test_symbolic_deletion_applied_as_bcftools(tmp_path: Path) -> None:
    """<DEL> deletes POS+1..END (vcfcase: END = POS + len(REF) + 3), also when it crosses the
    window start or is followed by records inside it; equal to bcftools 1.24."""
    for k, gts in enumerate(["1|0", "0|1"]):
        records = [
            (5, "T", "<DEL>", [gts]),
            (7, "C", "T", ["1|1"]),  # inside the deletion: blocked where it is applied
            (20, "G", "<DEL>", [gts[::-1]]),
            (30, "A", "AT", ["1|1"]),
        ]
        assert_parity(tmp_path / str(k), records, regions=[(1, 52), (7, 40), (22, 52)])
    fasta, vcf = write_case(tmp_path / "n", records)
    gh = haplotypes_for_region(vcf, Reference(fasta), "chr1", 0, 52)
    assert gh.counts["symbolic_deletions"] == 2 and gh.counts["skipped_symbolic"] == 0
