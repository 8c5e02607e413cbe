"""Rule predict_variants: one model's reference and single-variant (alt-in-reference) values."""

from pexbench.jobs import start_logging
from pexbench.predict_job import predict_shard_variants
from pexbench.tables import write_table

start_logging(snakemake.log[0])
table = predict_shard_variants(
    snakemake.input.haplotypes,
    snakemake.input.fasta,
    snakemake.input.variants,
    snakemake.params.spec,
    targets=snakemake.input.get("targets"),
    haplotype_length=snakemake.params.length,
    index=snakemake.params.index,
    threads=snakemake.threads,
)
write_table(table, snakemake.output[0], kind="variant_predictions")
