"""Interpretation figures (pexbench.interpret.plots): which genes are drawn, that stand-ins are
flagged, and that the figures are written (and bit-stable) from hand-made arrays and tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pexbench.interpret.plots import enrichment_bars, interpretation_tracks, top_genes
from pexbench.stats import SIGN_NEG, SIGN_NS, SIGN_POS

CORR = pd.DataFrame(
    {
        "model": ["m"] * 5,
        "gene_id": ["a", "b", "c", "d", "e"],
        "pearson_r": [0.5, 0.9, -0.4, 0.05, -0.8],
        "sign_class": [SIGN_POS, SIGN_POS, SIGN_NEG, SIGN_NS, SIGN_NEG],
    }
)


def test_top_genes_take_the_largest_abs_r_among_interpreted_genes() -> None:
    got = top_genes(CORR, ["a", "c", "d", "e"], model="m")
    assert got == [(SIGN_POS, "a"), (SIGN_NEG, "e"), (SIGN_NS, "d")]
    assert top_genes(CORR, ["b"], model="other") == []


def arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    grad = rng.normal(size=(2, 256)).astype(np.float32)
    grad[1, :40] = 0.0  # a model that reads part of its window
    return {
        "gene_id": np.array(["a", "e"]),
        "chrom": np.array(["chr1", "chr1"]),
        "tss": np.array([1_128, 5_128]),
        "sequence_start": np.array([1_000, 5_000]),
        "grad_x_input": grad,
        "attention_profile": np.full((2, 2), 0.5, dtype=np.float32),
        "attention_bin_size": np.array(128),
    }


def test_tracks_and_enrichment_figures(tmp_path: Path) -> None:
    effects = pd.DataFrame(
        {
            "model": ["m", "m"],
            "gene_id": ["a", "a"],
            "pos": [1_100, 1_200],
            "kind": ["snv", "indel"],
            "ism": [0.2, -0.1],
        }
    )
    states = pd.DataFrame(
        {
            "chrom": ["chr1", "chr1"],
            "start": [900, 1_150],
            "end": [1_150, 6_000],
            "state": ["TSS", "R"],
        }
    )
    out = interpretation_tracks(
        {"m": arrays()}, CORR, effects, tmp_path / "t.svg", trained={"m": False}, states=states
    )
    text = out.read_text()
    assert "random weights, not a result" in text and "significant negative" in text
    again = interpretation_tracks(
        {"m": arrays()}, CORR, effects, tmp_path / "t2.svg", trained={"m": False}, states=states
    )
    assert again.read_bytes() == out.read_bytes()
    enrichment = pd.DataFrame(
        {
            "model": ["m"] * 3,
            "measure": ["attention", "contribution", "contribution"],
            "grouping": ["state", "state", "distance"],
            "group": ["TSS", "TSS", "<1 kb"],
            "enrichment": [2.0, 0.5, 1.0],
        }
    )
    bars = enrichment_bars(enrichment, tmp_path / "e.svg", trained={"m": True})
    assert "by chromatin state" in bars.read_text()


def test_non_real_inputs_are_flagged_in_both_titles(tmp_path: Path) -> None:
    """A run on non-real inputs (pexbench.report.input_flags) titles both figures with the
    NOT A RESULT line; real inputs ([]) draw them as without the keyword, untitled."""
    effects = pd.DataFrame(columns=["model", "gene_id", "pos", "kind", "ism"])
    enrichment = pd.DataFrame(
        {
            "model": ["m"],
            "measure": ["contribution"],
            "grouping": ["state"],
            "group": ["TSS"],
            "enrichment": [2.0],
        }
    )
    figures = {
        "tracks": lambda out, **kw: interpretation_tracks(
            {"m": arrays()}, CORR, effects, out, trained={"m": True}, **kw
        ),
        "enrichment": lambda out, **kw: enrichment_bars(enrichment, out, trained={"m": True}, **kw),
    }
    flags = ["synthetic reference"]
    for name, draw in figures.items():
        flagged = draw(tmp_path / f"{name}_flagged.svg", input_flags=flags)
        assert "NOT A RESULT: synthetic reference" in flagged.read_text(), name
        real = draw(tmp_path / f"{name}_real.svg", input_flags=[])
        assert real.read_bytes() == draw(tmp_path / f"{name}.svg").read_bytes(), name
        assert "NOT A RESULT" not in real.read_text(), name
