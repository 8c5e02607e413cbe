"""Rule variant_effects: each model's single-variant effect next to the eQTL effect."""

from pexbench.evaluation_jobs import variant_effect_table
from pexbench.jobs import start_logging
from pexbench.tables import write_table

start_logging(snakemake.log[0])
table = variant_effect_table(**snakemake.input, **snakemake.params)
write_table(table, snakemake.output[0], kind="variant_effects")
