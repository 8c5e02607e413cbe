"""Rule normalise_vcf: the VCF near the kept genes' TSS, normalised against the FASTA."""

from pexbench.genes import gene_regions
from pexbench.jobs import start_logging
from pexbench.tables import read_table, write_table
from pexbench.vcf import counts_table, normalise_vcf

log = start_logging(snakemake.log[0])
genes = read_table(snakemake.input.genes, kind="genes")
counts = normalise_vcf(
    snakemake.input.vcf,
    snakemake.input.fasta,
    snakemake.output.vcf,
    threads=snakemake.threads,
    # records further than `margin` from every TSS are never used
    regions=gene_regions(genes, snakemake.params.margin),
)
log.info("normalised %s -> %s: %s", snakemake.input.vcf, snakemake.output.vcf, counts)
write_table(counts_table(counts), snakemake.output.counts, kind="genotype_counts")
