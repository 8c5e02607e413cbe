"""Personal haplotypes: which alleles each (individual, haplotype) carries, and their sequences.

Variant application reproduces `bcftools consensus -H 1|2 -s SAMPLE` exactly (checked against
bcftools itself in the tests). On a window [start, end), records are taken in file order; per
haplotype the allele named by the GT (first or second) is applied when:

- it is an ALT allele (REF and missing alleles apply nothing and do not block later records);
- its POS lies after the last reference base covered by the last applied allele (`frz`), or it
  is an indel whose first REF and ALT bases agree (htslib's variant typing), with a non-zero
  length change, anchored exactly on that base, and the last applied allele was not an
  insertion. In that case the shared first base is not emitted again: an SNV C>T followed by the
  insertion C>CAA at one POS gives TAA, and an insertion anchored on the last deleted base of a
  deletion follows the deletion.
- a record starting before the window whose REF span crosses the window start is trimmed to
  its in-window part (REF and ALT lose the same number of leading bases); a record crossing the
  window end is cut to the window (its ALT too, when longer than the remaining REF), so the
  output gets shorter rather than pulling in downstream sequence; the cut allele then covers
  bases up to the last window base only, so an indel anchored on that base may follow it.
- soft-masked (lower-case) FASTA: bcftools writes an insertion in the case of its anchor base,
  which changes the shared-base rule above (the insertion's first base then replaces the last
  base written); reproduced here using the FASTA's case at the allele positions.

Deliberate differences from bcftools, all counted: symbolic alleles (including `<DEL>`, which
bcftools would apply) and `*` are skipped (see `pexbench.variants`). Where an MNP/complex allele
crossing the window start keeps no ALT base after trimming, bcftools 1.24 corrupts its heap; the
engine trims REF and ALT alike.

The allele table of a gene lists every usable ALT allele of every record in its window, in file
order; a haplotype is the sorted array of the allele indices applied after these rules. Identical
haplotypes are stored once (`GeneHaplotypes.unique`, `assignment`).

Anchored mode (`AnchoredBuilder`): the sequence is exactly `length` bases, index `length // 2`
holds the haplotype base aligned to the TSS reference position. It is the bcftools consensus of
the gene window (TSS +- length/2 plus a margin, widened until every haplotype covers `length`)
cut around the TSS image, so indels upstream shift upstream sequence only and indels downstream
only downstream sequence. The TSS image is: the TSS base itself when kept; the ALT base at the
same offset when an SNV/MNP/complex allele replaces it; when the TSS base is deleted, the first
base after the deletion (index `length//2 - 1` then holds the deletion's anchor base); an
insertion anchored on the TSS puts the inserted bases downstream of index `length//2`. Positions
past either contig end are N.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pexbench.encoding import N_CODE, Codes, encode
from pexbench.errors import InputError
from pexbench.genome import Reference
from pexbench.variants import VariantBlock, read_variants

log = logging.getLogger(__name__)

SHARD_FORMAT = "pexbench-haplotypes-1"
IntArray = npt.NDArray[np.int64]


# --------------------------------------------------------------------------------------------
# htslib variant typing (bcf_set_variant_type) -- decides bcftools' overlap exception
# --------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------
# allele table and selection
# --------------------------------------------------------------------------------------------
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

    Returns bool (n_samples * 2, n_alleles): row 2*s + h is haplotype h+1 of sample s.
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
    n_hap = 2 * len(block.samples)
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


def _max_sums(unique: Sequence[npt.NDArray[np.int32]], weights: IntArray) -> int:
    """max over haplotypes of the sum of `weights` over their alleles (0 when none)."""
    if not unique:
        return 0
    sizes = np.fromiter((h.size for h in unique), np.int64, len(unique))
    flat = np.concatenate(unique) if sizes.sum() else np.zeros(0, dtype=np.int64)
    ends = np.cumsum(sizes)
    cum = np.zeros(flat.size + 1, dtype=np.int64)
    np.cumsum(weights[flat], out=cum[1:])
    return int((cum[ends] - cum[ends - sizes]).max())


# --------------------------------------------------------------------------------------------
# gene haplotypes
# --------------------------------------------------------------------------------------------
@dataclass
class GeneHaplotypes:
    """Alleles carried by every (individual, haplotype) around one gene (see module doc)."""

    gene_id: str
    symbol: str
    chrom: str
    tss: int
    strand: str
    window_start: int
    window_end: int
    allele_pos: IntArray
    allele_ref: list[str]
    allele_alt: list[str]
    allele_id: list[str]
    unique: list[npt.NDArray[np.int32]]
    individuals: list[str]
    assignment: npt.NDArray[np.int32]
    counts: dict[str, int] = field(default_factory=dict)

    def table(self) -> AlleleTable:
        return AlleleTable.build(self.allele_pos, self.allele_ref, self.allele_alt)

    def haplotype(self, individual: str, haplotype: int) -> npt.NDArray[np.int32]:
        """Applied allele indices of `individual`'s haplotype 1 or 2."""
        row = self.individuals.index(individual)
        return self.unique[int(self.assignment[row, haplotype - 1])]


def _window_haplotypes(
    vcf: str | Path,
    reference: Reference,
    chrom: str,
    start: int,
    end: int,
    individuals: Sequence[str] | None,
    unphased: str,
    seed: int,
) -> tuple[
    VariantBlock,
    list[int],
    list[str],
    list[str],
    list[str],
    list[np.ndarray],
    np.ndarray,
    AlleleTable,
]:
    block = read_variants(vcf, chrom, start, end, individuals, reference, unphased, seed)
    index, pos, ref, alt, ids = allele_table(block)
    table = AlleleTable.build(pos, ref, alt)
    applied = select_alleles(block, index, table, end)
    unique, inverse = dedup(applied)
    return block, pos, ref, alt, ids, unique, inverse.reshape(len(block.samples), 2), table


def haplotypes_for_region(
    vcf: str | Path,
    reference: Reference,
    chrom: str,
    start: int,
    end: int,
    individuals: Sequence[str] | None = None,
    unphased: str = "error",
    seed: int = 0,
) -> GeneHaplotypes:
    """Haplotypes of the window [start, end) itself (region mode, `build_region`)."""
    fchrom = reference.resolve(chrom, source=str(vcf))
    block, pos, ref, alt, ids, unique, assign, _ = _window_haplotypes(
        vcf, reference, fchrom, start, end, individuals, unphased, seed
    )
    counts = dict(block.counts)
    counts["haplotypes"] = int(assign.size)
    counts["unique_haplotypes"] = len(unique)
    return GeneHaplotypes(
        gene_id=f"{fchrom}:{start + 1}-{end}",
        symbol="",
        chrom=fchrom,
        tss=int(start),
        strand="+",
        window_start=int(start),
        window_end=int(end),
        allele_pos=np.asarray(pos, dtype=np.int64),
        allele_ref=ref,
        allele_alt=alt,
        allele_id=ids,
        unique=unique,
        individuals=list(block.samples),
        assignment=assign.astype(np.int32),
        counts=counts,
    )


def haplotypes_for_gene(
    vcf: str | Path,
    reference: Reference,
    gene_row: Mapping[str, Any],
    length: int,
    individuals: Sequence[str] | None,
    unphased: str = "error",
    seed: int = 0,
    *,
    margin: int = 8192,
) -> GeneHaplotypes:
    """Haplotypes of one gene for anchored sequences of `length` bp around its TSS.

    `gene_row` needs gene_id, chrom, tss (0-based) and strand (symbol optional). The window
    starts as TSS +- length/2 plus `margin` and is widened (never truncated) until every
    haplotype covers `length` bases, except where it already reaches a contig end.
    """
    length = int(length)
    if length <= 0:
        raise InputError(f"sequence length must be positive, got {length}")
    tss = int(gene_row["tss"])
    fchrom = reference.resolve(str(gene_row["chrom"]), source="gene table")
    contig_len = reference.contigs[fchrom]
    if not 0 <= tss < contig_len:
        raise InputError(
            f"gene {gene_row['gene_id']}: TSS {tss} (0-based) lies outside {fchrom} "
            f"(length {contig_len}); check the gene table's build and coordinates."
        )
    anchor = length // 2
    start, end = tss - anchor - margin, tss - anchor + length + margin
    extensions = 0
    for _ in range(32):
        block, pos, ref, alt, ids, unique, assign, table = _window_haplotypes(
            vcf, reference, fchrom, start, end, individuals, unphased, seed
        )
        # cheap bound first: bases an allele can remove (+1 for bcftools' shared-base cases)
        shrink = np.maximum(table.end - table.pos - table.alt_len, 0) + 1
        up = np.where(table.pos < tss, shrink, 0)
        down = np.where(table.end > tss, shrink, 0)
        bound_up, bound_down = _max_sums(unique, up), _max_sums(unique, down)
        left_room, right_room = tss - anchor - start, end - (tss - anchor + length)
        if bound_up <= left_room and bound_down <= right_room:
            break
        need_left = need_right = 0
        for hap in unique:
            lay = _Layout(table, hap, start, end, None)
            h_tss = lay.image(tss)
            need_left = max(need_left, anchor - h_tss)
            need_right = max(need_right, h_tss - anchor + length - lay.total)
        grow_left = need_left > 0 and start > 0
        grow_right = need_right > 0 and end < contig_len
        if not (grow_left or grow_right):
            break
        extensions += 1
        if grow_left:
            start -= need_left + margin
        if grow_right:
            end += need_right + margin
    else:  # pragma: no cover - needs > 32 nested deletion chains
        raise InputError(f"gene {gene_row['gene_id']}: window did not converge")
    counts = dict(block.counts)
    counts["haplotypes"] = int(assign.size)
    counts["unique_haplotypes"] = len(unique)
    counts["window_extensions"] = extensions
    strand = str(gene_row.get("strand", "+"))
    if strand not in ("+", "-"):
        raise InputError(f"gene {gene_row['gene_id']}: strand must be '+' or '-', got {strand!r}")
    return GeneHaplotypes(
        gene_id=str(gene_row["gene_id"]),
        symbol=symbol if isinstance(symbol := gene_row.get("symbol", ""), str) else "",
        chrom=fchrom,
        tss=tss,
        strand=strand,
        window_start=int(start),
        window_end=int(end),
        allele_pos=np.asarray(pos, dtype=np.int64),
        allele_ref=ref,
        allele_alt=alt,
        allele_id=ids,
        unique=unique,
        individuals=list(block.samples),
        assignment=assign.astype(np.int32),
        counts=counts,
    )


# --------------------------------------------------------------------------------------------
# sequence building
# --------------------------------------------------------------------------------------------
class _Layout:
    """Segments of one haplotype of the window [start, end): alternating reference gaps and
    applied alleles. Sources index `concat(reference window, table.alt_codes)`."""

    def __init__(
        self,
        table: AlleleTable,
        applied: npt.ArrayLike,
        start: int,
        end: int,
        lower: npt.NDArray[np.bool_] | None,
    ) -> None:
        sel = np.asarray(applied, dtype=np.int64).reshape(-1)
        if sel.size > 1 and (np.diff(sel) <= 0).any():
            sel = np.unique(sel)
        p = table.pos[sel]
        e = table.end[sel]
        al = table.alt_len[sel].copy()
        k = sel.size
        # window end: REF cut to the window, ALT cut to the remaining REF length when longer
        over = e > end
        if over.any():
            al = np.where(over, np.minimum(al, end - p), al)
            e = np.minimum(e, end)
        exc = np.zeros(k, dtype=bool)
        if k > 1:
            exc[1:] = p[1:] < e[:-1]
        skip = exc.astype(np.int64)
        rep = np.zeros(k, dtype=bool)
        if lower is not None and exc.any():
            # bcftools writes an insertion in the case of the base it anchors on; in a
            # lower-case (soft-masked) stretch its first base then differs from the upper-case
            # REF and overwrites the previous allele's last base instead of being skipped.
            head = np.maximum.accumulate(np.where(~exc, np.arange(k), 0))
            rep = exc & table.is_ins[sel] & lower[sel[head]]
            skip[rep] = 0
        rs = np.maximum(p + exc, start)
        trim = np.maximum(start - p, 0)
        skip = np.maximum(skip, trim)
        ins_len = np.maximum(al - skip, 0)
        cur = np.empty(k + 1, dtype=np.int64)
        cur[0] = start
        cur[1:] = e
        if k and (rs < cur[:-1]).any():
            bad = int(np.flatnonzero(rs < cur[:-1])[0])
            raise ValueError(
                f"applied alleles overlap at allele {int(sel[bad])} (pos {int(p[bad]) + 1}); "
                "not a selection made by the bcftools rules"
            )
        n_ref = end - start
        seg_len = np.empty(2 * k + 1, dtype=np.int64)
        seg_src = np.empty(2 * k + 1, dtype=np.int64)
        seg_len[0 : 2 * k : 2] = rs - cur[:-1]
        seg_src[0 : 2 * k : 2] = cur[:-1] - start
        seg_len[1 : 2 * k : 2] = ins_len
        seg_src[1 : 2 * k : 2] = n_ref + table.alt_off[sel] + skip
        seg_len[2 * k] = max(end - cur[-1], 0)
        seg_src[2 * k] = cur[-1] - start
        for j in np.flatnonzero(rep):
            # that first base replaces the last base emitted before it
            before = np.flatnonzero(seg_len[: 2 * j + 1] > 0)
            if before.size:
                seg_len[before[-1]] -= 1
        seg_out = np.zeros(2 * k + 1, dtype=np.int64)
        np.cumsum(seg_len[:-1], out=seg_out[1:])
        self.rs, self.re, self.cur, self.ins_len = rs, e, cur, ins_len
        self.seg_len, self.seg_src, self.seg_out = seg_len, seg_src, seg_out
        self.total = int(seg_out[-1] + seg_len[-1])
        self.start = start
        # Copy plan: same-length substitutions (SNVs, MNPs) are copied as reference and
        # overwritten afterwards, so only length-changing alleles split the reference copy.
        same = (ins_len == e - rs) & (ins_len > 0)
        if rep.any():
            same[:] = False
        m_src = seg_src.copy()
        m_src[1 : 2 * k : 2] = np.where(same, rs - start, seg_src[1 : 2 * k : 2])
        nz = seg_len > 0
        ms, ml, mo = m_src[nz], seg_len[nz], seg_out[nz]
        brk = np.ones(ms.size, dtype=bool)
        brk[1:] = ms[1:] != ms[:-1] + ml[:-1]
        first = np.flatnonzero(brk)
        self.blk_out = mo[first]
        self.blk_src = ms[first]
        self.blk_len = np.add.reduceat(ml, first) if ms.size else ml
        ov = np.flatnonzero(same)
        if ov.size:
            o_len = ins_len[ov]
            o_out = seg_out[2 * ov + 1]
            o_src = seg_src[2 * ov + 1]
            if (o_len == 1).all():
                self.ov_out, self.ov_src = o_out, o_src
            else:
                shift = np.repeat(np.cumsum(o_len) - o_len, o_len)
                step = np.arange(int(o_len.sum()), dtype=np.int64) - shift
                self.ov_out = np.repeat(o_out, o_len) + step
                self.ov_src = np.repeat(o_src, o_len) + step
        else:
            self.ov_out = self.ov_src = np.zeros(0, dtype=np.int64)

    def image(self, position: int) -> int:
        """Output index of the haplotype base aligned to reference `position` (module doc)."""
        j = int(np.searchsorted(self.rs, position, side="right")) - 1
        if j >= 0 and position < self.re[j]:
            offset = position - int(self.rs[j])
            return int(self.seg_out[2 * j + 1]) + min(offset, int(self.ins_len[j]))
        gap = 2 * (j + 1)
        return int(self.seg_out[gap]) + position - int(self.cur[j + 1])

    def gap_image(self, positions: IntArray) -> IntArray:
        """Output indices of reference positions that lie in gaps (outside applied alleles)."""
        j = np.searchsorted(self.rs, positions, side="right")
        return self.seg_out[2 * j] + positions - self.cur[j]

    def gather(self, src: Codes, lo: int, hi: int) -> Codes:
        """Output [lo, hi) of this haplotype; outside [0, total) is N."""
        a, b = max(lo, 0), min(hi, self.total)
        if b <= a:
            return np.full(hi - lo, N_CODE, dtype=np.uint8)
        blk_out, blk_len = self.blk_out, self.blk_len
        i0 = int(np.searchsorted(blk_out, a, side="right")) - 1
        i1 = int(np.searchsorted(blk_out, b, side="left"))
        s_out = blk_out[i0:i1]
        first = np.maximum(s_out, a)
        lens = np.minimum(s_out + blk_len[i0:i1], b) - first
        begin = (self.blk_src[i0:i1] + (first - s_out)).tolist()
        # a few contiguous copies of reference stretches and inserted sequence
        pieces = [src[x : x + n] for x, n in zip(begin, lens.tolist(), strict=True) if n > 0]
        if a > lo:
            pieces.insert(0, np.full(a - lo, N_CODE, dtype=np.uint8))
        if hi > b:
            pieces.append(np.full(hi - b, N_CODE, dtype=np.uint8))
        out = np.concatenate(pieces) if len(pieces) > 1 else pieces[0].copy()
        if self.ov_out.size:
            inside = (self.ov_out >= a) & (self.ov_out < b)
            out[self.ov_out[inside] - lo] = src[self.ov_src[inside]]
        return out


def _lower_mask(reference: Reference, chrom: str, table: AlleleTable) -> npt.NDArray[np.bool_]:
    """Whether the FASTA has a lower-case base at each allele's POS."""
    if table.pos.size == 0:
        return np.zeros(0, dtype=bool)
    lo, hi = int(table.pos.min()), int(table.pos.max()) + 1
    lo_c, hi_c = max(lo, 0), min(hi, reference.contigs[chrom])
    raw = np.frombuffer(reference.fetch_str(chrom, lo_c, hi_c).encode("ascii"), dtype=np.uint8)
    lower = np.zeros(hi - lo, dtype=bool)
    lower[lo_c - lo : hi_c - lo] = raw >= ord("a")
    return lower[table.pos - lo]


def build_region(reference: Reference, gene: GeneHaplotypes, applied: npt.ArrayLike) -> Codes:
    """`bcftools consensus` of the window [gene.window_start, gene.window_end) for one haplotype.

    Equals `samtools faidx REF chrom:start+1-end | bcftools consensus -H h -s S` when `gene`
    comes from `haplotypes_for_region` (the window must lie inside the contig).
    """
    table = gene.table()
    start, end = gene.window_start, gene.window_end
    ref_codes = reference.fetch(gene.chrom, start, end)
    lower = _lower_mask(reference, gene.chrom, table)
    src = np.concatenate([ref_codes, table.alt_codes])
    lay = _Layout(table, applied, start, end, lower)
    return lay.gather(src, 0, lay.total)


def _normalised(applied: npt.ArrayLike) -> IntArray:
    """Allele indices as a sorted int64 array without repeats (what `_Layout` applies)."""
    sel = np.asarray(applied, dtype=np.int64).reshape(-1)
    if sel.size > 1 and (np.diff(sel) <= 0).any():
        sel = np.unique(sel)
    return sel


def _normalised_all(haplotypes: Sequence[npt.ArrayLike]) -> list[IntArray]:
    """`_normalised` of many allele-index arrays (one vectorised check of their order)."""
    arrays = [np.asarray(h, dtype=np.int64).reshape(-1) for h in haplotypes]
    if not arrays:
        return []
    sizes = np.fromiter((a.size for a in arrays), np.int64, len(arrays))
    flat = np.concatenate(arrays)
    ends = np.cumsum(sizes)
    if flat.size > 1:
        unsorted = np.flatnonzero(np.diff(flat) <= 0) + 1  # index of the later element
        owner = np.searchsorted(ends, unsorted, side="right")
        starts = ends - sizes
        for h in np.unique(owner[unsorted > starts[owner]]).tolist():
            arrays[h] = np.unique(arrays[h])
    return arrays


def _bounds(sizes: IntArray) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Masks of the first and last element of each group in a flat array of group `sizes`."""
    n = int(sizes.sum())
    ends = np.cumsum(sizes)
    firsts = np.zeros(n, dtype=bool)
    lasts = np.zeros(n, dtype=bool)
    firsts[(ends - sizes)[sizes > 0]] = True
    lasts[ends[sizes > 0] - 1] = True
    return firsts, lasts


class AnchoredBuilder:
    """Fixed-length haplotype sequences of one gene, TSS reference base at `length // 2`.

    The reference window is fetched once; `build` then costs a few numpy calls. Output is on the
    + strand of the genome (reverse-complement for minus-strand genes is the model's business).

    Speed (same output as `_Layout` per haplotype, checked in the tests against bcftools):

    - the first `build` of one of the gene's unique haplotypes computes copy plans for all of
      them in one vectorised pass (`_prepare`); each of them then costs one concatenation of
      reference/insert pieces plus one scattered write of its substitutions;
    - any other selection goes through `_Layout`, where only length-changing or overlapping
      alleles shape the layout: an applied same-length substitution (SNV/MNP) inside the
      window that starts at or after the end of every earlier applied allele and ends before
      the next one starts is written over the layout of the others afterwards, which gives the
      same bases. Layouts (and, for layouts seen twice, their sequences) are kept in a small
      LRU cache per set of shaping alleles (e.g. single-variant sequences of SNVs share one).

    An instance keeps these caches, so it is not thread-safe: use one builder per thread.
    """

    CACHE_SIZE = 64

    def __init__(self, reference: Reference, gene: GeneHaplotypes, length: int) -> None:
        self.gene = gene
        self.length = int(length)
        self.anchor = self.length // 2
        self.table = gene.table()
        self._reference = reference
        self.contig_length = reference.contigs[gene.chrom]
        self.lower = _lower_mask(reference, gene.chrom, self.table)
        self.extensions = 0
        self._same = self.table.alt_len == self.table.end - self.table.pos
        self._cache: OrderedDict[bytes, list[Any]] = OrderedDict()
        self._keys: dict[bytes, int] | None = None
        self._sels: list[IntArray] = []
        self._plans: dict[int, tuple[list[int], list[int], int, int, int, int]] | None = None
        self._fetch(gene.window_start, gene.window_end)

    def _fetch(self, start: int, end: int) -> None:
        self.start, self.end = int(start), int(end)
        ref_codes = self._reference.fetch(self.gene.chrom, self.start, self.end)
        self.src = np.concatenate([ref_codes, self.table.alt_codes])
        self._simple_ok = self._same & (self.table.pos >= self.start) & (self.table.end <= self.end)
        self._cache.clear()
        self._plans = None

    def _split(self, sel: IntArray) -> tuple[IntArray, IntArray]:
        """(isolated substitutions, alleles that shape the layout) of a sorted selection."""
        if sel.size == 0:
            return sel, sel
        pos, end = self.table.pos[sel], self.table.end[sel]
        simple = self._simple_ok[sel]
        if sel.size > 1:
            simple[1:] &= pos[1:] >= np.maximum.accumulate(end)[:-1]
            simple[:-1] &= pos[1:] > end[:-1]
        return sel[simple], sel[~simple]

    def _entry(self, shaping: IntArray) -> list[Any]:
        """Cached [layout, lo, sequence or None, uses] of a set of shaping alleles."""
        key = shaping.tobytes()
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            hit[3] += 1
            return hit
        lay = _Layout(self.table, shaping, self.start, self.end, self.lower)
        entry = [lay, lay.image(self.gene.tss) - self.anchor, None, 1]
        self._cache[key] = entry
        if len(self._cache) > self.CACHE_SIZE:
            self._cache.popitem(last=False)
        return entry

    def _overwrite(self, out: Codes, lay: _Layout, simple: IntArray, lo: int) -> None:
        table = self.table
        where = lay.gap_image(table.pos[simple]) - lo
        src = table.alt_off[simple]
        size = table.alt_len[simple]
        if (size != 1).any():
            shift = np.repeat(np.cumsum(size) - size, size)
            step = np.arange(int(size.sum()), dtype=np.int64) - shift
            where = np.repeat(where, size) + step
            src = np.repeat(src, size) + step
        if where.size and (where[0] < 0 or where[-1] >= self.length):
            keep = (where >= 0) & (where < self.length)
            where, src = where[keep], src[keep]
        out[where] = table.alt_codes[src]

    def build(self, applied: npt.ArrayLike) -> Codes:
        """Codes of exactly `length` bases for the haplotype carrying allele indices `applied`."""
        sel = _normalised(applied)
        if self._keys is None:
            self._sels = _normalised_all(self.gene.unique)
            self._keys = {h.tobytes(): i for i, h in enumerate(self._sels)}
        row = self._keys.get(sel.tobytes())
        if row is not None:
            if self._plans is None:
                self._plans = self._prepare()
            plan = self._plans.get(row)
            if plan is not None:
                return self._assemble(plan)
        for _ in range(8):
            simple, shaping = self._split(sel)
            entry = self._entry(shaping)
            lay, lo = entry[0], entry[1]
            hi = lo + self.length
            short_left = lo < 0 and self.start > 0
            short_right = hi > lay.total and self.end < self.contig_length
            if not (short_left or short_right):
                if entry[2] is not None:
                    out = entry[2].copy()
                elif entry[3] > 1:
                    entry[2] = lay.gather(self.src, lo, hi)
                    out = entry[2].copy()
                else:
                    out = lay.gather(self.src, lo, hi)
                if simple.size:
                    self._overwrite(out, lay, simple, lo)
                return out
            # more reference needed than the gene window holds: widen it (reference only;
            # the gene's alleles all lie inside the original window)
            self.extensions += 1
            log.warning(
                "gene %s: haplotype needs reference beyond its window; fetching more",
                self.gene.gene_id,
            )
            self._fetch(
                self.start + (lo - self.length if short_left else 0),
                self.end + (hi - lay.total + self.length if short_right else 0),
            )
        raise RuntimeError(f"gene {self.gene.gene_id}: could not cover {self.length} bp")

    def reference(self) -> Codes:
        """The reference sequence (no alleles applied)."""
        return self.build(np.zeros(0, dtype=np.int64))

    def _assemble(self, plan: tuple[list[int], list[int], int, int, int, int]) -> Codes:
        """A prepared haplotype: copy its pieces, pad, write its substitutions."""
        begins, lens, lpad, rpad, oa, ob = plan
        src = self.src
        pieces = [src[x : x + n] for x, n in zip(begins, lens, strict=True)]
        if lpad:
            pieces.insert(0, np.full(lpad, N_CODE, dtype=np.uint8))
        if rpad:
            pieces.append(np.full(rpad, N_CODE, dtype=np.uint8))
        out = np.concatenate(pieces) if len(pieces) > 1 else pieces[0].copy()
        if ob > oa:
            out[self._ov_rel[oa:ob]] = src[self._ov_src[oa:ob]]
        return out

    def _prepare(self) -> dict[int, tuple[list[int], list[int], int, int, int, int]]:
        """Copy plans of all of the gene's unique haplotypes, computed in one vectorised pass.

        The same arithmetic as `_Layout` (see there), on the haplotypes' alleles laid end to
        end. Haplotypes this pass does not cover (bcftools' soft-mask case, selections that
        overlap, sequences that need more reference than the window) get no plan and go
        through `_Layout` one by one.
        """
        table, start, end = self.table, self.start, self.end
        if not start <= self.gene.tss < end:
            return {}
        n_ref = end - start
        sels = self._sels
        n_hap = len(sels)
        hap_ids = np.arange(n_hap)
        sizes = np.fromiter((x.size for x in sels), np.int64, n_hap)
        flat = np.concatenate(sels) if sizes.sum() else np.zeros(0, dtype=np.int64)
        hid = np.repeat(hap_ids, sizes)
        span = n_ref + 2  # every allele lies in [start, end): keys of haplotype h in h*span+...
        # isolated substitutions (as in `_split`) vs alleles that shape the layout
        pos, ends = table.pos[flat], table.end[flat]
        firsts, lasts = _bounds(sizes)
        simple = self._simple_ok[flat]
        if flat.size:
            offset = hid * (int(max(ends.max(), pos.max()) - pos.min()) + 2)
            cummax = np.maximum.accumulate(ends - pos.min() + offset) - offset + pos.min()
            prev_max = np.empty_like(cummax)
            prev_max[1:] = cummax[:-1]
            nxt = np.empty_like(pos)
            nxt[:-1] = pos[1:]
            simple &= firsts | (pos >= prev_max)
            simple &= lasts | (nxt > ends)
        shape_ = flat[~simple]
        th = hid[~simple]
        k_sz = np.bincount(th, minlength=n_hap)
        k_off = np.zeros(n_hap + 1, dtype=np.int64)
        np.cumsum(k_sz, out=k_off[1:])
        t_first, _ = _bounds(k_sz)
        n_t = shape_.size
        p, e = table.pos[shape_], table.end[shape_]
        al = table.alt_len[shape_]
        over = e > end
        al = np.where(over, np.minimum(al, end - p), al)
        e = np.minimum(e, end)
        exc = np.zeros(n_t, dtype=bool)
        exc[1:] = p[1:] < e[:-1]
        exc &= ~t_first
        head = np.maximum.accumulate(np.where(~exc, np.arange(n_t), 0))
        rep = exc & table.is_ins[shape_] & self.lower[shape_[head]]
        rs = np.maximum(p + exc, start)
        skip = np.maximum(exc.astype(np.int64), np.maximum(start - p, 0))
        ins_len = np.maximum(al - skip, 0)
        prev = np.empty(n_t, dtype=np.int64)
        prev[1:] = e[:-1]
        prev[t_first] = start
        bad = np.zeros(n_hap, dtype=bool)
        bad[th[rep | (rs < prev)]] = True
        # segments: gap before each allele, the allele, and a final gap per haplotype
        gi = 2 * np.arange(n_t) + th
        ai = gi + 1
        fi = 2 * k_off[1:] + hap_ids
        n_seg = 2 * n_t + n_hap
        seg_len = np.empty(n_seg, dtype=np.int64)
        seg_src = np.empty(n_seg, dtype=np.int64)
        seg_len[gi] = rs - prev
        seg_src[gi] = prev - start
        seg_len[ai] = ins_len
        seg_src[ai] = n_ref + table.alt_off[shape_] + skip
        last_e = np.full(n_hap, start, dtype=np.int64)
        has = k_sz > 0
        last_e[has] = e[k_off[1:][has] - 1]
        seg_len[fi] = np.maximum(end - last_e, 0)
        seg_src[fi] = last_e - start
        seg_hap = np.repeat(hap_ids, 2 * k_sz + 1)
        excl = np.cumsum(seg_len) - seg_len
        seg_out = excl - excl[2 * k_off[:-1] + hap_ids][seg_hap]
        total = seg_out[fi] + seg_len[fi]
        # the TSS image of every haplotype (`_Layout.image`)
        tss = self.gene.tss
        key_t = np.maximum.accumulate(th * span + (rs - start)) if n_t else rs
        below = np.searchsorted(key_t, hap_ids * span + (tss - start), side="right")
        j = below - 1  # global index of the last allele with rs <= tss (if in this haplotype)
        own = j >= k_off[:-1]
        jc = np.clip(j, 0, max(n_t - 1, 0))
        if n_t:
            inside = own & (tss < e[jc])
            img_in = seg_out[ai[jc]] + np.minimum(tss - rs[jc], ins_len[jc])
            nxt_gap = np.where(below < k_off[1:], gi[np.minimum(below, n_t - 1)], fi)
            cur = np.where(own, e[jc], start)
        else:
            inside = np.zeros(n_hap, dtype=bool)
            img_in = np.zeros(n_hap, dtype=np.int64)
            nxt_gap, cur = fi, np.full(n_hap, start, dtype=np.int64)
        image = np.where(inside, img_in, seg_out[nxt_gap] + tss - cur)
        lo = image - self.anchor
        hi = lo + self.length
        bad |= ((lo < 0) & (start > 0)) | ((hi > total) & (end < self.contig_length))
        # copy blocks (`_Layout`: same-length alleles copied as reference, written after)
        same = (ins_len == e - rs) & (ins_len > 0)
        m_src = seg_src.copy()
        m_src[ai] = np.where(same, rs - start, seg_src[ai])
        nz = seg_len > 0
        ms, ml, mo, mh = m_src[nz], seg_len[nz], seg_out[nz], seg_hap[nz]
        brk = np.ones(ms.size, dtype=bool)
        brk[1:] = (ms[1:] != ms[:-1] + ml[:-1]) | (mh[1:] != mh[:-1])
        fb = np.flatnonzero(brk)
        b_out, b_src, b_hap = mo[fb], ms[fb], mh[fb]
        b_len = np.add.reduceat(ml, fb) if ms.size else ml
        a_h, b_h = np.maximum(lo, 0), np.minimum(hi, total)
        first = np.maximum(b_out, a_h[b_hap])
        lens = np.minimum(b_out + b_len, b_h[b_hap]) - first
        begin = b_src + first - b_out
        keep = lens > 0
        b_hap, begin, lens = b_hap[keep], begin[keep], lens[keep]
        b_off = np.zeros(n_hap + 1, dtype=np.int64)
        np.cumsum(np.bincount(b_hap, minlength=n_hap), out=b_off[1:])
        # writes: same-length shaping alleles, then isolated substitutions (in gaps)
        q_all, qh_all = flat[simple], hid[simple]
        q = table.pos[q_all]
        below_q = np.searchsorted(key_t, qh_all * span + (q - start), side="right")
        if n_t:
            gap = np.where(below_q < k_off[1:][qh_all], gi[np.minimum(below_q, n_t - 1)], 0)
            gap = np.where(below_q < k_off[1:][qh_all], gap, fi[qh_all])
            q_cur = np.where(below_q > k_off[:-1][qh_all], e[np.maximum(below_q - 1, 0)], start)
        else:
            gap, q_cur = fi[qh_all], np.full(q.size, start, dtype=np.int64)
        w_out = np.concatenate([seg_out[ai][same], seg_out[gap] + q - q_cur])
        w_src = np.concatenate([seg_src[ai][same], n_ref + table.alt_off[q_all]])
        w_len = np.concatenate([ins_len[same], table.alt_len[q_all]])
        w_hap = np.concatenate([th[same], qh_all])
        if (w_len != 1).any():
            shift = np.repeat(np.cumsum(w_len) - w_len, w_len)
            step = np.arange(int(w_len.sum()), dtype=np.int64) - shift
            w_out = np.repeat(w_out, w_len) + step
            w_src = np.repeat(w_src, w_len) + step
            w_hap = np.repeat(w_hap, w_len)
        w_rel = w_out - lo[w_hap]
        inside_w = (w_out >= a_h[w_hap]) & (w_out < b_h[w_hap])
        order = np.argsort(w_hap[inside_w], kind="stable")
        self._ov_rel = w_rel[inside_w][order]
        self._ov_src = w_src[inside_w][order]
        w_off = np.zeros(n_hap + 1, dtype=np.int64)
        np.cumsum(np.bincount(w_hap[inside_w], minlength=n_hap), out=w_off[1:])
        plans = {}
        begins_l, lens_l = begin.tolist(), lens.tolist()
        for h in np.flatnonzero(~bad).tolist():
            x0, x1 = int(b_off[h]), int(b_off[h + 1])
            lo_h, hi_h = int(lo[h]), int(hi[h])
            aa, bb = int(a_h[h]), int(b_h[h])
            if bb <= aa:
                plans[h] = ([], [], self.length, 0, 0, 0)
                continue
            plans[h] = (
                begins_l[x0:x1],
                lens_l[x0:x1],
                aa - lo_h,
                hi_h - bb,
                int(w_off[h]),
                int(w_off[h + 1]),
            )
        return plans


# --------------------------------------------------------------------------------------------
# shards
# --------------------------------------------------------------------------------------------
def _str_array(values: Sequence[str]) -> np.ndarray:
    return np.array(list(values), dtype=str) if len(values) else np.zeros(0, dtype="<U1")


def _offsets(sizes: Sequence[int]) -> IntArray:
    out = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(np.asarray(sizes, dtype=np.int64), out=out[1:])
    return out


def save_shard(path: str | Path, genes: Sequence[GeneHaplotypes]) -> None:
    """Write genes to one `.npz` (plain arrays, loadable without pickle)."""
    uniq_sizes = [len(g.unique) for g in genes]
    haps = [h for g in genes for h in g.unique]
    arrays: dict[str, np.ndarray] = {
        "format": np.array(SHARD_FORMAT),
        "gene_id": _str_array([g.gene_id for g in genes]),
        "symbol": _str_array([g.symbol for g in genes]),
        "chrom": _str_array([g.chrom for g in genes]),
        "tss": np.array([g.tss for g in genes], dtype=np.int64),
        "strand": _str_array([g.strand for g in genes]),
        "window_start": np.array([g.window_start for g in genes], dtype=np.int64),
        "window_end": np.array([g.window_end for g in genes], dtype=np.int64),
        "allele_offsets": _offsets([len(g.allele_ref) for g in genes]),
        "allele_pos": np.concatenate([g.allele_pos for g in genes]).astype(np.int64)
        if genes
        else np.zeros(0, dtype=np.int64),
        "allele_ref": _str_array([x for g in genes for x in g.allele_ref]),
        "allele_alt": _str_array([x for g in genes for x in g.allele_alt]),
        "allele_id": _str_array([x for g in genes for x in g.allele_id]),
        "unique_offsets": _offsets(uniq_sizes),
        "haplotype_offsets": _offsets([h.size for h in haps]),
        "haplotype_alleles": np.concatenate(haps).astype(np.int32)
        if haps
        else np.zeros(0, dtype=np.int32),
        "individual_offsets": _offsets([len(g.individuals) for g in genes]),
        "individuals": _str_array([x for g in genes for x in g.individuals]),
        "assignment": np.concatenate([g.assignment for g in genes]).astype(np.int32)
        if genes
        else np.zeros((0, 2), dtype=np.int32),
        "counts": np.array(json.dumps([g.counts for g in genes])),
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        np.savez_compressed(handle, **arrays)


def load_shard(path: str | Path) -> list[GeneHaplotypes]:
    """Read a shard written by `save_shard`."""
    try:
        data = np.load(Path(path), allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read haplotype shard {path}: {exc}; rerun its rule.") from exc
    with data:
        if "format" not in data or str(data["format"]) != SHARD_FORMAT:
            raise InputError(f"{path} is not a {SHARD_FORMAT} shard; rerun its rule.")
        d = {k: data[k] for k in data.files}
    ao, uo, ho, io = (
        d["allele_offsets"],
        d["unique_offsets"],
        d["haplotype_offsets"],
        d["individual_offsets"],
    )
    counts = json.loads(str(d["counts"]))
    genes = []
    for g in range(d["gene_id"].size):
        a0, a1 = int(ao[g]), int(ao[g + 1])
        i0, i1 = int(io[g]), int(io[g + 1])
        unique = [
            d["haplotype_alleles"][int(ho[u]) : int(ho[u + 1])].astype(np.int32)
            for u in range(int(uo[g]), int(uo[g + 1]))
        ]
        genes.append(
            GeneHaplotypes(
                gene_id=str(d["gene_id"][g]),
                symbol=str(d["symbol"][g]),
                chrom=str(d["chrom"][g]),
                tss=int(d["tss"][g]),
                strand=str(d["strand"][g]),
                window_start=int(d["window_start"][g]),
                window_end=int(d["window_end"][g]),
                allele_pos=d["allele_pos"][a0:a1].astype(np.int64),
                allele_ref=[str(x) for x in d["allele_ref"][a0:a1]],
                allele_alt=[str(x) for x in d["allele_alt"][a0:a1]],
                allele_id=[str(x) for x in d["allele_id"][a0:a1]],
                unique=unique,
                individuals=[str(x) for x in d["individuals"][i0:i1]],
                assignment=d["assignment"][i0:i1].astype(np.int32).reshape(-1, 2),
                counts={str(k): int(v) for k, v in counts[g].items()},
            )
        )
    return genes
