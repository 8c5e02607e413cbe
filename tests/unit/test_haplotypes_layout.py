"""Layout of one haplotype (pexbench.haplotypes.layout): bcftools' shared-base, soft-mask and
window-edge details, each compared with pysam's bundled `bcftools consensus` on a small case."""

from __future__ import annotations

from pathlib import Path

from vcfcase import REF_SEQ, assert_parity


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
