"""Per-gene correlation across individuals, BH FDR and sign classes.

The p-values are the ones `scipy.stats.pearsonr` and `scipy.stats.spearmanr` give (two-sided):

* Pearson: under the null, r follows a Beta(n/2 - 1, n/2 - 1) distribution on (-1, 1), so
  p = 2 * betaincc(n/2 - 1, n/2 - 1, (|r| + 1) / 2); r is clipped to [-1, 1].
* Spearman: Pearson's r of the average ranks (ties share the mean rank), with
  t = r * sqrt((n - 2) / ((r + 1)(1 - r))) and p = 2 * P(T_{n-2} > |t|).

Both are computed for all genes at once (one matrix per model). Individuals with a missing
prediction or measurement are left out of that gene only (`n_individuals` says how many remain).
Genes are never dropped: a gene whose prediction or measurement is constant across the remaining
individuals, or that has fewer than `min_individuals` of them, keeps its row with NaN statistics
and a `status` saying why ("no measurement" when no individual has a measured value for a
gene the model predicted, "no prediction" for a measured gene the model did not predict).
BH FDR (`fdr_bh` of statsmodels' `multipletests`) is computed within each model over the genes
with a p-value.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd
from scipy import special
from scipy.stats import rankdata

from pexbench.columns import column_names, empty_table
from pexbench.errors import InputError

Method = Literal["pearson", "spearman"]

STATUS_OK = "ok"
STATUS_FEW = "too few individuals"
STATUS_CONST_PRED = "constant prediction"
STATUS_CONST_MEAS = "constant measurement"
STATUS_NO_PRED = "no prediction"
STATUS_NO_MEAS = "no measurement"  # predicted, but no measured value for any individual

SIGN_POS = "significant positive"
SIGN_NEG = "significant negative"
SIGN_NS = "not significant"
SIGN_NOT_TESTED = "not tested"
SIGN_CLASSES = (SIGN_POS, SIGN_NEG, SIGN_NS, SIGN_NOT_TESTED)  # the order figures show them in

CORRELATION_COLUMNS = column_names("gene_correlations")


def bh_fdr(pvalues: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (statsmodels `multipletests(method="fdr_bh")`).

    NaN entries stay NaN and do not count towards the number of tests.
    """
    p = np.asarray(pvalues, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    m = int(ok.sum())
    if m == 0:
        return out
    values = p[ok]
    order = np.argsort(values, kind="mergesort")
    ranked = values[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    adjusted = np.minimum(adjusted, 1.0)
    back = np.empty(m)
    back[order] = adjusted
    out[ok] = back
    return out


def _pearson_rows(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise Pearson r and two-sided p (scipy.stats.pearsonr) of complete (G, n) arrays."""
    n = x.shape[1]
    xm = x - x.mean(axis=1, keepdims=True)
    ym = y - y.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        xmax = np.abs(xm).max(axis=1, keepdims=True)
        ymax = np.abs(ym).max(axis=1, keepdims=True)
        normx = xmax * np.linalg.norm(xm / xmax, axis=1, keepdims=True)
        normy = ymax * np.linalg.norm(ym / ymax, axis=1, keepdims=True)
        r = np.einsum("ij,ij->i", xm / normx, ym / normy)
    r = np.clip(r, -1.0, 1.0)
    if n == 2:
        r = np.round(r)
        return r, np.where(np.isnan(r), np.nan, 1.0)
    ab = n / 2 - 1
    p = 2 * special.betaincc(ab, ab, (np.abs(r) + 1) / 2)
    return r, p


def _spearman_rows(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise Spearman rho and two-sided p (scipy.stats.spearmanr) of complete (G, n) arrays."""
    n = x.shape[1]
    rx = rankdata(x, axis=1)
    ry = rankdata(y, axis=1)
    xm = rx - rx.mean(axis=1, keepdims=True)
    ym = ry - ry.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.einsum("ij,ij->i", xm, ym) / np.sqrt(
            np.einsum("ij,ij->i", xm, xm) * np.einsum("ij,ij->i", ym, ym)
        )
    r = np.clip(r, -1.0, 1.0)
    dof = n - 2
    with np.errstate(divide="ignore", invalid="ignore"):
        t = r * np.sqrt((dof / ((r + 1.0) * (1.0 - r))).clip(0))
    p = 2 * special.stdtr(dof, -np.abs(t))
    return r, p


def correlate_matrices(
    predicted: np.ndarray, measured: np.ndarray, *, min_individuals: int = 3
) -> pd.DataFrame:
    """Per-row correlation of two (genes, individuals) arrays; NaN marks a missing value.

    Returns columns n_individuals, pearson_r, pearson_p, spearman_r, spearman_p, status
    (one row per gene, in input order).
    """
    x = np.asarray(predicted, dtype=np.float64)
    y = np.asarray(measured, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 2:
        raise ValueError(f"shapes differ or are not 2-D: {x.shape} vs {y.shape}")
    n_genes = x.shape[0]
    complete = np.isfinite(x) & np.isfinite(y)
    n_ind = complete.sum(axis=1)
    out = {
        "n_individuals": n_ind.astype(np.int64),
        "pearson_r": np.full(n_genes, np.nan),
        "pearson_p": np.full(n_genes, np.nan),
        "spearman_r": np.full(n_genes, np.nan),
        "spearman_p": np.full(n_genes, np.nan),
    }
    status = np.full(n_genes, STATUS_OK, dtype=object)
    status[n_ind < max(min_individuals, 2)] = STATUS_FEW
    status[~np.isfinite(y).any(axis=1)] = STATUS_NO_MEAS
    # Constant across the individuals that are used (exact equality, as scipy tests it).
    big = np.where(complete, x, np.nan)
    const_x = np.nanmax(big, axis=1, initial=-np.inf) == np.nanmin(big, axis=1, initial=np.inf)
    big = np.where(complete, y, np.nan)
    const_y = np.nanmax(big, axis=1, initial=-np.inf) == np.nanmin(big, axis=1, initial=np.inf)
    pending = status == STATUS_OK
    status[pending & const_x] = STATUS_CONST_PRED
    status[pending & ~const_x & const_y] = STATUS_CONST_MEAS
    testable = status == STATUS_OK

    full = testable & complete.all(axis=1)
    if full.any():
        idx = np.flatnonzero(full)
        for key, fn in (("pearson", _pearson_rows), ("spearman", _spearman_rows)):
            r, p = fn(x[idx], y[idx])
            out[f"{key}_r"][idx] = r
            out[f"{key}_p"][idx] = p
    # Genes with missing values: group by the pattern of missingness, each group is vectorised.
    partial = np.flatnonzero(testable & ~full)
    if partial.size:
        patterns: dict[bytes, list[int]] = {}
        for i in partial:
            patterns.setdefault(np.packbits(complete[i]).tobytes(), []).append(int(i))
        for rows in patterns.values():
            idx = np.asarray(rows)
            cols = complete[idx[0]]
            for key, fn in (("pearson", _pearson_rows), ("spearman", _spearman_rows)):
                r, p = fn(x[np.ix_(idx, cols)], y[np.ix_(idx, cols)])
                out[f"{key}_r"][idx] = r
                out[f"{key}_p"][idx] = p
    frame = pd.DataFrame(out)
    frame["status"] = status
    return frame


def sign_classes(r: np.ndarray, fdr: np.ndarray, *, alpha: float = 0.05) -> np.ndarray:
    """'significant positive' / 'significant negative' (fdr <= alpha, sign of r),
    'not significant' otherwise, 'not tested' where the FDR is NaN.

    `fdr <= alpha` is the rejection rule of statsmodels' multipletests.
    """
    r = np.asarray(r, dtype=np.float64)
    fdr = np.asarray(fdr, dtype=np.float64)
    out = np.full(r.shape, SIGN_NS, dtype=object)
    sig = np.isfinite(fdr) & (fdr <= alpha)
    out[sig & (r > 0)] = SIGN_POS
    out[sig & (r < 0)] = SIGN_NEG
    out[~np.isfinite(fdr)] = SIGN_NOT_TESTED
    return out


#: Resamples and seed of the bootstrap interval of a median (summary.json, landing table).
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 0


def bootstrap_median_ci(
    values: np.ndarray,
    *,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the median of the finite `values` (genes resampled with
    replacement, `n_resamples` times, numpy generator seeded with `seed`); the interval
    `scipy.stats.bootstrap(..., method="percentile")` gives. (NaN, NaN) without finite values."""
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    medians = np.empty(n_resamples)
    chunk = max(1, 2_000_000 // x.size)  # bounded memory for many genes
    for start in range(0, n_resamples, chunk):
        stop = min(n_resamples, start + chunk)
        idx = rng.integers(0, x.size, size=(stop - start, x.size))
        medians[start:stop] = np.median(x[idx], axis=1)
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(medians, [alpha, 1.0 - alpha])
    return (float(lo), float(hi))


def wilson_interval(k: np.ndarray, n: np.ndarray, z: float = 1.959963984540054) -> np.ndarray:
    """Wilson score interval of k successes in n trials; (len, 2) array, NaN where n == 0
    (statsmodels' `proportion_confint(method="wilson")`)."""
    k = np.asarray(k, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1.0 + z * z / n
        centre = (p + z * z / (2.0 * n)) / denom
        half = z * np.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n)) / denom
    out = np.column_stack([centre - half, centre + half])
    out[n <= 0] = np.nan
    return out


def require_columns(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    """Raise InputError naming the columns of `columns` that `frame` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"{what} lacks column(s) {missing}; it has {list(frame.columns)}. "
            f"Expected columns: {columns}."
        )


def gene_correlations(
    predicted: pd.DataFrame,
    measured: pd.DataFrame,
    *,
    method: Method = "pearson",
    alpha: float = 0.05,
    min_individuals: int = 3,
) -> pd.DataFrame:
    """Correlate predicted (model, gene_id, individual, predicted) with measured
    (gene_id, individual, measured) per model and gene.

    One row per model and gene: every gene the model predicted, plus measured genes the model
    did not predict (status "no prediction"). `sign_class` uses the FDR of `method` at level
    `alpha`. Columns: see CORRELATION_COLUMNS.
    """
    if method not in ("pearson", "spearman"):
        raise InputError(f"correlation method {method!r} is not 'pearson' or 'spearman'")
    require_columns(predicted, ["model", "gene_id", "individual", "predicted"], "predicted table")
    require_columns(measured, ["gene_id", "individual", "measured"], "measured table")
    for name, frame in (("predicted", predicted), ("measured", measured)):
        keys = (
            ["model", "gene_id", "individual"] if name == "predicted" else ["gene_id", "individual"]
        )
        dup = frame.duplicated(keys)
        if dup.any():
            first = frame.loc[dup, keys].iloc[0].to_dict()
            raise InputError(
                f"{name} table has {int(dup.sum())} duplicated {keys} rows, e.g. {first}; "
                "each gene and individual must appear once (per model)."
            )
    meas_wide = measured.pivot(index="gene_id", columns="individual", values="measured")
    frames = []
    for model, sub in predicted.groupby("model", sort=True):
        pred_wide = sub.pivot(index="gene_id", columns="individual", values="predicted")
        individuals = pred_wide.columns.intersection(meas_wide.columns, sort=False)
        genes = pred_wide.index
        x = pred_wide.reindex(columns=individuals).to_numpy(np.float64)
        y = meas_wide.reindex(index=genes, columns=individuals).to_numpy(np.float64)
        res = correlate_matrices(x, y, min_individuals=min_individuals)
        res.insert(0, "gene_id", genes.to_numpy())
        missing_genes = meas_wide.index.difference(genes)
        if len(missing_genes):
            extra = pd.DataFrame(
                {
                    "gene_id": missing_genes.to_numpy(),
                    "n_individuals": 0,
                    "status": STATUS_NO_PRED,
                }
            )
            res = pd.concat([res, extra], ignore_index=True)
        res.insert(0, "model", model)
        res["pearson_fdr"] = bh_fdr(res["pearson_p"].to_numpy())
        res["spearman_fdr"] = bh_fdr(res["spearman_p"].to_numpy())
        res["sign_class"] = sign_classes(
            res[f"{method}_r"].to_numpy(), res[f"{method}_fdr"].to_numpy(), alpha=alpha
        )
        frames.append(res)
    if not frames:
        return empty_table("gene_correlations")
    table = pd.concat(frames, ignore_index=True)[CORRELATION_COLUMNS]
    table["n_individuals"] = table["n_individuals"].astype(np.int64)
    return table
