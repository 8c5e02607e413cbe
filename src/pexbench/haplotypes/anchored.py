"""Anchored mode: fixed-length haplotype sequences of one gene with the TSS at `length // 2`.

The sequence is exactly `length` bases, index `length // 2` holds the haplotype base aligned to
the TSS reference position. It is the bcftools consensus of the gene window (TSS +- length/2
plus a margin, widened until every haplotype covers `length`, `pexbench.haplotypes.windows`)
cut around the TSS image, so indels upstream shift upstream sequence only and indels downstream
only downstream sequence. The TSS image is: the TSS base itself when kept; the ALT base at the
same offset when an SNV/MNP/complex allele replaces it; when the TSS base is deleted, the first
base after the deletion (index `length//2 - 1` then holds the deletion's anchor base); an
insertion anchored on the TSS puts the inserted bases downstream of index `length//2`. Positions
past either contig end are N.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from pexbench.encoding import N_CODE, Codes
from pexbench.genome import Reference
from pexbench.haplotypes.alleles import IntArray
from pexbench.haplotypes.gene import GeneHaplotypes
from pexbench.haplotypes.layout import Layout, lower_mask

log = logging.getLogger(__name__)


def _normalised(applied: npt.ArrayLike) -> IntArray:
    """Allele indices as a sorted int64 array without repeats (what `Layout` applies)."""
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

    Speed (same output as `Layout` per haplotype, checked in the tests against bcftools):

    - the first `build` of one of the gene's unique haplotypes computes copy plans for all of
      them in one vectorised pass (`_prepare`); each of them then costs one concatenation of
      reference/insert pieces plus one scattered write of its substitutions;
    - any other selection goes through `Layout`, where only length-changing or overlapping
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
        self.lower = lower_mask(reference, gene.chrom, self.table)
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
        lay = Layout(self.table, shaping, self.start, self.end, self.lower)
        entry = [lay, lay.image(self.gene.tss) - self.anchor, None, 1]
        self._cache[key] = entry
        if len(self._cache) > self.CACHE_SIZE:
            self._cache.popitem(last=False)
        return entry

    def _overwrite(self, out: Codes, lay: Layout, simple: IntArray, lo: int) -> None:
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

        The same arithmetic as `Layout` (see there), on the haplotypes' alleles laid end to
        end. Haplotypes this pass does not cover (bcftools' soft-mask case, selections that
        overlap, sequences that need more reference than the window) get no plan and go
        through `Layout` one by one.
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
        # the TSS image of every haplotype (`Layout.image`)
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
        # copy blocks (`Layout`: same-length alleles copied as reference, written after)
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
