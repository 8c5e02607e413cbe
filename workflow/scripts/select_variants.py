"""Rule select_variants: eQTL variants to score per gene, mapped to the gene's allele table."""

from pexbench.haplotypes import load_shard
from pexbench.jobs import start_logging
from pexbench.scored_variants import variants_to_score
from pexbench.tables import read_table, write_table

start_logging(snakemake.log[0])
table = variants_to_score(
    read_table(snakemake.input.eqtl, kind="eqtl"),
    load_shard(snakemake.input.haplotypes),
    how=snakemake.params.how,
    p_threshold=snakemake.params.p_threshold,
    max_per_gene=snakemake.params.max_per_gene,
)
write_table(table, snakemake.output[0], kind="variants")
