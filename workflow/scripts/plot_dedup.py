"""Rule report_dedup: unique vs total haplotypes per gene (from the haplotype shard stats)."""

import pandas as pd
from wfutil import read_table, start_logging

from pexbench import plots

log = start_logging(snakemake.log[0])
stats = pd.concat(
    [read_table(p, dtype={"gene_id": str}) for p in snakemake.input.stats],
    ignore_index=True,
)
log.info("%d genes from %d shard(s)", len(stats), len(snakemake.input.stats))
plots.dedup_statistics(stats, snakemake.output[0])
