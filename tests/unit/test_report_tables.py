"""Report items of the evaluation tables: complete copies and HTML views."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from pexbench.report_tables import json_item, render_table_html, table_item


def test_table_html_view() -> None:
    table = pd.DataFrame({"gene_id": [f"g{i}" for i in range(5)], "r": [0.5, -0.25, 1, 0, 2]})
    html = render_table_html(table, title="t.tsv", max_rows=3)
    assert "5 rows; the first 3 are shown" in html
    assert html.count("<tr") == 4  # header + 3 rows
    assert "<td>g2</td>" in html and "<td>g3</td>" not in html
    assert "&lt;b&gt;" in render_table_html(pd.DataFrame({"a": ["<b>"]}), title="x")
    js = render_table_html(None, title="s.json", json_data={"b": 1, "a": [1, 2]})
    assert js.index("&quot;a&quot;") < js.index("&quot;b&quot;")


def test_table_and_json_items(tmp_path: Path) -> None:
    source = tmp_path / "t.tsv"
    source.write_text("gene_id\tr\n00123\tNA\ng\t0.5\n")
    n = table_item(source, tmp_path / "out" / "t.tsv", tmp_path / "out" / "t.html", max_rows=1)
    assert n == 2
    assert (tmp_path / "out" / "t.tsv").read_bytes() == source.read_bytes()
    view = (tmp_path / "out" / "t.html").read_text()
    assert "<td>00123</td>" in view and "<td>NA</td>" in view  # cells as written
    assert "2 rows; the first 1 are shown" in view
    doc = tmp_path / "s.json"
    doc.write_text(json.dumps({"b": 1, "a": None}))
    json_item(doc, tmp_path / "out" / "s.json", tmp_path / "out" / "s.html")
    assert (tmp_path / "out" / "s.json").read_text() == doc.read_text()
    assert "&quot;a&quot;: null" in (tmp_path / "out" / "s.html").read_text()


def test_views_of_tables_with_untrained_models_are_flagged(tmp_path: Path) -> None:
    src = tmp_path / "c.tsv"
    src.write_text("model\tgene_id\nenf\tg1\nxp\tg1\n")
    table_item(src, tmp_path / "a.tsv", tmp_path / "a.html", max_rows=10, untrained=["enf"])
    assert "Rows of enf: random weights, NOT A RESULT." in (tmp_path / "a.html").read_text()
    table_item(src, tmp_path / "b.tsv", tmp_path / "b.html", max_rows=10, untrained=["other"])
    assert "NOT A RESULT" not in (tmp_path / "b.html").read_text()


def test_views_of_a_run_on_non_real_inputs_are_flagged(tmp_path: Path) -> None:
    src = tmp_path / "c.tsv"
    src.write_text("model\tgene_id\nenf\tg1\n")
    flags = ["synthetic input: chromatin_states"]
    table_item(src, tmp_path / "a.tsv", tmp_path / "a.html", max_rows=10, input_flags=flags)
    assert "NOT A RESULT: synthetic input: chromatin_states" in (tmp_path / "a.html").read_text()
    table_item(src, tmp_path / "b.tsv", tmp_path / "b.html", max_rows=10, input_flags=[])
    assert "NOT A RESULT" not in (tmp_path / "b.html").read_text()
