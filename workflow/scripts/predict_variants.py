"""Rule predict_variants: one model's reference and single-variant (alt-in-reference) values."""

from pexbench.jobs import start_logging
from pexbench.predict_job import predict_shard_variants
from pexbench.tables import write_table

start_logging(snakemake.log[0])
table = predict_shard_variants(**snakemake.input, **snakemake.params, threads=snakemake.threads)
write_table(table, snakemake.output[0], kind="variant_predictions")
