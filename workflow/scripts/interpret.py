"""Rule interpret: where one model looks, for the selected genes of one shard."""

from pexbench.interpret.job import interpret_shard
from pexbench.jobs import start_logging

start_logging(snakemake.log[0])
result = interpret_shard(
    snakemake.input.haplotypes,
    snakemake.input.fasta,
    snakemake.input.genes,
    snakemake.params.spec,
    measures=snakemake.params.measures,
    settings=snakemake.params.settings,
    correlations=snakemake.input.get("correlations"),
    chromatin_states=snakemake.input.get("states"),
    state_mapping=snakemake.params.state_mapping,
    targets=snakemake.input.get("targets"),
    haplotype_length=snakemake.params.length,
    index=snakemake.params.index,
    threads=snakemake.threads,
)
result.write(snakemake.output.npz, snakemake.output.effects, snakemake.output.enrichment)
