"""The evaluation tables as report items: a complete copy of each file and an HTML view.

The Snakemake report embeds each table twice: the file itself (TSV or JSON, complete) and a
standalone HTML page (`render_table_html`) that shows at most `max_rows` rows of a table, or a
JSON document pretty-printed.
"""

from __future__ import annotations

import html
import json
import logging
import shutil
from collections.abc import Collection, Sequence
from pathlib import Path

import pandas as pd

from pexbench.errors import InputError
from pexbench.palette import UNTRAINED_FLAG
from pexbench.report import input_flag_line
from pexbench.tables import atomic_path, read_table

log = logging.getLogger(__name__)

PathLike = str | Path

_TABLE_CSS = (
    "body{font-family:sans-serif;font-size:13px;margin:1em;}"
    "table{border-collapse:collapse;}th,td{border:1px solid #ccc;padding:2px 6px;"
    "text-align:right;white-space:nowrap;}th{background:#eee;position:sticky;top:0;}"
    "td:first-child,th:first-child{text-align:left;}pre{font-size:12px;}"
)


def render_table_html(
    table: pd.DataFrame | None,
    *,
    title: str,
    max_rows: int = 5000,
    json_data: object = None,
    flag: str | None = None,
) -> str:
    """Standalone HTML view of a result table (at most ``max_rows`` rows, the number shown and
    the total named) or, with ``json_data``, of a JSON document (pretty-printed); `flag` (e.g.
    which rows come from random weights) is written in red under the title."""
    head = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_TABLE_CSS}</style></head><body>"
        f"<h2>{html.escape(title)}</h2>"
    )
    if flag:
        head += f"<p style='color:#b2182b;font-weight:bold'>{html.escape(flag)}</p>"
    if json_data is not None:
        body = "<pre>" + html.escape(json.dumps(json_data, indent=2, sort_keys=True)) + "</pre>"
        return head + body + "</body></html>\n"
    if table is None:
        raise InputError(f"{title}: nothing to render (no table and no JSON given)")
    n = len(table)
    shown = table.head(max_rows)
    note = f"<p>{n} rows"
    if n > max_rows:
        note += (
            f"; the first {max_rows} are shown here, the complete table is the TSV item of "
            "the same name"
        )
    note += ".</p>"
    return head + note + shown.to_html(index=False, escape=True, na_rep="") + "</body></html>\n"


def table_item(
    source: PathLike,
    copy: PathLike,
    view: PathLike,
    *,
    max_rows: int,
    untrained: Collection[str] = (),
    input_flags: Sequence[str] = (),
) -> int:
    """Copy the TSV `source` to `copy` and write its HTML view (cells as written in the file,
    at most `max_rows` rows) to `view`, flagged when its `model` column holds a model of
    `untrained` and when the run has non-real inputs (`input_flags`,
    `pexbench.report.input_flags`); return the number of rows."""
    with atomic_path(copy) as tmp:
        shutil.copyfile(source, tmp)
    table = read_table(source, dtype=str, keep_default_na=False)
    shown = set(table["model"]) if "model" in table.columns else set()
    bad = [m for m in untrained if m in shown]
    flags = [f"Rows of {', '.join(bad)}: {UNTRAINED_FLAG}."] if bad else []
    flags += [input_flag_line(input_flags)] if input_flags else []
    with atomic_path(view) as tmp:
        tmp.write_text(
            render_table_html(
                table, title=str(source), max_rows=int(max_rows), flag=" ".join(flags) or None
            ),
            encoding="utf-8",
        )
    log.info("%s: %d rows (HTML view: at most %d)", source, len(table), max_rows)
    return len(table)


def json_item(source: PathLike, copy: PathLike, view: PathLike) -> None:
    """Copy the JSON document `source` to `copy` and write its HTML view to `view`."""
    with atomic_path(copy) as tmp:
        shutil.copyfile(source, tmp)
    with open(source, encoding="utf-8") as fh:
        document = json.load(fh)
    with atomic_path(view) as tmp:
        tmp.write_text(
            render_table_html(None, title=str(source), json_data=document), encoding="utf-8"
        )
