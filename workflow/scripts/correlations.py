"""Rule correlations: per model and gene, correlation of predicted with measured expression."""

from pexbench.jobs import start_logging
from pexbench.stats import gene_correlations
from pexbench.tables import read_table, write_table

log = start_logging(snakemake.log[0])
table = gene_correlations(
    read_table(snakemake.input.predicted, kind="predicted"),
    read_table(snakemake.input.measured, kind="measured"),
    method=snakemake.params.correlation,
    alpha=snakemake.params.fdr,
)
log.info("status per model:\n%s", table.groupby(["model", "status"]).size().to_string())
write_table(table, snakemake.output[0], kind="gene_correlations")
