"""Rule interpretation_summary: the interpret shards joined into results/evaluation tables."""

from pexbench.interpret.summary import summarise_interpretation, write_summary_tables
from pexbench.jobs import start_logging

start_logging(snakemake.log[0])
tables = summarise_interpretation(
    keys=snakemake.params.model_shards,
    effects=snakemake.input.effects,
    enrichment=snakemake.input.enrichment,
    arrays=snakemake.input.arrays,
    predictions=snakemake.input.predictions,
    haplotypes=snakemake.input.haplotypes,
    variants=snakemake.input.variants,
    correlations=snakemake.input.correlations,
    trained=snakemake.params.trained,
    chromatin_states=snakemake.input.get("states"),
    state_mapping=snakemake.params.state_mapping,
)
write_summary_tables(tables, dict(snakemake.output.items()))
