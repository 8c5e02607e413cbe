"""Rule predict: one model's predictions for every unique haplotype (and the reference)."""

from pexbench.jobs import start_logging
from pexbench.predict_job import predict_shard
from pexbench.tables import write_table

start_logging(snakemake.log[0])
table = predict_shard(
    snakemake.input.haplotypes,
    snakemake.input.fasta,
    snakemake.params.spec,
    targets=snakemake.input.get("targets"),
    haplotype_length=snakemake.params.length,
    index=snakemake.params.index,
    threads=snakemake.threads,
)
write_table(table, snakemake.output[0], kind="predictions")
