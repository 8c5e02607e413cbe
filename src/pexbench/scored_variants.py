"""The eQTL variants the models score per gene, mapped onto the gene's allele table.

`lead`: the lowest-p variant per gene, kept when p < p_threshold; `threshold`: every variant
with p < p_threshold; at most max_per_gene per gene (lowest p first); see
`pexbench.eqtl.select_variants`. A selected variant must be an allele of the gene's haplotype
window (the longest model input around the TSS) to be scored: the others get status "outside
the haplotype window", and split multi-allelic sites sharing one ID "ambiguous variant id"
(`pexbench.eqtl.map_to_alleles`); both are counted and logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

import pandas as pd

from pexbench.eqtl import AMBIGUOUS_ID, map_to_alleles, select_variants
from pexbench.haplotypes import GeneHaplotypes, allele_frame

log = logging.getLogger(__name__)


def variants_to_score(
    eqtl: pd.DataFrame,
    genes: Sequence[GeneHaplotypes],
    *,
    how: Literal["lead", "threshold"],
    p_threshold: float,
    max_per_gene: int,
) -> pd.DataFrame:
    """Rows of `select_variants(eqtl, ...)` with the matching allele (allele_index, ref, alt)
    of `genes` and their status `scored` ("yes" = scored by the models)."""
    chosen = select_variants(eqtl, mode=how, p_threshold=p_threshold, max_per_gene=max_per_gene)
    log.info("%d variants selected (%s, p < %g)", len(chosen), how, p_threshold)
    merged = map_to_alleles(chosen, allele_frame(genes))
    ambiguous = merged["scored"] == AMBIGUOUS_ID
    if ambiguous.any():
        log.warning(
            "%d selected variants have an ambiguous id (several alleles or eQTL rows share gene, "
            "id and position, e.g. %s): not scored; give split multi-allelic records distinct "
            "IDs (bcftools annotate --set-id '%%CHROM:%%POS:%%REF:%%ALT')",
            int(ambiguous.sum()),
            merged.loc[ambiguous, "variant_id"].iloc[0],
        )
    log.info("selected variants by status: %s", merged["scored"].value_counts().to_dict())
    return merged
