"""Rule eqtl: in-sample cis-eQTL statistics (OLS on dosage) for every gene of the shard."""

from pexbench.genotype_jobs import shard_eqtl
from pexbench.jobs import start_logging
from pexbench.tables import write_table

start_logging(snakemake.log[0])
table = shard_eqtl(
    snakemake.input.genes,
    snakemake.wildcards.shard,
    snakemake.input.individuals,
    snakemake.input.measured,
    snakemake.input.vcf,
    window=snakemake.params.window,
    covariates=snakemake.input.get("covariates"),
    covariates_n=snakemake.params.covariates_n,
)
write_table(table, snakemake.output[0], kind="eqtl")
