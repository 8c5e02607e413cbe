"""summary.json: per-model results, run counts and the summary of a run's tables, by hand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from evalcase import correlations, outside_variant_preds, selected, states, variant_preds
from scipy import stats as scipy_stats
from statsmodels.stats.proportion import proportion_confint

from pexbench.evaluate import lead_states, sign_classes_by_state, variant_effects
from pexbench.summary import (
    run_counts,
    summarise,
    summary_json,
    summary_text,
    workflow_summary,
    write_summary,
)
from pexbench.tables import write_table


def test_summarise_gene_and_variant_level(tmp_path: Path) -> None:
    bed = states(tmp_path)
    vt = variant_effects(variant_preds(), selected(), model="m", states=bed)
    corr = correlations()
    summary = summarise(corr, vt)["m"]
    assert summary["genes"] == 4 and summary["genes_evaluated"] == 3
    assert summary["median_pearson_r"] == pytest.approx(0.1)
    assert summary["median_spearman_r"] == pytest.approx(0.0)
    assert summary["fraction_significant_negative"] == pytest.approx(0.5)
    assert summary["concordance"] == {
        "n_variants": 3,
        "concordant": 1,
        "discordant": 1,
        "tie": 1,
        "outside_model_input": 0,
        "fraction_concordant": 0.5,
        "fraction_concordant_ci95": pytest.approx(list(proportion_confint(1, 2, method="wilson"))),
    }
    assert summary["concordance_by_state"]["TSS"]["fraction_concordant"] == 1.0
    assert summary["concordance_by_state"]["E"] == {
        "n_variants": 2,
        "concordant": 0,
        "discordant": 1,
        "tie": 1,
        "outside_model_input": 0,
        "fraction_concordant": 0.0,
        "fraction_concordant_ci95": pytest.approx(list(proportion_confint(0, 1, method="wilson"))),
    }
    text = summary_json({"x": {"a": float("nan"), "b": np.int64(3)}})
    assert json.loads(text) == {"x": {"a": None, "b": 3}}

    lead = lead_states(selected().groupby("gene_id").head(1), bed)
    by_state = sign_classes_by_state(corr, lead)
    nested = summarise(corr, vt, by_state)["m"]["sign_classes_by_lead_eqtl_state"]
    assert nested["no eQTL"] == {"not significant": 1, "not tested": 1}


def test_variants_outside_model_input_are_counted_apart(tmp_path: Path) -> None:
    vt = variant_effects(outside_variant_preds(), selected(), model="m", states=states(tmp_path))
    corr = pd.DataFrame(
        {
            "model": "m",
            "gene_id": ["g", "h"],
            "pearson_r": [0.5, -0.4],
            "spearman_r": [0.4, -0.2],
            "sign_class": ["not significant"] * 2,
            "status": ["ok", "ok"],
        }
    )
    summary = summarise(corr, vt)["m"]
    assert summary["concordance"] == {
        "n_variants": 4,
        "concordant": 1,
        "discordant": 1,
        "tie": 1,
        "outside_model_input": 1,
        "fraction_concordant": 0.5,
        "fraction_concordant_ci95": pytest.approx(list(proportion_confint(1, 2, method="wilson"))),
    }
    # v4 at pos 500 has no state ("unassigned" label of read_states' tables)
    by_state = summary["concordance_by_state"]
    assert sum(v["outside_model_input"] for v in by_state.values()) == 1
    assert by_state["E"]["tie"] == 1 and by_state["E"]["outside_model_input"] == 0


def _run_tables() -> dict[str, pd.DataFrame]:
    return {
        "genes": pd.DataFrame(
            {
                "gene_id": ["g", "h", "k"],
                "symbol": ["G", "H", "K"],
                "chrom": "22",
                "tss": [10, 20, 30],
                "strand": "+",
                "shard": [0, 0, 2],
            }
        ),
        "genes_dropped": pd.DataFrame(
            {
                "gene_id": ["x", "y", "z"],
                "symbol": ["X", pd.NA, "Z"],
                "chrom": "22",
                "tss": pd.array([1, pd.NA, 3], dtype="Int64"),
                "reason": ["not in the expression table", "gene_type not selected", "b"],
            }
        ),
        "individuals": pd.DataFrame(
            {
                "individual": ["A", "B", "C", "D"],
                "kept": [True, True, False, False],
                "source": ["vcf+expression", "vcf+expression", "vcf", "expression"],
                "reason": ["kept", "kept", "not in expression", "not in VCF"],
            }
        ),
        "genotype_counts": pd.DataFrame({"what": ["records_in", "skipped"], "count": [7, 1]}),
        "haplotype_stats": pd.DataFrame(
            {
                "gene_id": ["g", "h"],
                "window_start": [0, 5],
                "window_end": [100, 105],
                "n_alleles": [3, 4],
                "n_haplotypes": [4, 4],
                "n_unique": [2, 3],
                "skipped_star": [1, np.nan],
            }
        ),
        "variants": pd.DataFrame({"scored": ["yes", "yes", "outside the haplotype window"]}),
        "baseline_report": pd.DataFrame(
            {"gene_id": ["a", "b", "c"], "status": ["ok", "no cis variants", "ok"]}
        ),
    }


def test_run_counts() -> None:
    run = run_counts(**_run_tables(), n_shards=3)
    assert run == {
        "genes": {
            "kept": 3,
            "shards": 3,
            "shards_with_genes": 2,
            "dropped": {"b": 1, "gene_type not selected": 1, "not in the expression table": 1},
        },
        "individuals": {"kept": 2, "dropped": {"not in VCF": 1, "not in expression": 1}},
        "genotypes": {"records_in": 7, "skipped": 1},
        "haplotypes": {"n_alleles": 7, "n_haplotypes": 8, "n_unique": 5, "skipped_star": 1},
        "eqtl_variants": {
            "selected": 3,
            "by_status": {"outside the haplotype window": 1, "yes": 2},
        },
        "baseline": {
            "genes_by_status": {"no cis variants": 1, "ok": 2},
            "genes_not_evaluated": {"b": "no cis variants"},
        },
    }
    assert "baseline" not in run_counts(**{**_run_tables(), "baseline_report": None}, n_shards=3)


def test_workflow_summary_reads_the_run_tables(tmp_path: Path) -> None:
    bed = states(tmp_path)
    vt = variant_effects(variant_preds(), selected(), model="m", states=bed)
    corr = correlations().assign(
        n_individuals=3, pearson_p=0.1, spearman_p=0.1, pearson_fdr=0.1, spearman_fdr=0.1
    )
    lead = lead_states(selected().groupby("gene_id").head(1), bed)
    tables = _run_tables()
    eqtl_like = selected().assign(
        n_individuals=3, n_imputed=0, se=0.1, t=1.0, status="ok", allele_index=1, ref="A"
    )
    tables["variants"] = eqtl_like.assign(alt="C", scored=["yes", "yes", "yes", "x"])
    tables["baseline_report"] = pd.DataFrame(
        {
            "gene_id": ["g", "h"],
            "n_individuals": 3,
            "n_cis_variants": 1,
            "n_polymorphic": 1,
            "status": ["ok", "no cis variants"],
            "n_folds_empty": 0.0,
            "median_nonzero": 1.0,
            "median_alpha": 0.1,
        }
    )
    paths = {}
    for kind, frame in {
        **tables,
        "gene_correlations": corr,
        "variant_effects": vt,
        "sign_classes_by_state": sign_classes_by_state(corr, lead),
    }.items():
        paths[kind] = write_table(frame, tmp_path / f"{kind}.tsv", kind=kind)
    empty_shard = write_table(
        pd.DataFrame(columns=["gene_id"]), tmp_path / "h2.tsv", kind="haplotype_stats"
    )
    settings = {"correlation": "pearson", "models": [{"name": "m"}]}
    files = {
        "correlations": paths["gene_correlations"],
        "variant_effects": paths["variant_effects"],
        "sign_classes_by_state": paths["sign_classes_by_state"],
        "variants": [paths["variants"]],
        "baseline_reports": [paths["baseline_report"]],
        "genes": paths["genes"],
        "genes_dropped": paths["genes_dropped"],
        "individuals": paths["individuals"],
        "genotype_counts": paths["genotype_counts"],
        "haplotype_stats": [paths["haplotype_stats"], empty_shard],
    }
    summary = workflow_summary(**files, settings=settings)
    assert summary["settings"] == settings
    assert summary["models"] == summarise(corr, vt, sign_classes_by_state(corr, lead))
    assert summary["run"]["genes"]["shards"] == 2
    assert summary["run"]["haplotypes"]["skipped_star"] == 1
    assert summary["run"]["eqtl_variants"]["by_status"] == {"x": 1, "yes": 3}
    assert summary["run"]["baseline"] == {
        "genes_by_status": {"no cis variants": 1, "ok": 1},
        "genes_not_evaluated": {"h": "no cis variants"},
    }
    out = write_summary(summary, tmp_path / "out" / "summary.json")
    assert out.read_text() == summary_json(summary)
    no_baseline = workflow_summary(**{**files, "baseline_reports": []}, settings=settings)
    assert "baseline" not in no_baseline["run"]


def test_summary_text_flags_random_weights(tmp_path: Path) -> None:
    summary = {
        "models": {
            "tiny": {
                "genes": 4,
                "genes_evaluated": 3,
                "median_pearson_r": 0.25,
                "significant_genes": 2,
                "fraction_significant_negative": 0.5,
                "concordance": {"fraction_concordant": None},
                "genes_not_evaluated": {"g1": "no measurement"},
            }
        },
        "run": {"genes": {"kept": 4}, "individuals": {"kept": 9}, "genotypes": {"records_out": 7}},
        "settings": {"models": [{"name": "tiny", "weights": "tiny"}]},
    }
    path = tmp_path / "summary.json"
    path.write_text(summary_json(summary))
    lines = summary_text(path).splitlines()
    assert lines[0].split() == [
        "model",
        "genes",
        "median",
        "r",
        "signif.",
        "neg.",
        "concord.",
        "not",
        "evaluated",
    ]
    assert lines[1].split() == [
        "tiny",
        "3/4",
        "0.250",
        "2",
        "0.50",
        "-",
        "1",
        "(random",
        "weights,",
        "not",
        "a",
        "result)",
    ]
    assert lines[2] == (
        "genes kept 4, individuals kept 9, genotype records 7, REF mismatches excluded 0"
    )


def test_median_r_has_a_seeded_bootstrap_interval_like_scipys() -> None:
    rng = np.random.default_rng(7)
    r = rng.normal(0.1, 0.2, size=400)
    corr = pd.DataFrame(
        {
            "model": "m",
            "gene_id": [f"g{i}" for i in range(r.size)],
            "pearson_r": r,
            "spearman_r": r / 2,
            "sign_class": "not significant",
            "status": "ok",
        }
    )
    entry = summarise(corr)["m"]
    lo, hi = entry["median_pearson_r_ci95"]
    assert lo < entry["median_pearson_r"] < hi
    oracle = scipy_stats.bootstrap(
        (r,), np.median, n_resamples=2000, method="percentile", random_state=1
    ).confidence_interval
    # independent resamples: the two percentile intervals agree to Monte-Carlo error
    assert lo == pytest.approx(oracle.low, abs=0.01) and hi == pytest.approx(oracle.high, abs=0.01)
    assert summarise(corr)["m"]["median_pearson_r_ci95"] == [lo, hi]  # seeded: reproducible
    assert entry["median_spearman_r_ci95"] == pytest.approx([lo / 2, hi / 2])
