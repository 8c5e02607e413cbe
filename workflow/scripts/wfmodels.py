"""Loading a configured model inside a workflow job (shared by predict and predict_variants)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import wfutil  # noqa: F401  (this checkout's library on sys.path, see wfutil)

from pexbench.errors import ModelError
from pexbench.genome import Reference
from pexbench.haplotypes import GeneHaplotypes, load_shard
from pexbench.models import load_model
from pexbench.models.base import SequenceModel


def model_for_job(
    spec: dict[str, Any], targets: str | None, haplotype_length: int, index: int
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


def job_setup(smk: Any) -> tuple[dict[str, Any], list[GeneHaplotypes], Reference, SequenceModel]:
    """The model spec, haplotype shard, reference and loaded model of a predict(_variants) job
    (`smk`: the script's `snakemake` object); torch uses the job's threads."""
    torch.set_num_threads(smk.threads)
    spec = smk.params.spec
    genes = load_shard(smk.input.haplotypes)
    reference = Reference(smk.input.fasta)
    model = model_for_job(spec, smk.input.get("targets"), smk.params.length, smk.params.index)
    return spec, genes, reference, model
