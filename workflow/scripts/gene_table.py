"""Rule gene_table: genes (TSS 0-based, FASTA contig names) with their shard; dropped genes."""

import numpy as np
import pandas as pd
from wfutil import start_logging, write_table

from pexbench.expression import read_expression
from pexbench.genes import DROPPED_COLUMNS, drop_summary, prepare_genes
from pexbench.genome import Reference

log = start_logging(snakemake.log[0])
opts = snakemake.params.genes
reference = Reference(snakemake.input.fasta)
expression_ids = list(read_expression(snakemake.input.expression).index)
genes, dropped = prepare_genes(
    snakemake.input.annotation,
    reference_contigs=reference.contigs,
    gene_types=opts["gene_types"],
    regions=opts["regions"],
    expression_ids=expression_ids,
    unknown_contigs="error",
)
if opts["gene_ids"] is not None:
    wanted = set(opts["gene_ids"])
    base = genes["gene_id"].str.replace(r"\.\d+$", "", regex=True)
    keep = (genes["gene_id"].isin(wanted) | base.isin(wanted)).to_numpy()
    extra = genes[~keep][["gene_id", "symbol", "chrom", "tss"]].assign(
        reason="not in genes.gene_ids"
    )
    dropped = pd.concat([dropped, extra], ignore_index=True)
    genes = genes[keep].reset_index(drop=True)
if opts["max_genes"] is not None and len(genes) > opts["max_genes"]:
    extra = genes.iloc[opts["max_genes"] :][["gene_id", "symbol", "chrom", "tss"]].assign(
        reason="beyond genes.max_genes"
    )
    dropped = pd.concat([dropped, extra], ignore_index=True)
    genes = genes.iloc[: opts["max_genes"]].reset_index(drop=True)
if genes.empty:
    raise SystemExit(
        f"no genes left from {snakemake.input.annotation} after the filters "
        f"(dropped per reason: {drop_summary(dropped)}); relax genes.* in the config."
    )
# Contiguous shards of (nearly) equal size in genome order: deterministic.
n_shards = int(opts["shards"])
genes["shard"] = np.repeat(
    np.arange(n_shards), [len(a) for a in np.array_split(np.arange(len(genes)), n_shards)]
)
log.info(
    "%d genes kept in %d shards; dropped per reason: %s",
    len(genes),
    n_shards,
    drop_summary(dropped),
)
write_table(genes, snakemake.output.genes)
write_table(dropped[DROPPED_COLUMNS], snakemake.output.dropped)
