"""Which ALT alleles each haplotype carries in a window: bcftools consensus' overlap rules.

Records are taken in file order; per haplotype the allele named by the GT (first or second) is
applied when:

- it is an ALT allele (REF and missing alleles apply nothing and do not block later records);
- its POS lies after the last reference base covered by the last applied allele (`frz`), or it
  is an indel whose first REF and ALT bases agree (htslib's variant typing, `variant_type`),
  with a non-zero length change, anchored exactly on that base, and the last applied allele was
  not an insertion (how the shared base is then written: `pexbench.haplotypes.layout`);
- an allele crossing the window end covers bases up to the last window base only (bcftools cuts
  it first), so an indel anchored on that base may follow it.

The allele table of a window lists every usable ALT allele of every record in it, in file order
(`<DEL>` arrives rewritten as a sequence deletion; other symbolic alleles and `*` are skipped,
`pexbench.variants` counts them); a haplotype is the
sorted array of the indices of its applied alleles. Identical haplotypes are stored once
(`dedup`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pexbench.encoding import Codes, encode
from pexbench.variants import VariantBlock

IntArray = npt.NDArray[np.int64]


def variant_type(ref: str, alt: str) -> tuple[bool, int]:
    """(is_indel, n) as htslib's bcf_set_variant_type computes them for one ALT allele."""
    ref_u, alt_u = ref.upper(), alt.upper()
    if alt == "*":
        return False, 0
    if len(ref) == 1 and len(alt) == 1:
        if alt in (".", "X") or ref_u == alt_u:
            return False, 0
        return False, 1
    i = 0
    while i < len(ref) and i < len(alt) and ref_u[i] == alt_u[i]:
        i += 1
    if i == len(ref) and i < len(alt):
        if alt[i] in "[]":
            return False, 0
        return True, len(alt) - len(ref)
    if i < len(ref) and i == len(alt):
        return True, len(alt) - len(ref)
    if i == len(ref) and i == len(alt):
        return False, 0
    r0 = a0 = i
    re_, ae = len(ref) - 1, len(alt) - 1
    while re_ > r0 and ae > a0 and ref_u[re_] == alt_u[ae]:
        re_ -= 1
        ae -= 1
    if ae == a0:
        if re_ == r0:
            return False, 1
        return ref_u[re_] == alt_u[ae], -(re_ - r0)
    if re_ == r0:
        return ref_u[re_] == alt_u[ae], ae - a0
    if re_ - r0 > ae - a0:
        return False, -(re_ - r0 + 1)
    return False, ae - a0 + 1


@dataclass
class AlleleTable:
    """Flat per-allele arrays derived from allele_pos / allele_ref / allele_alt."""

    pos: IntArray
    end: IntArray
    alt_codes: Codes
    alt_off: IntArray
    alt_len: IntArray
    is_ins: npt.NDArray[np.bool_]
    exception_ok: npt.NDArray[np.bool_]  # indel with shared first base and non-zero length change

    @classmethod
    def build(cls, pos: Sequence[int], ref: Sequence[str], alt: Sequence[str]) -> AlleleTable:
        n = len(ref)
        pos_a = np.asarray(pos, dtype=np.int64).reshape(n)
        ref_len = np.fromiter((len(r) for r in ref), np.int64, n)
        alt_len = np.fromiter((len(a) for a in alt), np.int64, n)
        alt_off = np.zeros(n, dtype=np.int64)
        if n:
            alt_off[1:] = np.cumsum(alt_len)[:-1]
        alt_codes = encode("".join(alt)) if n else np.zeros(0, dtype=np.uint8)
        exc = np.zeros(n, dtype=bool)
        for k, (r, a) in enumerate(zip(ref, alt, strict=True)):
            is_indel, var_n = variant_type(r, a)
            exc[k] = is_indel and var_n != 0 and r[:1] == a[:1]
        return cls(
            pos=pos_a,
            end=pos_a + ref_len,
            alt_codes=alt_codes,
            alt_off=alt_off,
            alt_len=alt_len,
            is_ins=alt_len > ref_len,
            exception_ok=exc,
        )


def allele_table(
    block: VariantBlock,
) -> tuple[npt.NDArray[np.int64], list[int], list[str], list[str], list[str]]:
    """(allele index per (record, allele number) with -1 for REF/unusable, pos, ref, alt, id)."""
    n_alt_max = max((len(a) for a in block.alts), default=0)
    index = np.full((len(block), n_alt_max + 1), -1, dtype=np.int64)
    pos: list[int] = []
    ref: list[str] = []
    alt: list[str] = []
    ids: list[str] = []
    for i, alts in enumerate(block.alts):
        for j, allele in enumerate(alts, start=1):
            if allele == "*" or not allele.isalpha():
                continue
            index[i, j] = len(alt)
            pos.append(int(block.pos[i]))
            ref.append(block.ref[i])
            alt.append(allele)
            ids.append(block.ids[i] if len(alts) == 1 else f"{block.ids[i]}/{allele}")
    return index, pos, ref, alt, ids


def select_alleles(
    block: VariantBlock, index: npt.NDArray[np.int64], table: AlleleTable, end: int
) -> npt.NDArray[np.bool_]:
    """bcftools' overlap rules for every haplotype at once, on a window ending at `end`.

    Returns bool (n_samples * P, n_alleles) with P = the block's ploidy (2 by default): row
    P*s + h is haplotype h+1 of sample s (the (h+1)-th allele of its GT, as `-H h+1`).
    An allele crossing the window end covers bases up to `end - 1` only (bcftools cuts it
    first), so an indel anchored on the last window base can still follow it.

    Records are split into overlap clusters: a record starts a new cluster when it and every
    later record start after the last base any earlier allele could cover. No allele of an
    earlier cluster can block, or be the anchor of, an allele of a later one, so records alone
    in their cluster are applied to all their carriers at once; the sequential rules run only
    inside clusters of overlapping records, on the haplotypes that carry one of their alleles.
    """
    covered_end = np.minimum(table.end, end)
    n_rec = len(block)
    n_hap = block.genotypes.shape[-1] * len(block.samples)
    applied = np.zeros((n_hap, table.pos.size), dtype=bool)
    if n_rec == 0 or table.pos.size == 0:
        return applied
    gt = block.genotypes.reshape(n_rec, n_hap).astype(np.int64)
    width = index.shape[1]
    allele = np.where(gt > 0, np.take_along_axis(index, np.clip(gt, 0, width - 1), axis=1), -1)
    # last base each record's alleles can cover (-inf for records without usable alleles)
    low = np.iinfo(np.int64).min
    reach = np.where(index >= 0, covered_end[np.maximum(index, 0)] - 1, low).max(axis=1)
    rec_pos = np.asarray(block.pos, dtype=np.int64)
    before = np.full(n_rec, low, dtype=np.int64)
    before[1:] = np.maximum.accumulate(reach)[:-1]
    after = np.minimum.accumulate(rec_pos[::-1])[::-1]
    new_cluster = after > before
    cluster = np.cumsum(new_cluster) - 1
    size = np.bincount(cluster)
    alone = size[cluster] == 1
    rec_alone = np.flatnonzero(alone)
    hit_rec, hit_hap = np.nonzero(allele[rec_alone] >= 0)
    applied[hit_hap, allele[rec_alone[hit_rec], hit_hap]] = True
    for c in np.flatnonzero(size > 1):
        recs = np.flatnonzero(cluster == c)
        sub = allele[recs]
        haps = np.flatnonzero((sub >= 0).any(axis=0))
        if haps.size == 0:
            continue
        # haplotypes carrying the same alleles of this cluster need the rules applied once
        patterns, inverse = np.unique(sub[:, haps].T, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        chosen = np.zeros((patterns.shape[0], table.pos.size), dtype=bool)
        frz = np.full(patterns.shape[0], low, dtype=np.int64)
        prev_ins = np.zeros(patterns.shape[0], dtype=bool)
        for k, i in enumerate(recs):
            carriers = np.flatnonzero(patterns[:, k] >= 0)
            if carriers.size == 0:
                continue
            a = patterns[carriers, k]
            p = int(rec_pos[i])
            f = frz[carriers]
            blocked = (p <= f) & ~((p == f) & table.exception_ok[a] & ~prev_ins[carriers])
            ok = carriers[~blocked]
            a_ok = a[~blocked]
            chosen[ok, a_ok] = True
            frz[ok] = covered_end[a_ok] - 1
            prev_ins[ok] = table.is_ins[a_ok]
        applied[haps] |= chosen[inverse]
    return applied


def dedup(
    applied: npt.NDArray[np.bool_],
) -> tuple[list[npt.NDArray[np.int32]], npt.NDArray[np.int32]]:
    """Unique rows (as sorted allele-index arrays) and the row -> unique index map."""
    n_hap, n_all = applied.shape
    packed = np.packbits(applied, axis=1) if n_all else np.zeros((n_hap, 1), dtype=np.uint8)
    keys = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1])))[:, 0]
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    rows = applied[first]
    if rows.shape[0] == 0:
        return [], inverse.astype(np.int32).reshape(n_hap)
    _, cols = np.nonzero(rows)
    bounds = np.cumsum(rows.sum(axis=1))[:-1]
    unique = [u.copy() for u in np.split(cols.astype(np.int32), bounds)]
    return unique, inverse.astype(np.int32).reshape(n_hap)
