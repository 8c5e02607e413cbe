"""Allele dosages of the cis variants of genes: what the eQTL scan and the genotype baseline read.

A dosage table is DataFrame[variant_id, chrom, pos (0-based), <one column per individual>]
with the number of non-REF alleles of each record (NaN if an allele is missing). Phase does not
matter to dosages, so unphased calls are read as written. Normalise multi-allelic records into
biallelic ones first (bcftools norm -m -any) so that each ALT gets its own row. A variant is in
cis of a gene when |pos - tss| <= window on the gene's contig (`22` and `chr22` match).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from pexbench.contigs import match_contig
from pexbench.errors import InputError
from pexbench.variants import VariantBlock, read_variants

SITE_COLUMNS = ["variant_id", "chrom", "pos"]


def dosage_frame(block: VariantBlock) -> pd.DataFrame:
    """A VariantBlock (pexbench.variants) as a dosage table (see the module docstring)."""
    frame = pd.DataFrame(block.dosages(), columns=list(block.samples))
    frame.insert(0, "pos", np.asarray(block.pos, dtype=np.int64))
    frame.insert(0, "chrom", block.chrom)
    frame.insert(0, "variant_id", list(block.ids))
    return frame


def _merged_windows(tss: np.ndarray, window: int) -> list[tuple[int, int]]:
    """[tss - window, tss + window] of every TSS (0-based, half-open, clipped at 0), overlapping
    ones merged, in order."""
    merged: list[list[int]] = []
    for t in np.sort(tss):
        a, b = max(int(t) - window, 0), int(t) + window + 1
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def read_dosages(
    vcf: str | Path,
    genes: pd.DataFrame,
    window: int,
    individuals: Sequence[str],
) -> pd.DataFrame:
    """Dosages of `individuals` for every record whose REF span overlaps a window of `window`
    bp around a TSS of `genes` (gene_id, chrom, tss), each record once, in file order per
    contig; contigs are named as in `genes`."""
    frames = []
    for chrom, sub in genes.groupby("chrom", sort=False):
        previous_end = 0
        for a, b in _merged_windows(sub["tss"].to_numpy(np.int64), window):
            block = read_variants(vcf, str(chrom), a, b, list(individuals), unphased="as_phased")
            frame = dosage_frame(block)
            # a record starting before the previous window's end was read with that window
            frames.append(frame[frame["pos"] >= previous_end])
            previous_end = b
    if not frames:
        return pd.DataFrame(columns=[*SITE_COLUMNS, *individuals])
    return pd.concat(frames, ignore_index=True)


def cis_indices(genes: pd.DataFrame, genotypes: pd.DataFrame, window: int) -> dict[str, np.ndarray]:
    """Per gene, the row positions of `genotypes` with |pos - tss| <= window on the gene's
    contig (contig names harmonised, e.g. `22` vs `chr22`), in row order."""
    out: dict[str, np.ndarray] = {}
    by_chrom = {
        c: (np.flatnonzero((genotypes["chrom"] == c).to_numpy()))
        for c in pd.unique(genotypes["chrom"])
    }
    sorted_pos = {}
    for c, rows in by_chrom.items():
        pos = genotypes["pos"].to_numpy(np.int64)[rows]
        order = np.argsort(pos, kind="mergesort")
        sorted_pos[c] = (pos[order], rows[order])
    available = list(by_chrom)
    for gene_id, chrom, tss in genes[["gene_id", "chrom", "tss"]].itertuples(index=False):
        try:
            c = match_contig(str(chrom), available, source="genes", target="genotypes")
        except InputError:
            out[gene_id] = np.empty(0, dtype=np.int64)
            continue
        pos, rows = sorted_pos[c]
        lo = np.searchsorted(pos, tss - window, side="left")
        hi = np.searchsorted(pos, tss + window, side="right")
        out[gene_id] = np.sort(rows[lo:hi])
    return out
