"""Dosages of the cis variants of one gene (shared by the eqtl and baseline scripts)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import wfutil  # noqa: F401  (this checkout's library on sys.path, see wfutil)

from pexbench.baseline import dosage_frame
from pexbench.variants import read_variants


def cis_dosages(vcf: str, gene: Any, window: int, individuals: Sequence[str]) -> pd.DataFrame:
    """DataFrame[variant_id, chrom, pos, <individuals>] of records within `window` of the TSS.

    Dosages do not depend on phase, so unphased genotypes are read as they are.
    """
    block = read_variants(
        vcf,
        gene.chrom,
        max(0, gene.tss - window),
        gene.tss + window + 1,
        samples=list(individuals),
        unphased="as_phased",
    )
    return dosage_frame(block)
