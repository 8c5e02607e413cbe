"""Rule report_context_figures: per-gene r in context, model vs model, concordance by distance."""

from pexbench import context_plots, plots
from pexbench.jobs import start_logging
from pexbench.tables import read_table

log = start_logging(snakemake.log[0])
inp, par, out = snakemake.input, snakemake.params, snakemake.output
corr = read_table(inp.correlations, kind="gene_correlations")
effects = read_table(inp.variant_effects, kind="variant_effects")
log.info("%d gene correlations, %d variant effects", len(corr), len(effects))
flags = {"untrained": par.untrained, "input_flags": par.input_flags}
kw = {"colours": par.colours, **flags}
value = f"{par.correlation}_r"
context_plots.r_vs_eqtl_and_baseline(corr, effects, out.r_context, value=value, **kw)
context_plots.model_vs_model(corr, out.model_vs_model, value=value, **flags)
plots.concordance_by_distance(effects, out.by_distance, min_group_size=par.min_group_size, **kw)
