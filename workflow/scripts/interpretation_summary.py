"""Rule interpretation_summary: the interpret shards joined into results/evaluation tables."""

from pexbench.interpret.summary import summarise_interpretation
from pexbench.jobs import start_logging
from pexbench.tables import write_table

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
for name in ("effects", "enrichment", "additivity", "leads", "counts"):
    write_table(
        tables[f"interpretation_{name}"], snakemake.output[name], kind=f"interpretation_{name}"
    )
