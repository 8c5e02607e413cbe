"""Rule gene_table: genes (TSS 0-based, FASTA contig names) with their shard; dropped genes."""

from pexbench.expression import read_expression
from pexbench.fasta import fasta_contigs
from pexbench.genes import gene_table
from pexbench.jobs import start_logging
from pexbench.tables import write_table

start_logging(snakemake.log[0])
params = snakemake.params
genes, dropped = gene_table(
    snakemake.input.annotation,
    reference_contigs=fasta_contigs(snakemake.input.fasta),
    expression_ids=read_expression(snakemake.input.expression).index,
    gene_types=params.gene_types,
    regions=params.regions,
    gene_ids=params.gene_ids,
    max_genes=params.max_genes,
    shards=params.shards,
)
write_table(genes, snakemake.output.genes, kind="genes")
write_table(dropped, snakemake.output.dropped, kind="genes_dropped")
