"""Per-gene r in context: the numbers written in the figures against scipy and hand values."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from pexbench import context_plots, palette, report

BASE = "genotype_elastic_net"


def texts(path: Path) -> list[str]:
    return re.findall(r"<!-- (.*?) -->", path.read_text(encoding="utf-8"))


@pytest.fixture
def tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(3)
    genes = [f"g{i}" for i in range(8)]
    rows = []
    for model in ("m_a", "m_b", BASE):
        for g in genes:
            rows.append((model, g, float(rng.uniform(-0.8, 0.8))))
    corr = pd.DataFrame(rows, columns=["model", "gene_id", "pearson_r"])
    corr.loc[(corr.model == "m_a") & (corr.gene_id == "g7"), "pearson_r"] = np.nan
    effects = pd.DataFrame(
        {
            "model": "m_a",
            "gene_id": ["g0", "g0", "g1", "g2", "g3", "g4", "g5"],
            "eqtl_p": [1e-3, 1e-8, 1e-4, 1e-6, 1e-2, 1e-5, np.nan],
        }
    )
    return corr, effects


def test_lead_eqtl_strength_is_the_smallest_p(tables) -> None:
    _, effects = tables
    s = context_plots.lead_eqtl_strength(effects)
    assert s.to_dict() == pytest.approx({"g0": 8.0, "g1": 4.0, "g2": 6.0, "g3": 2.0, "g4": 5.0})


def test_r_vs_eqtl_and_baseline_counts_and_rho(tables, tmp_path: Path) -> None:
    corr, effects = tables
    colours = palette.model_colours(["m_a", "m_b", BASE])
    out = context_plots.r_vs_eqtl_and_baseline(
        corr, effects, tmp_path / "c.svg", colours=colours, untrained=["m_b"]
    )
    t = texts(out)
    wide = corr.pivot(index="gene_id", columns="model", values="pearson_r")
    lead = pd.Series({"g0": 8.0, "g1": 4.0, "g2": 6.0, "g3": 2.0, "g4": 5.0}).reindex(wide.index)
    ok = lead.notna() & wide["m_a"].notna()  # 5 genes with an eQTL, g7 has no r for m_a
    rho = spearmanr(lead[ok], wide["m_a"][ok]).statistic
    assert f"n = {int(ok.sum())} genes ({8 - int(ok.sum())} without an eQTL p)" in t
    assert f"Spearman ρ = {rho:+.2f}" in t
    both = wide["m_b"].notna() & wide[BASE].notna()
    rho_b = spearmanr(wide[BASE][both], wide["m_b"][both]).statistic
    assert "n = 8 genes" in t and f"Spearman ρ = {rho_b:+.2f}" in t
    assert any(f"m_b: {palette.UNTRAINED_FLAG}" in x for x in t)
    # the baseline is the yardstick, not a row of its own
    assert not any(x.startswith(f"{BASE}\n") for x in t)


def test_model_vs_model_has_every_pair(tables, tmp_path: Path) -> None:
    corr, _ = tables
    out = context_plots.model_vs_model(corr, tmp_path / "m.svg")
    t = texts(out)
    assert t.count("n = 7 genes (1 without both)") == 2  # m_a against m_b and the baseline
    assert t.count("n = 8 genes") == 1  # m_b against the baseline
    one = context_plots.model_vs_model(corr[corr.model == "m_a"], tmp_path / "o.svg")
    assert "fewer than two models" in texts(one)


def test_reference_predictions_and_across_genes(tables, tmp_path: Path) -> None:
    from pexbench.tables import write_table

    paths = []
    for model, shard, rows in (
        ("m_a", "000", [("g0", -1, "t1", 2.0), ("g0", -1, "t2", 4.0), ("g0", 0, "t1", 9.0)]),
        ("m_a", "001", [("g1", -1, "t1", 1.0), ("g1", -1, "t2", 1.0)]),
        ("m_b", "000", [("g0", -1, "t1", 0.5), ("g1", -1, "t1", 0.25)]),
    ):
        frame = pd.DataFrame(rows, columns=["gene_id", "haplotype", "track", "value"])
        path = tmp_path / f"{model}_{shard}.tsv.gz"
        write_table(frame, path, kind="predictions")
        paths.append(path)
    keys = [("m_a", "000"), ("m_a", "001"), ("m_b", "000")]
    ref = context_plots.reference_predictions(paths, keys, log1p_models=["m_a"])
    # reference rows only (haplotype -1), mean over tracks, log1p for m_a alone
    assert ref.to_dict("list") == {
        "model": ["m_a", "m_a", "m_b", "m_b"],
        "gene_id": ["g0", "g1", "g0", "g1"],
        "reference": pytest.approx([np.log1p(3.0), np.log1p(1.0), 0.5, 0.25]),
    }
    corr, _ = tables
    mean = pd.Series({"g0": 10.0, "g1": 1.0, "g2": 5.0})
    ref = pd.concat([ref, pd.DataFrame({"model": "m_a", "gene_id": ["g2"], "reference": [0.9]})])
    out = context_plots.across_genes_vs_individuals(ref, mean, corr, tmp_path / "a.svg")
    t = texts(out)
    rho = spearmanr([np.log1p(3.0), np.log1p(1.0), 0.9], [10.0, 1.0, 5.0]).statistic
    assert f"across genes: n = 3\nSpearman ρ = {rho:+.2f}" in t or (
        "across genes: n = 3" in t and f"Spearman ρ = {rho:+.2f}" in t
    )
    r = corr.loc[corr.model == "m_a", "pearson_r"].dropna()
    assert f"median r = {np.median(r):+.3f}" in t


def test_non_real_inputs_are_flagged_in_every_title(tables, tmp_path: Path) -> None:
    """A run on non-real inputs (pexbench.report.input_flags) says so in each figure's title;
    real inputs ([]) leave each figure as it is drawn without the keyword."""
    corr, effects = tables
    ref = pd.DataFrame({"model": "m_a", "gene_id": ["g0", "g1", "g2"], "reference": [1, 2, 3.0]})
    mean = pd.Series({"g0": 10.0, "g1": 1.0, "g2": 5.0})
    figures = {
        "r_context": lambda out, **kw: context_plots.r_vs_eqtl_and_baseline(
            corr, effects, out, **kw
        ),
        "model_vs_model": lambda out, **kw: context_plots.model_vs_model(corr, out, **kw),
        "across_genes": lambda out, **kw: context_plots.across_genes_vs_individuals(
            ref, mean, corr, out, **kw
        ),
    }
    flags = ["synthetic reference", "synthetic input: chromatin_states"]
    for name, draw in figures.items():
        flagged = draw(tmp_path / f"{name}_flagged.svg", input_flags=flags)
        assert report.input_flag_line(flags) in texts(flagged), name
        real = draw(tmp_path / f"{name}_real.svg", input_flags=[])
        assert real.read_bytes() == draw(tmp_path / f"{name}.svg").read_bytes(), name
        assert "NOT A RESULT" not in real.read_text(encoding="utf-8"), name
