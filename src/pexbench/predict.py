"""Run a model on the personal haplotypes (and single-variant sequences) of a gene shard.

What is sent to the model: for every gene its reference sequence and each of its unique
haplotypes (GeneHaplotypes.unique), built by pexbench.haplotypes.AnchoredBuilder at the model's
`sequence_length` with the TSS at length // 2. Built sequences are then deduplicated exactly by
(BLAKE2b-128 digest of the codes, strand flag) across the whole call, so a haplotype identical to
the reference inside the model's window (variants outside it, or the empty haplotype) costs no
extra forward. A background thread builds sequences and hands batches to the model through a
bounded queue, so CPU sequence building overlaps model compute.

Single-variant effects (predict_variants) are computed only for alleles the model can see: an
allele is "in the model input" when its REF span [pos, pos + len(ref)) overlaps the genome
window the model reads (`model_input_span`). The others are not sent to the model; they get
`in_model_input` False and NaN values (their alt sequence would equal the reference inside
the model's input, which is no prediction of an effect of zero).

Outputs are tidy DataFrames; the TSS bins are reduced per track with `bin_reduce` (mean|sum).
Statistics (counts of requests, built and sent sequences, seconds, sequences/s) are in
`DataFrame.attrs["stats"]` and logged.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from pexbench.columns import column_names
from pexbench.errors import InputError, ModelError
from pexbench.haplotypes import AnchoredBuilder, GeneHaplotypes
from pexbench.models.base import SequenceModel

if TYPE_CHECKING:
    from pexbench.genome import Reference

log = logging.getLogger(__name__)

BIN_REDUCE = ("mean", "sum")
REFERENCE = -1  # haplotype index of the reference sequence
_EMPTY = np.zeros(0, dtype=np.int32)
_DONE = object()


def reduce_bins(values: npt.NDArray[np.float32], how: str) -> npt.NDArray[np.float64]:
    """(B, tracks, bins) -> (B, tracks) by mean or sum over the TSS bins (float64)."""
    if how == "mean":
        return values.astype(np.float64).mean(axis=2)
    if how == "sum":
        return values.astype(np.float64).sum(axis=2)
    raise ModelError(f"bin_reduce: {how!r} is not one of {', '.join(BIN_REDUCE)}.")


@dataclass
class _Plan:
    """Requests (gene, key, applied alleles) -> slots of unique sequences."""

    slot_of_request: list[int] = field(default_factory=list)
    n_built: int = 0
    n_genes: int = 0


@dataclass
class PredictStats:
    requests: int
    built: int
    sent: int
    genes: int
    seconds: float
    wait_seconds: float = 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "requests": self.requests,
            "sequences_built": self.built,
            "sequences_sent": self.sent,
            "genes": self.genes,
            "seconds": round(self.seconds, 3),
            "waiting_for_sequences_s": round(self.wait_seconds, 3),
            "sequences_per_s": round(self.sent / self.seconds, 3) if self.seconds > 0 else 0.0,
        }


def model_input_span(model: SequenceModel, strand: str) -> tuple[int, int]:
    """Genome window a model reads for a gene on `strand`, as offsets [lo, hi) from the TSS.

    A model that reads less than its input says so with a method `input_span(strand) -> (lo,
    hi)` (Xpresso: its 10,500-bp gene-strand window); every other model reads its whole input,
    [tss - L // 2, tss + L - L // 2) with L = info.sequence_length.
    """
    own = getattr(model, "input_span", None)
    if callable(own):
        lo, hi = own(strand)
        return int(lo), int(hi)
    length = int(model.info.sequence_length)
    centre = length // 2
    return -centre, length - centre


def allele_in_model_input(gene: GeneHaplotypes, allele: int, span: tuple[int, int]) -> bool:
    """True when the allele's REF span [pos, pos + len(ref)) overlaps [tss + lo, tss + hi)."""
    pos = int(gene.allele_pos[allele])
    end = pos + max(len(gene.allele_ref[allele]), 1)
    return pos < gene.tss + span[1] and end > gene.tss + span[0]


def _check_window(gene: GeneHaplotypes, length: int, model_name: str) -> None:
    lo = gene.tss - length // 2
    hi = lo + length
    if gene.window_start > lo or gene.window_end < hi:
        raise InputError(
            f"gene {gene.gene_id}: its haplotypes were computed for the reference window "
            f"{gene.chrom}:{gene.window_start}-{gene.window_end}, narrower than model "
            f"{model_name!r} needs ({length:,} bp around the TSS {gene.tss}: {lo}-{hi}); rerun "
            "the haplotype step with a length at least the largest model's sequence_length."
        )


def _produce(
    requests: Sequence[tuple[int, npt.NDArray[np.int32]]],
    genes: Sequence[GeneHaplotypes],
    reference: Reference,
    length: int,
    batch: int,
    out: queue.Queue[Any],
    stop: threading.Event,
    plan: _Plan,
    model_name: str,
) -> None:
    """Build sequences request by request (grouped by gene), dedup, put batches on `out`."""

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    try:
        seen: dict[tuple[bytes, bool], int] = {}
        codes: list[npt.NDArray[np.uint8]] = []
        minus: list[bool] = []
        current = -1
        builder: Any = None
        for gene_idx, applied in requests:
            if stop.is_set():
                return
            if gene_idx != current:
                gene = genes[gene_idx]
                _check_window(gene, length, model_name)
                builder = AnchoredBuilder(reference, gene, length)
                current = gene_idx
                plan.n_genes += 1
                strand_minus = gene.strand == "-"
            seq = builder.build(applied) if len(applied) else builder.reference()
            if seq.shape != (length,) or seq.dtype != np.uint8:
                raise ModelError(
                    f"gene {genes[gene_idx].gene_id}: the haplotype builder returned "
                    f"{seq.dtype} {seq.shape}, expected uint8 ({length},)."
                )
            plan.n_built += 1
            key = (hashlib.blake2b(seq.tobytes(), digest_size=16).digest(), strand_minus)
            slot = seen.get(key)
            if slot is None:
                slot = len(seen)
                seen[key] = slot
                codes.append(seq)
                minus.append(strand_minus)
                if len(codes) >= batch:
                    if not put((np.stack(codes), np.array(minus, dtype=bool))):
                        return
                    codes, minus = [], []
            plan.slot_of_request.append(slot)
        if codes and not put((np.stack(codes), np.array(minus, dtype=bool))):
            return
        put(_DONE)
    except BaseException as exc:  # handed to the consumer, which re-raises it
        put(exc)


def run_requests(
    genes: Sequence[GeneHaplotypes],
    reference: Reference,
    model: SequenceModel,
    requests: Sequence[tuple[int, npt.NDArray[np.int32]]],
    *,
    progress: logging.Logger | None = None,
    progress_interval: float = 30.0,
    batch_size: int | None = None,
    queue_batches: int = 4,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64], PredictStats]:
    """Predict every request (gene index, applied allele indices; empty = reference).

    Returns (values of the unique sequences (n_sent, tracks, bins), slot of each request,
    stats). Requests must be grouped by gene (each gene's reference is fetched once).
    """
    length = int(model.info.sequence_length)
    batch = int(batch_size or getattr(model, "preferred_batch_size", 16) or 16)
    plan = _Plan()
    out: queue.Queue[Any] = queue.Queue(maxsize=max(1, queue_batches))
    stop = threading.Event()
    worker = threading.Thread(
        target=_produce,
        args=(requests, genes, reference, length, batch, out, stop, plan, model.info.name),
        name="pexbench-build",
        daemon=True,
    )
    logger = progress or log
    results: list[npt.NDArray[np.float32]] = []
    sent = 0
    t0 = last = time.perf_counter()
    waited = 0.0
    worker.start()
    try:
        while True:
            t_wait = time.perf_counter()
            item = out.get()
            waited += time.perf_counter() - t_wait
            if item is _DONE:
                break
            if isinstance(item, BaseException):
                raise item
            codes, minus = item
            values = np.asarray(model.predict(codes, minus), dtype=np.float32)
            if values.ndim != 3 or values.shape[:2] != (len(codes), len(model.info.track_names)):
                raise ModelError(
                    f"model {model.info.name!r} returned shape {values.shape} for {len(codes)} "
                    f"sequences; expected (batch, {len(model.info.track_names)} tracks, bins)."
                )
            results.append(values)
            sent += len(codes)
            now = time.perf_counter()
            if now - last >= progress_interval:
                last = now
                logger.info(
                    "%s: %d sequences predicted (%d built, %d of %d requests), %.2f sequences/s",
                    model.info.name,
                    sent,
                    plan.n_built,
                    len(plan.slot_of_request),
                    len(requests),
                    sent / (now - t0),
                )
    finally:
        stop.set()
        worker.join()
    seconds = time.perf_counter() - t0
    stats = PredictStats(len(requests), plan.n_built, sent, plan.n_genes, seconds, waited)
    logger.info(
        "%s: done: %d requests, %d sequences built, %d unique sent to the model, %d genes, "
        "%.1f s (%.1f s waiting for sequences), %.2f sequences/s",
        model.info.name,
        stats.requests,
        stats.built,
        stats.sent,
        stats.genes,
        seconds,
        waited,
        stats.as_dict()["sequences_per_s"],
    )
    if results:
        values = np.concatenate(results, axis=0)
    else:
        values = np.zeros((0, len(model.info.track_names), 0), dtype=np.float32)
    return values, np.asarray(plan.slot_of_request, dtype=np.int64), stats


def _tidy(
    keys: pd.DataFrame, reduced: npt.NDArray[np.float64], tracks: Sequence[str], name: str
) -> pd.DataFrame:
    """Repeat `keys` rows per track: one row per (key, track) with column `name`."""
    n, t = reduced.shape
    df = keys.loc[keys.index.repeat(t)].reset_index(drop=True)
    df["track"] = np.tile(np.asarray(tracks, dtype=object), n)
    df[name] = reduced.reshape(-1)
    return df


def _haplotype_requests(
    genes: Sequence[GeneHaplotypes],
) -> Iterator[tuple[int, int, npt.NDArray[np.int32]]]:
    for g, gene in enumerate(genes):
        yield g, REFERENCE, _EMPTY
        for h, applied in enumerate(gene.unique):
            yield g, h, np.asarray(applied, dtype=np.int32)


def predict_haplotypes(
    genes: Sequence[GeneHaplotypes],
    reference: Reference,
    model: SequenceModel,
    *,
    bin_reduce: str = "mean",
    progress: logging.Logger | None = None,
    progress_interval: float = 30.0,
    batch_size: int | None = None,
) -> pd.DataFrame:
    """Predictions of every gene's reference (haplotype -1) and unique haplotypes.

    Returns DataFrame[gene_id, haplotype, track, value]: `haplotype` indexes
    GeneHaplotypes.unique (-1 = reference), `track` is the model's track name, `value` the
    TSS bins reduced by `bin_reduce`. attrs["stats"] holds counts and speed.
    """
    if bin_reduce not in BIN_REDUCE:
        raise ModelError(f"bin_reduce: {bin_reduce!r} is not one of {', '.join(BIN_REDUCE)}.")
    reqs = list(_haplotype_requests(genes))
    values, slots, stats = run_requests(
        genes,
        reference,
        model,
        [(g, a) for g, _h, a in reqs],
        progress=progress,
        progress_interval=progress_interval,
        batch_size=batch_size,
    )
    keys = pd.DataFrame(
        {
            "gene_id": pd.Series([genes[g].gene_id for g, _h, _a in reqs], dtype=object),
            "haplotype": np.array([h for _g, h, _a in reqs], dtype=np.int64),
        }
    )
    reduced = reduce_bins(values, bin_reduce)[slots] if len(reqs) else np.zeros((0, 0))
    df = _tidy(keys, reduced, model.info.track_names, "value")
    df = df[["gene_id", "haplotype", "track", "value"]]
    df.attrs["stats"] = stats.as_dict()
    return df


def predict_variants(
    genes: Sequence[GeneHaplotypes],
    reference: Reference,
    model: SequenceModel,
    variants: pd.DataFrame,
    *,
    bin_reduce: str = "mean",
    progress: logging.Logger | None = None,
    progress_interval: float = 30.0,
    batch_size: int | None = None,
) -> pd.DataFrame:
    """Single-variant effects: each allele alone in the reference vs the reference.

    `variants`: DataFrame[gene_id, allele_index] (index into the gene's allele table).
    Returns DataFrame[gene_id, variant_id, allele_index, track, ref_value, alt_value,
    in_model_input]; variant_id is GeneHaplotypes.allele_id of that allele. Alleles whose REF
    span does not overlap the window the model reads (`model_input_span`) are not sent to the
    model: in_model_input False, ref_value and alt_value NaN. A gene's reference is predicted
    only when one of its alleles is in the model input.
    """
    if bin_reduce not in BIN_REDUCE:
        raise ModelError(f"bin_reduce: {bin_reduce!r} is not one of {', '.join(BIN_REDUCE)}.")
    missing = {"gene_id", "allele_index"} - set(variants.columns)
    if missing:
        raise InputError(f"predict_variants: the variant table lacks column(s) {sorted(missing)}.")
    by_gene = {gene.gene_id: g for g, gene in enumerate(genes)}
    requests: list[tuple[int, npt.NDArray[np.int32]]] = []
    rows: list[tuple[int, int, int]] = []  # (variant row, gene idx, allele) in request order
    outside: list[tuple[int, int, int]] = []  # (variant row, gene idx, allele), not sent
    wanted = variants.reset_index(drop=True)
    order = sorted(
        range(len(wanted)),
        key=lambda r: (by_gene.get(str(wanted.at[r, "gene_id"]), -1), r),
    )
    spans = {s: model_input_span(model, s) for s in ("+", "-")}
    current = -1
    for r in order:
        gid = str(wanted.at[r, "gene_id"])
        if gid not in by_gene:
            raise InputError(
                f"predict_variants: variant row {r} names gene {gid!r}, which is not in this "
                "shard's haplotypes; pass the variants of these genes only."
            )
        g = by_gene[gid]
        a = int(wanted.at[r, "allele_index"])
        if not 0 <= a < len(genes[g].allele_id):
            raise InputError(
                f"predict_variants: variant row {r}: allele_index {a} is outside gene {gid}'s "
                f"allele table (0..{len(genes[g].allele_id) - 1})."
            )
        span = spans["-" if genes[g].strand == "-" else "+"]
        if not allele_in_model_input(genes[g], a, span):
            outside.append((r, g, a))
            continue
        if g != current:
            requests.append((g, _EMPTY))  # the gene's reference, once
            rows.append((-1, g, -1))
            current = g
        requests.append((g, np.array([a], dtype=np.int32)))
        rows.append((r, g, a))
    values, slots, stats = run_requests(
        genes,
        reference,
        model,
        requests,
        progress=progress,
        progress_interval=progress_interval,
        batch_size=batch_size,
    )
    reduced = reduce_bins(values, bin_reduce) if len(values) else np.zeros((0, 0))
    ref_slot: dict[int, int] = {}
    alt_rows: list[tuple[int, int, int, int]] = []
    for (r, g, a), slot in zip(rows, slots, strict=True):
        if r < 0:
            ref_slot[g] = int(slot)
        else:
            alt_rows.append((r, g, a, int(slot)))
    alt_rows += [(r, g, a, -1) for r, g, a in outside]
    alt_rows.sort()
    keys = pd.DataFrame(
        {
            "gene_id": pd.Series([genes[g].gene_id for _r, g, _a, _s in alt_rows], dtype=object),
            "variant_id": pd.Series(
                [genes[g].allele_id[a] for _r, g, a, _s in alt_rows], dtype=object
            ),
            "allele_index": np.array([a for _r, _g, a, _s in alt_rows], dtype=np.int64),
            "in_model_input": np.array([s >= 0 for _r, _g, _a, s in alt_rows], dtype=bool),
        }
    )
    tracks = model.info.track_names
    ref = np.full((len(alt_rows), len(tracks)), np.nan)
    alt = np.full((len(alt_rows), len(tracks)), np.nan)
    for i, (_r, g, _a, s) in enumerate(alt_rows):
        if s >= 0:
            ref[i] = reduced[ref_slot[g]]
            alt[i] = reduced[s]
    df = _tidy(keys, ref, tracks, "ref_value")
    df["alt_value"] = alt.reshape(-1)
    df = df[column_names("variant_predictions")]
    stats_dict: dict[str, float | int] = stats.as_dict()
    stats_dict["alleles_outside_model_input"] = len(outside)
    if outside:
        (progress or log).info(
            "%s: %d of %d alleles lie outside the model's input: not predicted (NaN)",
            model.info.name,
            len(outside),
            len(alt_rows),
        )
    df.attrs["stats"] = stats_dict
    return df
