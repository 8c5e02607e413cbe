"""Additivity of single-variant effects (pexbench.interpret.additivity) on hand-computed cases.

Gene G1: single effects a = 1, b = 2, c = NaN (outside the model input, counts 0);
haplotypes {a}, {a, b}, {b, c} and the variant-free haplotype 3 observed at 1, 2.5, 2, 0:
additive x = [1, 3, 2, 0], observed y = [1, 2.5, 2, 0]; dx = [-.5, 1.5, .5, -1.5],
dy = [-.375, 1.125, .625, -1.375]; Sxy = 4.25, Sxx = 5, Syy = 3.6875 ->
r = 4.25 / sqrt(18.4375), slope = 0.85, residuals y - x = [0, -.5, 0, 0] -> max 0.5,
relative 0.5 / 2.5 = 0.2.
Gene G2: d = 1, e = 1; haplotypes {d}, {d, e}, {e} observed 1, -2, .5: x = [1, 2, 1];
Sxy = -11/6, Sxx = 2/3, Syy = 31/6 -> r = -(11/6) / sqrt(31/9); residuals [0, -4, -.5] ->
relative 4 / 2 = 2. Gene G3: two haplotypes only.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pexbench.errors import InputError
from pexbench.interpret.additivity import (
    STATUS_CONSTANT,
    STATUS_FEW,
    STATUS_OK,
    additivity_by_gene,
    additivity_points,
    haplotype_membership,
    non_additive_genes,
    observed_from_predictions,
    single_from_predictions,
)


@pytest.fixture
def single() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "gene_id": ["G1", "G1", "G1", "G2", "G2", "G3"],
            "variant_id": ["a", "b", "c", "d", "e", "f"],
            "effect": [1.0, 2.0, np.nan, 1.0, 1.0, 0.5],
        }
    )


@pytest.fixture
def membership() -> pd.DataFrame:
    frames = [
        haplotype_membership("G1", [[0], [0, 1], [1, 2]], ["a", "b", "c"]),
        haplotype_membership("G2", [[0], [0, 1], [1]], ["d", "e"]),
        haplotype_membership("G3", [[0], []], ["f"]),
    ]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture
def observed() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "gene_id": ["G1"] * 4 + ["G2"] * 3 + ["G3"] * 2,
            "haplotype": [0, 1, 2, 3, 0, 1, 2, 0, 1],
            "observed": [1.0, 2.5, 2.0, 0.0, 1.0, -2.0, 0.5, 0.4, 0.0],
        }
    )


def test_membership_rows(membership):
    g1 = membership[membership["gene_id"] == "G1"]
    assert list(zip(g1["haplotype"], g1["variant_id"], strict=True)) == [
        (0, "a"),
        (1, "a"),
        (1, "b"),
        (2, "b"),
        (2, "c"),
    ]
    assert (membership["gene_id"] == "G3").sum() == 1  # haplotype 1 of G3 carries nothing


def test_points_by_hand(single, membership, observed):
    points = additivity_points(single, membership, observed)
    g1 = points[points["gene_id"] == "G1"]
    assert g1["additive"].tolist() == [1.0, 3.0, 2.0, 0.0]
    assert g1["n_variants"].tolist() == [1, 2, 2, 0]
    assert g1["n_missing"].tolist() == [0, 0, 1, 0]
    assert points[points["gene_id"] == "G2"]["additive"].tolist() == [1.0, 2.0, 1.0]


def test_by_gene_by_hand(single, membership, observed):
    table = additivity_by_gene(additivity_points(single, membership, observed)).set_index("gene_id")
    g1, g2, g3 = table.loc["G1"], table.loc["G2"], table.loc["G3"]
    assert g1["n_haplotypes"] == 4 and g1["status"] == STATUS_OK
    assert g1["pearson_r"] == pytest.approx(4.25 / math.sqrt(18.4375), rel=1e-12)
    assert g1["pearson_r"] == pytest.approx(stats.pearsonr([1, 3, 2, 0], [1, 2.5, 2, 0])[0])
    assert g1["slope"] == pytest.approx(0.85)
    assert g1["max_abs_residual"] == pytest.approx(0.5)
    assert g1["relative_residual"] == pytest.approx(0.2)
    assert not g1["non_additive"]
    assert g2["pearson_r"] == pytest.approx(-(11 / 6) / math.sqrt(31 / 9), rel=1e-12)
    assert g2["relative_residual"] == pytest.approx(2.0)
    assert g2["non_additive"]
    assert g3["status"] == STATUS_FEW and np.isnan(g3["pearson_r"])
    assert g3["n_haplotypes"] == 2
    flagged = non_additive_genes(table.reset_index())
    assert flagged["gene_id"].tolist() == ["G2"]
    # thresholds: a stricter residual limit flags G1 too; G3 by its residual (0.5 - 0.4) / 0.4
    strict = additivity_by_gene(
        additivity_points(single, membership, observed), max_relative_residual=0.1
    )
    assert sorted(non_additive_genes(strict)["gene_id"]) == ["G1", "G2", "G3"]


def test_constant_gene_has_no_r():
    points = pd.DataFrame(
        {"gene_id": "G", "haplotype": [0, 1, 2], "additive": [1.0, 1.0, 1.0], "observed": [1, 2, 3]}
    )
    row = additivity_by_gene(points).iloc[0]
    assert row["status"] == STATUS_CONSTANT and np.isnan(row["pearson_r"])
    assert np.isnan(row["slope"])


def test_missing_single_effect_is_an_error(single, membership, observed):
    with pytest.raises(InputError, match="carries variant 'e'"):
        additivity_points(single[single["variant_id"] != "e"], membership, observed)


def test_from_prediction_tables():
    haplotypes = pd.DataFrame(
        {
            "gene_id": "G1",
            "haplotype": [-1, 0, 1, -1, 0, 1],
            "track": ["t1"] * 3 + ["t2"] * 3,
            "value": [10.0, 12.0, 9.0, 20.0, 20.0, 26.0],
        }
    )
    obs = observed_from_predictions(haplotypes)
    assert obs["haplotype"].tolist() == [0, 1]
    assert obs["observed"].tolist() == [1.0, 2.5]  # mean(2, 0), mean(-1, 6)
    logged = observed_from_predictions(haplotypes, log1p=True)
    want = (np.log1p(9.0) - np.log1p(10.0) + np.log1p(26.0) - np.log1p(20.0)) / 2
    assert logged["observed"].iloc[1] == pytest.approx(want)
    with pytest.raises(InputError, match="no reference row"):
        observed_from_predictions(haplotypes[haplotypes["haplotype"] >= 0])

    variants = pd.DataFrame(
        {
            "gene_id": "G1",
            "variant_id": ["a", "a", "b", "b"],
            "track": ["t1", "t2", "t1", "t2"],
            "ref_value": [10.0, 20.0, 10.0, 20.0],
            "alt_value": [11.0, 23.0, 10.0, 19.0],
            "in_model_input": True,
        }
    )
    eff = single_from_predictions(variants)
    assert eff.set_index("variant_id")["effect"].to_dict() == {"a": 2.0, "b": -0.5}
