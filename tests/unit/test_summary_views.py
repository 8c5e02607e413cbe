"""The landing table and the summary's HTML view, against a summary written out by hand."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from statsmodels.stats.proportion import proportion_confint

from pexbench.errors import InputError
from pexbench.summary_views import (
    HEADLINE_COLUMNS,
    headline_table,
    summary_html,
    write_landing,
    write_summary_view,
)

MODELS = [
    {"name": "xpresso", "type": "xpresso", "weights": "x.h5"},
    {"name": "enformer_tiny_random", "type": "enformer", "weights": "tiny"},
]


def _concordance(k: int, d: int) -> dict[str, object]:
    lo, hi = proportion_confint(k, k + d, method="wilson")
    return {
        "n_variants": k + d,
        "concordant": k,
        "discordant": d,
        "tie": 0,
        "outside_model_input": 0,
        "fraction_concordant": k / (k + d),
        "fraction_concordant_ci95": [lo, hi],
    }


SUMMARY = {
    "models": {
        "enformer_tiny_random": {
            "genes_evaluated": 30,
            "median_pearson_r": -0.07,
            "median_pearson_r_ci95": [-0.16, -0.01],
            "significant_positive": 4,
            "significant_negative": 12,
            "fraction_significant_negative": 0.75,
            "concordance": _concordance(1, 1),
            "concordance_by_state": {"TSS": _concordance(1, 0)},
            "sign_classes_by_lead_eqtl_state": {"TSS": {"not significant": 3}},
        },
        "genotype_elastic_net": {
            "genes_evaluated": 39,
            "median_pearson_r": 0.18,
            "median_pearson_r_ci95": [0.05, 0.27],
            "significant_positive": 23,
            "significant_negative": 0,
            "fraction_significant_negative": 0.0,
        },
        "xpresso": {
            "genes_evaluated": 38,
            "median_pearson_r": 0.044,
            "median_pearson_r_ci95": None,
            "significant_positive": 13,
            "significant_negative": 6,
            "fraction_significant_negative": 6 / 19,
            "concordance": _concordance(8, 1),
        },
    },
    "run": {"genes": {"kept": 72}},
}


def test_headline_rows_follow_the_config_then_the_baseline() -> None:
    table = headline_table(SUMMARY, MODELS)
    assert list(table.columns) == list(HEADLINE_COLUMNS)
    assert list(table["model"]) == ["xpresso", "enformer_tiny_random", "genotype_elastic_net"]
    row = table.set_index("model").loc["xpresso"]
    assert row["trained"] == "yes" and row["weights"] == "x.h5"
    assert math.isnan(row["median_r_ci_low"])  # no interval in the file: shown as n/a
    assert row["variants_decided"] == 9 and row["fraction_concordant"] == pytest.approx(8 / 9)
    lo, hi = proportion_confint(8, 9, method="wilson")
    assert (row["concordance_ci_low"], row["concordance_ci_high"]) == pytest.approx((lo, hi))
    tiny = table.set_index("model").loc["enformer_tiny_random"]
    assert tiny["trained"].startswith("NO")
    base = table.set_index("model").loc["genotype_elastic_net"]
    assert base["variants_decided"] == 0 and math.isnan(base["fraction_concordant"])
    with pytest.raises(InputError, match="no 'models' section"):
        headline_table({}, MODELS)


def test_landing_page_carries_the_summary_numbers(tmp_path: Path) -> None:
    src = tmp_path / "summary.json"
    src.write_text(json.dumps(SUMMARY))
    write_landing(src, tmp_path / "landing.html", models=MODELS, fdr=0.05, correlation="pearson")
    page = (tmp_path / "landing.html").read_text(encoding="utf-8")
    assert page.startswith("<style>")
    rows = re.findall(r'<tr data-model="([^"]+)"', page)
    assert rows == ["xpresso", "enformer_tiny_random", "genotype_elastic_net"]
    # the exact numbers of the file (data-value) next to what is shown
    assert '<td data-value="[-0.07, -0.16, -0.01]">-0.070 [-0.160, -0.010]</td>' in page
    assert "0.89 [" in page and "(9)" in page  # 8 of 9 concordant
    assert "13 / 6" in page and "FDR ≤ 0.05" in page
    assert "enformer_tiny_random [NOT A RESULT]" in page
    assert "enformer_tiny_random: random weights, NOT A RESULT" in page
    assert "no variant effects" in page  # the baseline has none


def test_summary_view_is_tables(tmp_path: Path) -> None:
    src = tmp_path / "summary.json"
    src.write_text(json.dumps(SUMMARY))
    write_summary_view(src, tmp_path / "copy.json", tmp_path / "view.html")
    assert (tmp_path / "copy.json").read_text() == src.read_text()
    view = (tmp_path / "view.html").read_text(encoding="utf-8")
    assert view.count("<table>") == 4  # per model, concordance by state, sign classes, run
    assert "<td>enformer_tiny_random</td><td>TSS</td><td>1</td><td>0</td>" in view
    assert "<td>genes.kept</td><td>72</td>" in view
    assert "{" not in summary_html(SUMMARY, title="t").split("</style>")[1]  # no raw JSON


def test_non_real_inputs_are_flagged_over_the_landing_table_and_the_summary_view(
    tmp_path: Path,
) -> None:
    src = tmp_path / "summary.json"
    src.write_text(json.dumps(SUMMARY))
    flags = ["synthetic reference", "synthetic input: chromatin_states"]
    line = "NOT A RESULT: synthetic reference; synthetic input: chromatin_states"
    kw = {"models": MODELS, "fdr": 0.05, "correlation": "pearson"}
    write_landing(src, tmp_path / "flagged.html", input_flags=flags, **kw)
    page = (tmp_path / "flagged.html").read_text(encoding="utf-8")
    assert f'<p class="pexbench-flag">{line}</p><table class="pexbench-headline">' in page
    write_summary_view(src, tmp_path / "c.json", tmp_path / "view.html", input_flags=flags)
    assert line in (tmp_path / "view.html").read_text(encoding="utf-8")
    # real inputs: the pages as without the keyword
    write_landing(src, tmp_path / "real.html", input_flags=[], **kw)
    write_landing(src, tmp_path / "plain.html", **kw)
    assert (tmp_path / "real.html").read_bytes() == (tmp_path / "plain.html").read_bytes()
    assert summary_html(SUMMARY, title="t", input_flags=[]) == summary_html(SUMMARY, title="t")
    assert "synthetic" not in summary_html(SUMMARY, title="t", input_flags=[])
