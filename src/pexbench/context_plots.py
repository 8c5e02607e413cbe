"""Figures that put each gene's correlation in context (report category "gene-level").

`r_vs_eqtl_and_baseline`: per model, the per-gene correlation across individuals against the
strength of the gene's lead eQTL (−log10 p) and against the genotype baseline's r for the same
gene; `model_vs_model`: the per-gene r of every pair of models; `across_genes_vs_individuals`:
each model's reference prediction against the mean measured expression across genes, next to its
per-gene correlations across individuals (models predict the first well, the second poorly).
Helpers (style, colours, flags, bit-stable output) are those of `pexbench.plots`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from pexbench.expression import prepare_measured
from pexbench.models.facts import BASELINE_MODEL
from pexbench.plots import (
    _colours,
    _empty_note,
    _flagged,
    _label,
    _models,
    _new_figure,
    _require,
    _styled,
    save_figure,
)
from pexbench.predict import REFERENCE
from pexbench.tables import read_table

__all__ = [
    "across_genes_vs_individuals",
    "lead_eqtl_strength",
    "mean_expression",
    "model_vs_model",
    "r_vs_eqtl_and_baseline",
    "reference_predictions",
]


def lead_eqtl_strength(variant_effects: pd.DataFrame) -> pd.Series:
    """−log10 of the smallest eQTL p-value among each gene's selected variants (the lead eQTL
    when `evaluation.variants` is lead), indexed by gene_id; genes without one are absent."""
    _require(variant_effects, ["gene_id", "eqtl_p"], "lead_eqtl_strength")
    p = pd.to_numeric(variant_effects["eqtl_p"], errors="coerce")
    ok = variant_effects.assign(_p=p)[np.isfinite(p.to_numpy(np.float64)) & (p > 0)]
    return -np.log10(ok.groupby("gene_id")["_p"].min())


def _wide(correlations: pd.DataFrame, value: str) -> pd.DataFrame:
    """Genes × models table of `value` (first row per model and gene)."""
    df = correlations.assign(
        model=correlations["model"].astype(str),
        _v=pd.to_numeric(correlations[value], errors="coerce"),
    )
    return df.drop_duplicates(["model", "gene_id"]).pivot(
        index="gene_id", columns="model", values="_v"
    )


def _scatter(ax, x: np.ndarray, y: np.ndarray, colour: str, what: str) -> None:
    ok = np.isfinite(x) & np.isfinite(y)
    ax.scatter(x[ok], y[ok], s=10, color=colour, alpha=0.75, lw=0)
    note = f"n = {int(ok.sum())} genes"
    if (~ok).sum():
        note += f" ({int((~ok).sum())} without {what})"
    if ok.sum() > 2 and np.std(x[ok]) > 0 and np.std(y[ok]) > 0:
        note += f"\nSpearman ρ = {pd.Series(x[ok]).corr(pd.Series(y[ok]), method='spearman'):+.2f}"
    ax.text(0.02, 0.97, note, transform=ax.transAxes, va="top", fontsize=7)


@_styled
def r_vs_eqtl_and_baseline(
    correlations: pd.DataFrame,
    variant_effects: pd.DataFrame,
    out: str | Path,
    *,
    value: str = "pearson_r",
    colours: Mapping[str, str] | None = None,
    untrained: Collection[str] = (),
    input_flags: Sequence[str] = (),
) -> Path:
    """One row per sequence model: its per-gene `value` against the lead eQTL's −log10 p (left)
    and against the genotype baseline's `value` for the same gene (right, y = x dashed). Genes
    missing either value are counted in each panel."""
    _require(correlations, ["model", "gene_id", value], "r_vs_eqtl_and_baseline")
    models = _models(correlations, "model")
    palette = _colours(models, colours)
    seq_models = [m for m in models if m != BASELINE_MODEL]
    wide = _wide(correlations, value)
    strength = lead_eqtl_strength(variant_effects).reindex(wide.index)
    fig = _new_figure(7.5, 0.9 + 2.5 * max(len(seq_models), 1))
    axes = fig.subplots(max(len(seq_models), 1), 2, squeeze=False)
    if not seq_models:
        _empty_note(axes[0, 0], "no sequence model")
        _empty_note(axes[0, 1], "no sequence model")
    for i, model in enumerate(seq_models):
        r = wide[model].to_numpy(np.float64)
        ax1, ax2 = axes[i]
        _scatter(ax1, strength.to_numpy(np.float64), r, palette[model], "an eQTL p")
        ax1.axhline(0.0, color="0.3", lw=0.8)
        ax1.set_xlabel("lead eQTL −log10 p")
        ax1.set_ylabel(f"{_label(model, untrained)}\n{value}", fontsize=8)
        if BASELINE_MODEL in wide.columns:
            base = wide[BASELINE_MODEL].to_numpy(np.float64)
            _scatter(ax2, base, r, palette[model], "both values")
            ax2.plot([-1, 1], [-1, 1], color="0.5", lw=0.8, ls="--")
            ax2.axhline(0.0, color="0.3", lw=0.6)
            ax2.axvline(0.0, color="0.3", lw=0.6)
            ax2.set_xlim(-1, 1)
            ax2.set_xlabel(f"genotype baseline {value}")
        else:
            _empty_note(ax2, "no genotype baseline in this run")
        ax1.set_ylim(-1, 1)
        ax2.set_ylim(-1, 1)
    fig.suptitle(
        _flagged(
            "Per-gene r vs eQTL strength and vs the genotype baseline",
            seq_models,
            untrained,
            input_flags,
        )
    )
    return save_figure(fig, out)


@_styled
def model_vs_model(
    correlations: pd.DataFrame,
    out: str | Path,
    *,
    value: str = "pearson_r",
    untrained: Collection[str] = (),
    input_flags: Sequence[str] = (),
) -> Path:
    """Per-gene `value` of every pair of models (x: the first of the pair in table order),
    y = x dashed, genes without both values counted."""
    _require(correlations, ["model", "gene_id", value], "model_vs_model")
    models = _models(correlations, "model")
    pairs = list(itertools.combinations(models, 2))
    wide = _wide(correlations, value)
    n = max(len(pairs), 1)
    cols = min(n, 3)
    rows = (n + cols - 1) // cols
    fig = _new_figure(2.9 * cols + 0.4, 0.9 + 2.8 * rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    if not pairs:
        _empty_note(axes[0], "fewer than two models")
    for ax, (a, b) in zip(axes, pairs, strict=False):
        _scatter(ax, wide[a].to_numpy(np.float64), wide[b].to_numpy(np.float64), "0.25", "both")
        ax.plot([-1, 1], [-1, 1], color="0.5", lw=0.8, ls="--")
        ax.set_xlim(-1, 1)
        ax.set_ylim(-1, 1)
        ax.set_xlabel(_label(a, untrained).replace(" [", "\n["), fontsize=7.5)
        ax.set_ylabel(_label(b, untrained).replace(" [", "\n["), fontsize=7.5)
    for ax in axes[len(pairs) :]:
        ax.set_axis_off()
    title = f"Per-gene {value}, model against model"
    fig.suptitle(_flagged(title, models, untrained, input_flags))
    return save_figure(fig, out)


def reference_predictions(
    paths: Sequence[str | Path],
    keys: Sequence[tuple[str, str]],
    *,
    log1p_models: Collection[str] = (),
) -> pd.DataFrame:
    """Per model and gene the prediction for the reference sequence (haplotype `REFERENCE` of
    the predict tables `paths`, whose (model, shard) are `keys`), mean over tracks, log1p for
    `log1p_models` (as `aggregate` does): columns model, gene_id, reference."""
    frames = []
    for path, (model, _shard) in zip(paths, keys, strict=True):
        table = read_table(path, kind="predictions")
        ref = table[table["haplotype"] == REFERENCE]
        mean = ref.groupby("gene_id", sort=True)["value"].mean()
        if model in log1p_models:
            mean = np.log1p(mean)
        frames.append(pd.DataFrame({"model": model, "gene_id": mean.index, "reference": mean}))
    if not frames:
        return pd.DataFrame(columns=["model", "gene_id", "reference"])
    return pd.concat(frames, ignore_index=True)


def mean_expression(
    expression: str | Path, *, individuals: Sequence[str], gene_ids: Sequence[str]
) -> pd.Series:
    """Mean measured expression of each gene (gene table ids) over `individuals`, untransformed
    (no rank-inverse-normal, no covariates: across-gene levels, not between-people residuals)."""
    tidy, _, _ = prepare_measured(expression, individuals=individuals, gene_ids=gene_ids)
    return tidy.groupby("gene_id", sort=True)["measured"].mean()


@_styled
def across_genes_vs_individuals(
    reference: pd.DataFrame,
    measured_mean: pd.Series,
    correlations: pd.DataFrame,
    out: str | Path,
    *,
    value: str = "pearson_r",
    colours: Mapping[str, str] | None = None,
    untrained: Collection[str] = (),
    input_flags: Sequence[str] = (),
) -> Path:
    """One row per model of `reference` (`reference_predictions`): left, its reference
    prediction against `measured_mean` (mean measured expression per gene_id, untransformed)
    across genes, with the Spearman ρ across genes; right, the per-gene `value` across
    individuals (histogram, median dashed) with that ρ marked, for comparison."""
    _require(reference, ["model", "gene_id", "reference"], "across_genes_vs_individuals")
    models = _models(reference, "model")
    palette = _colours(models, colours)
    fig = _new_figure(7.5, 0.9 + 2.4 * max(len(models), 1))
    axes = fig.subplots(max(len(models), 1), 2, squeeze=False)
    if not models:
        _empty_note(axes[0, 0], "no reference predictions")
        _empty_note(axes[0, 1], "no reference predictions")
    for i, model in enumerate(models):
        ax1, ax2 = axes[i]
        ref = reference[reference["model"] == model].set_index("gene_id")["reference"]
        y = measured_mean.reindex(ref.index).to_numpy(np.float64)
        x = ref.to_numpy(np.float64)
        ok = np.isfinite(x) & np.isfinite(y)
        ax1.scatter(x[ok], y[ok], s=9, color=palette[model], alpha=0.75, lw=0)
        rho = math.nan
        if ok.sum() > 2 and np.std(x[ok]) > 0 and np.std(y[ok]) > 0:
            rho = float(pd.Series(x[ok]).corr(pd.Series(y[ok]), method="spearman"))
        note = f"across genes: n = {int(ok.sum())}"
        if (~ok).sum():
            note += f" ({int((~ok).sum())} without a measurement)"
        note += f"\nSpearman ρ = {rho:+.2f}" if np.isfinite(rho) else ""
        ax1.text(0.02, 0.97, note, transform=ax1.transAxes, va="top", fontsize=7)
        if ok.any() and (y[ok] > 0).all():
            ax1.set_yscale("log")
        ax1.set_xlabel("reference prediction")
        ax1.set_ylabel(
            f"{_label(model, untrained)}\nmean measured".replace(" [", "\n["), fontsize=8
        )
        r = pd.to_numeric(
            correlations.loc[correlations["model"].astype(str) == model, value], errors="coerce"
        ).to_numpy(np.float64)
        r = r[np.isfinite(r)]
        ax2.hist(r, bins=np.linspace(-1, 1, 41), color=palette[model])
        text = f"across individuals: {r.size} genes"
        if r.size:
            med = float(np.median(r))
            ax2.axvline(med, color="black", ls="--", lw=1.0)
            text += f"\nmedian r = {med:+.3f}"
        if np.isfinite(rho):
            ax2.axvline(rho, color="#B2182B", lw=1.2)
            text += f"\nred: ρ across genes {rho:+.2f}"
        ax2.text(0.02, 0.97, text, transform=ax2.transAxes, va="top", fontsize=7)
        ax2.set_xlim(-1, 1)
        ax2.set_xlabel(f"per-gene {value} across individuals")
        ax2.set_ylabel("genes")
    title = "Across genes vs across individuals"
    fig.suptitle(_flagged(title, models, untrained, input_flags))
    return save_figure(fig, out)
