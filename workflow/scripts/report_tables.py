"""Rule report_tables: the evaluation tables as report items (complete copy + HTML view)."""

import json
import shutil

from wfutil import atomic_path, read_table, start_logging

from pexbench.report import render_table_html

log = start_logging(snakemake.log[0])
max_rows = int(snakemake.params.max_rows)
for key in ("correlations", "variant_effects"):
    src = snakemake.input[key]
    with atomic_path(snakemake.output[key]) as tmp:
        shutil.copyfile(src, tmp)
    table = read_table(src, dtype=str, keep_default_na=False)
    with atomic_path(snakemake.output[f"{key}_html"]) as tmp:
        tmp.write_text(render_table_html(table, title=src, max_rows=max_rows), encoding="utf-8")
    log.info("%s: %d rows (HTML view: at most %d)", src, len(table), max_rows)

with atomic_path(snakemake.output.summary) as tmp:
    shutil.copyfile(snakemake.input.summary, tmp)
with open(snakemake.input.summary, encoding="utf-8") as fh:
    summary = json.load(fh)
with atomic_path(snakemake.output.summary_html) as tmp:
    tmp.write_text(
        render_table_html(None, title=snakemake.input.summary, json_data=summary),
        encoding="utf-8",
    )
