"""The workflow's predict jobs: one configured model run on one haplotype shard.

Rule `predict` calls `predict_shard`, rule `predict_variants` `predict_shard_variants`. Both
read the shard and the reference, load the model of one `models:` entry (`job_model`) and run
`pexbench.predict` on it with the job's CPU threads.
"""

from __future__ import annotations

import contextlib
import logging
import platform
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import pandas as pd

from pexbench.devices import gpu_slot
from pexbench.eqtl import SCORED
from pexbench.errors import ModelError
from pexbench.genome import Reference
from pexbench.haplotypes import load_shard
from pexbench.models import load_model
from pexbench.models.base import SequenceModel
from pexbench.predict import predict_haplotypes, predict_variants
from pexbench.tables import read_table

if TYPE_CHECKING:
    from typing_extensions import Unpack  # typing.Unpack from Python 3.11

log = logging.getLogger(__name__)


def model_for_job(
    spec: Mapping[str, Any], targets: str | None, haplotype_length: int, index: int
) -> SequenceModel:
    """The model of one `models:` entry; its input must fit in the haplotype windows."""
    # Keys the schema filled with null mean "the model's own default".
    spec = {key: value for key, value in spec.items() if value is not None}
    model = load_model(spec, targets=targets, root=Path.cwd(), index=index)
    if model.info.sequence_length > haplotype_length:
        raise ModelError(
            f"model {spec['name']!r}: input length {model.info.sequence_length} exceeds the "
            f"{haplotype_length}-bp haplotype windows (variants outside them would be missing); "
            "set the model's sequence_length in the config."
        )
    return model


@contextlib.contextmanager
def job_model(
    spec: Mapping[str, Any],
    *,
    haplotype_length: int,
    index: int,
    threads: int,
    targets: str | None = None,
    weights: str | None = None,
) -> Iterator[SequenceModel]:
    """The model of a predict job, held from loading to its last forward pass (the body of
    the `with`), on the device `pexbench.devices.gpu_slot` gives the job (one free GPU per job
    for cuda models); torch uses the job's `threads`. `weights`, when given, replaces
    spec["weights"] (the rules pass a model's local weights as a tracked input)."""
    import torch

    torch.set_num_threads(threads)
    if weights is not None:
        spec = {**spec, "weights": weights}
    # Snakemake's gpu resource only counts: the job itself takes a free device and holds it
    # until its last forward pass (released by the kernel even if the job is killed).
    with gpu_slot(spec.get("device") or "auto", where=f"models[{index}].device") as device:
        model = model_for_job({**spec, "device": device}, targets, haplotype_length, index)
        log.info("model %s on %s: %s", spec["name"], device, model.info)
        yield model


class _JobRequired(TypedDict):
    haplotype_length: int
    index: int
    threads: int


class JobSettings(_JobRequired, total=False):
    """The keyword arguments of `job_model` a predict job passes on (targets and weights
    optional; entry `index` of `models:`)."""

    targets: str | None
    weights: str | None


def run_record(model: SequenceModel, *, threads: int) -> dict[str, Any]:
    """How a job ran its model, as resolved at load time (not as configured): device (with
    the GPU's name), precision and why, batch size, tracks by name, TSS bins, input length,
    threads, host. The run description lists these per model and shard."""
    import torch

    info = model.info
    record: dict[str, Any] = {
        "model": info.name,
        "type": info.kind,
        "trained": info.is_trained,
        "sequence_length": int(info.sequence_length),
        "tracks": list(info.track_names),
        "threads": threads,
        "host": platform.node(),
        "torch": torch.__version__,
        **info.extra,
    }
    device = str(info.extra.get("device", ""))
    if device.startswith("cuda") and torch.cuda.is_available():
        record["gpu"] = torch.cuda.get_device_name(torch.device(device))
    return record


def predict_shard(
    haplotypes: str | Path,
    fasta: str | Path,
    spec: Mapping[str, Any],
    **job: Unpack[JobSettings],
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Rule predict: `predict_haplotypes` of every gene of the shard with the model of `spec`,
    TSS bins reduced by its `bin_reduce`; `job` (targets, weights, threads, ...) as in
    `job_model`. Returns (predictions, `run_record` of the model)."""
    genes = load_shard(haplotypes)
    with job_model(spec, **job) as model:
        table = predict_haplotypes(genes, Reference(fasta), model, bin_reduce=spec["bin_reduce"])
        record = run_record(model, threads=job["threads"])
    log.info("%d genes, %d predictions", len(genes), len(table))
    return table, record


def predict_shard_variants(
    haplotypes: str | Path,
    fasta: str | Path,
    variants: str | Path,
    spec: Mapping[str, Any],
    **job: Unpack[JobSettings],
) -> pd.DataFrame:
    """Rule predict_variants: `predict_variants` of the shard's scored variants (rows of the
    select_variants table with scored "yes") with the model of `spec`; the rest as in
    `predict_shard`."""
    table = read_table(variants, kind="variants")
    table = table[table["scored"] == SCORED].astype({"allele_index": "int64"})
    genes = load_shard(haplotypes)
    with job_model(spec, **job) as model:
        log.info("%d variants to score", len(table))
        return predict_variants(
            genes,
            Reference(fasta),
            model,
            table[["gene_id", "allele_index"]],
            bin_reduce=spec["bin_reduce"],
        )
