"""Haplotype shards: the `GeneHaplotypes` of a gene shard in one `.npz` of plain arrays."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from pexbench.errors import InputError
from pexbench.haplotypes.alleles import IntArray
from pexbench.haplotypes.gene import GeneHaplotypes

SHARD_FORMAT = "pexbench-haplotypes-1"


def _str_array(values: Sequence[str]) -> np.ndarray:
    return np.array(list(values), dtype=str) if len(values) else np.zeros(0, dtype="<U1")


def _offsets(sizes: Sequence[int]) -> IntArray:
    out = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(np.asarray(sizes, dtype=np.int64), out=out[1:])
    return out


def save_shard(path: str | Path, genes: Sequence[GeneHaplotypes]) -> None:
    """Write genes to one `.npz` (plain arrays, loadable without pickle)."""
    uniq_sizes = [len(g.unique) for g in genes]
    haps = [h for g in genes for h in g.unique]
    arrays: dict[str, np.ndarray] = {
        "format": np.array(SHARD_FORMAT),
        "gene_id": _str_array([g.gene_id for g in genes]),
        "symbol": _str_array([g.symbol for g in genes]),
        "chrom": _str_array([g.chrom for g in genes]),
        "tss": np.array([g.tss for g in genes], dtype=np.int64),
        "strand": _str_array([g.strand for g in genes]),
        "window_start": np.array([g.window_start for g in genes], dtype=np.int64),
        "window_end": np.array([g.window_end for g in genes], dtype=np.int64),
        "allele_offsets": _offsets([len(g.allele_ref) for g in genes]),
        "allele_pos": np.concatenate([g.allele_pos for g in genes]).astype(np.int64)
        if genes
        else np.zeros(0, dtype=np.int64),
        "allele_ref": _str_array([x for g in genes for x in g.allele_ref]),
        "allele_alt": _str_array([x for g in genes for x in g.allele_alt]),
        "allele_id": _str_array([x for g in genes for x in g.allele_id]),
        "unique_offsets": _offsets(uniq_sizes),
        "haplotype_offsets": _offsets([h.size for h in haps]),
        "haplotype_alleles": np.concatenate(haps).astype(np.int32)
        if haps
        else np.zeros(0, dtype=np.int32),
        "individual_offsets": _offsets([len(g.individuals) for g in genes]),
        "individuals": _str_array([x for g in genes for x in g.individuals]),
        "assignment": np.concatenate([g.assignment for g in genes]).astype(np.int32)
        if genes
        else np.zeros((0, 2), dtype=np.int32),
        "counts": np.array(json.dumps([g.counts for g in genes])),
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        np.savez_compressed(handle, **arrays)


def load_shard(path: str | Path) -> list[GeneHaplotypes]:
    """Read a shard written by `save_shard`."""
    try:
        data = np.load(Path(path), allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read haplotype shard {path}: {exc}; rerun its rule.") from exc
    with data:
        if "format" not in data or str(data["format"]) != SHARD_FORMAT:
            raise InputError(f"{path} is not a {SHARD_FORMAT} shard; rerun its rule.")
        d = {k: data[k] for k in data.files}
    ao, uo, ho, io = (
        d["allele_offsets"],
        d["unique_offsets"],
        d["haplotype_offsets"],
        d["individual_offsets"],
    )
    counts = json.loads(str(d["counts"]))
    genes = []
    for g in range(d["gene_id"].size):
        a0, a1 = int(ao[g]), int(ao[g + 1])
        i0, i1 = int(io[g]), int(io[g + 1])
        unique = [
            d["haplotype_alleles"][int(ho[u]) : int(ho[u + 1])].astype(np.int32)
            for u in range(int(uo[g]), int(uo[g + 1]))
        ]
        genes.append(
            GeneHaplotypes(
                gene_id=str(d["gene_id"][g]),
                symbol=str(d["symbol"][g]),
                chrom=str(d["chrom"][g]),
                tss=int(d["tss"][g]),
                strand=str(d["strand"][g]),
                window_start=int(d["window_start"][g]),
                window_end=int(d["window_end"][g]),
                allele_pos=d["allele_pos"][a0:a1].astype(np.int64),
                allele_ref=[str(x) for x in d["allele_ref"][a0:a1]],
                allele_alt=[str(x) for x in d["allele_alt"][a0:a1]],
                allele_id=[str(x) for x in d["allele_id"][a0:a1]],
                unique=unique,
                individuals=[str(x) for x in d["individuals"][i0:i1]],
                assignment=d["assignment"][i0:i1].astype(np.int32).reshape(-1, 2),
                counts={str(k): int(v) for k, v in counts[g].items()},
            )
        )
    return genes


ALLELE_COLUMNS = ["gene_id", "variant_id", "pos", "allele_index", "ref", "alt"]


def allele_frame(genes: Sequence[GeneHaplotypes]) -> pd.DataFrame:
    """The allele tables of `genes` as one frame: gene_id, variant_id (the allele's id), pos
    (0-based), allele_index (row in its gene's table), ref, alt; one row per allele."""
    frames = [
        pd.DataFrame(
            {
                "gene_id": gene.gene_id,
                "variant_id": [str(v) for v in gene.allele_id],
                "pos": gene.allele_pos,
                "allele_index": range(len(gene.allele_id)),
                "ref": gene.allele_ref,
                "alt": gene.allele_alt,
            }
        )
        for gene in genes
    ]
    if not frames:
        return pd.DataFrame(columns=ALLELE_COLUMNS)
    return pd.concat(frames, ignore_index=True)
