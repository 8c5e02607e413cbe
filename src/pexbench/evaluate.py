"""From model outputs to evaluation tables: per-individual predictions, variant effects, states.

aggregate: per gene and individual, one predicted value per model from the predictions of the
gene's unique haplotypes. Order of operations, per track: combine the two haplotypes (`sum` or
`mean`), then optionally log1p, then the mean over tracks. (log1p after combining keeps `sum` the
natural diploid total; with `mean` it is the log of the mean haplotype.)

variant_effects: per model and scored eQTL variant, predicted_effect = mean over tracks of
f(alt_value) - f(ref_value) with f = log1p or identity (the same choice as in aggregate), the eQTL
beta and p, the chromatin state at the variant, and `concordant` (sign agreement, NA for a tie:
see pexbench.eqtl.sign_concordance). A variant outside the window the model reads (predictions
with in_model_input False, see pexbench.predict) has no predicted effect: predicted_effect NaN,
concordant NA and status "outside model input"; it is counted apart from concordant,
discordant and tie (`outside_model_input` in the summary).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
import pandas as pd

from pexbench.chromatin import UNASSIGNED, assign_states
from pexbench.columns import column_names
from pexbench.eqtl import sign_concordance
from pexbench.errors import InputError
from pexbench.stats import require_columns

Combine = Literal["sum", "mean"]
NO_STATE_DATA = "no state data"
NO_EQTL = "no eQTL"
STATUS_SCORED = "scored"
STATUS_OUTSIDE = "outside model input"

VARIANT_EFFECT_COLUMNS = column_names("variant_effects")


def assignment_frame(genes: Iterable[Any]) -> pd.DataFrame:
    """GeneHaplotypes (pexbench.haplotypes) -> DataFrame[gene_id, individual, hap1, hap2]."""
    frames = []
    for g in genes:
        a = np.asarray(g.assignment, dtype=np.int64)
        frames.append(
            pd.DataFrame(
                {
                    "gene_id": g.gene_id,
                    "individual": list(g.individuals),
                    "hap1": a[:, 0],
                    "hap2": a[:, 1],
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=["gene_id", "individual", "hap1", "hap2"])
    return pd.concat(frames, ignore_index=True)


def aggregate(
    haplotype_values: pd.DataFrame,
    assignment: pd.DataFrame,
    *,
    model: str,
    combine: Combine = "sum",
    log1p: bool = False,
) -> pd.DataFrame:
    """Predicted value per gene and individual.

    haplotype_values: (gene_id, haplotype, track, value) as written by pexbench.predict
    (haplotype = index into the gene's unique haplotypes; -1, the reference, is ignored here).
    assignment: (gene_id, individual, hap1, hap2) with indices into the same unique haplotypes.
    Returns (model, gene_id, individual, predicted). A haplotype an individual carries but
    without a prediction raises InputError naming the gene and haplotype.
    """
    if combine not in ("sum", "mean"):
        raise InputError(f"haplotype combination {combine!r} is not 'sum' or 'mean'")
    for name, frame, cols in (
        ("haplotype predictions", haplotype_values, ["gene_id", "haplotype", "track", "value"]),
        ("haplotype assignment", assignment, ["gene_id", "individual", "hap1", "hap2"]),
    ):
        require_columns(frame, cols, f"{name} table")
    if haplotype_values.duplicated(["gene_id", "haplotype", "track"]).any():
        raise InputError("haplotype predictions repeat a (gene_id, haplotype, track) row")
    wide = haplotype_values.pivot(index=["gene_id", "haplotype"], columns="track", values="value")
    values = wide.to_numpy(np.float64)
    out = []
    for col in ("hap1", "hap2"):
        keys = pd.MultiIndex.from_arrays(
            [assignment["gene_id"].to_numpy(), assignment[col].to_numpy(np.int64)]
        )
        pos = wide.index.get_indexer(keys)
        if (pos < 0).any():
            i = int(np.flatnonzero(pos < 0)[0])
            raise InputError(
                f"no prediction for gene {keys[i][0]!r} haplotype {keys[i][1]} (carried by "
                f"{assignment['individual'].iloc[i]!r}, {int((pos < 0).sum())} such cases); "
                "predictions and haplotypes come from different runs? Re-run predict."
            )
        out.append(values[pos])
    both = out[0] + out[1]
    if combine == "mean":
        both = both / 2.0
    if log1p:
        both = np.log1p(both)
    if np.isnan(both).any():
        bad_rows, bad_cols = np.nonzero(np.isnan(both))
        genes = sorted({str(g) for g in assignment["gene_id"].to_numpy()[bad_rows]})
        tracks = sorted({str(wide.columns[c]) for c in bad_cols})
        raise InputError(
            f"model {model!r}: haplotype predictions have missing values (NaN) for "
            f"{len(genes)} gene(s), e.g. {genes[:5]}, track(s) {tracks[:5]}; the prediction "
            "files are incomplete or mix runs with different tracks: re-run predict."
        )
    return pd.DataFrame(
        {
            "model": model,
            "gene_id": assignment["gene_id"].to_numpy(),
            "individual": assignment["individual"].to_numpy(),
            "predicted": both.mean(axis=1) if both.size else np.zeros(len(both)),
        }
    )


def variant_effects(
    variant_predictions: pd.DataFrame,
    eqtl_selected: pd.DataFrame,
    *,
    model: str,
    states: pd.DataFrame | None = None,
    log1p: bool = False,
) -> pd.DataFrame:
    """Variant-level table (VARIANT_EFFECT_COLUMNS) for one model.

    variant_predictions: (gene_id, variant_id, track, ref_value, alt_value) from
    pexbench.predict.predict_variants; eqtl_selected: rows of pexbench.eqtl.select_variants;
    states: pexbench.chromatin.read_states table or None ("no state data").
    Only selected eQTL variants with a model prediction appear; the count of selected variants
    without one is in the `attrs["counts"]` of the result (and in `variant_effect_counts`).
    """
    vp = variant_predictions
    missing_cols = [
        c for c in ["gene_id", "variant_id", "track", "ref_value", "alt_value"] if c not in vp
    ]
    if missing_cols:
        raise InputError(f"variant predictions lack column(s) {missing_cols}")
    dup = vp.duplicated(["gene_id", "variant_id", "track"])
    if dup.any():
        row = vp.loc[dup].iloc[0]
        raise InputError(
            f"variant predictions repeat gene {row['gene_id']!r} variant {row['variant_id']!r}: "
            "variant ids must be unique within a gene (give split multi-allelic records "
            "distinct IDs, e.g. bcftools annotate --set-id '%CHROM:%POS:%REF:%ALT')"
        )
    f = np.log1p if log1p else (lambda v: v)
    diff = f(vp["alt_value"].to_numpy(np.float64)) - f(vp["ref_value"].to_numpy(np.float64))
    inside = (
        vp["in_model_input"].map(lambda v: v in (True, "True", "true", 1)).to_numpy(bool)
        if "in_model_input" in vp
        else np.ones(len(vp), dtype=bool)
    )
    effect = (
        pd.DataFrame(
            {
                "gene_id": vp["gene_id"],
                "variant_id": vp["variant_id"],
                "d": np.where(inside, diff, np.nan),
                "inside": inside,
            }
        )
        .groupby(["gene_id", "variant_id"], sort=False)
        .agg(predicted_effect=("d", "mean"), inside=("inside", "all"))
        .reset_index()
    )
    table = eqtl_selected.merge(effect, on=["gene_id", "variant_id"], how="inner")
    if states is None:
        state = np.full(len(table), NO_STATE_DATA, dtype=object)
    else:
        state, _ = assign_states(states, table["chrom"].to_numpy(), table["pos"].to_numpy())
    out = pd.DataFrame(
        {
            "model": model,
            "gene_id": table["gene_id"].to_numpy(),
            "variant_id": table["variant_id"].to_numpy(),
            "chrom": table["chrom"].to_numpy(),
            "pos": table["pos"].to_numpy(np.int64),
            "distance_to_tss": table["distance_to_tss"].to_numpy(np.int64),
            "chromatin_state": state,
            "eqtl_beta": table["beta"].to_numpy(np.float64),
            "eqtl_p": table["p"].to_numpy(np.float64),
            "predicted_effect": table["predicted_effect"].to_numpy(np.float64),
        }
    )
    inside_rows = table["inside"].to_numpy(bool)
    out.loc[~inside_rows, "predicted_effect"] = np.nan
    out["concordant"] = sign_concordance(out["predicted_effect"], out["eqtl_beta"]).to_numpy()
    out["status"] = np.where(inside_rows, STATUS_SCORED, STATUS_OUTSIDE)
    out.attrs["counts"] = {
        "selected_variants": len(eqtl_selected),
        "scored": int(inside_rows.sum()),
        "outside_model_input": int((~inside_rows).sum()),
        "selected_without_prediction": len(eqtl_selected) - len(out),
    }
    return out[VARIANT_EFFECT_COLUMNS]


def lead_states(lead: pd.DataFrame, states: pd.DataFrame | None) -> pd.DataFrame:
    """Chromatin state at each gene's lead eQTL: (gene_id, variant_id, chromatin_state)."""
    if states is None:
        state = np.full(len(lead), NO_STATE_DATA, dtype=object)
    else:
        state, _ = assign_states(states, lead["chrom"].to_numpy(), lead["pos"].to_numpy())
    return pd.DataFrame(
        {
            "gene_id": lead["gene_id"].to_numpy(),
            "variant_id": lead["variant_id"].to_numpy(),
            "chromatin_state": state,
        }
    )


def sign_classes_by_state(correlations: pd.DataFrame, lead: pd.DataFrame) -> pd.DataFrame:
    """Counts of gene-level sign classes per model and state of the gene's lead eQTL.

    lead: output of `lead_states`; genes without a lead eQTL count under "no eQTL".
    Returns (model, chromatin_state, sign_class, n_genes).
    """
    merged = correlations.merge(lead[["gene_id", "chromatin_state"]], on="gene_id", how="left")
    merged["chromatin_state"] = merged["chromatin_state"].fillna(NO_EQTL)
    return (
        merged.groupby(["model", "chromatin_state", "sign_class"], sort=True)
        .size()
        .rename("n_genes")
        .reset_index()
    )


__all__ = [
    "UNASSIGNED",
    "VARIANT_EFFECT_COLUMNS",
    "aggregate",
    "assignment_frame",
    "lead_states",
    "sign_classes_by_state",
    "variant_effects",
]
