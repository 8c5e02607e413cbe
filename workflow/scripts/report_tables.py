"""Rule report_tables: the evaluation tables as report items (complete copy + HTML view)."""

from pexbench.jobs import start_logging
from pexbench.report_tables import table_item
from pexbench.summary_views import write_summary_view

start_logging(snakemake.log[0])
inp, out, max_rows = snakemake.input, snakemake.output, snakemake.params.max_rows
table_item(inp.correlations, out.correlations, out.correlations_html, max_rows=max_rows)
table_item(inp.variant_effects, out.variant_effects, out.variant_effects_html, max_rows=max_rows)
write_summary_view(inp.summary, out.summary, out.summary_html)
