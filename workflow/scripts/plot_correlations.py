"""Rule report_correlation_figures: per-gene correlation histogram and sign classes per model."""

from wfutil import read_table, start_logging

from pexbench import plots

log = start_logging(snakemake.log[0])
SIGN_ORDER = ["significant positive", "significant negative", "not significant", "not tested"]

corr = read_table(snakemake.input.correlations, dtype={"gene_id": str, "model": str})
value = f"{snakemake.params.correlation}_r"
log.info("%d rows, %d models from %s", len(corr), corr["model"].nunique(), snakemake.input[0])
plots.correlation_distribution(corr, snakemake.output.distribution, value=value)
plots.sign_classes(corr, snakemake.output.sign_classes, order=SIGN_ORDER)
