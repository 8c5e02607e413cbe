"""Rule report_runtimes: wall time per rule from the Snakemake benchmark TSVs."""

from wfutil import start_logging, write_table

from pexbench import plots

log = start_logging(snakemake.log[0])
bench = plots.read_benchmarks(snakemake.input)
log.info("%d benchmark rows from %d files", len(bench), len(snakemake.input))
plots.rule_runtimes(bench, snakemake.output.figure)
write_table(bench, snakemake.output.table)
