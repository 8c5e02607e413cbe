"""One haplotype of a window as bcftools consensus writes it: reference gaps and applied alleles.

`Layout` turns a selection of applied alleles (`pexbench.haplotypes.alleles`) into segments of
the output; `build_region` is region mode (`samtools faidx | bcftools consensus`). Details
reproduced from bcftools:

- an indel following the previous allele on its last base (the overlap exception) does not
  emit the shared first base again: an SNV C>T followed by the insertion C>CAA at one POS gives
  TAA, and an insertion anchored on the last deleted base of a deletion follows the deletion;
- a record starting before the window whose REF span crosses the window start is trimmed to its
  in-window part (REF and ALT lose the same number of leading bases); a record crossing the
  window end is cut to the window (its ALT too, when longer than the remaining REF), so the
  output gets shorter rather than pulling in downstream sequence;
- soft-masked (lower-case) FASTA: bcftools writes an insertion in the case of its anchor base,
  which changes the shared-base rule above (the insertion's first base then replaces the last
  base written); reproduced here using the FASTA's case at the allele positions.

Where an MNP/complex allele crossing the window start keeps no ALT base after trimming,
bcftools 1.24 corrupts its heap; here REF and ALT are trimmed alike.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pexbench.encoding import N_CODE, Codes, decode
from pexbench.genome import Reference
from pexbench.haplotypes.alleles import AlleleTable, IntArray
from pexbench.haplotypes.gene import GeneHaplotypes


class Layout:
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


def lower_mask(reference: Reference, chrom: str, table: AlleleTable) -> npt.NDArray[np.bool_]:
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
    lower = lower_mask(reference, gene.chrom, table)
    src = np.concatenate([ref_codes, table.alt_codes])
    lay = Layout(table, applied, start, end, lower)
    return lay.gather(src, 0, lay.total)


def region_text(reference: Reference, gene: GeneHaplotypes, applied: npt.ArrayLike) -> str:
    """`build_region` as text in the case bcftools writes: reference bases keep the FASTA's
    case (soft-masked lower case stays lower), an ALT allele takes the case of the FASTA base
    at its POS, N stays N."""
    table = gene.table()
    start, end = gene.window_start, gene.window_end
    raw = reference.fetch_str(gene.chrom, start, end).encode("ascii")
    lower = lower_mask(reference, gene.chrom, table)
    alt = np.frombuffer(decode(table.alt_codes).encode("ascii"), dtype=np.uint8).copy()
    if alt.size:
        owner = np.repeat(np.arange(table.alt_len.size), table.alt_len)
        low = lower[owner] & (alt != ord("N"))
        alt[low] += ord("a") - ord("A")
    src = np.concatenate([np.frombuffer(raw, dtype=np.uint8), alt])
    lay = Layout(table, applied, start, end, lower)
    return lay.gather(src, 0, lay.total).tobytes().decode("ascii")
