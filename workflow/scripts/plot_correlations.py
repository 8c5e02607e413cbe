"""Rule report_correlation_figures: per-gene correlation histogram and sign classes per model."""

from pexbench import plots
from pexbench.jobs import start_logging
from pexbench.tables import read_table

log = start_logging(snakemake.log[0])
corr = read_table(snakemake.input.correlations, kind="gene_correlations")
value = f"{snakemake.params.correlation}_r"
log.info("%d rows, %d models from %s", len(corr), corr["model"].nunique(), snakemake.input[0])
plots.correlation_distribution(corr, snakemake.output.distribution, value=value)
plots.sign_classes(corr, snakemake.output.sign_classes)
