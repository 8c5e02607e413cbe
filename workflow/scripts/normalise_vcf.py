"""Rule normalise_vcf: one file of inputs.vcf near the kept genes' TSS, normalised against the
FASTA (excluded REF mismatches listed under inputs.on_ref_mismatch: exclude)."""

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
    on_ref_mismatch=snakemake.params.on_ref_mismatch,
    # records further than `margin` from every TSS are never used
    regions=gene_regions(genes, snakemake.params.margin),
    mismatches_out=snakemake.output.mismatches,
    # far more VCF samples than expressed individuals: only those (None: all)
    samples=snakemake.params.samples,
)
log.info("normalised %s -> %s: %s", snakemake.input.vcf, snakemake.output.vcf, counts)
write_table(counts_table(counts), snakemake.output.counts, kind="genotype_counts")
