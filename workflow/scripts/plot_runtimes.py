"""Rule report_runtimes: wall time per rule from the Snakemake benchmark TSVs."""

from pexbench import plots
from pexbench.jobs import start_logging
from pexbench.tables import write_table

log = start_logging(snakemake.log[0])
bench = plots.read_benchmarks(snakemake.input)
log.info("%d benchmark rows from %d files", len(bench), len(snakemake.input))
plots.rule_runtimes(bench, snakemake.output.figure, input_flags=snakemake.params.input_flags)
write_table(bench, snakemake.output.table, kind="benchmarks")
