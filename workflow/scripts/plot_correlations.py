"""Rule report_correlation_figures: per-gene correlation histogram and sign classes per model."""

from pexbench import plots
from pexbench.jobs import start_logging
from pexbench.tables import read_table

log = start_logging(snakemake.log[0])
corr = read_table(snakemake.input.correlations, kind="gene_correlations")
par, out = snakemake.params, snakemake.output
log.info("%d rows, %d models from %s", len(corr), corr["model"].nunique(), snakemake.input[0])
plots.correlation_distribution(
    corr,
    out.distribution,
    value=f"{par.correlation}_r",
    colours=par.colours,
    untrained=par.untrained,
    input_flags=par.input_flags,
)
plots.sign_classes(corr, out.sign_classes, untrained=par.untrained, input_flags=par.input_flags)
