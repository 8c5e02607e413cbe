"""Rule report_interpretation: attention/contribution tracks and enrichment figures."""

from pexbench.interpret.plots import interpretation_figures
from pexbench.jobs import start_logging

start_logging(snakemake.log[0])
interpretation_figures(
    snakemake.input.arrays,
    keys=snakemake.params.model_shards,
    correlations=snakemake.input.correlations,
    effects=snakemake.input.effects,
    enrichment=snakemake.input.enrichment,
    trained=snakemake.params.trained,
    tracks_out=snakemake.output.tracks,
    enrichment_out=snakemake.output.enrichment,
    chromatin_states=snakemake.input.get("states"),
    state_mapping=snakemake.params.state_mapping,
    input_flags=snakemake.params.input_flags,
)
