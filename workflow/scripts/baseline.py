"""Rule baseline: genotype-only elastic net (nested CV, out-of-fold predictions) per shard."""

from pexbench.genotype_jobs import shard_baseline
from pexbench.jobs import start_logging
from pexbench.tables import write_table

start_logging(snakemake.log[0])
predicted, report = shard_baseline(
    **snakemake.input, **snakemake.params, shard=snakemake.wildcards.shard
)
write_table(predicted, snakemake.output.predicted, kind="predicted")
write_table(report, snakemake.output.report, kind="baseline_report")
