"""Rule correlations: per model and gene, correlation of predicted with measured expression."""

from wfutil import read_table, start_logging, write_table

from pexbench.stats import gene_correlations

log = start_logging(snakemake.log[0])
predicted = read_table(snakemake.input.predicted, dtype={"gene_id": str, "individual": str})
measured = read_table(snakemake.input.measured, dtype={"gene_id": str, "individual": str})
table = gene_correlations(
    predicted,
    measured,
    method=snakemake.params.correlation,
    alpha=snakemake.params.fdr,
)
log.info("status per model:\n%s", table.groupby(["model", "status"]).size().to_string())
write_table(table, snakemake.output[0])
