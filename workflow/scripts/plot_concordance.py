"""Rule report_concordance: sign concordance with eQTL effects by chromatin state."""

import pandas as pd
from wfutil import start_logging

from pexbench import plots

log = start_logging(snakemake.log[0])
effects = pd.read_csv(snakemake.input.variant_effects, sep="\t", dtype={"model": str})
log.info("%d variant effects", len(effects))
plots.concordance_by_state(effects, snakemake.output[0])
