"""Rule report_tables: the evaluation tables as report items (complete copy + HTML view)."""

from pexbench.jobs import start_logging
from pexbench.report_tables import table_item
from pexbench.summary_views import write_summary_view

start_logging(snakemake.log[0])
inp, out, par = snakemake.input, snakemake.output, snakemake.params
kw = {"max_rows": par.max_rows, "untrained": par.untrained, "input_flags": par.input_flags}
table_item(inp.correlations, out.correlations, out.correlations_html, **kw)
table_item(inp.variant_effects, out.variant_effects, out.variant_effects_html, **kw)
write_summary_view(inp.summary, out.summary, out.summary_html, input_flags=par.input_flags)
