"""Rule haplotypes: per gene of the shard, the deduplicated haplotypes of every individual."""

import pandas as pd
from wfutil import atomic_path, kept_individuals, shard_genes, start_logging, write_table

from pexbench.genome import Reference
from pexbench.haplotypes import haplotypes_for_gene, save_shard

log = start_logging(snakemake.log[0])
genes = shard_genes(snakemake.input.genes, snakemake.wildcards.shard)
kept = kept_individuals(snakemake.input.individuals)
reference = Reference(snakemake.input.fasta)

result, stats = [], []
for row in genes.to_dict("records"):
    gene = haplotypes_for_gene(
        snakemake.input.vcf,
        reference,
        row,
        snakemake.params.length,
        kept,
        unphased=snakemake.params.unphased,
        seed=snakemake.params.seed,
    )
    result.append(gene)
    n_hap = 2 * len(gene.individuals)
    stats.append(
        {
            "gene_id": gene.gene_id,
            "window_start": gene.window_start,
            "window_end": gene.window_end,
            "n_alleles": len(gene.allele_pos),
            "n_haplotypes": n_hap,
            "n_unique": len(gene.unique),
            **{k: int(v) for k, v in sorted(gene.counts.items())},
        }
    )
    log.info(
        "%s: %d alleles, %d haplotypes -> %d unique; %s",
        gene.gene_id,
        len(gene.allele_pos),
        n_hap,
        len(gene.unique),
        gene.counts,
    )
with atomic_path(snakemake.output.npz) as tmp:
    save_shard(tmp, result)
write_table(pd.DataFrame(stats, columns=None if stats else ["gene_id"]), snakemake.output.stats)
