"""Per-gene correlation, BH FDR and sign classes against scipy/statsmodels and hand values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from pexbench.errors import InputError
from pexbench.stats import (
    CORRELATION_COLUMNS,
    bh_fdr,
    correlate_matrices,
    gene_correlations,
    sign_classes,
)


def test_bh_fdr_hand_computed() -> None:
    # sorted p 0.01, 0.03, 0.04, 0.5 -> p*m/rank 0.04, 0.06, 0.0533.., 0.5 -> running min from top
    got = bh_fdr(np.array([0.01, 0.04, 0.03, 0.5]))
    np.testing.assert_allclose(got, [0.04, 0.16 / 3, 0.16 / 3, 0.5], rtol=1e-15)


def test_bh_fdr_matches_statsmodels_and_skips_nan() -> None:
    rng = np.random.default_rng(1)
    p = np.concatenate([rng.uniform(size=200) ** 3, [np.nan] * 5, [1.0, 1.0, 0.0]])
    rng.shuffle(p)
    got = bh_fdr(p)
    ok = np.isfinite(p)
    expected = multipletests(p[ok], method="fdr_bh")[1]
    np.testing.assert_allclose(got[ok], expected, rtol=1e-14, atol=0)
    assert np.isnan(got[~ok]).all()


def test_sign_classes_hand() -> None:
    r = np.array([0.5, -0.5, 0.5, -0.2, 0.1, np.nan])
    fdr = np.array([0.01, 0.05, 0.051, 0.2, 0.05, np.nan])
    got = sign_classes(r, fdr, alpha=0.05)
    assert list(got) == [
        "significant positive",
        "significant negative",  # fdr == alpha rejects (statsmodels' rule)
        "not significant",
        "not significant",
        "significant positive",
        "not tested",
    ]
    assert sign_classes(r[:1], fdr[:1], alpha=0.001)[0] == "not significant"


def test_status_constant_and_too_few() -> None:
    x = np.array(
        [
            [1.0, 1.0, 1.0, 1.0],  # constant prediction
            [1.0, 2.0, 3.0, 4.0],  # constant measurement
            [1.0, 2.0, np.nan, np.nan],  # 2 complete pairs < 3
            [1.0, 2.0, 3.0, 5.0],  # ok
        ]
    )
    y = np.array([[1.0, 2, 3, 4], [7.0, 7, 7, 7], [1.0, 2, 3, 4], [2.0, 1, 4, 3]])
    res = correlate_matrices(x, y, min_individuals=3)
    assert list(res["status"]) == [
        "constant prediction",
        "constant measurement",
        "too few individuals",
        "ok",
    ]
    assert list(res["n_individuals"]) == [4, 4, 2, 4]
    assert res.loc[:2, ["pearson_r", "pearson_p", "spearman_r", "spearman_p"]].isna().all().all()
    r, p = sps.pearsonr(x[3], y[3])
    assert res.loc[3, "pearson_r"] == pytest.approx(r, rel=1e-14)
    assert res.loc[3, "pearson_p"] == pytest.approx(p, rel=1e-12)


def _real_tables(shared_data) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Real measured expression (GEUVADIS, 330 genotyped individuals) and a 'prediction' built
    from real dosages: per gene, the dosage sum of the first 3 variants within 20 kb of the TSS,
    with ties (integer values) that exercise Spearman's average ranks."""
    from pexbench.dosages import dosage_frame
    from pexbench.expression import read_expression
    from pexbench.variants import read_variants, vcf_samples

    vcf = shared_data / "genotypes" / "geuvadis423.chr22.unphased.vcf.gz"
    expr_path = shared_data / "expression" / "genes.50percent.chr22.bed.gz"
    matrix = read_expression(expr_path)
    samples = set(vcf_samples(vcf))
    inds = [c for c in matrix.columns if c in samples]
    assert len(inds) == 330
    bed = pd.read_csv(expr_path, sep="\t", usecols=[0, 1, 3]).iloc[::20]  # 31 genes
    rows = []
    for gene, tss in zip(bed["gene"], bed["start"], strict=True):
        block = read_variants(vcf, "22", tss - 20_000, tss + 20_000, inds, unphased="as_phased")
        frame = dosage_frame(block)
        if len(frame) == 0:
            continue
        dos = frame[inds].to_numpy()[:3].sum(axis=0)
        rows.append(pd.DataFrame({"gene_id": gene, "individual": inds, "predicted": dos}))
    pred = pd.concat(rows, ignore_index=True)
    pred.insert(0, "model", "dosage_probe")
    sub = matrix.loc[pred["gene_id"].unique(), inds]
    meas = sub.rename_axis(columns="individual").stack().rename("measured").reset_index()
    return pred, meas


def test_gene_correlations_real_data_match_scipy_statsmodels(shared_data) -> None:
    pred, meas = _real_tables(shared_data)
    # a second model with missing values in some genes (exercises the per-pattern path)
    pred2 = pred.copy()
    pred2["model"] = "with_missing"
    pred2.loc[pred2.index[::7], "predicted"] = np.nan
    table = gene_correlations(pd.concat([pred, pred2]), meas, method="spearman", alpha=0.05)
    assert list(table.columns) == CORRELATION_COLUMNS
    for model, sub in table.groupby("model"):
        src = pred if model == "dosage_probe" else pred2
        ok = sub["status"] == "ok"
        assert ok.sum() >= 20
        for _, row in sub[ok].iterrows():
            x = src[src["gene_id"] == row["gene_id"]].set_index("individual")["predicted"]
            y = meas[meas["gene_id"] == row["gene_id"]].set_index("individual")["measured"]
            y = y.reindex(x.index)
            keep = x.notna() & y.notna()
            assert row["n_individuals"] == keep.sum()
            pr = sps.pearsonr(x[keep], y[keep])
            sr = sps.spearmanr(x[keep], y[keep])
            np.testing.assert_allclose(row["pearson_r"], pr.statistic, rtol=1e-12)
            np.testing.assert_allclose(row["pearson_p"], pr.pvalue, rtol=1e-9)
            np.testing.assert_allclose(row["spearman_r"], sr.statistic, rtol=1e-12)
            np.testing.assert_allclose(row["spearman_p"], sr.pvalue, rtol=1e-9)
        for method in ("pearson", "spearman"):
            expected = multipletests(sub.loc[ok, f"{method}_p"], method="fdr_bh")[1]
            np.testing.assert_allclose(sub.loc[ok, f"{method}_fdr"], expected, rtol=1e-12)
        rej = multipletests(sub.loc[ok, "spearman_p"], alpha=0.05, method="fdr_bh")[0]
        sig = sub.loc[ok, "sign_class"].str.startswith("significant").to_numpy()
        np.testing.assert_array_equal(sig, rej)
        # constant-dosage genes are reported, not dropped
        assert set(sub.loc[~ok, "status"]) <= {"constant prediction", "too few individuals"}


def test_gene_correlations_reports_unpredicted_genes_and_duplicates() -> None:
    inds = [f"I{i}" for i in range(6)]
    meas = pd.DataFrame(
        {
            "gene_id": ["g1"] * 6 + ["g2"] * 6,
            "individual": inds * 2,
            "measured": [1.0, 2, 3, 4, 5, 7, 1, 1, 2, 2, 3, 3],
        }
    )
    pred = pd.DataFrame(
        {"model": "m", "gene_id": "g1", "individual": inds, "predicted": [6.0, 5, 4, 3, 2, 1]}
    )
    table = gene_correlations(pred, meas).set_index("gene_id")
    # g3: predicted, but measured for nobody (absent from the measured table)
    pred3 = pd.concat([pred, pred.assign(gene_id="g3")], ignore_index=True)
    t3 = gene_correlations(pred3, meas).set_index("gene_id")
    assert t3.loc["g3", "status"] == "no measurement"
    assert t3.loc["g3", "n_individuals"] == 0 and t3.loc["g3", "sign_class"] == "not tested"
    assert t3.loc["g1", "status"] == "ok"
    # a measured row that is all NaN is "no measurement" too; 2 values is "too few"
    res = correlate_matrices(
        np.array([[1.0, 2, 3], [1.0, 2, 3]]), np.array([[np.nan] * 3, [1.0, 2, np.nan]])
    )
    assert list(res["status"]) == ["no measurement", "too few individuals"]
    assert table.loc["g2", "status"] == "no prediction"
    assert table.loc["g2", "sign_class"] == "not tested"
    assert table.loc["g1", "spearman_r"] == pytest.approx(-1.0)
    with pytest.raises(InputError, match="duplicated"):
        gene_correlations(pd.concat([pred, pred.iloc[:1]]), meas)
    with pytest.raises(InputError, match="method"):
        gene_correlations(pred, meas, method="kendall")  # type: ignore[arg-type]


def test_bootstrap_median_ci_is_seeded_and_empty_safe() -> None:
    from pexbench.stats import bootstrap_median_ci

    x = np.array([0.1, 0.2, np.nan, 0.3, 0.4, 0.5])
    lo, hi = bootstrap_median_ci(x, n_resamples=500, seed=3)
    assert (lo, hi) == bootstrap_median_ci(x, n_resamples=500, seed=3)
    assert 0.1 <= lo <= 0.3 <= hi <= 0.5  # within the data; NaN ignored
    assert all(np.isnan(bootstrap_median_ci(np.array([np.nan]))))
    assert bootstrap_median_ci(np.array([0.7])) == (0.7, 0.7)
