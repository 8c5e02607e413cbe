"""Rule concat_vcf: the normalised parts of inputs.vcf joined into the one genotype VCF."""

from pexbench.jobs import start_logging
from pexbench.vcf_concat import join_normalised_parts

start_logging(snakemake.log[0])
join_normalised_parts(
    snakemake.input.vcf,
    snakemake.input.counts,
    snakemake.input.mismatches,
    snakemake.output.vcf,
    snakemake.output.counts,
    snakemake.output.mismatches,
    threads=snakemake.threads,
)
