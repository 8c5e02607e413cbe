"""A model's predictions for a list of genes, outside the workflow (`pexbench predict`).

The path is the workflow's own: genes and their TSS from a GTF or gene TSV
(`pexbench.genes.read_genes`), haplotype windows (`pexbench.haplotypes.haplotypes_for_genes`,
or `reference_haplotypes` without a VCF), sequences built and deduplicated and the model run by
`pexbench.predict.predict_haplotypes`, the model built by `pexbench.models.load_model` from one
`models:` entry. Only the table layout is this module's own (kind `gene_predictions` of
`pexbench.columns`): one row per gene, sequence (the reference, or an individual's haplotype 1
or 2) and track, with

- `input_n`: the number of N bases in the reference the model reads for the gene (its window,
  `pexbench.predict.model_input_span`): non-zero means part of the input is unknown sequence
  (a gap, or outside the FASTA's real sequence), so the value is no prediction of that gene;
- `trained`: False for stand-ins (random weights, the geometry probe): not a result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from pexbench.columns import column_names
from pexbench.encoding import N_CODE
from pexbench.errors import InputError, ModelError
from pexbench.genes import read_genes
from pexbench.genome import Reference
from pexbench.haplotypes import GeneHaplotypes, haplotypes_for_genes, reference_haplotypes
from pexbench.models import SequenceModel, load_model
from pexbench.predict import REFERENCE, model_input_span, predict_haplotypes

REFERENCE_LABEL = "reference"  # `individual` of the reference rows (haplotype 0)


def model_entry(
    *,
    config: str | Path | None = None,
    name: str | None = None,
    model_type: str | None = None,
    weights: str | None = None,
) -> tuple[dict[str, Any], str | None]:
    """One `models:` entry and the Enformer track table (`inputs.targets`) of a config, if any.

    Either `config` (a workflow config with a `models:` list, `name` choosing the entry when it
    holds several, or a YAML file holding one entry) or `model_type` (+ `weights`, `name`).
    """
    if (config is None) == (model_type is None):
        raise InputError("give either --model-config FILE or --model TYPE (with --weights)")
    if model_type is not None:
        spec: dict[str, Any] = {"name": name or model_type, "type": model_type}
        if weights is not None:
            spec["weights"] = weights
        return spec, None
    path = Path(str(config))
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read the model config {path}: {exc}") from exc
    if isinstance(data, Mapping) and "type" in data:
        return dict(data), None
    models = data.get("models") if isinstance(data, Mapping) else None
    if not isinstance(models, list) or not models:
        raise InputError(
            f"{path} holds neither a `models:` list (a workflow config) nor one model entry "
            "(a mapping with `type`); point --model-config at one of these"
        )
    names = [str(m.get("name")) for m in models if isinstance(m, Mapping)]
    if name is None and len(models) > 1:
        raise InputError(f"{path} defines models {names}: choose one with --model-name")
    chosen = models[0] if name is None else next((m for m in models if m.get("name") == name), None)
    if chosen is None:
        raise InputError(f"{path} has no model named {name!r} (it has {names}); fix --model-name")
    inputs = data.get("inputs") or {}
    targets = inputs.get("targets") if isinstance(inputs, Mapping) else None
    return dict(chosen), None if targets is None else str(targets)


def predict_genes(
    fasta: str | Path,
    genes: str | Path,
    spec: Mapping[str, Any],
    *,
    gene_ids: Sequence[str] | None = None,
    vcf: str | Path | None = None,
    samples: Sequence[str] | None = None,
    unphased: str = "error",
    seed: int = 0,
    targets: str | Path | None = None,
    root: str | Path = ".",
) -> pd.DataFrame:
    """Predictions of the model of `spec` (one `models:` entry) for the genes of `genes`.

    `genes`: GTF or gene TSV (TSS 0-based), restricted to `gene_ids` (with or without version
    suffix; an unknown id is an error). Without `vcf`: the reference of each gene only. With
    `vcf`: also haplotypes 1 and 2 of every individual of `samples` (all of the VCF's when None),
    under the `unphased` policy. Relative weight paths are resolved against `root`. Returns the
    `gene_predictions` table (see the module docstring); values are the TSS bins reduced by the
    entry's `bin_reduce` (default mean).
    """
    spec = {key: value for key, value in spec.items() if value is not None}
    reference = Reference(fasta)
    table = read_genes(genes, reference_contigs=reference.contigs, gene_ids=gene_ids)
    if table.empty:
        raise InputError(f"no genes to predict in {genes}; check the file and --gene-ids")
    model = load_model(dict(spec), targets=targets, root=root, index=0)
    length = int(model.info.sequence_length)
    if vcf is None:
        if samples:
            raise InputError("--samples needs --vcf (the genotypes to build haplotypes from)")
        haps = [reference_haplotypes(reference, row, length) for row in table.to_dict("records")]
    else:
        haps, _ = haplotypes_for_genes(
            vcf, reference, table, length, None if not samples else list(samples), unphased, seed
        )
    values = predict_haplotypes(haps, reference, model, bin_reduce=spec.get("bin_reduce", "mean"))
    return _table(haps, values, model, reference)


def _input_n(gene: GeneHaplotypes, model: SequenceModel, reference: Reference) -> int:
    lo, hi = model_input_span(model, gene.strand)
    return int(
        np.count_nonzero(reference.fetch(gene.chrom, gene.tss + lo, gene.tss + hi) == N_CODE)
    )


def _table(
    haps: Sequence[GeneHaplotypes],
    values: pd.DataFrame,
    model: SequenceModel,
    reference: Reference,
) -> pd.DataFrame:
    """Reference and per-individual rows of the `gene_predictions` table."""
    rows: list[dict[str, Any]] = []
    by_key = {
        (g, h, t): v
        for g, h, t, v in values[["gene_id", "haplotype", "track", "value"]].itertuples(index=False)
    }
    for gene in haps:
        common = {
            "model": model.info.name,
            "trained": bool(model.info.is_trained),
            "gene_id": gene.gene_id,
            "symbol": gene.symbol,
            "chrom": gene.chrom,
            "tss": gene.tss,
            "strand": gene.strand,
            "input_n": _input_n(gene, model, reference),
        }
        units = [(REFERENCE_LABEL, 0, REFERENCE)] + [
            (ind, h + 1, int(gene.assignment[i, h]))
            for i, ind in enumerate(gene.individuals)
            for h in (0, 1)
        ]
        for track in model.info.track_names:
            for individual, hap, unique in units:
                value = by_key[(gene.gene_id, unique, track)]
                rows.append(
                    {
                        **common,
                        "individual": individual,
                        "haplotype": hap,
                        "track": track,
                        "value": float(value),
                    }
                )
    if not rows:
        raise ModelError(f"model {model.info.name!r} returned no predictions")
    return pd.DataFrame(rows, columns=column_names("gene_predictions"))
