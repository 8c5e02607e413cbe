"""Symbolic deletions (`<DEL>`) as `bcftools consensus` 1.24 applies them.

bcftools deletes reference bases POS+1..END of a `<DEL>` allele (END from INFO/END; without it
the REF span) and keeps the base at POS. pexbench rewrites such a record into sequence alleles
before the overlap rules run: REF becomes the FASTA's bases POS..END, the `<DEL>` allele REF's
first base, and every other sequence ALT of the record is extended by the same reference
suffix (the same change, written over the longer REF). Other symbolic alleles stay unusable
(`pexbench.variants` skips and counts them).
"""

from __future__ import annotations

import re
from collections.abc import Callable

DEL = "<DEL>"
_END = re.compile(r"(?:^|;)END=([0-9]+)(?:;|$)")


def info_end(info: str) -> int | None:
    """INFO/END (1-based, inclusive) of a VCF INFO column, or None when absent."""
    hit = _END.search(info)
    return int(hit.group(1)) if hit else None


def deletion_end(pos0: int, ref: str, end: int | None) -> int:
    """0-based exclusive end of the reference span a `<DEL>` at `pos0` deletes up to."""
    return max(int(end) if end is not None else pos0 + len(ref), pos0 + len(ref))


def expand_deletion(
    pos0: int,
    ref: str,
    alts: tuple[str, ...],
    end: int | None,
    fetch: Callable[[int, int], str],
) -> tuple[str, tuple[str, ...]]:
    """(REF, ALTs) of a record holding `<DEL>`, rewritten as sequence alleles (module doc).

    `fetch(start, stop)` returns the FASTA's bases [start, stop) (0-based); `end` is INFO/END.
    """
    stop = deletion_end(pos0, ref, end)
    suffix = fetch(pos0 + len(ref), stop).upper() if stop > pos0 + len(ref) else ""
    new_ref = ref + suffix
    out = tuple(ref[:1] if a == DEL else (a + suffix if a.isalpha() else a) for a in alts)
    return new_ref, out
