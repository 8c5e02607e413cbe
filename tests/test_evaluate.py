"""Aggregation of haplotype predictions, variant-effect table and summary, by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from pexbench.chromatin import read_states
from pexbench.errors import InputError
from pexbench.evaluate import (
    VARIANT_EFFECT_COLUMNS,
    aggregate,
    assignment_frame,
    lead_states,
    sign_classes_by_state,
    summarise,
    summary_json,
    variant_effects,
)
from pexbench.stats import gene_correlations


def _hap_values() -> pd.DataFrame:
    # gene g: unique haplotypes 0, 1 and the reference (-1); two tracks
    return pd.DataFrame(
        {
            "gene_id": ["g"] * 6,
            "haplotype": [-1, -1, 0, 0, 1, 1],
            "track": [5110, 12, 5110, 12, 5110, 12],
            "value": [9.0, 9.0, 1.0, 3.0, 2.0, 7.0],
        }
    )


def _assignment() -> pd.DataFrame:
    genes = [
        SimpleNamespace(
            gene_id="g",
            individuals=["A", "B", "C"],
            assignment=np.array([[0, 0], [0, 1], [1, 1]], dtype=np.int32),
        )
    ]
    return assignment_frame(genes)


def test_aggregate_sum_mean_log() -> None:
    a = _assignment()
    hv = _hap_values()
    s = aggregate(hv, a, model="m", combine="sum")
    # track 5110: A 1+1, B 1+2, C 2+2; track 12: A 3+3, B 3+7, C 7+7; mean over tracks
    assert list(s.columns) == ["model", "gene_id", "individual", "predicted"]
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
    hv = _hap_values()
    hv = hv[hv["haplotype"] != 1]
    with pytest.raises(InputError, match="gene 'g' haplotype 1"):
        aggregate(hv, _assignment(), model="m")
    with pytest.raises(InputError, match="'sum' or 'mean'"):
        aggregate(_hap_values(), _assignment(), model="m", combine="max")  # type: ignore[arg-type]


def _states(tmp_path: Path) -> pd.DataFrame:
    # GENERATED fixture (not real chromatin data)
    path = tmp_path / "s.bed"
    path.write_text("chr22\t0\t100\tTSS\nchr22\t100\t200\tE\n")
    return read_states(path)


def _selected() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "gene_id": ["g", "g", "h", "h"],
            "variant_id": ["v1", "v2", "v3", "v4"],
            "chrom": ["22"] * 4,
            "pos": [10, 150, 199, 500],
            "distance_to_tss": [-5, 135, 184, 485],
            "beta": [0.5, -0.3, 0.2, 1.0],
            "p": [1e-6, 1e-4, 1e-3, 0.5],
        }
    )


def _variant_preds() -> pd.DataFrame:
    rows = []
    # v1: +1, +3 -> mean +2 (concordant with +0.5); v2: +1, +1 (discordant with -0.3);
    # v3: 0 (tie); v4 not predicted
    for vid, deltas in (("v1", (1.0, 3.0)), ("v2", (1.0, 1.0)), ("v3", (0.0, 0.0))):
        gene = "g" if vid != "v3" else "h"
        for track, d in zip((5110, 12), deltas, strict=True):
            rows.append((gene, vid, 0, track, 10.0, 10.0 + d))
    return pd.DataFrame(
        rows, columns=["gene_id", "variant_id", "allele_index", "track", "ref_value", "alt_value"]
    )


def test_variant_effects_and_summary(tmp_path: Path) -> None:
    states = _states(tmp_path)
    vt = variant_effects(_variant_preds(), _selected(), model="m", states=states)
    assert list(vt.columns) == VARIANT_EFFECT_COLUMNS
    assert list(vt["variant_id"]) == ["v1", "v2", "v3"]
    np.testing.assert_allclose(vt["predicted_effect"], [2.0, 1.0, 0.0])
    assert list(vt["chromatin_state"]) == ["TSS", "E", "E"]
    assert vt["concordant"].tolist() == [True, False, pd.NA]
    assert vt["status"].tolist() == ["scored"] * 3
    assert vt.attrs["counts"]["selected_without_prediction"] == 1
    logged = variant_effects(_variant_preds(), _selected(), model="m", log1p=True)
    assert logged["predicted_effect"].iloc[0] == pytest.approx(
        ((math.log1p(11) - math.log1p(10)) + (math.log1p(13) - math.log1p(10))) / 2
    )
    assert set(logged["chromatin_state"]) == {"no state data"}

    corr = pd.DataFrame(
        {
            "model": "m",
            "gene_id": ["g", "h", "k", "l"],
            "pearson_r": [0.5, -0.4, 0.1, np.nan],
            "spearman_r": [0.4, -0.2, 0.0, np.nan],
            "sign_class": [
                "significant positive",
                "significant negative",
                "not significant",
                "not tested",
            ],
            "status": ["ok", "ok", "ok", "constant prediction"],
        }
    )
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
    }
    assert summary["concordance_by_state"]["TSS"]["fraction_concordant"] == 1.0
    assert summary["concordance_by_state"]["E"] == {
        "n_variants": 2,
        "concordant": 0,
        "discordant": 1,
        "tie": 1,
        "outside_model_input": 0,
        "fraction_concordant": 0.0,
    }
    text = summary_json({"x": {"a": float("nan"), "b": np.int64(3)}})
    assert json.loads(text) == {"x": {"a": None, "b": 3}}

    lead = lead_states(_selected().groupby("gene_id").head(1), states)
    by_state = sign_classes_by_state(corr, lead)
    got = {(r.chromatin_state, r.sign_class): r.n_genes for r in by_state.itertuples()}
    nested = summarise(corr, vt, by_state)["m"]["sign_classes_by_lead_eqtl_state"]
    assert nested["no eQTL"] == {"not significant": 1, "not tested": 1}
    assert got == {
        ("TSS", "significant positive"): 1,
        ("E", "significant negative"): 1,
        ("no eQTL", "not significant"): 1,
        ("no eQTL", "not tested"): 1,
    }


def test_variants_outside_model_input_are_not_ties(tmp_path: Path) -> None:
    """v4 lies outside the model's input (predict_variants: in_model_input False, NaN values);
    it is neither a tie nor concordant/discordant, and is counted on its own."""
    vp = _variant_preds()
    vp["in_model_input"] = True
    far = pd.DataFrame(
        {
            "gene_id": "h",
            "variant_id": "v4",
            "allele_index": 1,
            "track": [5110, 12],
            "ref_value": np.nan,
            "alt_value": np.nan,
            "in_model_input": False,
        }
    )
    vt = variant_effects(pd.concat([vp, far]), _selected(), model="m", states=_states(tmp_path))
    assert list(vt.columns) == VARIANT_EFFECT_COLUMNS
    assert VARIANT_EFFECT_COLUMNS[-1] == "status"
    assert vt["status"].tolist() == ["scored", "scored", "scored", "outside model input"]
    assert np.isnan(vt["predicted_effect"].iloc[3]) and vt["concordant"].isna().iloc[3]
    assert vt.attrs["counts"]["outside_model_input"] == 1
    assert vt.attrs["counts"]["scored"] == 3
    assert vt.attrs["counts"]["selected_without_prediction"] == 0
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
    }
    # v4 at pos 500 has no state ("unassigned" label of read_states' tables)
    by_state = summary["concordance_by_state"]
    assert sum(v["outside_model_input"] for v in by_state.values()) == 1
    assert by_state["E"]["tie"] == 1 and by_state["E"]["outside_model_input"] == 0


def test_aggregate_nan_names_model_gene_and_track() -> None:
    hv = _hap_values()
    hv.loc[(hv["haplotype"] == 1) & (hv["track"] == 12), "value"] = np.nan
    with pytest.raises(InputError, match=r"model 'm'.*\['g'\].*track\(s\) \['12'\]"):
        aggregate(hv, _assignment(), model="m")


def test_duplicate_variant_ids_rejected() -> None:
    vp = _variant_preds()
    with pytest.raises(InputError, match="unique within a gene"):
        variant_effects(pd.concat([vp, vp.iloc[:1]]), _selected(), model="m")


def test_aggregate_feeds_gene_correlations() -> None:
    pred = aggregate(_hap_values(), _assignment(), model="m")
    meas = pd.DataFrame({"gene_id": "g", "individual": ["A", "B", "C"], "measured": [1.0, 2, 3]})
    table = gene_correlations(pred, meas)
    assert table.loc[0, "pearson_r"] == pytest.approx(1.0)
