"""Sequence models behind one interface (see `base.SequenceModel`).

`load_model(spec, targets=..., root=...)` builds one entry of the config's `models:` list:

| key | type | default | meaning |
|---|---|---|---|
| name | str | required | model name (output paths, tables) |
| type | enformer, probe, xpresso | required | which implementation |
| weights | str | enformer: required | HF id, local HF-layout dir (relative to root), or `tiny` |
| tracks | list[int or str] | enformer [5110], probe [gc, checksum] | output tracks |
| tss_bins | int | 3 | bins centred on the TSS bin (3 -> 447-449 for Enformer) |
| bin_reduce | mean, sum | mean | how predict.py reduces the TSS bins |
| reverse_complement | bool | false | Enformer: average with the reverse-complement prediction |
| device | str | auto | auto (cuda if available, else cpu), cpu, cuda, cuda:N |
| precision | auto, bf16, fp32 | auto | auto = bf16 autocast on CUDA, fp32 on CPU |
| batch_size | int or auto | auto | device batch; auto = from free GPU memory, halved on OOM |
| seed | int | 0 | seed of the `tiny` random weights |
| sequence_length | int | the type's own (`facts.sequence_length`) | model input length |
| use_tf_gamma | bool or null | null | Enformer: null = on for the official weights (id or dir) |
| bin_size, crop_bins | int | 128, 4 | probe geometry only |
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pexbench.errors import ModelError
from pexbench.models.base import ModelInfo, SequenceModel
from pexbench.models.facts import MODEL_TYPES, model_type

__all__ = ["MODEL_TYPES", "ModelInfo", "SequenceModel", "load_model"]


def load_model(
    spec: dict[str, Any],
    *,
    targets: str | Path | None = None,
    root: str | Path = ".",
    index: int | None = None,
) -> SequenceModel:
    """Build the model one `models:` entry describes.

    `targets`: Enformer's targets_human.txt (needed for type enformer). `root`: directory that
    relative weight paths are resolved against (the workflow's working directory). `index`:
    position in the config list, used in error messages (`models[index].weights`).
    """
    where = f"models[{index if index is not None else '?'}]"
    if not isinstance(spec, dict):
        raise ModelError(f"{where}: a model entry must be a mapping, got {type(spec).__name__}.")
    kind = model_type(spec, where=where)
    spec = dict(spec)
    weights = spec.get("weights")
    if isinstance(weights, str) and weights.lower() != "tiny":
        candidate = Path(root) / Path(weights).expanduser()
        if not Path(weights).is_absolute() and candidate.exists():
            spec["weights"] = str(candidate)
    if kind == "enformer":
        from pexbench.models.enformer import EnformerModel

        if targets is None:
            raise ModelError(f"{where}: an Enformer model needs `targets` (targets_human.txt).")
        return EnformerModel.from_spec(spec, targets=targets, where=where)
    if kind == "probe":
        from pexbench.models.probe import ProbeModel

        return ProbeModel.from_spec(spec, where=where)
    from pexbench.models.xpresso import XpressoModel

    return XpressoModel.from_spec(spec, root=Path(root), where=where)
