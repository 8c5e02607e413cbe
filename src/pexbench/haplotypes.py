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
  output gets shorter rather than pulling in downstream sequence.

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


def allele_table(block: VariantBlock) -> tuple[npt.NDArray[np.int64], list[int], list[str], list[str], list[str]]:
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
    block: VariantBlock, index: npt.NDArray[np.int64], table: AlleleTable
) -> npt.NDArray[np.bool_]:
    """bcftools' overlap rules for every haplotype at once.

    Returns bool (n_samples * 2, n_alleles): row 2*s + h is haplotype h+1 of sample s.
    """
    n_smp = len(block.samples)
    n_hap = 2 * n_smp
    applied = np.zeros((n_hap, table.pos.size), dtype=bool)
    frz = np.full(n_hap, np.iinfo(np.int64).min, dtype=np.int64)
    prev_ins = np.zeros(n_hap, dtype=bool)
    rows = np.arange(n_hap)
    for i in range(len(block)):
        gt = block.genotypes[i].reshape(n_hap).astype(np.int64)
        allele = np.where(gt > 0, index[i, np.clip(gt, 0, index.shape[1] - 1)], -1)
        carriers = np.flatnonzero(allele >= 0)
        if carriers.size == 0:
            continue
        a = allele[carriers]
        p = int(block.pos[i])
        f = frz[carriers]
        blocked = (p <= f) & ~((p == f) & table.exception_ok[a] & ~prev_ins[carriers])
        ok = carriers[~blocked]
        a_ok = a[~blocked]
        applied[rows[ok], a_ok] = True
        frz[ok] = table.end[a_ok] - 1
        prev_ins[ok] = table.is_ins[a_ok]
    return applied


def dedup(applied: npt.NDArray[np.bool_]) -> tuple[list[npt.NDArray[np.int32]], npt.NDArray[np.int32]]:
    """Unique rows (as sorted allele-index arrays) and the row -> unique index map."""
    n_hap, n_all = applied.shape
    packed = np.packbits(applied, axis=1) if n_all else np.zeros((n_hap, 1), dtype=np.uint8)
    keys = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1])))[:, 0]
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    unique = [np.flatnonzero(applied[r]).astype(np.int32) for r in first]
    return unique, inverse.astype(np.int32).reshape(n_hap)


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
) -> tuple[VariantBlock, list[int], list[str], list[str], list[str], list[np.ndarray], np.ndarray]:
    block = read_variants(vcf, chrom, start, end, individuals, reference, unphased, seed)
    index, pos, ref, alt, ids = allele_table(block)
    table = AlleleTable.build(pos, ref, alt)
    applied = select_alleles(block, index, table)
    unique, inverse = dedup(applied)
    return block, pos, ref, alt, ids, unique, inverse.reshape(len(block.samples), 2)


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
    block, pos, ref, alt, ids, unique, assign = _window_haplotypes(
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
        block, pos, ref, alt, ids, unique, assign = _window_haplotypes(
            vcf, reference, fchrom, start, end, individuals, unphased, seed
        )
        table = AlleleTable.build(pos, ref, alt)
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
        symbol=str(gene_row.get("symbol", "") or ""),
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
        exc = np.zeros(k, dtype=bool)
        if k > 1:
            exc[1:] = p[1:] < e[:-1]
        skip = exc.astype(np.int64)
        # window end: REF cut to the window, ALT cut to the remaining REF length when longer
        over = e > end
        if over.any():
            al = np.where(over, np.minimum(al, end - p), al)
            e = np.minimum(e, end)
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

    def image(self, position: int) -> int:
        """Output index of the haplotype base aligned to reference `position` (module doc)."""
        j = int(np.searchsorted(self.rs, position, side="right")) - 1
        if j >= 0 and position < self.re[j]:
            offset = position - int(self.rs[j])
            return int(self.seg_out[2 * j + 1]) + min(offset, int(self.ins_len[j]))
        gap = 2 * (j + 1)
        return int(self.seg_out[gap]) + position - int(self.cur[j + 1])

    def gather(self, src: Codes, lo: int, hi: int) -> Codes:
        """Output [lo, hi) of this haplotype; outside [0, total) is N."""
        out = np.full(hi - lo, N_CODE, dtype=np.uint8)
        a, b = max(lo, 0), min(hi, self.total)
        if b <= a:
            return out
        i0 = int(np.searchsorted(self.seg_out, a, side="right")) - 1
        i1 = int(np.searchsorted(self.seg_out, b, side="left"))
        s_out = self.seg_out[i0:i1]
        lens = np.minimum(s_out + self.seg_len[i0:i1], b) - np.maximum(s_out, a)
        np.maximum(lens, 0, out=lens)
        delta = self.seg_src[i0:i1] - s_out + a
        idx = np.repeat(delta, lens)
        idx += np.arange(b - a, dtype=np.int64)
        np.take(src, idx, out=out[a - lo : b - lo])
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


def build_region(
    reference: Reference, gene: GeneHaplotypes, applied: npt.ArrayLike
) -> Codes:
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


class AnchoredBuilder:
    """Fixed-length haplotype sequences of one gene, TSS reference base at `length // 2`.

    The reference window is fetched once; `build` then costs a few numpy calls. Output is on the
    + strand of the genome (reverse-complement for minus-strand genes is the model's business).
    """

    def __init__(self, reference: Reference, gene: GeneHaplotypes, length: int) -> None:
        self.gene = gene
        self.length = int(length)
        self.anchor = self.length // 2
        self.table = gene.table()
        self._reference = reference
        self.contig_length = reference.contigs[gene.chrom]
        self.lower = _lower_mask(reference, gene.chrom, self.table)
        self.extensions = 0
        self._fetch(gene.window_start, gene.window_end)

    def _fetch(self, start: int, end: int) -> None:
        self.start, self.end = int(start), int(end)
        ref_codes = self._reference.fetch(self.gene.chrom, self.start, self.end)
        self.src = np.concatenate([ref_codes, self.table.alt_codes])

    def build(self, applied: npt.ArrayLike) -> Codes:
        """Codes of exactly `length` bases for the haplotype carrying allele indices `applied`."""
        for _ in range(8):
            lay = _Layout(self.table, applied, self.start, self.end, self.lower)
            lo = lay.image(self.gene.tss) - self.anchor
            hi = lo + self.length
            short_left = lo < 0 and self.start > 0
            short_right = hi > lay.total and self.end < self.contig_length
            if not (short_left or short_right):
                return lay.gather(self.src, lo, hi)
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
