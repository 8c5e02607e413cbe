"""Rule report_extreme_genes: predicted vs measured for each model's most +/- correlated gene."""

import pandas as pd
from wfutil import start_logging

from pexbench import plots

log = start_logging(snakemake.log[0])
ids = {"gene_id": str, "model": str, "individual": str}
corr = pd.read_csv(snakemake.input.correlations, sep="\t", dtype=ids)
genes = pd.read_csv(snakemake.input.genes, sep="\t", dtype={"gene_id": str, "symbol": str})
corr = corr.merge(genes[["gene_id", "symbol"]].drop_duplicates("gene_id"), on="gene_id", how="left")
predicted = pd.read_csv(snakemake.input.predicted, sep="\t", dtype=ids)
measured = pd.read_csv(snakemake.input.measured, sep="\t", dtype=ids)
log.info("%d predicted and %d measured values", len(predicted), len(measured))
plots.extreme_gene_scatter(
    corr, predicted, measured, snakemake.output[0], value=f"{snakemake.params.correlation}_r"
)
