"""Rule report_across_genes: reference prediction vs mean expression across genes, per model."""

from pexbench import context_plots
from pexbench.individuals import kept_individuals
from pexbench.jobs import start_logging
from pexbench.tables import read_table

log = start_logging(snakemake.log[0])
inp, par = snakemake.input, snakemake.params
ref = context_plots.reference_predictions(
    inp.predictions, par.model_shards, log1p_models=par.log1p_models
)
genes = read_table(inp.genes, kind="genes")
individuals = kept_individuals(inp.individuals)
mean = context_plots.mean_expression(
    inp.expression, individuals=individuals, gene_ids=list(genes["gene_id"])
)
log.info("%d reference predictions, %d genes with a mean expression", len(ref), len(mean))
corr = read_table(inp.correlations, kind="gene_correlations")
flags = {"untrained": par.untrained, "input_flags": par.input_flags}
kw = {"value": f"{par.correlation}_r", "colours": par.colours, **flags}
context_plots.across_genes_vs_individuals(ref, mean, corr, snakemake.output[0], **kw)
