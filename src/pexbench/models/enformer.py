"""Enformer (enformer-pytorch 0.8.12) behind the SequenceModel interface.

Weights (config key `weights`):
- a Hugging Face id, e.g. `EleutherAI/enformer-official-rough` (needs the hub or its cache;
  HF_HUB_OFFLINE=1 makes it cache-only);
- a local directory in Hugging Face layout (config.json + model.safetensors/pytorch_model.bin),
  e.g. made by `huggingface-cli download EleutherAI/enformer-official-rough --local-dir DIR`;
- `tiny`: a small, seeded, randomly initialised Enformer for tests and the CPU demo. Its outputs
  mean nothing; ModelInfo says so (is_trained=False, weights/warning "random weights, not a
  result").

tf-gamma: the official weights were trained with TensorFlow's gamma positional features.
enformer-pytorch's `from_pretrained(name, use_tf_gamma)` switches them on only when `name` is
exactly `EleutherAI/enformer-official-rough` (it ignores the argument otherwise, see
modeling_enformer.from_pretrained), so this module sets `Attention.use_tf_gamma` itself. Config
`use_tf_gamma`: null (default) = on for that id and for local directories whose config.json has
the official architecture (dim 1536, depth 11, heads 8, 5313 human tracks), off otherwise.
With tf-gamma the precomputed features fix the input at exactly 196,608 bp.

Geometry: the input is cut into 128-bp bins (2**num_downsamples), the trunk crops to
`target_length` bins symmetrically; with the TSS at L//2 the TSS is the first base of bin
(L//2 - crop_offset) // 128 (448 of 896 for 196,608 bp). `tss_bins` bins centred there are
returned (3 -> 447..449).

Reverse-complement averaging (`reverse_complement: true`): the model also runs on the reverse
complement; its bin n_bins-1-j covers the same bases as forward bin j (symmetric crop, length a
multiple of 128), so the requested bins b are read at n_bins-1-b and averaged with the forward
output. The TSS base itself sits at the end of reverse bin 447, i.e. in the bin that covers
forward bin 448's bases.

Execution: uint8 codes go to the device and are one-hot encoded there (N = all zeros), under
torch.inference_mode, in the precision `pexbench.precision` resolves (auto: bf16 autocast only
where measured parity with fp32 allows it, else TF32 on CUDA and fp32 on CPU; the choice and
its reason are in ModelInfo.extra). Only the human head is built, and only the requested tracks
(rows of the head's linear layer) at the requested bins are computed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F

from pexbench.errors import ModelError
from pexbench.models.base import NOT_A_RESULT, BinGeometry, ModelInfo
from pexbench.models.facts import ENFORMER_LENGTH as FULL_LENGTH
from pexbench.models.facts import ENFORMER_TINY_LENGTH as TINY_LENGTH
from pexbench.models.facts import is_tiny_weights
from pexbench.models.runner import (
    BatchRunner,
    auto_batch_size,
    autocast_dtype,
    resolve_device,
    resolve_precision,
    set_cuda_math,
)
from pexbench.models.tracks import N_HUMAN_TRACKS, Track, TrackTable

log = logging.getLogger(__name__)

OFFICIAL_ID = "EleutherAI/enformer-official-rough"
TF_GAMMA_POSITIONS = 1536
# Small enough that a CPU forward of a batch of 8 takes well under a second (NOTES.md hparams).
TINY_HPARAMS: dict[str, Any] = dict(
    dim=96,
    depth=1,
    heads=2,
    output_heads=dict(human=N_HUMAN_TRACKS),
    target_length=16,
    num_downsamples=7,
    dim_divisible_by=8,
)
OFFICIAL_ARCH = dict(dim=1536, depth=11, heads=8)
# Activation memory per 196,608-bp sequence of the full model in bf16 (NOTES.md: 1-1.5 GB).
FULL_BYTES_PER_SEQUENCE_BF16 = 1.5e9


def _from_pretrained(source: str, where: str) -> torch.nn.Module:
    from enformer_pytorch import Enformer

    try:
        return Enformer.from_pretrained(source, output_heads=dict(human=N_HUMAN_TRACKS))
    except Exception as exc:  # HF raises OSError, ValueError, HFValidationError, ...
        offline = os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0")
        local = Path(source).expanduser()
        tried = (
            f"the local directory {local}"
            if local.exists()
            else f"the Hugging Face id {source!r}"
            + (" (HF_HUB_OFFLINE is set: cache only)" if offline else " (hub or local cache)")
            + f"; no local directory {local.resolve()} exists either"
        )
        raise ModelError(
            f"{where}: cannot load Enformer weights {source!r}: tried {tried}: "
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}\n"
            "Fix: on a machine with internet run `huggingface-cli download "
            f"{OFFICIAL_ID} --local-dir /path/to/enformer-official-rough` (or set HF_HOME to a "
            "shared cache), copy the directory to the cluster, and set "
            f"{where} to that directory (it must hold config.json and the weights file). "
            "Use weights: tiny only for tests (random weights, not a result)."
        ) from exc


def _reinit_tiny(net: torch.nn.Module) -> None:
    """Variance-preserving init (normal, std 1/sqrt(fan_in), zero bias) of convolutions and
    linear layers. With the library's default init the signal of a tiny model decays through the
    conv tower until every sequence gives the same output to 1e-5; with this one outputs vary
    by a few percent between sequences and a single base at the TSS moves them by ~0.1%, so
    tests can see sequence changes. Must run inside the seeded RNG context."""
    for module in net.modules():
        if isinstance(module, (torch.nn.Conv1d, torch.nn.Linear)):
            torch.nn.init.kaiming_normal_(module.weight, nonlinearity="linear")
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)


def _is_official_arch(config: dict[str, Any]) -> bool:
    heads = config.get("output_heads") or {}
    return all(config.get(k) == v for k, v in OFFICIAL_ARCH.items()) and (
        heads.get("human") == N_HUMAN_TRACKS
    )


class EnformerModel:
    """Enformer predicting selected human tracks at the TSS bins."""

    def __init__(
        self,
        net: torch.nn.Module,
        *,
        name: str,
        weights: str,
        is_trained: bool,
        tracks: list[Track],
        sequence_length: int,
        tss_bins: int = 3,
        reverse_complement: bool = False,
        device: str | None = "auto",
        precision: str | None = "auto",
        batch_size: int | str = "auto",
        use_tf_gamma: bool = False,
        where: str = "models[?]",
    ) -> None:
        from enformer_pytorch.modeling_enformer import Attention

        self.where = where
        cfg = net.config
        bin_size = 2**cfg.num_downsamples
        if sequence_length % bin_size:
            raise ModelError(
                f"{where}.sequence_length: {sequence_length} is not a multiple of Enformer's bin "
                f"size {bin_size}; use e.g. {FULL_LENGTH}."
            )
        n_pos = sequence_length // bin_size
        if use_tf_gamma and n_pos != TF_GAMMA_POSITIONS:
            raise ModelError(
                f"{where}: these weights use TensorFlow gamma position features "
                f"(use_tf_gamma), which fix the input at exactly {FULL_LENGTH:,} bp "
                f"({TF_GAMMA_POSITIONS} positions after pooling), but sequence_length is "
                f"{sequence_length:,}. Set {where}.sequence_length: {FULL_LENGTH} (and build "
                "haplotypes at least that long), or set use_tf_gamma: false for weights trained "
                "with enformer-pytorch's own gamma features."
            )
        excess = n_pos - cfg.target_length
        if excess < 0 or excess % 2:
            raise ModelError(
                f"{where}.sequence_length: {sequence_length:,} bp gives {n_pos} positions, which "
                f"cannot be cropped symmetrically to the model's {cfg.target_length} output bins; "
                f"use a length whose position count (length / {bin_size}) exceeds "
                f"{cfg.target_length} by an even number, e.g. {FULL_LENGTH:,} bp for the full "
                "model."
            )
        self.geometry = BinGeometry(sequence_length, bin_size, excess // 2)
        self.bins = self.geometry.tss_bins(tss_bins)
        self.reverse_complement = bool(reverse_complement)
        self.tracks = tracks
        self.device = resolve_device(device, where=f"{where}.device")
        # weights kind, the key of the measured parity table (pexbench.precision)
        kind = "official" if _is_official_arch(cfg.to_dict()) else "custom"
        self.precision = resolve_precision(
            precision,
            self.device,
            where=f"{where}.precision",
            model_type="enformer",
            weights=kind if is_trained else "tiny",
            sequence_length=sequence_length,
        )
        self.dtype = autocast_dtype(self.precision)
        if self.device.type == "cuda":
            # cudnn.benchmark stays off: kernels chosen by timing make reruns differ in last bits
            set_cuda_math(self.precision)

        for module in net.modules():
            if isinstance(module, Attention):
                module.use_tf_gamma = bool(use_tf_gamma)
        heads = getattr(net, "_heads", {})
        if "human" not in heads:
            raise ModelError(f"{where}: the Enformer weights {weights!r} have no human head.")
        head = heads["human"][0]
        if head.out_features != N_HUMAN_TRACKS:
            raise ModelError(
                f"{where}: the human head of {weights!r} has {head.out_features} tracks, "
                f"targets_human.txt lists {N_HUMAN_TRACKS}; the track table does not fit."
            )
        idx = torch.tensor([t.index for t in tracks], dtype=torch.long)
        self._w = head.weight.detach()[idx].clone().to(self.device)
        self._b = head.bias.detach()[idx].clone().to(self.device)
        net.eval()
        net._heads = torch.nn.ModuleDict()  # only selected rows are kept (above)
        self.net = net.to(self.device)
        self._trunk = net._trunk
        self._lut = torch.cat([torch.eye(4), torch.zeros(1, 4)]).to(self.device)
        self._comp = torch.tensor([3, 2, 1, 0, 4], dtype=torch.long, device=self.device)
        self._bins_t = torch.as_tensor(self.bins, device=self.device)
        self._rbins_t = torch.as_tensor(self.geometry.reverse_bins(self.bins), device=self.device)

        if batch_size == "auto":
            per_seq = (
                FULL_BYTES_PER_SEQUENCE_BF16
                * (sequence_length / FULL_LENGTH)
                * (cfg.dim / OFFICIAL_ARCH["dim"])
                * (2 if self.dtype == torch.float32 else 1)
                * (2 if self.reverse_complement else 1)
            )
            bs = auto_batch_size(self.device, per_seq, cpu_batch=4 if cfg.dim >= 768 else 8)
        else:
            try:
                bs = int(batch_size)
            except (TypeError, ValueError) as exc:
                raise ModelError(
                    f"{where}.batch_size: {batch_size!r} is not a positive int or 'auto'."
                ) from exc
        self.runner = BatchRunner(self._forward, bs, device=self.device, where=where)
        self.preferred_batch_size = max(bs, 8)

        warn = {} if is_trained else {"warning": NOT_A_RESULT}
        self.info = ModelInfo(
            name=name,
            kind="enformer",
            weights=weights if is_trained else f"{weights} ({NOT_A_RESULT})",
            sequence_length=sequence_length,
            track_names=tuple(t.label for t in tracks),
            is_trained=is_trained,
            extra={
                "track_indices": ",".join(str(t.index) for t in tracks),
                "track_identifiers": ",".join(t.identifier for t in tracks),
                "tss_bins": ",".join(str(int(b)) for b in self.bins),
                "n_bins": str(self.geometry.n_bins),
                "bin_size": str(bin_size),
                "crop_offset": str(self.geometry.crop_offset),
                "reverse_complement": str(self.reverse_complement).lower(),
                "use_tf_gamma": str(bool(use_tf_gamma)).lower(),
                "device": str(self.device),
                **self.precision.as_extra(),
                "batch_size": str(bs),
                **warn,
            },
        )

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_spec(
        cls, spec: dict[str, Any], *, targets: str | Path, where: str = "models[?]"
    ) -> EnformerModel:
        """Build from one `models:` config entry (see pexbench.models.load_model for keys)."""
        weights = str(spec.get("weights") or "").strip()
        if not weights:
            raise ModelError(
                f"{where}.weights is missing: give a Hugging Face id ({OFFICIAL_ID}), a local "
                "directory with the downloaded weights, or `tiny` (random, tests only)."
            )
        table = TrackTable.read(targets)
        if len(table) != N_HUMAN_TRACKS:
            raise ModelError(
                f"track table {targets} has {len(table)} tracks; Enformer's human head has "
                f"{N_HUMAN_TRACKS}: use targets_human.txt."
            )
        tracks = table.select(list(spec.get("tracks") or [5110]), where=f"{where}.tracks")
        tf_gamma = spec.get("use_tf_gamma")
        seed = int(spec.get("seed", 0))
        if is_tiny_weights(weights):
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                from enformer_pytorch import Enformer

                net = Enformer.from_hparams(**TINY_HPARAMS)
                _reinit_tiny(net)
            length = int(spec.get("sequence_length") or TINY_LENGTH)
            weights_label = f"tiny (seed {seed})"
            trained = False
            tf_gamma = bool(tf_gamma) if tf_gamma is not None else False
        else:
            local = Path(weights).expanduser()
            if local.exists() or weights.startswith((".", "/", "~")):
                if not (local / "config.json").is_file():
                    raise ModelError(
                        f"{where}.weights: {weights!r} is not a directory holding config.json "
                        "(Hugging Face layout). Download with `huggingface-cli download "
                        f"{OFFICIAL_ID} --local-dir {weights}` on a machine with internet."
                    )
                config = json.loads((local / "config.json").read_text())
                if tf_gamma is None:
                    tf_gamma = _is_official_arch(config)
                    if tf_gamma:
                        log.info(
                            "%s: %s has the official Enformer architecture: using TF gamma "
                            "position features (set use_tf_gamma: false to override)",
                            where,
                            local,
                        )
                source = str(local)
            else:
                source = weights
                if tf_gamma is None:
                    tf_gamma = weights == OFFICIAL_ID
            net = _from_pretrained(source, f"{where}.weights")
            length = int(spec.get("sequence_length") or FULL_LENGTH)
            weights_label = weights
            trained = True
        return cls(
            net,
            name=str(spec.get("name") or "enformer"),
            weights=weights_label,
            is_trained=trained,
            tracks=tracks,
            sequence_length=length,
            tss_bins=int(spec.get("tss_bins", 3)),
            reverse_complement=bool(spec.get("reverse_complement", False)),
            device=spec.get("device", "auto"),
            precision=spec.get("precision", "auto"),
            batch_size=spec.get("batch_size", "auto"),
            use_tf_gamma=bool(tf_gamma),
            where=where,
        )

    # ------------------------------------------------------------------ inference
    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        if self.dtype == torch.float32:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.dtype)

    def _heads_at(self, onehot: torch.Tensor, bins: torch.Tensor) -> torch.Tensor:
        emb = self._trunk(onehot)[:, bins, :]  # (B, n_sel_bins, 2*dim)
        return F.softplus(F.linear(emb, self._w.to(emb.dtype), self._b.to(emb.dtype)).float())

    def _forward(
        self, codes: npt.NDArray[np.uint8], minus_strand: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.float32]:
        del minus_strand  # Enformer reads both strands
        x = torch.from_numpy(np.ascontiguousarray(codes)).to(self.device, non_blocking=True)
        idx = x.long()
        with torch.inference_mode(), self._autocast():
            out = self._heads_at(self._lut[idx], self._bins_t)
            if self.reverse_complement:
                rc = self._lut[self._comp[idx.flip(-1)]]
                out = (out + self._heads_at(rc, self._rbins_t)) / 2
        return out.permute(0, 2, 1).contiguous().cpu().numpy().astype(np.float32, copy=False)

    def predict(
        self, codes: npt.NDArray[np.uint8], minus_strand: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.float32]:
        codes = np.asarray(codes)
        if codes.ndim != 2 or codes.shape[1] != self.info.sequence_length:
            raise ModelError(
                f"{self.where}: expected codes of shape (batch, {self.info.sequence_length}), "
                f"got {codes.shape}; build haplotypes at the model's sequence_length."
            )
        if codes.dtype != np.uint8:
            raise ModelError(
                f"{self.where}: codes must be uint8 (ACGTN = 0..4), got {codes.dtype}."
            )
        minus_strand = np.asarray(minus_strand, dtype=bool)
        if len(codes) == 0:
            return np.zeros((0, len(self.tracks), len(self.bins)), dtype=np.float32)
        return self.runner.run(codes, minus_strand)
