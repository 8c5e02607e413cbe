"""PrediXcan-style elastic-net baseline: out-of-fold honesty, edge cases, real-data smoke."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from sklearn.linear_model import ElasticNet
from sklearn.preprocessing import StandardScaler

from pexbench.baseline import (
    MODEL_NAME,
    _enet,
    _standardise,
    elastic_net_baseline,
    nested_cv_predict,
)
from pexbench.columns import column_names
from pexbench.dosages import cis_indices
from pexbench.models.facts import BASELINE_MODEL


def _synthetic(n: int = 150, p: int = 120, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.binomial(2, rng.uniform(0.05, 0.5, size=p), size=(n, p)).astype(float)
    y = 1.0 * x[:, 3] - 1.0 * x[:, p // 3] + rng.normal(scale=0.5, size=n)
    return x, y


def test_out_of_fold_prediction_never_sees_own_value() -> None:
    x, y = _synthetic()
    pred, info = nested_cv_predict(y, x, seed=5)
    assert sps.pearsonr(pred, y).statistic > 0.5
    assert info["median_nonzero"] >= 2
    # Changing individual i's expression changes nothing in i's prediction except the shared
    # intercept (the mean over all individuals), because the model predicting i never saw y_i.
    for i in (0, 77, 149):
        y2 = y.copy()
        y2[i] += 25.0
        pred2, _ = nested_cv_predict(y2, x, seed=5)
        assert pred2[i] - y2.mean() == pytest.approx(pred[i] - y.mean(), abs=1e-9)
        assert not np.allclose(pred2, pred)  # other individuals' models did see y_i


def test_seeded_and_no_signal_gives_constant() -> None:
    x, y = _synthetic()
    a, _ = nested_cv_predict(y, x, seed=1)
    b, _ = nested_cv_predict(y, x, seed=1)
    c, _ = nested_cv_predict(y, x, seed=2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    rng = np.random.default_rng(9)
    noise = rng.normal(size=150)
    flat, info = nested_cv_predict(noise, x[:, :5], seed=1)
    if info["n_folds_empty"] == 5:  # no variant chosen anywhere: exactly constant, no fake r
        assert np.ptp(flat) == 0


def test_fold_fit_matches_sklearn_pipeline() -> None:
    x, y = _synthetic()
    tr, te = np.arange(120), np.arange(120, 150)
    x_tr, x_te, keep = _standardise(x[tr], x[te])
    alpha = 0.05
    coef = _enet(x_tr, y[tr] - y[tr].mean(), np.array([alpha]), 0.5, None, tol=1e-10)[:, 0]
    scaler = StandardScaler().fit(x[tr][:, keep])
    model = ElasticNet(alpha=alpha, l1_ratio=0.5, tol=1e-10, max_iter=100_000)
    model.fit(scaler.transform(x[tr][:, keep]), y[tr])
    np.testing.assert_allclose(
        x_te @ coef, model.predict(scaler.transform(x[te][:, keep])) - y[tr].mean(), atol=1e-6
    )


def test_baseline_reports_genes_without_usable_variants() -> None:
    x, y = _synthetic(n=60, p=10)
    inds = [f"I{i}" for i in range(60)]
    geno = pd.DataFrame(x.T, columns=inds)
    geno.insert(0, "pos", np.arange(10) * 1000 + 100_000)
    geno.insert(0, "chrom", "22")
    geno.insert(0, "variant_id", [f"v{i}" for i in range(10)])
    geno.loc[9, inds] = 1.0  # monomorphic, alone near gene "mono"
    geno.loc[9, "pos"] = 5_000_000
    geno.loc[0, "I3"] = np.nan  # a missing dosage, imputed inside folds
    genes = pd.DataFrame(
        {
            "gene_id": ["good", "none", "mono", "unmeasured"],
            "chrom": ["chr22", "chr22", "chr22", "chr22"],
            "tss": [104_000, 3_000_000, 5_000_000, 104_000],
        }
    )
    measured = pd.DataFrame(
        {"gene_id": g, "individual": inds, "measured": y} for g in ("good", "none", "mono")
    ).explode(["individual", "measured"])
    measured["measured"] = measured["measured"].astype(float)
    measured = measured[~((measured["gene_id"] == "good") & (measured["individual"] == "I7"))]
    assert len(cis_indices(genes, geno, 10_000)["good"]) == 9
    pred, report = elastic_net_baseline(measured, genes, geno, window=10_000, seed=0)
    status = dict(zip(report["gene_id"], report["status"], strict=True))
    assert status == {
        "good": "ok",
        "none": "no cis variants",
        "mono": "no polymorphic cis variants",
        "unmeasured": "no measurement",
    }
    assert list(pred.columns) == ["model", "gene_id", "individual", "predicted"]
    assert set(pred["model"]) == {MODEL_NAME} and set(pred["gene_id"]) == {"good"}
    assert MODEL_NAME == BASELINE_MODEL  # the name the workflow reserves (models.facts)
    assert list(report.columns) == column_names("baseline_report")
    assert len(pred) == 59 and "I7" not in set(pred["individual"])  # missing measurement
    assert report.set_index("gene_id").loc["good", "n_individuals"] == 59


def test_real_data_smoke(shared_data: Path) -> None:
    from pexbench.dosages import dosage_frame
    from pexbench.expression import prepare_measured
    from pexbench.variants import read_variants, vcf_samples

    vcf = shared_data / "genotypes" / "geuvadis423.chr22.unphased.vcf.gz"
    expr = shared_data / "expression" / "genes.50percent.chr22.bed.gz"
    measured, _, counts = prepare_measured(expr, individuals=vcf_samples(vcf), rint=True)
    bed = pd.read_csv(expr, sep="\t", usecols=[0, 1, 3]).iloc[[100, 101]]
    genes = pd.DataFrame({"gene_id": bed["gene"], "chrom": bed["#chr"], "tss": bed["start"]})
    lo, hi = int(genes["tss"].min()) - 50_000, int(genes["tss"].max()) + 50_001
    inds = sorted(set(measured["individual"]))
    geno = dosage_frame(read_variants(vcf, "22", lo, hi, inds, unphased="as_phased"))
    measured = measured[measured["gene_id"].isin(genes["gene_id"])]
    pred, report = elastic_net_baseline(measured, genes, geno, window=50_000)
    assert counts["individuals"] == 330
    assert (report["status"] == "ok").all()
    assert (report["n_individuals"] == 330).all()
    assert pred.groupby("gene_id").size().eq(330).all()
    assert np.isfinite(pred["predicted"]).all()
