"""Small hand-written evaluation cases: haplotype predictions of one gene, selected eQTL
variants with single-variant predictions, a state BED and gene-level correlations."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from pexbench.chromatin import read_states
from pexbench.evaluate import assignment_frame


def hap_values() -> pd.DataFrame:
    # gene g: unique haplotypes 0, 1 and the reference (-1); two tracks
    return pd.DataFrame(
        {
            "gene_id": ["g"] * 6,
            "haplotype": [-1, -1, 0, 0, 1, 1],
            "track": [5110, 12, 5110, 12, 5110, 12],
            "value": [9.0, 9.0, 1.0, 3.0, 2.0, 7.0],
        }
    )


def assignment() -> pd.DataFrame:
    genes = [
        SimpleNamespace(
            gene_id="g",
            individuals=["A", "B", "C"],
            assignment=np.array([[0, 0], [0, 1], [1, 1]], dtype=np.int32),
        )
    ]
    return assignment_frame(genes)


def states(tmp_path: Path) -> pd.DataFrame:
    # GENERATED fixture (not real chromatin data)
    path = tmp_path / "s.bed"
    path.write_text("chr22\t0\t100\tTSS\nchr22\t100\t200\tE\n")
    return read_states(path)


def selected() -> pd.DataFrame:
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


def variant_preds() -> pd.DataFrame:
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


def correlations() -> pd.DataFrame:
    """Gene-level results of model m: g, h significant (+, -), k not, l not tested."""
    return pd.DataFrame(
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


def outside_variant_preds() -> pd.DataFrame:
    """variant_preds() plus v4 of gene h outside the model's input (in_model_input False)."""
    vp = variant_preds()
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
    return pd.concat([vp, far])
