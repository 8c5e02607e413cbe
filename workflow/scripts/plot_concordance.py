"""Rule report_concordance: sign concordance with eQTL effects by chromatin state."""

from pexbench import plots
from pexbench.jobs import start_logging
from pexbench.tables import read_table

log = start_logging(snakemake.log[0])
effects = read_table(snakemake.input.variant_effects, kind="variant_effects")
par = snakemake.params
log.info("%d variant effects", len(effects))
plots.concordance_by_state(
    effects,
    snakemake.output[0],
    min_group_size=par.min_group_size,
    colours=par.colours,
    untrained=par.untrained,
    input_flags=par.input_flags,
)
