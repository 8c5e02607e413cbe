"""Rule chromatin_states: gene-level sign classes by the chromatin state of the lead eQTL."""

import pandas as pd
from wfutil import read_table, start_logging, write_table

from pexbench.chromatin import read_states, state_map_from_config
from pexbench.eqtl import select_variants
from pexbench.evaluate import lead_states, sign_classes_by_state

log = start_logging(snakemake.log[0])
ids = {"gene_id": str, "variant_id": str, "chrom": str}
eqtl = pd.concat([read_table(p, dtype=ids) for p in snakemake.input.eqtl], ignore_index=True)
lead = select_variants(eqtl, mode="lead", p_threshold=snakemake.params.p_threshold)
states = None
if snakemake.input.get("states"):
    states = read_states(
        snakemake.input.states, state_map=state_map_from_config(snakemake.params.mapping)
    )
correlations = read_table(snakemake.input.correlations, dtype={"gene_id": str})
table = sign_classes_by_state(correlations, lead_states(lead, states))
log.info("%d genes with a lead eQTL (p < %g)", len(lead), snakemake.params.p_threshold)
write_table(table, snakemake.output[0])
