"""pexbench.symbolic: `<DEL>` rewritten into sequence alleles (hand-computed values)."""

from __future__ import annotations

from pexbench.symbolic import deletion_end, expand_deletion, info_end

SEQ = "ACGTACGTAC"  # 0-based positions 0..9


def _fetch(a: int, b: int) -> str:
    return SEQ[a:b].lower()  # soft-masked: the rewrite upper-cases


def test_info_end() -> None:
    assert info_end("SVTYPE=DEL;END=210") == 210
    assert info_end("END=5") == 5
    assert info_end("MinDP=10;XEND=7") is None
    assert info_end(".") is None


def test_deletion_end_uses_end_or_ref_span() -> None:
    assert deletion_end(1, "C", 6) == 6  # POS 2, END 6: deletes POS+1..END = 3..6
    assert deletion_end(1, "CGT", None) == 4  # no END: REF span
    assert deletion_end(1, "CGT", 2) == 4  # END inside REF: never shorter than REF


def test_expand_deletion() -> None:
    # POS 2 (C), END 6: REF becomes CGTAC (bases 2..6), <DEL> keeps C, the SNV C>T is extended
    ref, alts = expand_deletion(1, "C", ("<DEL>", "T", "*"), 6, _fetch)
    assert ref == "CGTAC"
    assert alts == ("C", "TGTAC", "*")
    ref, alts = expand_deletion(1, "CGT", ("<DEL>",), None, _fetch)
    assert (ref, alts) == ("CGT", ("C",))
