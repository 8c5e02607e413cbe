"""Rule chromatin_states: gene-level sign classes by the chromatin state of the lead eQTL."""

from pexbench.evaluation_jobs import lead_state_sign_classes
from pexbench.jobs import start_logging
from pexbench.tables import write_table

start_logging(snakemake.log[0])
table = lead_state_sign_classes(**snakemake.input, **snakemake.params)
write_table(table, snakemake.output[0], kind="sign_classes_by_state")
