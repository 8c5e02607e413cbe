"""Are a model's haplotype predictions the sum of its single-variant effects?

Per gene and haplotype (a set of variants), the additive prediction is the sum of the variants'
single effects (each variant alone in the reference, minus the reference: exact ISM from
`pexbench.predict.predict_variants`, or first-order effects from one backward pass); the observed
one is the model's prediction of the whole haplotype minus its prediction of the reference.
Per gene, Pearson r across haplotypes measures additivity (Sasse et al. 2023 report r = 0.80 for
Enformer). All effects must be on one scale (raw model output or log1p, see `log1p` below).

Inputs (plain tables, so the workflow's prediction tables feed them directly):
- single: DataFrame[gene_id, variant_id, effect]; a NaN effect (a variant outside the window
  the model reads: no effect on its prediction) counts as 0 and is counted in `n_missing`.
- membership: DataFrame[gene_id, haplotype, variant_id], one row per variant a haplotype carries
  (a haplotype carrying none has no rows and is additive by definition: leave it out or list it
  in `observed`, where it counts with additive = 0).
- observed: DataFrame[gene_id, haplotype, observed].
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from pexbench.errors import InputError
from pexbench.stats import require_columns

STATUS_OK = "ok"
STATUS_FEW = "too few haplotypes"
STATUS_CONSTANT = "constant"
POINT_COLUMNS = ["gene_id", "haplotype", "n_variants", "n_missing", "additive", "observed"]
GENE_COLUMNS = [
    "gene_id",
    "n_haplotypes",
    "pearson_r",
    "slope",
    "max_abs_residual",
    "relative_residual",
    "status",
    "non_additive",
]


def _f(values: npt.NDArray[np.float64], log1p: bool) -> npt.NDArray[np.float64]:
    return np.log1p(values) if log1p else values


def observed_from_predictions(
    haplotype_values: pd.DataFrame, *, log1p: bool = False
) -> pd.DataFrame:
    """predict_haplotypes' table (gene_id, haplotype, track, value; haplotype -1 = reference)
    -> DataFrame[gene_id, haplotype, observed]: mean over tracks of f(value) - f(reference),
    f = log1p or identity (as evaluate.variant_effects)."""
    require_columns(haplotype_values, ["gene_id", "haplotype", "track", "value"], "haplotype table")
    wide = haplotype_values.pivot(index=["gene_id", "haplotype"], columns="track", values="value")
    values = _f(wide.to_numpy(np.float64), log1p)
    genes = wide.index.get_level_values("gene_id")
    ref_rows = wide.index.get_indexer(pd.MultiIndex.from_arrays([genes, np.full(len(genes), -1)]))
    if (ref_rows < 0).any():
        gene = genes[int(np.flatnonzero(ref_rows < 0)[0])]
        raise InputError(f"haplotype table has no reference row (haplotype -1) for gene {gene!r}.")
    keep = wide.index.get_level_values("haplotype") >= 0
    delta = (values - values[ref_rows]).mean(axis=1)
    return pd.DataFrame(
        {
            "gene_id": genes[keep].to_numpy(),
            "haplotype": wide.index.get_level_values("haplotype")[keep].to_numpy(np.int64),
            "observed": delta[keep],
        }
    )


def single_from_predictions(variant_values: pd.DataFrame, *, log1p: bool = False) -> pd.DataFrame:
    """predict_variants' table (gene_id, variant_id, track, ref_value, alt_value) ->
    DataFrame[gene_id, variant_id, effect]: mean over tracks of f(alt) - f(ref)."""
    cols = ["gene_id", "variant_id", "track", "ref_value", "alt_value"]
    require_columns(variant_values, cols, "variant prediction table")
    diff = _f(variant_values["alt_value"].to_numpy(np.float64), log1p) - _f(
        variant_values["ref_value"].to_numpy(np.float64), log1p
    )
    frame = variant_values[["gene_id", "variant_id"]].assign(effect=diff)
    return frame.groupby(["gene_id", "variant_id"], sort=False, as_index=False)["effect"].mean()


def haplotype_membership(
    gene_id: str, unique: Sequence[npt.ArrayLike], allele_id: Sequence[str]
) -> pd.DataFrame:
    """One gene's unique haplotypes (arrays of allele indices, GeneHaplotypes.unique) ->
    DataFrame[gene_id, haplotype, variant_id] with variant_id = allele_id[index]."""
    sizes = np.array([np.size(u) for u in unique], dtype=np.int64)
    alleles = (
        np.concatenate([np.asarray(u, dtype=np.int64).ravel() for u in unique])
        if len(unique)
        else np.zeros(0, np.int64)
    )
    return pd.DataFrame(
        {
            "gene_id": gene_id,
            "haplotype": np.repeat(np.arange(len(unique), dtype=np.int64), sizes),
            "variant_id": np.asarray(allele_id, dtype=object)[alleles],
        }
    )


def additivity_points(
    single: pd.DataFrame, membership: pd.DataFrame, observed: pd.DataFrame
) -> pd.DataFrame:
    """DataFrame[POINT_COLUMNS]: per (gene, haplotype in `observed`) the additive sum of its
    variants' single effects and the observed effect. A carried variant missing from `single`
    is an InputError (a NaN effect counts as 0, see the module docstring)."""
    require_columns(single, ["gene_id", "variant_id", "effect"], "single-variant effects")
    require_columns(membership, ["gene_id", "haplotype", "variant_id"], "haplotype membership")
    require_columns(observed, ["gene_id", "haplotype", "observed"], "observed haplotype effects")
    merged = membership.merge(single, on=["gene_id", "variant_id"], how="left", indicator=True)
    absent = merged["_merge"] == "left_only"
    if absent.any():
        row = merged.loc[absent].iloc[0]
        raise InputError(
            f"gene {row['gene_id']!r} haplotype {row['haplotype']} carries variant "
            f"{row['variant_id']!r}, which has no single-variant effect ({int(absent.sum())} "
            "such rows); score every variant of the haplotypes."
        )
    effect = merged["effect"].to_numpy(np.float64)
    merged = merged.assign(additive=np.nan_to_num(effect, nan=0.0), missing=np.isnan(effect), one=1)
    sums = merged.groupby(["gene_id", "haplotype"], sort=False).agg(
        n_variants=("one", "sum"), n_missing=("missing", "sum"), additive=("additive", "sum")
    )
    points = observed[["gene_id", "haplotype", "observed"]].merge(
        sums.reset_index(), on=["gene_id", "haplotype"], how="left"
    )
    points = points.fillna({"n_variants": 0, "n_missing": 0, "additive": 0.0})
    return points.astype({"n_variants": np.int64, "n_missing": np.int64})[POINT_COLUMNS]


def additivity_by_gene(
    points: pd.DataFrame,
    *,
    min_haplotypes: int = 3,
    min_r: float = 0.5,
    max_relative_residual: float = 0.5,
) -> pd.DataFrame:
    """Per gene: n_haplotypes, Pearson r (additive vs observed), OLS slope of observed on
    additive, max |observed - additive|, relative_residual = that / max |observed|, status and
    `non_additive` = (status ok and r < min_r) or relative_residual > max_relative_residual.
    Status: "ok", "too few haplotypes" (< min_haplotypes: r NaN) or "constant" (no variance in
    additive or observed: r NaN)."""
    require_columns(points, ["gene_id", "additive", "observed"], "additivity points")
    p = points.assign(
        x=points["additive"].astype(np.float64),
        y=points["observed"].astype(np.float64),
    )
    g = p.groupby("gene_id", sort=False)
    n = g.size()
    dx = p["x"] - g["x"].transform("mean")
    dy = p["y"] - g["y"].transform("mean")
    sums = pd.DataFrame(
        {"xx": dx * dx, "yy": dy * dy, "xy": dx * dy, "res": (p["y"] - p["x"]).abs()}
    ).assign(gene_id=p["gene_id"], absy=p["y"].abs())
    s = sums.groupby("gene_id", sort=False).agg(
        xx=("xx", "sum"),
        yy=("yy", "sum"),
        xy=("xy", "sum"),
        res=("res", "max"),
        absy=("absy", "max"),
    )
    few = n.to_numpy() < min_haplotypes
    constant = (s["xx"].to_numpy() <= 0) | (s["yy"].to_numpy() <= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = s["xy"].to_numpy() / np.sqrt(s["xx"].to_numpy() * s["yy"].to_numpy())
        slope = np.where(s["xx"].to_numpy() > 0, s["xy"].to_numpy() / s["xx"].to_numpy(), np.nan)
        rel = np.where(s["absy"].to_numpy() > 0, s["res"].to_numpy() / s["absy"].to_numpy(), np.nan)
    status = np.where(few, STATUS_FEW, np.where(constant, STATUS_CONSTANT, STATUS_OK))
    r = np.where(status == STATUS_OK, np.clip(r, -1.0, 1.0), np.nan)
    non_additive = ((status == STATUS_OK) & (r < min_r)) | (
        np.nan_to_num(rel, nan=0.0) > max_relative_residual
    )
    return pd.DataFrame(
        {
            "gene_id": s.index.to_numpy(),
            "n_haplotypes": n.to_numpy(np.int64),
            "pearson_r": r,
            "slope": slope,
            "max_abs_residual": s["res"].to_numpy(),
            "relative_residual": rel,
            "status": status,
            "non_additive": non_additive,
        }
    )[GENE_COLUMNS]


def non_additive_genes(by_gene: pd.DataFrame) -> pd.DataFrame:
    """The genes far from additive (rows of `additivity_by_gene` with non_additive), lowest r
    first."""
    out = by_gene[by_gene["non_additive"].to_numpy(bool)]
    return out.sort_values(["pearson_r", "relative_residual"], ascending=[True, False]).reset_index(
        drop=True
    )
