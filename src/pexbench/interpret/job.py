"""Rule `interpret`: where one model looks, for the selected genes of one haplotype shard.

Per gene (reference sequence built by the anchored haplotype builder at the model's length, TSS
at L // 2, `sequence_start` = tss - L // 2):
- one `contributions` call at the reference (gradient x input per base);
- one `variant_effects` call over every allele of the gene's haplotype window: first-order
  effects (SNVs) next to exact ISM; indels get ISM only (alt sequence = the anchored builder
  with that allele alone), alleles outside the model's sequence are counted;
- Enformer: `tss_attention` on the reference (every layer and head, float16), and with
  `per_haplotype` on each distinct haplotype sequence as well;
- `relate_gene` of the attention and |gradient x input| masses over the part of the window the
  model reads (Xpresso: its 10,500 bp), by chromatin state and distance to the TSS.
Genes are chosen by `select_genes` (interpretation.genes and max_genes); everything left out is
counted in `counts`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from pexbench.chromatin import load_states
from pexbench.errors import InputError
from pexbench.genome import Reference
from pexbench.haplotypes import AnchoredBuilder, GeneHaplotypes, load_shard
from pexbench.predict import model_input_span
from pexbench.predict_job import job_model
from pexbench.stats import SIGN_NEG, SIGN_POS
from pexbench.tables import atomic_path, read_table, write_table

log = logging.getLogger(__name__)

NPZ_FORMAT = "pexbench-interpretation-1"
EFFECT_KEYS = ["model", "gene_id", "allele_index"]


@dataclass
class ShardInterpretation:
    """What rule `interpret` writes: per-allele effects, per-gene enrichment, per-base arrays
    (`arrays`, saved as npz by `save_arrays`) and counts of what was done and skipped."""

    effects: pd.DataFrame
    enrichment: pd.DataFrame
    arrays: dict[str, npt.NDArray[Any]]
    counts: dict[str, int] = field(default_factory=dict)

    def write(self, npz: str | Path, effects: str | Path, enrichment: str | Path) -> None:
        """The arrays as npz (`save_arrays`) and the two tables with their declared columns."""
        save_arrays(self.arrays, npz)
        write_table(self.effects, effects, kind="interpretation_shard_effects")
        write_table(self.enrichment, enrichment, kind="interpretation_shard_enrichment")


def select_genes(
    genes: pd.DataFrame,
    selection: str | Sequence[str],
    *,
    model: str,
    correlations: pd.DataFrame | None = None,
    max_genes: int | None = None,
) -> list[str]:
    """Gene ids to interpret for `model`, in gene-table order (`significant`: smallest
    correlation p first), at most `max_genes` (None: no limit).

    selection: "all"; "significant" (sign class significant positive or negative for `model`
    in `correlations`); or a list of gene ids (an id not in `genes` is an InputError naming
    `interpretation.genes`)."""
    ids = genes["gene_id"].astype(str).tolist()
    if isinstance(selection, str) and selection == "all":
        chosen = ids
    elif isinstance(selection, str) and selection == "significant":
        if correlations is None:
            raise InputError("interpretation.genes: significant needs the gene correlation table.")
        sub = correlations[
            (correlations["model"] == model)
            & correlations["sign_class"].isin([SIGN_POS, SIGN_NEG])
            & correlations["gene_id"].isin(ids)
        ]
        chosen = sub.sort_values(["pearson_p", "gene_id"])["gene_id"].astype(str).tolist()
    elif isinstance(selection, str):
        raise InputError(
            f"interpretation.genes: {selection!r} is not all, significant or a list of gene ids."
        )
    else:
        unknown = sorted(set(map(str, selection)) - set(ids))
        if unknown:
            raise InputError(
                f"interpretation.genes: {unknown[:5]} ({len(unknown)} ids) are not in the gene "
                "table (results/inputs/genes.tsv); list genes that passed the gene filters."
            )
        wanted = set(map(str, selection))
        chosen = [g for g in ids if g in wanted]
    return chosen if max_genes is None else chosen[: int(max_genes)]


def _allele_table(gene: GeneHaplotypes) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "variant_id": pd.Series(gene.allele_id, dtype=object),
            "pos": np.asarray(gene.allele_pos, dtype=np.int64),
            "ref": pd.Series(gene.allele_ref, dtype=object),
            "alt": pd.Series(gene.allele_alt, dtype=object),
        }
    )


def interpret_gene(
    model: Any,
    gene: GeneHaplotypes,
    reference: Reference,
    *,
    measures: Sequence[str],
    bin_reduce: str,
    states: pd.DataFrame | None,
    per_haplotype: bool = False,
    batch_size: int = 8,
) -> dict[str, Any]:
    """One gene: {"effects", "enrichment", "grad_x_input", "attention", "haplotype_attention",
    "counts", "sequence_start"} (attention entries None without "attention" in `measures`)."""
    from pexbench.interpret.attention import tss_attention
    from pexbench.interpret.contributions import contributions, variant_effects
    from pexbench.interpret.readout import ReadoutSpec
    from pexbench.interpret.relate import relate_gene

    length = int(model.info.sequence_length)
    start = gene.tss - length // 2
    builder = AnchoredBuilder(reference, gene, length)
    ref = builder.reference()
    spec = ReadoutSpec(minus_strand=gene.strand == "-", bin_reduce=bin_reduce)
    contribution = contributions(model, ref, spec)

    def build_alt(row: pd.Series) -> npt.NDArray[np.uint8]:
        return builder.build(np.array([int(row.name)], dtype=np.int32))

    alleles = _allele_table(gene)
    effects = variant_effects(
        model,
        contribution,
        alleles,
        sequence_start=start,
        build_alt=build_alt,
        batch_size=batch_size,
    )
    counts = dict(effects.attrs["counts"])
    effects = effects.assign(gene_id=gene.gene_id, allele_index=np.arange(len(effects)))
    lo, hi = model_input_span(model, gene.strand)
    read = slice(length // 2 + lo, length // 2 + hi)
    masses: dict[str, npt.NDArray[np.float64]] = {}
    attention = haplotype_attention = None
    if "attention" in measures:
        attention = tss_attention(model, ref[None], batch_size=1)
        masses["attention"] = attention.per_base()[0][read]
        if per_haplotype:
            seqs: dict[bytes, npt.NDArray[np.uint8]] = {}
            order: dict[bytes, int] = {}
            rows = []  # row of each unique haplotype's distinct sequence
            for applied in gene.unique:
                seq = builder.build(applied) if len(applied) else ref
                key = hashlib.blake2b(seq.tobytes(), digest_size=16).digest()
                if key not in seqs:
                    seqs[key] = seq
                    order[key] = len(order)
                rows.append(order[key])
            haplotype_attention = (
                tss_attention(model, np.stack(list(seqs.values()))),
                np.asarray(rows, dtype=np.int64),
            )
            counts["haplotype_sequences"] = len(seqs)
    mass = np.abs(contribution.grad_x_input.astype(np.float64))[read]
    if mass.sum() > 0:
        masses["contribution"] = mass
    else:
        counts["genes_zero_contribution"] = 1
    enrichment = (
        relate_gene(
            gene.gene_id,
            masses,
            chrom=gene.chrom,
            sequence_start=gene.tss + lo,
            tss=gene.tss,
            states=states,
        )
        if masses
        else pd.DataFrame()
    )
    return {
        "effects": effects,
        "enrichment": enrichment,
        "grad_x_input": contribution.grad_x_input.astype(np.float32),
        "attention": attention,
        "haplotype_attention": haplotype_attention,
        "counts": counts,
        "sequence_start": start,
    }


def _arrays(done: list[tuple[GeneHaplotypes, dict[str, Any]]], length: int) -> dict[str, Any]:
    arrays: dict[str, Any] = {
        "format": np.array(NPZ_FORMAT),
        "gene_id": np.array([g.gene_id for g, _ in done], dtype=str),
        "chrom": np.array([g.chrom for g, _ in done], dtype=str),
        "tss": np.array([g.tss for g, _ in done], dtype=np.int64),
        "strand": np.array([g.strand for g, _ in done], dtype=str),
        "sequence_start": np.array([r["sequence_start"] for _, r in done], dtype=np.int64),
        "grad_x_input": np.stack([r["grad_x_input"] for _, r in done])
        if done
        else np.zeros((0, length), np.float32),
    }
    att = [r["attention"] for _, r in done if r["attention"] is not None]
    if att:
        arrays["attention"] = np.concatenate([a.weights for a in att]).astype(np.float16)
        arrays["attention_profile"] = np.concatenate([a.profile() for a in att])
        arrays["attention_bin_size"] = np.array(att[0].bin_size)
        arrays["attention_query_positions"] = att[0].query_positions
    hap = [(i, r["haplotype_attention"]) for i, (_, r) in enumerate(done)]
    hap = [(i, a) for i, a in hap if a is not None]
    if hap:
        # rows: distinct haplotype sequences; haplotype_row: per gene (haplotype_gene) and
        # unique haplotype (GeneHaplotypes.unique order), its row
        arrays["haplotype_attention"] = np.concatenate([a.weights for _, (a, _r) in hap]).astype(
            np.float16
        )
        offsets = np.cumsum([0] + [len(a.weights) for _, (a, _r) in hap])
        arrays["haplotype_gene"] = np.concatenate(
            [np.full(len(r), i, dtype=np.int64) for i, (_a, r) in hap]
        )
        arrays["haplotype_row"] = np.concatenate(
            [r + offsets[k] for k, (_i, (_a, r)) in enumerate(hap)]
        )
    return arrays


def interpret_shard(
    haplotypes: str | Path,
    fasta: str | Path,
    genes_table: str | Path,
    spec: Mapping[str, Any],
    *,
    measures: Sequence[str],
    settings: Mapping[str, Any],
    correlations: str | Path | None = None,
    chromatin_states: str | Path | None = None,
    state_mapping: str | Mapping[str, str] | None = None,
    targets: str | None,
    haplotype_length: int,
    index: int,
    threads: int,
) -> ShardInterpretation:
    """Rule interpret: `interpret_gene` for every gene of the shard that `select_genes` keeps.

    settings: the config's `interpretation:` section (genes, max_genes, per_haplotype); the
    selection and max_genes run over the whole gene table, so max_genes bounds the run."""
    selection = settings.get("genes", "all")
    max_genes = settings.get("max_genes")
    per_haplotype = bool(settings.get("per_haplotype", False))
    name = str(spec["name"])
    gene_rows = read_table(genes_table, kind="genes")
    corr = read_table(correlations, kind="gene_correlations") if correlations else None
    chosen = set(
        select_genes(gene_rows, selection, model=name, correlations=corr, max_genes=max_genes)
    )
    shard = load_shard(haplotypes)
    todo = [g for g in shard if g.gene_id in chosen]
    states = load_states(chromatin_states, state_mapping)
    reference = Reference(fasta)
    done: list[tuple[GeneHaplotypes, dict[str, Any]]] = []
    length = 0
    # no model is loaded when no gene of the shard is selected
    loader = (
        job_model(
            spec, targets=targets, haplotype_length=haplotype_length, index=index, threads=threads
        )
        if todo
        else contextlib.nullcontext()
    )
    with loader as model:
        length = int(model.info.sequence_length) if todo else 0
        for gene in todo:
            done.append(
                (
                    gene,
                    interpret_gene(
                        model,
                        gene,
                        reference,
                        measures=measures,
                        bin_reduce=str(spec["bin_reduce"]),
                        states=states,
                        per_haplotype=per_haplotype,
                        batch_size=int(spec.get("batch_size") or 8),
                    ),
                )
            )
            log.info("%s: gene %s interpreted (%s)", name, gene.gene_id, done[-1][1]["counts"])
    counts: dict[str, int] = {
        "genes_in_shard": len(shard),
        "genes_not_selected": len(shard) - len(todo),
        "genes_interpreted": len(done),
    }
    for _, result in done:
        for key, value in result["counts"].items():
            counts[key] = counts.get(key, 0) + int(value)
    effects = [r["effects"] for _, r in done]
    enrichment = [r["enrichment"] for _, r in done if len(r["enrichment"])]
    arrays = _arrays(done, length)
    arrays["counts"] = np.array(json.dumps(counts, sort_keys=True))
    log.info("%s: %s", name, counts)
    return ShardInterpretation(
        effects=pd.concat(effects, ignore_index=True).assign(model=name)
        if effects
        else pd.DataFrame(columns=["model", "gene_id", "allele_index"]),
        enrichment=pd.concat(enrichment, ignore_index=True).assign(model=name)
        if enrichment
        else pd.DataFrame(columns=["model"]),
        arrays=arrays,
        counts=counts,
    )


def save_arrays(arrays: Mapping[str, npt.NDArray[Any]], path: str | Path) -> Path:
    """Write `arrays` as a compressed npz atomically (the name ends in .npz)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, **arrays)
    return Path(path)


def load_arrays(path: str | Path) -> dict[str, npt.NDArray[Any]]:
    """The arrays of an interpretation npz (checks its format tag)."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    if str(arrays.get("format", "")) != NPZ_FORMAT:
        raise InputError(
            f"{path}: not a pexbench interpretation file ({NPZ_FORMAT}); rerun rule interpret."
        )
    return arrays
