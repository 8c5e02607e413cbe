"""In-sample cis-eQTL per gene and the sign concordance of model effects with eQTL effects.

Model per gene and variant: expression ~ 1 + covariates + dosage (OLS). It is computed for all
cis variants of a gene at once by the Frisch-Waugh-Lovell theorem: expression and dosages are
residualised on [1, covariates] (one QR per gene), then
beta = x'y / x'x, RSS = y'y - beta * x'y, se = sqrt(RSS / df / x'x), df = n - k - 2
(k covariates), t = beta / se, p = 2 P(T_df > |t|): exactly the dosage coefficient, its
standard error and p-value of statsmodels OLS on the full design.

Individuals with a missing measurement are left out of that gene; a missing dosage is replaced
by the mean dosage of that variant over the gene's individuals (as QTLtools does) and counted
(`n_imputed`). Variants with no variation left after residualisation (monomorphic among the
individuals, or collinear with the covariates) get NaN statistics and status "monomorphic";
a variant whose dosage is missing for every individual of the gene gets status "all missing".

Concordance: a model's single-variant effect (alt - ref) is concordant when its sign equals the
sign of the eQTL beta. An effect (or beta) of exactly zero is a "tie": counted separately,
neither concordant nor discordant (NA in the boolean `concordant` column).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import special

from pexbench.columns import column_names, empty_table
from pexbench.dosages import SITE_COLUMNS, cis_indices
from pexbench.errors import InputError

EQTL_COLUMNS = column_names("eqtl")
log = logging.getLogger(__name__)


def ols_dosage_effects(
    y: np.ndarray, x: np.ndarray, covariates: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """OLS of y (n,) on [1, covariates (n, k), x_j] for every column j of x (n, m).

    Returns (beta, se, t, p), each (m,); NaN where x_j has no residual variation.
    """
    n = y.shape[0]
    design = np.ones((n, 1)) if covariates is None else np.column_stack([np.ones(n), covariates])
    q, _ = np.linalg.qr(design)
    yr = y - q @ (q.T @ y)
    xr = x - q @ (q.T @ x)
    sxx = np.einsum("ij,ij->j", xr, xr)
    sxy = xr.T @ yr
    syy = float(yr @ yr)
    df = n - design.shape[1] - 1
    ok = sxx > 1e-9 * max(1.0, float(np.max(np.abs(x), initial=0.0)) ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = np.where(ok, sxy / sxx, np.nan)
        rss = np.maximum(syy - beta * sxy, 0.0)
        se = np.where(ok, np.sqrt(rss / df / sxx), np.nan)
        t = beta / se
    p = 2 * special.stdtr(df, -np.abs(t)) if df > 0 else np.full_like(t, np.nan)
    return beta, se, t, p


def cis_eqtl(
    measured: pd.DataFrame,
    genes: pd.DataFrame,
    genotypes: pd.DataFrame,
    *,
    window: int = 98_304,
    covariates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per gene, every variant with |pos - tss| <= window: OLS eQTL statistics.

    The default window, 98,304 bp, is half of Enformer's input: variants farther away cannot be
    scored by a single-variant prediction of a model of that length. Use half the input length
    of the model with the longest reach.

    measured: tidy (gene_id, individual, measured); genes: (gene_id, chrom, tss [0-based]);
    genotypes: (variant_id, chrom, pos [0-based], <dosage per individual>); covariates: index
    covariate, columns individuals (pexbench.expression.read_covariates), or None.
    Returns EQTL_COLUMNS; distance_to_tss = pos - tss (genome orientation).
    """
    wide = measured.pivot(index="gene_id", columns="individual", values="measured")
    geno_inds = set(genotypes.columns) - set(SITE_COLUMNS)
    individuals = [i for i in wide.columns if i in geno_inds]
    if covariates is not None:
        absent = [i for i in individuals if i not in covariates.columns]
        if absent:
            raise InputError(
                f"{len(absent)} individual(s) lack covariates, e.g. {absent[:5]}; supply "
                "covariates for every individual with expression and genotypes."
            )
        cov_all = covariates[individuals].to_numpy(np.float64).T
    if not individuals:
        raise InputError(
            f"no individual has both expression and genotypes (genes "
            f"{list(wide.index[:5])}{', ...' if len(wide.index) > 5 else ''}: "
            f"{len(wide.columns)} individuals with expression, e.g. {list(wide.columns[:3])}, "
            f"{len(geno_inds)} with genotypes, e.g. {sorted(geno_inds)[:3]}); check that the "
            "expression table and the VCF use the same sample IDs."
        )
    dos = genotypes[individuals].to_numpy(np.float64)
    idx = cis_indices(genes, genotypes, window)
    frames = []
    tss_of = dict(zip(genes["gene_id"], genes["tss"], strict=True))
    n_cov = 0 if covariates is None else len(covariates)
    skipped: dict[str, str] = {}  # per-gene problems: skipped, counted and logged
    for gene_id, rows in idx.items():
        if gene_id not in wide.index:
            skipped[gene_id] = "no measurement"
            continue
        if rows.size == 0:
            skipped[gene_id] = "no cis variants"
            continue
        y = wide.loc[gene_id, individuals].to_numpy(np.float64)
        use = np.isfinite(y)
        if use.sum() < n_cov + 3:  # OLS needs df = n - k - 2 >= 1
            skipped[gene_id] = "no measurement" if not use.any() else "too few individuals"
            continue
        x = dos[rows][:, use].T
        missing = np.isnan(x)
        n_imp = missing.sum(axis=0)
        all_missing = missing.all(axis=0)
        if missing.any():
            col_mean = np.zeros(x.shape[1])
            some = ~all_missing
            col_mean[some] = np.nanmean(x[:, some], axis=0)
            x = np.where(missing, col_mean, x)  # all-missing columns: constant 0, NaN below
        cov = cov_all[use] if covariates is not None else None
        beta, se, t, p = ols_dosage_effects(y[use], x, cov)
        pos = genotypes["pos"].to_numpy(np.int64)[rows]
        frames.append(
            pd.DataFrame(
                {
                    "gene_id": gene_id,
                    "variant_id": genotypes["variant_id"].to_numpy()[rows],
                    "chrom": genotypes["chrom"].to_numpy()[rows],
                    "pos": pos,
                    "distance_to_tss": pos - int(tss_of[gene_id]),
                    "n_individuals": int(use.sum()),
                    "n_imputed": n_imp.astype(np.int64),
                    "beta": beta,
                    "se": se,
                    "t": t,
                    "p": p,
                    "status": np.where(
                        all_missing,
                        "all missing",
                        np.where(np.isfinite(beta), "ok", "monomorphic"),
                    ),
                }
            )
        )
    for gene_id, reason in skipped.items():
        log.warning("eQTL: gene %s skipped: %s", gene_id, reason)
    if skipped:
        log.warning("eQTL: %d of %d genes skipped", len(skipped), len(idx))
    if not frames:
        return empty_table("eqtl")
    return pd.concat(frames, ignore_index=True)[EQTL_COLUMNS]


def select_variants(
    eqtl: pd.DataFrame,
    *,
    mode: Literal["lead", "threshold"] = "lead",
    p_threshold: float = 1e-5,
    max_per_gene: int = 10,
) -> pd.DataFrame:
    """Variants to score per gene.

    Both modes keep only variants with p < p_threshold.
    "lead": the lowest p per gene (ties: the variant closest to the TSS, then the first), kept
    when p < p_threshold (a gene whose lead variant fails it has none).
    "threshold": every variant with p < p_threshold, at most `max_per_gene` per gene (lowest p
    first). Variants without a p-value are never selected.
    """
    if mode not in ("lead", "threshold"):
        raise InputError(f"eQTL variant selection {mode!r} is not 'lead' or 'threshold'")
    p = eqtl["p"].to_numpy(np.float64)
    ok = eqtl[np.isfinite(p) & (p < p_threshold)].copy()
    ok["_absdist"] = ok["distance_to_tss"].abs()
    ok = ok.sort_values(["gene_id", "p", "_absdist"], kind="mergesort")
    out = ok.groupby("gene_id", sort=False).head(1 if mode == "lead" else max_per_gene)
    return out.drop(columns="_absdist").reset_index(drop=True)


SCORED = "yes"
OUTSIDE_WINDOW = "outside the haplotype window"
AMBIGUOUS_ID = "ambiguous variant id"


def map_to_alleles(chosen: pd.DataFrame, alleles: pd.DataFrame) -> pd.DataFrame:
    """Map selected eQTL variants to the genes' allele tables; add `scored` (status).

    chosen: rows of `select_variants` (gene_id, variant_id, pos, ...); alleles: (gene_id,
    variant_id, pos, allele_index, ref, alt), one row per allele of each gene's haplotype
    window. Status: "yes" (one allele matches on gene_id, variant_id and pos: allele_index
    set), "outside the haplotype window" (none does), "ambiguous variant id" (the key names
    several alleles of the table, or several selected rows share it: a split multi-allelic
    site whose alleles kept one ID, as `bcftools norm -m -any` does). Ambiguous rows are kept
    and reported, with no allele_index. Row order of `chosen` is kept.
    """
    keys = ["gene_id", "variant_id", "pos"]
    alleles = alleles.astype({"pos": "int64"})
    ambiguous = alleles.duplicated(keys, keep=False)
    chosen_dup = chosen.duplicated(keys, keep=False).to_numpy(bool)
    merged = chosen.merge(alleles[~ambiguous], on=keys, how="left", validate="many_to_one")
    amb_keys = set(
        zip(alleles.loc[ambiguous, "gene_id"], alleles.loc[ambiguous, "variant_id"], strict=True)
    )
    is_amb = np.array(
        [(g, v) in amb_keys for g, v in zip(merged["gene_id"], merged["variant_id"], strict=True)],
        dtype=bool,
    )
    outside = merged["allele_index"].isna().to_numpy(bool)
    merged["scored"] = SCORED
    merged.loc[outside, "scored"] = OUTSIDE_WINDOW
    amb = (outside & is_amb) | chosen_dup
    merged.loc[amb, "scored"] = AMBIGUOUS_ID
    merged["allele_index"] = merged["allele_index"].astype("Int64")
    merged.loc[amb, "allele_index"] = pd.NA
    return merged


def sign_concordance(effect: Sequence[float], beta: Sequence[float]) -> pd.Series:
    """Nullable boolean per pair: True when sign(effect) == sign(beta) (both non-zero), False
    when they differ, NA for a tie (effect or beta exactly zero) or a missing value."""
    e = np.asarray(effect, dtype=np.float64)
    b = np.asarray(beta, dtype=np.float64)
    se, sb = np.sign(e), np.sign(b)
    tie = (se == 0) | (sb == 0) | ~np.isfinite(e) | ~np.isfinite(b)
    values = pd.array(se == sb, dtype="boolean")
    values[tie] = pd.NA
    return pd.Series(values)
