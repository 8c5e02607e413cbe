"""Rule haplotypes: per gene of the shard, the deduplicated haplotypes of every individual."""

from pexbench.genes import shard_genes
from pexbench.genome import Reference
from pexbench.haplotypes import haplotypes_for_genes, save_shard
from pexbench.individuals import kept_individuals
from pexbench.jobs import start_logging
from pexbench.tables import atomic_path, write_table

start_logging(snakemake.log[0])
genes, stats = haplotypes_for_genes(
    snakemake.input.vcf,
    Reference(snakemake.input.fasta),
    shard_genes(snakemake.input.genes, snakemake.wildcards.shard),
    snakemake.params.length,
    kept_individuals(snakemake.input.individuals),
    unphased=snakemake.params.unphased,
    seed=snakemake.params.seed,
)
with atomic_path(snakemake.output.npz) as tmp:
    save_shard(tmp, genes)
write_table(stats, snakemake.output.stats, kind="haplotype_stats")
