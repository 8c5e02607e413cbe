"""Rule interpretation_summary: the interpret jobs' per-shard tables joined into the tables of
results/evaluation/ (columns in pexbench.columns):

- interpretation_effects: every allele's first-order effect and exact ISM per model;
- interpretation_enrichment: attention and contribution mass by chromatin state and distance
  class across genes (`relate.summarise_enrichment`);
- interpretation_additivity: per gene, Pearson r between the sum of the single-variant (ISM)
  effects a haplotype carries and the model's prediction of that haplotype minus the
  reference (rule predict's table), and whether the gene is non-additive;
- interpretation_leads: the lead eQTL of every significantly negative gene with its state and
  first-order and ISM effects and their sign agreement (`relate.negative_gene_leads`);
- interpretation_counts: what was interpreted, skipped and counted, per model.
Every row carries `trained` (False: random weights, not a result).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from pexbench.chromatin import load_states
from pexbench.eqtl import SCORED
from pexbench.haplotypes import load_shard
from pexbench.interpret.additivity import (
    additivity_by_gene,
    additivity_points,
    haplotype_membership,
    observed_from_predictions,
)
from pexbench.interpret.relate import negative_gene_leads, summarise_enrichment
from pexbench.tables import read_table, read_tables, write_table

PathLike = str | Path


def additivity_table(
    effects: pd.DataFrame, predictions: pd.DataFrame, haplotypes: Sequence[PathLike]
) -> pd.DataFrame:
    """Per gene additivity of one model, from its ISM effects (keyed by allele index)."""
    genes = set(effects["gene_id"])
    membership = [
        haplotype_membership(g.gene_id, g.unique, [str(i) for i in range(len(g.allele_id))])
        for path in haplotypes
        for g in load_shard(path)
        if g.gene_id in genes
    ]
    if not membership:
        return pd.DataFrame()
    single = effects.assign(variant_id=effects["allele_index"].astype(str), effect=effects["ism"])
    observed = observed_from_predictions(predictions[predictions["gene_id"].isin(genes)])
    points = additivity_points(
        single[["gene_id", "variant_id", "effect"]], pd.concat(membership), observed
    )
    return additivity_by_gene(points)


def lead_variants(variants: pd.DataFrame) -> pd.DataFrame:
    """The scored variant with the smallest eQTL p per gene (the lead in mode `lead`)."""
    scored = variants[variants["scored"] == SCORED].astype({"allele_index": "int64"})
    return scored.sort_values(["gene_id", "p", "variant_id"]).drop_duplicates("gene_id")


def by_model(keys: Sequence[Sequence[str]], paths: Sequence[PathLike]) -> dict[str, list[PathLike]]:
    """Per-shard files grouped by model: keys[i] = (model, shard) of paths[i]."""
    if len(keys) != len(paths):
        raise ValueError(f"{len(keys)} (model, shard) keys for {len(paths)} files.")
    out: dict[str, list[PathLike]] = {}
    for (model, _shard), path in zip(keys, paths, strict=True):
        out.setdefault(str(model), []).append(path)
    return out


def summarise_interpretation(
    *,
    keys: Sequence[Sequence[str]],
    effects: Sequence[PathLike],
    enrichment: Sequence[PathLike],
    arrays: Sequence[PathLike],
    predictions: Sequence[PathLike],
    haplotypes: Sequence[PathLike],
    variants: Sequence[PathLike],
    correlations: PathLike,
    trained: Mapping[str, bool],
    chromatin_states: PathLike | None = None,
    state_mapping: str | Mapping[str, str] | None = None,
) -> dict[str, pd.DataFrame]:
    """The five tables of the module docstring, by kind name (keys of pexbench.columns).
    effects, enrichment, arrays and predictions are per-shard files of the interpreted models,
    keys[i] = (model, shard) of the i-th file of each."""
    effects, enrichment = by_model(keys, effects), by_model(keys, enrichment)
    arrays, predictions = by_model(keys, arrays), by_model(keys, predictions)
    states = load_states(chromatin_states, state_mapping)
    corr = read_table(correlations, kind="gene_correlations")
    leads = lead_variants(read_tables(variants, kind="variants"))
    out: dict[str, list[pd.DataFrame]] = {
        k: [] for k in ("effects", "enrichment", "additivity", "leads", "counts")
    }
    for model in effects:
        flag = {"model": model, "trained": bool(trained[model])}
        eff = read_tables(effects[model], kind="interpretation_shard_effects")
        out["effects"].append(eff.assign(**flag))
        per_gene = read_tables(enrichment[model], kind="interpretation_shard_enrichment")
        if len(per_gene):
            out["enrichment"].append(summarise_enrichment(per_gene).assign(**flag))
        preds = read_tables(predictions[model], kind="predictions")
        if len(eff):
            out["additivity"].append(additivity_table(eff, preds, haplotypes).assign(**flag))
        lead_effects = leads[["gene_id", "variant_id", "allele_index"]].merge(
            eff[["gene_id", "allele_index", "first_order", "ism"]],
            on=["gene_id", "allele_index"],
            how="inner",
        )
        out["leads"].append(
            negative_gene_leads(corr, leads, lead_effects, model=model, states=states).assign(
                trained=flag["trained"]
            )
        )
        totals: dict[str, int] = {}
        for path in arrays[model]:
            with np.load(path, allow_pickle=False) as data:
                for key, value in json.loads(str(data["counts"])).items():
                    totals[key] = totals.get(key, 0) + int(value)
        out["counts"].append(
            pd.DataFrame({"what": list(totals), "count": list(totals.values())}).assign(**flag)
        )
    return {
        f"interpretation_{kind}": pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        for kind, frames in out.items()
    }


def write_summary_tables(tables: Mapping[str, pd.DataFrame], out: Mapping[str, PathLike]) -> None:
    """Write the tables of `summarise_interpretation` to `out` by short name (effects,
    enrichment, additivity, leads, counts: the rule's output names)."""
    for name, path in out.items():
        write_table(tables[f"interpretation_{name}"], path, kind=f"interpretation_{name}")
