"""The workflow's genotype-only jobs on one gene shard: the cis-eQTL scan and the baseline.

Rule `eqtl` calls `shard_eqtl`, rule `baseline` `shard_baseline`. Both read the shard's genes,
the kept individuals and the measured expression, read the dosages of every variant within
`window` bp of the shard's TSSs once (`pexbench.dosages.read_dosages`) and run the statistics
on all the shard's genes at once.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

import pandas as pd

from pexbench.baseline import elastic_net_baseline
from pexbench.dosages import read_dosages
from pexbench.eqtl import cis_eqtl
from pexbench.expression import read_covariates
from pexbench.genes import shard_genes
from pexbench.individuals import kept_individuals
from pexbench.tables import read_table

if TYPE_CHECKING:
    from typing_extensions import Unpack  # typing.Unpack from Python 3.11

log = logging.getLogger(__name__)


class ShardFiles(TypedDict):
    """The files a genotype job reads (the rule's inputs of these names): the gene table, the
    individuals table, the measured expression and the normalised VCF."""

    genes: str | Path
    individuals: str | Path
    measured: str | Path
    vcf: str | Path


def _shard_data(
    files: ShardFiles, shard: str, window: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(measured, genes, dosages) of `shard`: the measured table, the shard's genes and the
    dosages of the kept individuals at every variant within `window` bp of the shard's TSSs,
    read once for all its genes (the first arguments of cis_eqtl and elastic_net_baseline)."""
    table = shard_genes(files["genes"], shard)
    dosages = read_dosages(files["vcf"], table, window, kept_individuals(files["individuals"]))
    return read_table(files["measured"], kind="measured"), table, dosages


def shard_eqtl(
    shard: str,
    *,
    window: int,
    covariates: str | Path | None = None,
    covariates_n: int | None = None,
    **files: Unpack[ShardFiles],
) -> pd.DataFrame:
    """The `eqtl` table (pexbench.eqtl.cis_eqtl) of every gene of `shard`; with `covariates`
    (a QTLtools file), its first `covariates_n` rows are covariates of every regression."""
    data = _shard_data(files, shard, window)
    cov = None if covariates is None else read_covariates(covariates, n=covariates_n)
    table = cis_eqtl(*data, window=window, covariates=cov)
    for gene_id, sub in table.groupby("gene_id", sort=False):
        log.info("%s: %d cis variants, min p %s", gene_id, len(sub), sub["p"].min())
    log.info("%d of %d genes have cis variants", table["gene_id"].nunique(), len(data[1]))
    return table


def shard_baseline(
    shard: str, *, window: int, folds: int, seed: int, **files: Unpack[ShardFiles]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Out-of-fold predictions (a `predicted` table) and the per-gene `baseline_report` of the
    elastic-net baseline (pexbench.baseline) for every gene of `shard`."""
    data = _shard_data(files, shard, window)
    predicted, report = elastic_net_baseline(*data, window=window, outer_folds=folds, seed=seed)
    for row in report.to_dict("records"):
        log.info("%s: %s", row["gene_id"], row)
    return predicted, report
