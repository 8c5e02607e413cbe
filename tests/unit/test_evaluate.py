"""Aggregation of haplotype predictions, variant-effect table and sign classes, by hand."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from evalcase import (
    assignment,
    correlations,
    hap_values,
    outside_variant_preds,
    selected,
    states,
    variant_preds,
)

from pexbench.columns import column_names
from pexbench.errors import InputError
from pexbench.evaluate import (
    VARIANT_EFFECT_COLUMNS,
    aggregate,
    lead_states,
    sign_classes_by_state,
    variant_effects,
)
from pexbench.stats import gene_correlations


def test_aggregate_sum_mean_log() -> None:
    a = assignment()
    hv = hap_values()
    s = aggregate(hv, a, model="m", combine="sum")
    # track 5110: A 1+1, B 1+2, C 2+2; track 12: A 3+3, B 3+7, C 7+7; mean over tracks
    assert list(s.columns) == ["model", "gene_id", "individual", "predicted"]
    assert list(s.columns) == column_names("predicted")
    np.testing.assert_allclose(s["predicted"], [(2 + 6) / 2, (3 + 10) / 2, (4 + 14) / 2])
    m = aggregate(hv, a, model="m", combine="mean")
    np.testing.assert_allclose(m["predicted"], [(1 + 3) / 2, (1.5 + 5) / 2, (2 + 7) / 2])
    lg = aggregate(hv, a, model="m", combine="sum", log1p=True)
    # combine, then log1p, then mean over tracks
    np.testing.assert_allclose(
        lg["predicted"],
        [
            (math.log1p(2) + math.log1p(6)) / 2,
            (math.log1p(3) + math.log1p(10)) / 2,
            (math.log1p(4) + math.log1p(14)) / 2,
        ],
    )


def test_aggregate_missing_haplotype() -> None:
    hv = hap_values()
    hv = hv[hv["haplotype"] != 1]
    with pytest.raises(InputError, match="gene 'g' haplotype 1"):
        aggregate(hv, assignment(), model="m")
    with pytest.raises(InputError, match="'sum' or 'mean'"):
        aggregate(hap_values(), assignment(), model="m", combine="max")  # type: ignore[arg-type]


def test_variant_effects_and_sign_classes_by_state(tmp_path: Path) -> None:
    bed = states(tmp_path)
    vt = variant_effects(variant_preds(), selected(), model="m", states=bed)
    assert list(vt.columns) == VARIANT_EFFECT_COLUMNS == column_names("variant_effects")
    assert list(vt["variant_id"]) == ["v1", "v2", "v3"]
    np.testing.assert_allclose(vt["predicted_effect"], [2.0, 1.0, 0.0])
    assert list(vt["chromatin_state"]) == ["TSS", "E", "E"]
    assert vt["concordant"].tolist() == [True, False, pd.NA]
    assert vt["status"].tolist() == ["scored"] * 3
    assert vt.attrs["counts"]["selected_without_prediction"] == 1
    logged = variant_effects(variant_preds(), selected(), model="m", log1p=True)
    assert logged["predicted_effect"].iloc[0] == pytest.approx(
        ((math.log1p(11) - math.log1p(10)) + (math.log1p(13) - math.log1p(10))) / 2
    )
    assert set(logged["chromatin_state"]) == {"no state data"}

    lead = lead_states(selected().groupby("gene_id").head(1), bed)
    by_state = sign_classes_by_state(correlations(), lead)
    assert list(by_state.columns) == column_names("sign_classes_by_state")
    got = {(r.chromatin_state, r.sign_class): r.n_genes for r in by_state.itertuples()}
    assert got == {
        ("TSS", "significant positive"): 1,
        ("E", "significant negative"): 1,
        ("no eQTL", "not significant"): 1,
        ("no eQTL", "not tested"): 1,
    }


def test_variants_outside_model_input_are_not_ties(tmp_path: Path) -> None:
    """v4 lies outside the model's input (predict_variants: in_model_input False, NaN values);
    it is neither a tie nor concordant/discordant, and is counted on its own."""
    vt = variant_effects(outside_variant_preds(), selected(), model="m", states=states(tmp_path))
    assert list(vt.columns) == VARIANT_EFFECT_COLUMNS
    assert VARIANT_EFFECT_COLUMNS[-1] == "status"
    assert vt["status"].tolist() == ["scored", "scored", "scored", "outside model input"]
    assert np.isnan(vt["predicted_effect"].iloc[3]) and vt["concordant"].isna().iloc[3]
    assert vt.attrs["counts"]["outside_model_input"] == 1
    assert vt.attrs["counts"]["scored"] == 3
    assert vt.attrs["counts"]["selected_without_prediction"] == 0


def test_aggregate_nan_names_model_gene_and_track() -> None:
    hv = hap_values()
    hv.loc[(hv["haplotype"] == 1) & (hv["track"] == 12), "value"] = np.nan
    with pytest.raises(InputError, match=r"model 'm'.*\['g'\].*track\(s\) \['12'\]"):
        aggregate(hv, assignment(), model="m")


def test_duplicate_variant_ids_rejected() -> None:
    vp = variant_preds()
    with pytest.raises(InputError, match="unique within a gene"):
        variant_effects(pd.concat([vp, vp.iloc[:1]]), selected(), model="m")


def test_aggregate_feeds_gene_correlations() -> None:
    pred = aggregate(hap_values(), assignment(), model="m")
    meas = pd.DataFrame({"gene_id": "g", "individual": ["A", "B", "C"], "measured": [1.0, 2, 3]})
    table = gene_correlations(pred, meas)
    assert table.loc[0, "pearson_r"] == pytest.approx(1.0)
