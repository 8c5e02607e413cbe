"""Rule baseline: genotype-only elastic net (nested CV, out-of-fold predictions) per shard."""

from pexbench.genotype_jobs import shard_baseline
from pexbench.jobs import start_logging
from pexbench.tables import write_table

start_logging(snakemake.log[0])
predicted, report = shard_baseline(
    snakemake.input.genes,
    snakemake.wildcards.shard,
    snakemake.input.individuals,
    snakemake.input.measured,
    snakemake.input.vcf,
    window=snakemake.params.window,
    folds=snakemake.params.folds,
    seed=snakemake.params.seed,
)
write_table(predicted, snakemake.output.predicted, kind="predicted")
write_table(report, snakemake.output.report, kind="baseline_report")
