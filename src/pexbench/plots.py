"""Figures of the benchmark report (matplotlib, Agg, bit-stable output).

Every function takes tidy DataFrames (the tables of ``results/``), draws one figure and writes it
to ``out`` (format from the suffix: ``.svg``, ``.png`` or ``.pdf``). Output is deterministic:
fixed bundled font (DejaVu Sans), a fixed SVG hash salt, no dates or software versions in the file
metadata, so the same tables give byte-identical files. Rows that cannot be drawn (missing values)
are counted in the figure instead of being dropped silently. Titles name the models with untrained
weights (`untrained`) and, for a run on non-real inputs, `input_flags`
(`pexbench.report.input_flags`); neither changes a figure of a run without them.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import ParamSpec, TypeVar

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from pexbench.errors import InputError
from pexbench.palette import (
    BASELINE_COLOUR,
    MODEL_PALETTE,
    NEUTRAL_COLOURS,
    SIGN_COLOURS,
    UNTRAINED_FLAG,
    model_colours,
)
from pexbench.report import input_flag_line
from pexbench.stats import SIGN_CLASSES, wilson_interval

__all__ = [
    "BASELINE_COLOUR",
    "MODEL_PALETTE",
    "SIGN_COLOURS",
    "STYLE",
    "UNTRAINED_FLAG",
    "concordance_by_distance",
    "concordance_by_state",
    "correlation_distribution",
    "dedup_statistics",
    "distance_class",
    "extreme_gene_scatter",
    "headline",
    "model_colours",
    "read_benchmarks",
    "rule_runtimes",
    "save_figure",
    "sign_classes",
    "wilson_interval",
]

#: rcParams applied around every figure (never changed globally).
STYLE: dict[str, object] = {
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.titlesize": 9.5,
    "axes.labelsize": 9.0,
    "legend.fontsize": 8.0,
    "svg.hashsalt": "pexbench",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
    "path.simplify": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
}

P = ParamSpec("P")
R = TypeVar("R")


def _colours(models: Sequence[str], colours: Mapping[str, str] | None) -> dict[str, str]:
    """`colours` (from `model_colours` of the configured models) for every model drawn, or
    `model_colours(models)` when none are given."""
    if colours is None:
        return model_colours(models)
    missing = [m for m in models if m not in colours]
    if missing:
        raise InputError(
            f"no colour for model(s) {', '.join(missing)}; pass "
            "colours=model_colours(<every configured model and the baseline>)"
        )
    return dict(colours)


def _label(model: str, untrained: Collection[str]) -> str:
    return f"{model} [{UNTRAINED_FLAG}]" if model in untrained else model


def _flagged(
    title: str,
    models: Iterable[str],
    untrained: Collection[str],
    input_flags: Sequence[str] = (),
) -> str:
    """`title`, plus a line naming the models drawn with untrained weights and one naming the
    non-real inputs of the run (`pexbench.report.input_flags`)."""
    bad = [m for m in dict.fromkeys(models) if m in untrained]
    lines = [title] + ([f"{', '.join(bad)}: {UNTRAINED_FLAG}"] if bad else [])
    return "\n".join(lines + ([input_flag_line(input_flags)] if input_flags else []))


_METADATA: dict[str, dict[str, str | None]] = {
    "svg": {"Date": None, "Creator": None},
    "png": {"Software": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
}


def _styled(func: Callable[P, R]) -> Callable[P, R]:
    """Run a plotting function under :data:`STYLE` (fonts are resolved when text is created)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with matplotlib.rc_context(STYLE):
            return func(*args, **kwargs)

    return wrapper


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, out: str | Path, *, dpi: int = 150) -> Path:
    """Write ``fig`` to ``out`` without dates or versions in its metadata; return the path."""
    path = Path(out)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in _METADATA:
        raise InputError(
            f"{path}: unsupported figure format {path.suffix!r}; use .svg, .png or .pdf"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context(STYLE):
        fig.savefig(path, format=fmt, dpi=dpi, metadata=_METADATA[fmt])
    return path


def _require(df: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            f"{what}: missing column(s) {', '.join(missing)} "
            f"(has: {', '.join(map(str, df.columns))}); "
            "pass the table written by the workflow or name the columns explicitly"
        )


def _models(df: pd.DataFrame, model_col: str) -> list[str]:
    return list(dict.fromkeys(df[model_col].astype(str)))  # order of first appearance


def _empty_note(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])


# --------------------------------------------------------------------------------------------
# Per-gene correlations
# --------------------------------------------------------------------------------------------


@_styled
def correlation_distribution(
    correlations: pd.DataFrame,
    out: str | Path,
    *,
    value: str = "pearson_r",
    model_col: str = "model",
    bin_width: float = 0.05,
    colours: Mapping[str, str] | None = None,
    untrained: Collection[str] = (),
    input_flags: Sequence[str] = (),
) -> Path:
    """Histogram of the per-gene correlation ``value`` (one panel per model).

    Each panel names the number of genes drawn, the number without a value (NaN: constant
    prediction or expression) and the median. Models in `colours` (`model_colours`); those in
    `untrained` are flagged in their panel and the title.
    """
    _require(correlations, [model_col, value], "correlation_distribution")
    models = _models(correlations, model_col)
    palette = _colours(models, colours)
    n_models = max(len(models), 1)
    fig = _new_figure(6.0, 1.2 + 1.6 * n_models)
    axes = fig.subplots(n_models, 1, sharex=True, squeeze=False)[:, 0]
    edges = np.linspace(-1.0, 1.0, round(2.0 / bin_width) + 1)
    if not models:
        _empty_note(axes[0], "no genes")
    for ax, model in zip(axes, models, strict=False):
        vals = correlations.loc[correlations[model_col].astype(str) == model, value]
        vals = pd.to_numeric(vals, errors="coerce").to_numpy(dtype=np.float64)
        finite = vals[np.isfinite(vals)]
        n_nan = int(vals.size - finite.size)
        ax.hist(np.clip(finite, -1.0, 1.0), bins=edges, color=palette[model])
        ax.axvline(0.0, color="0.3", lw=0.8)
        label = f"{_label(model, untrained)}\nn = {finite.size} genes"
        if n_nan:
            label += f" (+{n_nan} without a value)"
        if finite.size:
            med = float(np.median(finite))
            ax.axvline(med, color="k", lw=1.0, ls="--")
            label += f"\nmedian = {med:+.3f}"
        ax.text(0.01, 0.95, label, transform=ax.transAxes, va="top", ha="left", fontsize=8)
        ax.set_ylabel("genes")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes[-1].set_xlim(-1.0, 1.0)
    axes[-1].set_xlabel(f"{value} across individuals (per gene)")
    fig.suptitle(
        _flagged(
            "Per-gene correlation of predicted with measured expression",
            models,
            untrained,
            input_flags,
        )
    )
    return save_figure(fig, out)


@_styled
def sign_classes(
    correlations: pd.DataFrame,
    out: str | Path,
    *,
    class_col: str = "sign_class",
    model_col: str = "model",
    order: Sequence[str] | None = SIGN_CLASSES,
    untrained: Collection[str] = (),
    input_flags: Sequence[str] = (),
) -> Path:
    """Stacked bars: fraction of genes per sign class for each model, counts written in the bars
    (classes in `order`, then any others alphabetically; colours `SIGN_COLOURS`, never the
    models'); models in `untrained` are flagged."""
    _require(correlations, [model_col, class_col], "sign_classes")
    models = _models(correlations, model_col)
    classes_seen = list(dict.fromkeys(correlations[class_col].fillna("NA").astype(str)))
    classes = [c for c in (order or []) if c in classes_seen] + sorted(
        c for c in classes_seen if c not in (order or [])
    )
    counts = (
        correlations.assign(_c=correlations[class_col].fillna("NA").astype(str))
        .groupby([correlations[model_col].astype(str), "_c"])
        .size()
        .unstack(fill_value=0)
        .reindex(index=models, columns=classes, fill_value=0)
    )
    fig = _new_figure(6.5, 1.4 + 0.45 * max(len(models), 1))
    ax = fig.subplots()
    if not models:
        _empty_note(ax, "no genes")
        return save_figure(fig, out)
    totals = counts.sum(axis=1).to_numpy(dtype=np.float64)
    left = np.zeros(len(models))
    y = np.arange(len(models))
    for j, cls in enumerate(classes):
        n = counts[cls].to_numpy(dtype=np.float64)
        frac = np.divide(n, totals, out=np.zeros_like(n), where=totals > 0)
        colour = SIGN_COLOURS.get(cls, NEUTRAL_COLOURS[j % len(NEUTRAL_COLOURS)])
        ax.barh(y, frac, left=left, color=colour, label=cls, height=0.6, ec="0.4", lw=0.4)
        for yi, (l0, f, c) in enumerate(zip(left, frac, n, strict=True)):
            if f >= 0.06:
                ax.text(l0 + f / 2, yi, f"{int(c)}", ha="center", va="center", fontsize=7.5)
        left = left + frac
    ticks = [f"{_label(m, untrained)} (n={int(t)})" for m, t in zip(models, totals, strict=True)]
    ax.set_yticks(y, ticks)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("fraction of genes")
    fig.legend(loc="outside lower center", ncols=min(len(classes), 4), frameon=False)
    fig.suptitle(_flagged("Sign of the per-gene correlation", models, untrained, input_flags))
    return save_figure(fig, out)


def _narrow_range_note(values: np.ndarray) -> str | None:
    """A note when `values` span less than 1% of their mean magnitude: the axis then shows
    differences between people too small to read as absolute values (e.g. 1.0468-1.0477)."""
    if values.size < 2:
        return None
    span = float(values.max() - values.min())
    scale = float(np.abs(values).mean())
    if scale == 0 or span >= 0.01 * scale:
        return None
    return (
        f"predicted values span only {span:.3g}\n({100 * span / scale:.2g}% of their mean "
        f"{scale:.4g}): tiny differences between people"
    )


@_styled
def extreme_gene_scatter(
    correlations: pd.DataFrame,
    predicted: pd.DataFrame,
    measured: pd.DataFrame,
    out: str | Path,
    *,
    value: str = "pearson_r",
    model_col: str = "model",
    gene_col: str = "gene_id",
    individual_col: str = "individual",
    predicted_col: str = "predicted",
    measured_col: str = "measured",
    label_col: str | None = "symbol",
    genes: pd.DataFrame | None = None,
    colours: Mapping[str, str] | None = None,
    untrained: Collection[str] = (),
    input_flags: Sequence[str] = (),
) -> Path:
    """Predicted vs measured expression across individuals for the gene with the most positive
    and the gene with the most negative correlation, one row per model. Genes are labelled
    with `label_col` of `correlations` or, when given, of the gene table `genes`."""
    if genes is not None and label_col:
        _require(genes, [gene_col, label_col], "extreme_gene_scatter (genes)")
        labels = genes[[gene_col, label_col]].drop_duplicates(gene_col)
        correlations = correlations.merge(labels, on=gene_col, how="left")
    _require(correlations, [model_col, gene_col, value], "extreme_gene_scatter (correlations)")
    _require(
        predicted,
        [model_col, gene_col, individual_col, predicted_col],
        "extreme_gene_scatter (predicted)",
    )
    _require(measured, [gene_col, individual_col, measured_col], "extreme_gene_scatter (measured)")
    models = _models(correlations, model_col)
    palette = _colours(models, colours)
    fig = _new_figure(7.0, 0.8 + 2.6 * max(len(models), 1))
    axes = fig.subplots(max(len(models), 1), 2, squeeze=False)
    if not models:
        _empty_note(axes[0, 0], "no genes")
        _empty_note(axes[0, 1], "no genes")
    meas = measured[[gene_col, individual_col, measured_col]]
    for i, model in enumerate(models):
        corr = correlations[correlations[model_col].astype(str) == model].copy()
        corr["_v"] = pd.to_numeric(corr[value], errors="coerce")
        corr = corr[np.isfinite(corr["_v"].to_numpy(dtype=np.float64))]
        corr = corr.sort_values(["_v", gene_col], kind="mergesort")
        picks = [("most positive", corr.tail(1)), ("most negative", corr.head(1))]
        for j, (title, row) in enumerate(picks):
            ax = axes[i, j]
            if row.empty:
                _empty_note(ax, f"{model}: no gene with a finite {value}")
                continue
            gene = str(row[gene_col].iloc[0])
            name = gene
            if label_col and label_col in row.columns and pd.notna(row[label_col].iloc[0]):
                name = f"{row[label_col].iloc[0]} ({gene})"
            pred = predicted[
                (predicted[model_col].astype(str) == model) & (predicted[gene_col] == gene)
            ]
            pts = pred[[individual_col, predicted_col]].merge(
                meas[meas[gene_col] == gene], on=individual_col, how="inner"
            )
            x = pd.to_numeric(pts[predicted_col], errors="coerce").to_numpy(dtype=np.float64)
            yv = pd.to_numeric(pts[measured_col], errors="coerce").to_numpy(dtype=np.float64)
            ok = np.isfinite(x) & np.isfinite(yv)
            ax.scatter(x[ok], yv[ok], s=9, color=palette[model], alpha=0.8, lw=0)
            note = _narrow_range_note(x[ok])
            if note:
                ax.text(0.98, 0.03, note, transform=ax.transAxes, ha="right", fontsize=6.5)
            ax.set_title(f"{_label(model, untrained)}: {title}\n{name}", fontsize=8.5)
            ax.text(
                0.02,
                0.97,
                f"{value} = {float(row['_v'].iloc[0]):+.3f}\nn = {int(ok.sum())} individuals",
                transform=ax.transAxes,
                va="top",
                fontsize=7.5,
            )
            ax.set_xlabel("predicted")
            ax.set_ylabel("measured")
    if input_flags or any(m in untrained for m in models):
        title = "Predicted vs measured expression"
        fig.suptitle(_flagged(title, models, untrained, input_flags))
    return save_figure(fig, out)


@_styled
def headline(
    headline_table: pd.DataFrame,
    correlations: pd.DataFrame,
    out: str | Path,
    *,
    value: str = "pearson_r",
    min_group_size: int = 5,
    colours: Mapping[str, str] | None = None,
    untrained: Collection[str] = (),
    input_flags: Sequence[str] = (),
) -> Path:
    """The report's headline figure, one row per model of `headline_table`
    (`pexbench.summary_views.headline_table`): left, every gene's `value` across individuals
    (dots) with the median and its bootstrap 95% interval (black); right, the fraction of
    variants whose predicted effect has the eQTL's sign with its Wilson 95% interval, hollow
    with a red n when fewer than `min_group_size` variants decide it."""
    _require(headline_table, ["model", "median_r", "fraction_concordant"], "headline")
    _require(correlations, ["model", value], "headline (correlations)")
    models = [str(m) for m in headline_table["model"]]
    palette = _colours(models, colours)
    fig = _new_figure(9.0, 1.7 + 0.6 * max(len(models), 1))
    ax1, ax2 = fig.subplots(1, 2, sharey=True, width_ratios=[1.6, 1.0])
    if not models:
        _empty_note(ax1, "no models")
        return save_figure(fig, out)
    y = np.arange(len(models), dtype=np.float64)
    rng = np.random.default_rng(0)  # jitter only; seeded for bit-stable files
    for yi, row in zip(y, headline_table.itertuples(index=False), strict=True):
        model = str(row.model)
        vals = pd.to_numeric(
            correlations.loc[correlations["model"].astype(str) == model, value], errors="coerce"
        ).to_numpy(dtype=np.float64)
        vals = vals[np.isfinite(vals)]
        jitter = rng.uniform(-0.18, 0.18, size=vals.size)
        ax1.scatter(vals, yi + jitter, s=7, color=palette[model], alpha=0.55, lw=0)
        lo, hi = float(row.median_r_ci_low), float(row.median_r_ci_high)
        if np.isfinite(lo):
            ax1.plot([lo, hi], [yi, yi], color="black", lw=2.2, solid_capstyle="butt")
        if np.isfinite(row.median_r):
            ax1.plot([row.median_r], [yi], marker="D", color="black", ms=4.5)
            ax1.text(
                1.0, yi - 0.3, f"median {row.median_r:+.3f}", ha="right", va="bottom", fontsize=7
            )
        n = float(row.variants_decided)
        frac = float(row.fraction_concordant)
        if n > 0 and np.isfinite(frac):
            small = n < min_group_size
            ax2.barh(
                yi,
                frac,
                height=0.55,
                color="none" if small else palette[model],
                edgecolor=palette[model],
                lw=0.9,
            )
            c_lo, c_hi = float(row.concordance_ci_low), float(row.concordance_ci_high)
            ax2.plot([c_lo, c_hi], [yi, yi], color="0.75" if small else "0.2", lw=0.9)
            ax2.text(
                min(c_hi + 0.02, 0.98),
                yi,
                f"n={int(n)}",
                va="center",
                fontsize=7,
                color="#B2182B" if small else "black",
            )
        else:
            ax2.text(0.02, yi, "no variant effects", va="center", fontsize=7, color="0.4")
    ax1.axvline(0.0, color="0.3", lw=0.8)
    ax1.set_xlim(-1.0, 1.0)
    ax1.set_yticks(y, [_label(m, untrained).replace(" [", "\n[") for m in models])
    ax1.invert_yaxis()
    ax1.set_xlabel(f"per-gene {value} across individuals")
    ax1.set_title("each gene (dots); median and its bootstrap\n95% interval (black)", fontsize=8.5)
    ax2.axvline(0.5, color="0.3", ls="--", lw=0.8)
    ax2.set_xlim(0.0, 1.2)
    ax2.set_xticks(np.linspace(0, 1, 6))
    ax2.set_xlabel("fraction concordant with eQTL sign")
    ax2.set_title(
        f"lead eQTL variants, Wilson 95% interval\n(hollow, red n: fewer than {min_group_size})",
        fontsize=8.5,
    )
    title = "Do the models explain differences between people?"
    fig.suptitle(_flagged(title, models, untrained, input_flags))
    return save_figure(fig, out)


# --------------------------------------------------------------------------------------------
# Variant level
# --------------------------------------------------------------------------------------------


@_styled
def concordance_by_state(
    variant_effects: pd.DataFrame,
    out: str | Path,
    *,
    state_col: str = "chromatin_state",
    concordant_col: str = "concordant",
    model_col: str = "model",
    state_order: Sequence[str] | None = None,
    min_group_size: int = 5,
    colours: Mapping[str, str] | None = None,
    untrained: Collection[str] = (),
    input_flags: Sequence[str] = (),
    title: str = "Direction of single-variant effects vs in-sample eQTL",
    xlabel: str = "chromatin state",
) -> Path:
    """Fraction of variants whose predicted effect sign matches the eQTL sign, per chromatin state
    and model, with Wilson 95% intervals, the 0.5 chance line and n written above each bar.

    Rows with a missing ``concordant`` value (no eQTL effect, zero predicted effect) are counted
    per model in the legend, not drawn; so are variants outside the model's input (``status``
    "outside model input"), apart. Groups of fewer than `min_group_size` variants are drawn
    hollow (outline only, n in red): their fraction is not an estimate worth reading.
    """
    _require(variant_effects, [model_col, state_col, concordant_col], "concordance_by_state")
    models = _models(variant_effects, model_col)
    palette = _colours(models, colours)
    df = variant_effects[[model_col, state_col, concordant_col]].copy()
    status = variant_effects.get("status", pd.Series("scored", index=variant_effects.index))
    df["_outside"] = status.astype(str).eq("outside model input")
    df[model_col] = df[model_col].astype(str)
    df[state_col] = df[state_col].fillna("none").astype(str)
    conc = df[concordant_col]
    if not (pd.api.types.is_bool_dtype(conc) or pd.api.types.is_numeric_dtype(conc)):
        # text or mixed (True/False/NaN read from a TSV): true/1/yes, false/0/no, else missing
        def _flag(v: object) -> float:
            if v is None or (isinstance(v, float) and math.isnan(v)):
                return np.nan
            text = str(v).strip().lower()
            if text in ("true", "1", "1.0", "yes"):
                return 1.0
            if text in ("false", "0", "0.0", "no"):
                return 0.0
            return np.nan

        conc = conc.map(_flag)
    df["_c"] = pd.to_numeric(conc.astype("float64"), errors="coerce")
    seen = list(dict.fromkeys(df[state_col]))
    states = ["all"] + [s for s in (state_order or []) if s in seen]
    states += sorted(s for s in seen if s not in states)
    fig = _new_figure(max(7.0, 1.5 + 0.55 * len(states) * max(len(models), 1) ** 0.5), 3.8)
    ax = fig.subplots()
    if not models:
        _empty_note(ax, "no variants")
        return save_figure(fig, out)
    width = 0.8 / len(models)
    x = np.arange(len(states), dtype=np.float64)
    for i, model in enumerate(models):
        sub = df[df[model_col] == model]
        n_outside = int(sub["_outside"].sum())
        n_missing = int(sub["_c"].isna().sum()) - n_outside
        sub = sub[sub["_c"].notna()]
        k = np.array(
            [sub["_c"].sum()] + [sub.loc[sub[state_col] == s, "_c"].sum() for s in states[1:]],
            dtype=np.float64,
        )
        n = np.array(
            [len(sub)] + [int((sub[state_col] == s).sum()) for s in states[1:]], dtype=np.float64
        )
        frac = np.divide(k, n, out=np.full_like(k, np.nan), where=n > 0)
        ci = wilson_interval(k, n)
        xi = x - 0.4 + width * (i + 0.5)
        notes = [f"{n_missing} without a sign"] if n_missing else []
        notes += [f"{n_outside} outside its input"] if n_outside else []
        label = _label(model, untrained) + (f" ({', '.join(notes)})" if notes else "")
        small = n < min_group_size
        colour = palette[model]
        heights = np.nan_to_num(frac)
        ax.bar(
            xi[~small],
            heights[~small],
            width=width * 0.9,
            color=colour,
            label=label if (~small).any() else None,
        )
        ax.bar(
            xi[small],
            heights[small],
            width=width * 0.9,
            facecolor="none",
            edgecolor=colour,
            lw=0.9,
            label=None if (~small).any() else label,
        )
        err = np.vstack([frac - ci[:, 0], ci[:, 1] - frac])
        ax.errorbar(xi[~small], frac[~small], yerr=err[:, ~small], fmt="none", ecolor="0.2", lw=0.8)
        ax.errorbar(xi[small], frac[small], yerr=err[:, small], fmt="none", ecolor="0.75", lw=0.6)
        for xx, nn, hi, sm in zip(xi, n, ci[:, 1], small, strict=True):
            top = 0.02 if not np.isfinite(hi) else hi + 0.02
            ax.text(
                xx,
                top,
                f"{int(nn)}",
                ha="center",
                va="bottom",
                fontsize=6.5,
                rotation=90,
                color="#B2182B" if sm else "black",
            )
    ax.axhline(0.5, color="0.3", ls="--", lw=0.8)
    ax.set_xticks(x, states)
    ax.set_ylim(0, 1.25)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel("fraction concordant with eQTL sign")
    ax.set_xlabel(f"{xlabel} (numbers: variants; hollow, red n: fewer than {min_group_size})")
    fig.legend(loc="outside lower center", fontsize=7, frameon=False)
    ax.set_title(_flagged(title, models, untrained, input_flags))
    return save_figure(fig, out)


#: Distance classes of a variant to the TSS (|distance|, bp): label, lower bound (inclusive).
DISTANCE_CLASSES: tuple[tuple[str, int], ...] = (
    ("<1 kb", 0),
    ("1-10 kb", 1_000),
    ("10-50 kb", 10_000),
    (">50 kb", 50_000),
)


def distance_class(distance: pd.Series) -> pd.Series:
    """The `DISTANCE_CLASSES` label of each |distance to the TSS| (bp); missing stays missing."""
    d = pd.to_numeric(distance, errors="coerce").abs()
    bins = [lower for _, lower in DISTANCE_CLASSES] + [np.inf]
    labels = [label for label, _ in DISTANCE_CLASSES]
    return pd.cut(d, bins=bins, labels=labels, right=False).astype("object")


def concordance_by_distance(
    variant_effects: pd.DataFrame,
    out: str | Path,
    *,
    distance_col: str = "distance_to_tss",
    **kwargs: object,
) -> Path:
    """`concordance_by_state` with the variants grouped by distance to the TSS
    (`DISTANCE_CLASSES`: <1 kb, 1-10 kb, 10-50 kb, >50 kb) instead of chromatin state;
    variants without a distance are the group "none", counted."""
    _require(variant_effects, [distance_col], "concordance_by_distance")
    df = variant_effects.assign(_distance=distance_class(variant_effects[distance_col]))
    return concordance_by_state(
        df,
        out,
        state_col="_distance",
        state_order=[label for label, _ in DISTANCE_CLASSES],
        title="Direction of single-variant effects vs in-sample eQTL, by distance",
        xlabel="distance to the TSS",
        **kwargs,  # type: ignore[arg-type]
    )


# --------------------------------------------------------------------------------------------
# Haplotypes and runtimes
# --------------------------------------------------------------------------------------------


@_styled
def dedup_statistics(
    stats: pd.DataFrame,
    out: str | Path,
    *,
    unique_col: str = "n_unique",
    total_col: str = "n_haplotypes",
    input_flags: Sequence[str] = (),
) -> Path:
    """Haplotype deduplication per gene: unique vs total haplotypes (left) and the histogram of
    the unique/total fraction (right), with the overall number of model inputs saved."""
    _require(stats, [unique_col, total_col], "dedup_statistics")
    uniq = pd.to_numeric(stats[unique_col], errors="coerce").to_numpy(dtype=np.float64)
    tot = pd.to_numeric(stats[total_col], errors="coerce").to_numpy(dtype=np.float64)
    ok = np.isfinite(uniq) & np.isfinite(tot) & (tot > 0)
    uniq, tot = uniq[ok], tot[ok]
    fig = _new_figure(7.0, 3.0)
    ax1, ax2 = fig.subplots(1, 2)
    if not uniq.size:
        _empty_note(ax1, "no genes")
        _empty_note(ax2, "no genes")
        return save_figure(fig, out)
    ax1.scatter(tot, uniq, s=10, color=NEUTRAL_COLOURS[0], alpha=0.7, lw=0)
    top = float(tot.max())
    ax1.plot([0, top], [0, top], color="0.5", lw=0.8, ls="--")
    ax1.set_xlabel("haplotypes (2 × individuals)")
    ax1.set_ylabel("unique haplotypes")
    ax1.set_title(f"{uniq.size} genes")
    frac = uniq / tot
    ax2.hist(frac, bins=np.linspace(0, 1, 21), color=NEUTRAL_COLOURS[1])
    ax2.set_xlabel("unique / total")
    ax2.set_ylabel("genes")
    ax2.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax2.set_title(
        f"unique haplotypes: {int(uniq.sum())} of {int(tot.sum())} "
        f"({100.0 * uniq.sum() / tot.sum():.1f}%)"
    )
    skipped = int((~ok).sum())
    if skipped:
        ax2.text(
            0.98,
            0.95,
            f"{skipped} rows without counts",
            ha="right",
            transform=ax2.transAxes,
            fontsize=7,
        )
    fig.suptitle(_flagged("Haplotype deduplication", (), (), input_flags))
    return save_figure(fig, out)


_BENCH_PATH = re.compile(r"(?:^|/)benchmarks/([^/]+?)(?:/(.+))?\.tsv$")


def read_benchmarks(paths: Iterable[str | Path]) -> pd.DataFrame:
    """Read Snakemake ``benchmark:`` TSVs into one table with ``rule``, ``job``, ``repeat``.

    Paths follow the workflow's layout ``benchmarks/{rule}/{wildcards...}.tsv``: the rule is the
    directory under ``benchmarks/``, the job the rest of the path without ``.tsv`` (e.g.
    ``enformer/000`` for model ``enformer``, shard ``000``); a rule with one job may write
    ``benchmarks/{rule}.tsv`` (job ``all``). Other paths use the parent directory and the file
    name.
    """
    frames = []
    for p in paths:
        path = Path(p)
        try:
            df = pd.read_csv(path, sep="\t")
        except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise InputError(f"{path}: not a Snakemake benchmark TSV ({exc})") from exc
        if "s" not in df.columns:
            raise InputError(
                f"{path}: benchmark TSV without an 's' column (seconds); "
                "point at files written by a rule's `benchmark:` directive"
            )
        m = _BENCH_PATH.search(path.as_posix())
        rule, job = (m.group(1), m.group(2) or "all") if m else (path.parent.name, path.stem)
        df.insert(0, "rule", rule)
        df.insert(1, "job", job)
        df.insert(2, "repeat", np.arange(len(df)))
        frames.append(df)
    if not frames:
        return pd.DataFrame(columns=["rule", "job", "repeat", "s"])
    return pd.concat(frames, ignore_index=True)


@_styled
def rule_runtimes(
    benchmarks: pd.DataFrame,
    out: str | Path,
    *,
    seconds_col: str = "s",
    input_flags: Sequence[str] = (),
) -> Path:
    """Wall time per rule from benchmark TSVs: every job as a dot, the total in the label."""
    _require(benchmarks, ["rule", seconds_col], "rule_runtimes")
    df = benchmarks.copy()
    df["_s"] = pd.to_numeric(df[seconds_col], errors="coerce")
    totals = df.groupby("rule")["_s"].agg(["sum", "count", "max"]).sort_values("sum")
    rules = list(totals.index)
    fig = _new_figure(6.5, 1.2 + 0.35 * max(len(rules), 1))
    ax = fig.subplots()
    if not rules:
        _empty_note(ax, "no benchmark files")
        return save_figure(fig, out)
    for i, rule in enumerate(rules):
        s = df.loc[df["rule"] == rule, "_s"].to_numpy(dtype=np.float64)
        s = s[np.isfinite(s)]
        jitter = (np.arange(s.size) % 7 - 3) * 0.05
        ax.scatter(np.maximum(s, 1e-3), i + jitter, s=10, color=NEUTRAL_COLOURS[0], lw=0)
    labels = [
        f"{r} ({int(c)} job{'s' if c != 1 else ''}, {sm:.1f} s)"
        for r, (sm, c, _mx) in totals.iterrows()
    ]
    ax.set_yticks(np.arange(len(rules)), labels)
    ax.set_xscale("log")
    ax.set_xlabel("wall time per job (s, log scale)")
    ax.set_title(_flagged("Runtime per rule (Snakemake benchmarks)", (), (), input_flags))
    return save_figure(fig, out)
