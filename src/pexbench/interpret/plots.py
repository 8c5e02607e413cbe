"""Figures of the interpretation stage: attention and contribution tracks around the TSS (with
the gene's variants and chromatin states drawn under them) for the top gene of each sign class,
and attention / contribution enrichment by chromatin state and distance to the TSS.

Models without trained weights are labelled "random weights, not a result" in every panel; a run
on non-real inputs (`pexbench.report.input_flags`) says so in the title of both figures.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from pexbench.chromatin import assign_states, load_states
from pexbench.interpret.job import load_arrays
from pexbench.interpret.relate import DISTANCE_CLASSES
from pexbench.interpret.summary import by_model
from pexbench.models.base import NOT_A_RESULT
from pexbench.palette import MODEL_PALETTE as PALETTE
from pexbench.plots import _empty_note, _flagged, _new_figure, _require, _styled, save_figure
from pexbench.stats import SIGN_NEG, SIGN_NS, SIGN_POS
from pexbench.tables import read_table

TRACK_CLASSES = (SIGN_POS, SIGN_NEG, SIGN_NS)


def model_label(model: str, trained: bool) -> str:
    """The model's name, flagged when its weights are random."""
    return model if trained else f"{model} [{NOT_A_RESULT}]"


def top_genes(
    correlations: pd.DataFrame, interpreted: Sequence[str], *, model: str
) -> list[tuple[str, str]]:
    """(sign class, gene id) of the interpreted gene with the largest |Pearson r| in each of
    TRACK_CLASSES for `model` (classes without an interpreted gene are left out)."""
    _require(correlations, ["model", "gene_id", "pearson_r", "sign_class"], "top_genes")
    sub = correlations[
        (correlations["model"] == model) & correlations["gene_id"].isin(list(interpreted))
    ].assign(size=lambda d: d["pearson_r"].abs())
    out = []
    for cls in TRACK_CLASSES:
        rows = sub[sub["sign_class"] == cls].sort_values(
            ["size", "gene_id"], ascending=[False, True]
        )
        if len(rows):
            out.append((cls, str(rows["gene_id"].iloc[0])))
    return out


def _input_title(fig: Figure, title: str, input_flags: Sequence[str]) -> None:
    """Title `fig` with `title` and the line of `input_flags` when there are any (a figure of a
    run on real inputs keeps no title)."""
    if input_flags:
        fig.suptitle(_flagged(title, (), (), input_flags))


def _read_span(grad: np.ndarray) -> tuple[int, int]:
    """[first, last + 1) of the bases with a non-zero gradient x input (what the model reads)."""
    nz = np.flatnonzero(grad)
    return (int(nz[0]), int(nz[-1]) + 1) if len(nz) else (0, len(grad))


@_styled
def interpretation_tracks(
    arrays: Mapping[str, Mapping[str, np.ndarray]],
    correlations: pd.DataFrame,
    effects: pd.DataFrame,
    out: str | Path,
    *,
    trained: Mapping[str, bool],
    states: pd.DataFrame | None = None,
    input_flags: Sequence[str] = (),
) -> Path:
    """One panel per (model, sign class): gradient x input (signed, left axis) and, for models
    with attention, the layer-, head- and TSS-query-averaged attention per base (right axis)
    against the position relative to the TSS, over the bases the model reads; under it the
    gene's variants (ticks: up = ISM effect > 0, down = < 0) and its chromatin states.

    arrays: per model the arrays of `pexbench.interpret.job.load_arrays` (shards concatenated);
    effects: the interpretation_effects table; states: a state table (None: no strip);
    input_flags: the run's non-real inputs, in the title (none: no title)."""
    panels = []
    for model, arr in arrays.items():
        for cls, gene in top_genes(correlations, arr["gene_id"].tolist(), model=model):
            panels.append((model, cls, int(np.flatnonzero(arr["gene_id"] == gene)[0]), gene))
    n = max(len(panels), 1)
    fig = _new_figure(9.0, 2.6 * n)
    grid = fig.add_gridspec(2 * n, 1, height_ratios=[4, 1] * n)
    _input_title(fig, "Attention and contributions around the TSS", input_flags)
    if not panels:
        _empty_note(fig.add_subplot(grid[0:2, 0]), "no interpreted gene with a sign class")
        return save_figure(fig, out)
    palette = {}
    for p, (model, cls, g, gene) in enumerate(panels):
        arr = arrays[model]
        ax = fig.add_subplot(grid[2 * p, 0])
        strip = fig.add_subplot(grid[2 * p + 1, 0], sharex=ax)
        grad = arr["grad_x_input"][g].astype(np.float64)
        lo, hi = _read_span(grad)
        start, tss = int(arr["sequence_start"][g]), int(arr["tss"][g])
        x = np.arange(start + lo, start + hi) - tss
        ax.plot(x, grad[lo:hi], color=PALETTE[0], lw=0.6, label="gradient x input")
        ax.axvline(0, color="0.5", lw=0.6, ls=":")
        ax.set_ylabel("grad x input", color=PALETTE[0])
        if "attention_profile" in arr and g < len(arr["attention_profile"]):
            size = int(arr["attention_bin_size"])
            per_base = np.repeat(arr["attention_profile"][g] / size, size)[lo:hi]
            twin = ax.twinx()
            twin.plot(x, per_base, color=PALETTE[1], lw=0.9, label="attention from the TSS")
            twin.set_ylabel("attention / base", color=PALETTE[1])
        ax.set_title(f"{model_label(model, trained.get(model, True))}: {gene} ({cls})", loc="left")
        var = effects[(effects["model"] == model) & (effects["gene_id"] == gene)]
        var = var[var["kind"] != "outside sequence"]
        rel = var["pos"].to_numpy(np.int64) - tss
        sign = np.sign(var["ism"].to_numpy(np.float64))
        drawn = (rel >= x[0]) & (rel <= x[-1])  # the variants inside the bases the model reads
        rel, sign = rel[drawn], sign[drawn]
        if states is not None:
            pos = np.arange(start + lo, start + hi, dtype=np.int64)
            labels, _ = assign_states(states, np.full(len(pos), arr["chrom"][g], dtype=object), pos)
            names = sorted(set(labels))
            for name in names:
                palette.setdefault(name, PALETTE[(len(palette) + 2) % len(PALETTE)])
            change = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1], True])
            for a, b in itertools.pairwise(change):
                strip.axvspan(x[a], x[b - 1] + 1, 0, 0.35, color=palette[labels[a]], lw=0)
        strip.vlines(rel, 0.5, 0.5 + 0.45 * np.where(sign >= 0, 1, 0.4), color="k", lw=0.8)
        strip.set_ylim(0, 1)
        strip.set_yticks([])
        strip.set_xlabel("position relative to the TSS (bp); ticks: variants (tall: ISM > 0)")
    if palette:
        handles = [Patch(color=color) for color in palette.values()]
        fig.legend(
            handles,
            list(palette),
            loc="outside lower center",
            ncols=min(8, len(palette)),
            title="chromatin state",
        )
    return save_figure(fig, out)


@_styled
def enrichment_bars(
    enrichment: pd.DataFrame,
    out: str | Path,
    *,
    trained: Mapping[str, bool],
    input_flags: Sequence[str] = (),
) -> Path:
    """log2 enrichment (mass share / base share, averaged over genes) of attention and
    contribution mass per chromatin state and per distance class, one bar per model x measure;
    `input_flags`: the run's non-real inputs, in the title (none: no title)."""
    _require(enrichment, ["model", "measure", "grouping", "group", "enrichment"], "enrichment_bars")
    groupings = [g for g in ("state", "distance") if g in set(enrichment["grouping"])]
    fig = _new_figure(9.0, 3.2 * max(len(groupings), 1))
    title = "Attention and contribution mass by chromatin state and distance"
    _input_title(fig, title, input_flags)
    if not groupings:
        _empty_note(fig.add_subplot(1, 1, 1), "no enrichment computed")
        return save_figure(fig, out)
    series = list(dict.fromkeys(zip(enrichment["model"], enrichment["measure"], strict=True)))
    for r, grouping in enumerate(groupings):
        ax = fig.add_subplot(len(groupings), 1, r + 1)
        sub = enrichment[enrichment["grouping"] == grouping]
        present = set(sub["group"])
        order = DISTANCE_CLASSES if grouping == "distance" else sorted(present)
        groups = [g for g in order if g in present] + sorted(present - set(order))
        width = 0.8 / len(series)
        for s, (model, measure) in enumerate(series):
            rows = sub[(sub["model"] == model) & (sub["measure"] == measure)].set_index("group")
            values = np.log2(rows["enrichment"].reindex(groups).to_numpy(np.float64))
            values[~np.isfinite(values)] = np.nan
            ax.bar(
                np.arange(len(groups)) + s * width - 0.4 + width / 2,
                values,
                width,
                color=PALETTE[s % len(PALETTE)],
                label=f"{model_label(model, trained.get(model, True))}: {measure}",
            )
        ax.axhline(0, color="0.3", lw=0.6)
        ax.set_xticks(np.arange(len(groups)), groups)
        ax.set_ylabel("log2 enrichment")
        ax.set_title(
            f"by {'chromatin state' if grouping == 'state' else 'distance to the TSS'}", loc="left"
        )
    fig.axes[0].legend(fontsize="small")
    return save_figure(fig, out)


def model_arrays(paths: Sequence[str | Path]) -> dict[str, np.ndarray]:
    """The per-gene arrays of one model's interpretation npz files (shards) concatenated."""
    parts = [load_arrays(p) for p in paths]
    keys = ["gene_id", "chrom", "tss", "sequence_start", "grad_x_input", "attention_profile"]
    out: dict[str, np.ndarray] = {}
    for key in keys:
        found = [a[key] for a in parts if key in a and len(a[key])]
        if found:
            out[key] = np.concatenate(found)
    out.setdefault("gene_id", np.zeros(0, dtype=str))
    for a in parts:
        if "attention_bin_size" in a:
            out["attention_bin_size"] = a["attention_bin_size"]
    return out


def interpretation_figures(
    arrays: Sequence[str | Path],
    *,
    keys: Sequence[Sequence[str]],
    correlations: str | Path,
    effects: str | Path,
    enrichment: str | Path,
    trained: Mapping[str, bool],
    tracks_out: str | Path,
    enrichment_out: str | Path,
    chromatin_states: str | Path | None = None,
    state_mapping: str | Mapping[str, str] | None = None,
    input_flags: Sequence[str] = (),
) -> list[Path]:
    """Rule report_interpretation: `interpretation_tracks` and `enrichment_bars` from the
    interpret npz files (keys[i] = (model, shard) of arrays[i]) and the interpretation tables;
    `input_flags` (`pexbench.report.input_flags`) titles both figures."""
    states = load_states(chromatin_states, state_mapping)
    per_model = {model: model_arrays(paths) for model, paths in by_model(keys, arrays).items()}
    return [
        interpretation_tracks(
            per_model,
            read_table(correlations, kind="gene_correlations"),
            read_table(effects, kind="interpretation_effects"),
            tracks_out,
            trained=trained,
            states=states,
            input_flags=input_flags,
        ),
        enrichment_bars(
            read_table(enrichment, kind="interpretation_enrichment"),
            enrichment_out,
            trained=trained,
            input_flags=input_flags,
        ),
    ]
