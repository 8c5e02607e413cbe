"""Rule report_extreme_genes: predicted vs measured for each model's most +/- correlated gene."""

from pexbench import plots
from pexbench.jobs import start_logging
from pexbench.tables import read_table

log = start_logging(snakemake.log[0])
predicted = read_table(snakemake.input.predicted, kind="predicted")
measured = read_table(snakemake.input.measured, kind="measured")
log.info("%d predicted and %d measured values", len(predicted), len(measured))
plots.extreme_gene_scatter(
    read_table(snakemake.input.correlations, kind="gene_correlations"),
    predicted,
    measured,
    snakemake.output[0],
    value=f"{snakemake.params.correlation}_r",
    genes=read_table(snakemake.input.genes, kind="genes"),
    colours=snakemake.params.colours,
    untrained=snakemake.params.untrained,
    input_flags=snakemake.params.input_flags,
)
