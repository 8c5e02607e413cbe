"""Haplotypes of a window or of a gene: the VCF records read, alleles selected, deduplicated.

A gene's window is TSS +- length/2 plus `HAPLOTYPE_MARGIN`, widened (never truncated) until
every haplotype covers `length` bases around the TSS (deletions shorten a haplotype), except
where it already reaches a contig end.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from pexbench.errors import InputError
from pexbench.genome import Reference
from pexbench.haplotypes.alleles import (
    AlleleTable,
    IntArray,
    allele_table,
    dedup,
    select_alleles,
)
from pexbench.haplotypes.gene import GeneHaplotypes
from pexbench.haplotypes.layout import Layout
from pexbench.variants import VariantBlock, read_variants

log = logging.getLogger(__name__)

HAPLOTYPE_MARGIN = 8_192  # bp read beyond TSS +- length/2 before a window is widened
WIDENING_SLACK = 11_808  # room beyond the margin for windows widened where deletions shorten


def variant_reach(length: int) -> int:
    """Distance from a TSS (bp) within which the workflow keeps variants for haplotype windows
    of `length` bp: length/2, the margin, and slack for widened windows (20 kb in all)."""
    return int(length) // 2 + HAPLOTYPE_MARGIN + WIDENING_SLACK


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


_Window = tuple[
    VariantBlock,
    list[int],
    list[str],
    list[str],
    list[str],
    list[np.ndarray],
    np.ndarray,
    AlleleTable,
]  # block, allele pos/ref/alt/id, unique haplotypes, assignment, allele table


def _window_haplotypes(
    vcf: str | Path,
    reference: Reference,
    chrom: str,
    start: int,
    end: int,
    individuals: Sequence[str] | None,
    unphased: str,
    seed: int,
    ploidy: int = 2,
) -> _Window:
    block = read_variants(vcf, chrom, start, end, individuals, reference, unphased, seed, ploidy)
    index, pos, ref, alt, ids = allele_table(block)
    table = AlleleTable.build(pos, ref, alt)
    applied = select_alleles(block, index, table, end)
    unique, inverse = dedup(applied)
    assign = inverse.reshape(len(block.samples), block.genotypes.shape[-1])
    return block, pos, ref, alt, ids, unique, assign, table


def _result(
    window: _Window,
    gene_id: str,
    symbol: str,
    chrom: str,
    tss: int,
    strand: str,
    start: int,
    end: int,
    extra_counts: Mapping[str, int],
) -> GeneHaplotypes:
    """The `GeneHaplotypes` of a window read by `_window_haplotypes` over [start, end); counts
    are the block's, the haplotypes (all and unique) and `extra_counts`."""
    block, pos, ref, alt, ids, unique, assign, _ = window
    counts = {
        **block.counts,
        "haplotypes": int(assign.size),
        "unique_haplotypes": len(unique),
        **extra_counts,
    }
    return GeneHaplotypes(
        gene_id=gene_id,
        symbol=symbol,
        chrom=chrom,
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


def haplotypes_for_region(
    vcf: str | Path,
    reference: Reference,
    chrom: str,
    start: int,
    end: int,
    individuals: Sequence[str] | None = None,
    unphased: str = "error",
    seed: int = 0,
    ploidy: int = 2,
) -> GeneHaplotypes:
    """Haplotypes of the window [start, end) itself (region mode, `build_region`).

    `ploidy` haplotypes per individual (haplotype h = the h-th allele of each GT, -1 columns of
    shorter GTs = reference), as `bcftools consensus -H h` at any ploidy."""
    fchrom = reference.resolve(chrom, source=str(vcf))
    window = _window_haplotypes(
        vcf, reference, fchrom, start, end, individuals, unphased, seed, ploidy
    )
    return _result(
        window, f"{fchrom}:{start + 1}-{end}", "", fchrom, int(start), "+", start, end, {}
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
    margin: int = HAPLOTYPE_MARGIN,
    ploidy: int = 2,
) -> GeneHaplotypes:
    """Haplotypes of one gene for anchored sequences of `length` bp around its TSS.

    `gene_row` needs gene_id, chrom, tss (0-based) and strand (symbol optional). The window
    starts as TSS +- length/2 plus `margin` and is widened (never truncated) until every
    haplotype covers `length` bases, except where it already reaches a contig end. `ploidy`:
    haplotypes per individual, as in `haplotypes_for_region`.
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
            vcf, reference, fchrom, start, end, individuals, unphased, seed, ploidy
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
            lay = Layout(table, hap, start, end, None)
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
    strand = str(gene_row.get("strand", "+"))
    if strand not in ("+", "-"):
        raise InputError(f"gene {gene_row['gene_id']}: strand must be '+' or '-', got {strand!r}")
    symbol = gene_row.get("symbol", "")
    return _result(
        (block, pos, ref, alt, ids, unique, assign, table),
        str(gene_row["gene_id"]),
        symbol if isinstance(symbol, str) else "",
        fchrom,
        tss,
        strand,
        start,
        end,
        {"window_extensions": extensions},
    )


def reference_haplotypes(
    reference: Reference, gene_row: Mapping[str, Any], length: int
) -> GeneHaplotypes:
    """A gene without genotypes: no alleles, no individuals, only its reference sequence.

    The window is TSS +- length/2 (what `AnchoredBuilder` needs for `length` bp); `gene_row`
    as for `haplotypes_for_gene`. `predict_haplotypes` then predicts the reference alone.
    """
    length = int(length)
    if length <= 0:
        raise InputError(f"sequence length must be positive, got {length}")
    tss = int(gene_row["tss"])
    fchrom = reference.resolve(str(gene_row["chrom"]), source="gene table")
    if not 0 <= tss < reference.contigs[fchrom]:
        raise InputError(
            f"gene {gene_row['gene_id']}: TSS {tss} (0-based) lies outside {fchrom} "
            f"(length {reference.contigs[fchrom]}); check the gene table's build and coordinates."
        )
    strand = str(gene_row.get("strand", "+"))
    if strand not in ("+", "-"):
        raise InputError(f"gene {gene_row['gene_id']}: strand must be '+' or '-', got {strand!r}")
    start = tss - length // 2
    return GeneHaplotypes(
        gene_id=str(gene_row["gene_id"]),
        symbol=symbol if isinstance(symbol := gene_row.get("symbol", ""), str) else "",
        chrom=fchrom,
        tss=tss,
        strand=strand,
        window_start=start,
        window_end=start + length,
        allele_pos=np.zeros(0, dtype=np.int64),
        allele_ref=[],
        allele_alt=[],
        allele_id=[],
        unique=[],
        individuals=[],
        assignment=np.zeros((0, 2), dtype=np.int32),
        counts={"haplotypes": 0, "unique_haplotypes": 0},
    )


def haplotypes_for_genes(
    vcf: str | Path,
    reference: Reference,
    genes: pd.DataFrame,
    length: int,
    individuals: Sequence[str] | None,
    unphased: str = "error",
    seed: int = 0,
) -> tuple[list[GeneHaplotypes], pd.DataFrame]:
    """`haplotypes_for_gene` of every row of a gene table, and a table of their statistics.

    Statistics, one row per gene: gene_id, window_start, window_end, n_alleles, n_haplotypes,
    n_unique, then the gene's `counts` (sorted by name); a one-line summary per gene is logged.
    """
    result: list[GeneHaplotypes] = []
    stats: list[dict[str, Any]] = []
    for row in genes.to_dict("records"):
        gene = haplotypes_for_gene(
            vcf, reference, row, length, individuals, unphased=unphased, seed=seed
        )
        result.append(gene)
        n_hap = 2 * len(gene.individuals)
        stats.append(
            {
                "gene_id": gene.gene_id,
                "window_start": gene.window_start,
                "window_end": gene.window_end,
                "n_alleles": len(gene.allele_pos),
                "n_haplotypes": n_hap,
                "n_unique": len(gene.unique),
                **{k: int(v) for k, v in sorted(gene.counts.items())},
            }
        )
        log.info(
            "%s: %d alleles, %d haplotypes -> %d unique; %s",
            gene.gene_id,
            len(gene.allele_pos),
            n_hap,
            len(gene.unique),
            gene.counts,
        )
    return result, pd.DataFrame(stats, columns=None if stats else ["gene_id"])
