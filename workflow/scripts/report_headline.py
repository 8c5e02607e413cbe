"""Rule report_headline: the landing page's headline table and figure from summary.json."""

from pexbench import plots
from pexbench.jobs import start_logging
from pexbench.summary_views import write_landing
from pexbench.tables import read_table

log = start_logging(snakemake.log[0])
inp, par, out = snakemake.input, snakemake.params, snakemake.output
kw = {"fdr": par.fdr, "correlation": par.correlation, "input_flags": par.input_flags}
table = write_landing(inp.summary, out.table, models=par.models, **kw)
log.info("headline table: %d models", len(table))
plots.headline(
    table,
    read_table(inp.correlations, kind="gene_correlations"),
    out.figure,
    value=f"{par.correlation}_r",
    min_group_size=par.min_group_size,
    colours=par.colours,
    untrained=par.untrained,
    input_flags=par.input_flags,
)
