"""Rule aggregate: per model, gene and individual, one predicted value (and the baseline's)."""

from pexbench.evaluation_jobs import predicted_expression
from pexbench.jobs import start_logging
from pexbench.tables import write_table

start_logging(snakemake.log[0])
table = predicted_expression(**snakemake.input, **snakemake.params)
write_table(table, snakemake.output[0], kind="predicted")
