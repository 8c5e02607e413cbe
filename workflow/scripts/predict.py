"""Rule predict: one model's predictions for every unique haplotype (and the reference), and
how the model ran (device, precision, batch size) for the run description."""

import json

from pexbench.jobs import start_logging
from pexbench.predict_job import predict_shard
from pexbench.tables import write_table

start_logging(snakemake.log[0])
table, record = predict_shard(**snakemake.input, **snakemake.params, threads=snakemake.threads)
write_table(table, snakemake.output.table, kind="predictions")
with open(snakemake.output.run, "w") as fh:
    json.dump(record, fh, indent=2, sort_keys=True)
