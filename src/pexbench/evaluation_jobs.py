"""The workflow's evaluation jobs across shards and models (pexbench.evaluate on files).

Rule `aggregate` calls `predicted_expression`, rule `variant_effects` `variant_effect_table`,
rule `chromatin_states` `lead_state_sign_classes`. The rule passes the model and shard of every
per-(model, shard) input file as a list of (model, shard) pairs in the order of the files: no
name is parsed back out of a path.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from pexbench.chromatin import load_states
from pexbench.columns import empty_table
from pexbench.eqtl import SCORED, select_variants
from pexbench.evaluate import (
    VARIANT_EFFECT_COLUMNS,
    Combine,
    aggregate,
    assignment_frame,
    lead_states,
    sign_classes_by_state,
    variant_effects,
)
from pexbench.haplotypes import load_shard
from pexbench.tables import read_table, read_tables

log = logging.getLogger(__name__)

PathLike = str | Path
PREDICTED_ORDER = ["model", "gene_id", "individual"]
VARIANT_EFFECT_ORDER = ["model", "gene_id", "pos", "variant_id"]


def _concat(frames: list[pd.DataFrame], kind: str) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else empty_table(kind)


def predicted_expression(
    predictions: Sequence[PathLike],
    model_shards: Sequence[tuple[str, str]],
    haplotypes: Sequence[PathLike],
    shards: Sequence[str],
    baseline: Sequence[PathLike] = (),
    *,
    combine: Combine,
    log1p: bool,
    log1p_models: Mapping[str, bool],
) -> pd.DataFrame:
    """One `predicted` table of every model, gene and individual, sorted by model, gene and
    individual.

    predictions: the `predictions` tables, `model_shards` the (model, shard) of each;
    haplotypes: the haplotype shards, `shards` the shard of each; baseline: `predicted` tables
    appended as they are. log1p applies to the models with `log1p_models[model]` true
    (count-like outputs) when `log1p` is set; see pexbench.evaluate.aggregate for `combine`.
    """
    assignments = {
        shard: assignment_frame(load_shard(path))
        for shard, path in zip(shards, haplotypes, strict=True)
    }
    frames = []
    for path, (model, shard) in zip(predictions, model_shards, strict=True):
        use_log = log1p and log1p_models[model]
        pred = read_table(path, kind="predictions")
        table = aggregate(pred, assignments[shard], model=model, combine=combine, log1p=use_log)
        log.info(
            "%s: %d genes, %d rows (log1p: %s)",
            path,
            table["gene_id"].nunique(),
            len(table),
            use_log,
        )
        frames.append(table)
    frames += [read_table(path, kind="predicted") for path in baseline]
    table = _concat(frames, "predicted").sort_values(PREDICTED_ORDER, kind="stable")
    log.info("genes per model: %s", table.groupby("model")["gene_id"].nunique().to_dict())
    return table


def variant_effect_table(
    predictions: Sequence[PathLike],
    model_shards: Sequence[tuple[str, str]],
    variants: Sequence[PathLike],
    *,
    states: PathLike | None = None,
    state_mapping: str | Mapping[str, str] | None,
    log1p: bool,
    log1p_models: Mapping[str, bool],
) -> pd.DataFrame:
    """One `variant_effects` table of every model (pexbench.evaluate.variant_effects), sorted by
    model, gene, position and variant.

    predictions: the `variant_predictions` tables, `model_shards` the (model, shard) of each;
    variants: the `variants` tables of every shard (the rows scored "yes" are used); states: the
    chromatin state BED (inputs.chromatin_states) or None, read with `state_mapping`.
    """
    selected = read_tables(variants, kind="variants")
    scored = selected[selected["scored"] == SCORED]
    log.info("selected variants by status: %s", selected["scored"].value_counts().to_dict())
    state_table = load_states(states, state_mapping)
    frames = []
    for path, (model, shard) in zip(predictions, model_shards, strict=True):
        pred = read_table(path, kind="variant_predictions")
        mine = scored[scored["gene_id"].isin(set(pred["gene_id"]))]
        use_log = log1p and log1p_models[model]
        table = variant_effects(pred, mine, model=model, states=state_table, log1p=use_log)
        log.info("%s (shard %s): %s", model, shard, table.attrs["counts"])
        frames.append(table)
    effects = _concat(frames, "variant_effects")
    return effects.sort_values(VARIANT_EFFECT_ORDER, kind="stable")[VARIANT_EFFECT_COLUMNS]


def lead_state_sign_classes(
    eqtl: Sequence[PathLike],
    correlations: PathLike,
    *,
    p_threshold: float,
    states: PathLike | None = None,
    state_mapping: str | Mapping[str, str] | None,
) -> pd.DataFrame:
    """The `sign_classes_by_state` table: gene-level sign classes of `correlations` counted by
    the chromatin state of each gene's lead eQTL (lowest p, p < p_threshold) in the `eqtl`
    tables of every shard; states as in `variant_effect_table`."""
    lead = select_variants(read_tables(eqtl, kind="eqtl"), mode="lead", p_threshold=p_threshold)
    log.info("%d genes with a lead eQTL (p < %g)", len(lead), p_threshold)
    table = read_table(correlations, kind="gene_correlations")
    return sign_classes_by_state(table, lead_states(lead, load_states(states, state_mapping)))
