"""Rule report_concordance: sign concordance with eQTL effects by chromatin state."""

from wfutil import read_table, start_logging

from pexbench import plots

log = start_logging(snakemake.log[0])
effects = read_table(snakemake.input.variant_effects, dtype={"model": str})
log.info("%d variant effects", len(effects))
plots.concordance_by_state(effects, snakemake.output[0])
