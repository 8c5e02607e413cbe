"""Rule report_extreme_genes: predicted vs measured for each model's most +/- correlated gene."""

from wfutil import read_table, start_logging

from pexbench import plots

log = start_logging(snakemake.log[0])
ids = {"gene_id": str, "model": str, "individual": str}
corr = read_table(snakemake.input.correlations, dtype=ids)
genes = read_table(snakemake.input.genes, dtype={"gene_id": str, "symbol": str})
corr = corr.merge(genes[["gene_id", "symbol"]].drop_duplicates("gene_id"), on="gene_id", how="left")
predicted = read_table(snakemake.input.predicted, dtype=ids)
measured = read_table(snakemake.input.measured, dtype=ids)
log.info("%d predicted and %d measured values", len(predicted), len(measured))
plots.extreme_gene_scatter(
    corr, predicted, measured, snakemake.output[0], value=f"{snakemake.params.correlation}_r"
)
