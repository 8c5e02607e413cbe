"""Rule predict: one model's predictions for every unique haplotype (and the reference)."""

from pexbench.jobs import start_logging
from pexbench.predict_job import predict_shard
from pexbench.tables import write_table

start_logging(snakemake.log[0])
table = predict_shard(**snakemake.input, **snakemake.params, threads=snakemake.threads)
write_table(table, snakemake.output[0], kind="predictions")
