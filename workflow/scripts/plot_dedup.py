"""Rule report_dedup: unique vs total haplotypes per gene (from the haplotype shard stats)."""

from pexbench import plots
from pexbench.jobs import start_logging
from pexbench.tables import read_tables

log = start_logging(snakemake.log[0])
stats = read_tables(snakemake.input.stats, kind="haplotype_stats")
log.info("%d genes from %d shard(s)", len(stats), len(snakemake.input.stats))
plots.dedup_statistics(stats, snakemake.output[0], input_flags=snakemake.params.input_flags)
