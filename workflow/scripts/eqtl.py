"""Rule eqtl: in-sample cis-eQTL statistics (OLS on dosage) for every gene of the shard."""

from pexbench.genotype_jobs import shard_eqtl
from pexbench.jobs import start_logging
from pexbench.tables import write_table

start_logging(snakemake.log[0])
table = shard_eqtl(**snakemake.input, **snakemake.params, shard=snakemake.wildcards.shard)
write_table(table, snakemake.output[0], kind="eqtl")
