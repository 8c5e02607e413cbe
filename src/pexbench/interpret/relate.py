"""Where the mass of attention and contributions lies: chromatin states, distance to the TSS, and
the lead eQTLs of genes a model gets wrong.

Mass per base (non-negative, one value per base of a model's input window):
- attention: `TssAttention.per_base()` (the head-, layer- and query-averaged profile spread
  evenly over each position's 128 bases);
- contribution: |gradient x input| (`Contribution.grad_x_input`).
For each group (a chromatin state, or a distance class), mass_share = the group's mass / total
mass, base_share = the group's bases / window bases, enrichment = mass_share / base_share
(1 = the group draws mass in proportion to its size). States come from a state table of
`pexbench.chromatin.read_states`, positions in no interval are "unassigned".
Distance classes (|position - TSS|): "<1 kb" [0, 1,000), "1-10 kb" [1,000, 10,000),
"10-50 kb" [10,000, 50,000), ">50 kb" [50,000, ...).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from pexbench.chromatin import assign_states
from pexbench.eqtl import sign_concordance
from pexbench.errors import InputError
from pexbench.stats import SIGN_NEG, require_columns

NO_STATE_DATA = "no state data"
DISTANCE_EDGES = (1_000, 10_000, 50_000)
DISTANCE_CLASSES = ("<1 kb", "1-10 kb", "10-50 kb", ">50 kb")
ENRICHMENT_COLUMNS = [
    "gene_id",
    "measure",
    "grouping",
    "group",
    "n_bases",
    "base_share",
    "mass_share",
    "enrichment",
]
LEAD_COLUMNS = [
    "model",
    "gene_id",
    "pearson_r",
    "variant_id",
    "chrom",
    "pos",
    "distance_to_tss",
    "distance_class",
    "chromatin_state",
    "eqtl_beta",
    "first_order",
    "ism",
    "first_order_agrees",
    "ism_agrees",
]


def distance_class(distance: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """Class label of each distance to the TSS (sign ignored)."""
    d = np.abs(np.asarray(distance, dtype=np.int64))
    return np.asarray(DISTANCE_CLASSES, dtype=object)[np.searchsorted(DISTANCE_EDGES, d, "right")]


def mass_by_group(mass: npt.ArrayLike, labels: npt.ArrayLike) -> pd.DataFrame:
    """DataFrame[group, n_bases, base_share, mass_share, enrichment], one row per label present
    (sorted by label). Raises InputError on negative or all-zero mass."""
    m = np.asarray(mass, dtype=np.float64)
    lab = np.asarray(labels, dtype=object)
    if m.shape != lab.shape or m.ndim != 1:
        raise InputError(f"mass {m.shape} and labels {lab.shape} must be 1-D of one length.")
    if (m < 0).any() or not m.sum() > 0:
        raise InputError("mass must be non-negative with a positive total (use |grad x input|).")
    groups, inverse = np.unique(lab.astype(str), return_inverse=True)
    n = np.bincount(inverse, minlength=len(groups))
    base_share = n / len(m)
    mass_share = np.bincount(inverse, weights=m, minlength=len(groups)) / m.sum()
    return pd.DataFrame(
        {
            "group": groups.astype(object),
            "n_bases": n.astype(np.int64),
            "base_share": base_share,
            "mass_share": mass_share,
            "enrichment": mass_share / base_share,
        }
    )


def window_labels(
    *, chrom: str, sequence_start: int, length: int, tss: int, states: pd.DataFrame | None
) -> dict[str, npt.NDArray[np.object_]]:
    """Labels of every base of a window [sequence_start, sequence_start + length) of `chrom`:
    {"distance": distance class, "state": chromatin state (only when `states` is given)}."""
    pos = np.arange(sequence_start, sequence_start + length, dtype=np.int64)
    labels = {"distance": distance_class(pos - tss)}
    if states is not None:
        labels["state"], _ = assign_states(states, np.full(length, chrom, dtype=object), pos)
    return labels


def relate_gene(
    gene_id: str,
    masses: Mapping[str, npt.ArrayLike],
    *,
    chrom: str,
    sequence_start: int,
    tss: int,
    states: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """ENRICHMENT_COLUMNS for one gene: each mass ({measure name: (L,) per-base mass}) by
    distance class and, with `states`, by chromatin state."""
    frames = []
    lengths = {np.size(v) for v in masses.values()}
    if len(lengths) != 1:
        raise InputError(f"gene {gene_id}: masses have different lengths {sorted(lengths)}.")
    labels = window_labels(
        chrom=chrom, sequence_start=sequence_start, length=lengths.pop(), tss=tss, states=states
    )
    for measure, mass in masses.items():
        for grouping, lab in labels.items():
            frame = mass_by_group(mass, lab)
            frame.insert(0, "grouping", grouping)
            frame.insert(0, "measure", measure)
            frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out.insert(0, "gene_id", gene_id)
    return out[ENRICHMENT_COLUMNS]


def summarise_enrichment(per_gene: pd.DataFrame) -> pd.DataFrame:
    """Across genes (each weighted equally; a group absent from a gene has shares 0 there):
    DataFrame[measure, grouping, group, n_genes, base_share, mass_share, enrichment] with the
    mean shares and enrichment = mean mass share / mean base share."""
    require_columns(per_gene, ENRICHMENT_COLUMNS, "per-gene enrichment table")
    out = []
    for (measure, grouping), sub in per_gene.groupby(["measure", "grouping"], sort=False):
        shares = {
            col: sub.pivot(index="gene_id", columns="group", values=col).fillna(0.0).mean()
            for col in ("base_share", "mass_share")
        }
        base, mass = shares["base_share"], shares["mass_share"]
        out.append(
            pd.DataFrame(
                {
                    "measure": measure,
                    "grouping": grouping,
                    "group": base.index.to_numpy(dtype=object),
                    "n_genes": sub["gene_id"].nunique(),
                    "base_share": base.to_numpy(),
                    "mass_share": mass.to_numpy(),
                    "enrichment": mass.to_numpy() / base.to_numpy(),
                }
            )
        )
    return pd.concat(out, ignore_index=True)


def negative_gene_leads(
    correlations: pd.DataFrame,
    leads: pd.DataFrame,
    effects: pd.DataFrame,
    *,
    model: str,
    states: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """LEAD_COLUMNS: the lead eQTL of every gene whose correlation is significantly negative.

    correlations: pexbench.stats.gene_correlations output (model, gene_id, pearson_r,
    sign_class); genes with sign_class "significant negative" for `model` are kept.
    leads: lead eQTL per gene (pexbench.eqtl.select_variants, mode lead: gene_id, variant_id,
    chrom, pos, distance_to_tss, beta). effects: DataFrame[gene_id, variant_id, first_order,
    ism] (contributions.variant_effects plus gene_id); a lead without one gets NaN effects.
    `*_agrees`: pexbench.eqtl.sign_concordance of the effect and the eQTL beta (NA for ties
    or NaN).
    """
    require_columns(correlations, ["model", "gene_id", "pearson_r", "sign_class"], "correlations")
    cols = ["gene_id", "variant_id", "chrom", "pos", "distance_to_tss", "beta"]
    require_columns(leads, cols, "lead eQTL table")
    require_columns(effects, ["gene_id", "variant_id", "first_order", "ism"], "variant effects")
    neg = correlations[(correlations["model"] == model) & (correlations["sign_class"] == SIGN_NEG)][
        ["gene_id", "pearson_r"]
    ]
    table = neg.merge(leads[cols], on="gene_id", how="inner").merge(
        effects[["gene_id", "variant_id", "first_order", "ism"]],
        on=["gene_id", "variant_id"],
        how="left",
    )
    pos = table["pos"].to_numpy(np.int64)
    if states is None:
        state = np.full(len(table), NO_STATE_DATA, dtype=object)
    else:
        state, _ = assign_states(states, table["chrom"].to_numpy(dtype=object), pos)
    beta = table["beta"].to_numpy(np.float64)
    out = table.rename(columns={"beta": "eqtl_beta"}).assign(
        model=model,
        pos=pos,
        distance_class=distance_class(table["distance_to_tss"].to_numpy(np.int64)),
        chromatin_state=state,
        first_order_agrees=sign_concordance(table["first_order"], beta).array,
        ism_agrees=sign_concordance(table["ism"], beta).array,
    )
    return out[LEAD_COLUMNS].reset_index(drop=True)
