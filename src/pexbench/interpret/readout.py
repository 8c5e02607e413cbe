"""The benchmark's TSS readout as a differentiable function of a + strand one-hot input.

A `TssReadout` maps one-hot sequences (B, L, 4), laid out as the workflow hands them to
`SequenceModel.predict` (the genome's + strand, TSS at L // 2), to one number per sequence:

1. the model's output for its requested tracks at its TSS bins, exactly the values `predict`
   returns (Enformer: human-head tracks at `model.bins`, averaged with the reverse complement's
   mirrored bins when the model was built with `reverse_complement`; Xpresso: its one output,
   read from the 10,500-bp gene-strand window, reverse-complemented for minus-strand genes);
2. reduced over the TSS bins by `bin_reduce` (mean or sum, as pexbench.predict does);
3. put on `scale`: "raw" (the model's output) or "log1p" (log1p of each track's reduced value,
   the transform `evaluate.aggregate` / `evaluate.variant_effects` apply when `log1p` is set);
4. reduced over tracks: `track=None` takes the MEAN over the model's tracks (the benchmark's
   predicted value and its variant effects are means over tracks, so effects on this readout
   are on the benchmark's scale); `track=i` reads track i alone.

Because the slicing and reverse complement happen inside torch, gradients come back on the + strand
input: a minus-strand gene's gradient is already mapped to + strand positions and bases, and
positions a model does not read (Xpresso outside its window) get a gradient of exactly zero.

The forward runs in float32 without autocast (gradients in bf16 are too coarse to rank bases);
on a GPU model built with bf16 autocast the readout therefore differs from `predict` by the
autocast rounding. Only Enformer (pexbench.models.enformer) and Xpresso are supported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch

from pexbench.encoding import one_hot
from pexbench.errors import ModelError
from pexbench.models.enformer import EnformerModel
from pexbench.models.xpresso import INPUT_LENGTH, XpressoModel, window_offsets

InterpretableModel = EnformerModel | XpressoModel

BIN_REDUCE = ("mean", "sum")
SCALES = ("raw", "log1p")


@dataclass(frozen=True)
class ReadoutSpec:
    """Which number an interpretation explains (see the module docstring).

    minus_strand: the gene is on the - strand (Xpresso reads the reverse complement of its
    window; Enformer ignores it, as its `predict` does). bin_reduce: as the workflow's
    `bin_reduce`. scale: "raw" or "log1p" (as `evaluate`'s log1p). track: None = mean over
    the model's tracks, or one track index.
    """

    minus_strand: bool = False
    bin_reduce: str = "mean"
    scale: str = "raw"
    track: int | None = None

    def __post_init__(self) -> None:
        if self.bin_reduce not in BIN_REDUCE:
            raise ModelError(f"bin_reduce {self.bin_reduce!r} is not one of {BIN_REDUCE}.")
        if self.scale not in SCALES:
            raise ModelError(f"scale {self.scale!r} is not one of {SCALES}.")


class TssReadout:
    """`readout(onehot) -> (B,)` tensor; see the module docstring for what it computes."""

    def __init__(self, model: InterpretableModel, spec: ReadoutSpec | None = None) -> None:
        if not isinstance(model, (EnformerModel, XpressoModel)):
            info = getattr(model, "info", None)
            raise ModelError(
                f"model {getattr(info, 'name', model)!r}: interpretation supports Enformer and "
                "Xpresso only; leave this model out of `interpretation.models`."
            )
        self.model = model
        self.spec = spec or ReadoutSpec()
        n_tracks = len(model.info.track_names)
        if self.spec.track is not None and not 0 <= self.spec.track < n_tracks:
            raise ModelError(
                f"model {model.info.name!r} has {n_tracks} track(s); track index "
                f"{self.spec.track} does not exist."
            )
        self.sequence_length = int(model.info.sequence_length)
        self.device = torch.device(model.device)

    # ------------------------------------------------------------------ inputs
    def onehot(self, codes: npt.NDArray[np.uint8]) -> torch.Tensor:
        """(B, L) uint8 codes -> (B, L, 4) float32 one-hot on the model's device (N = zeros)."""
        codes = np.asarray(codes)
        if codes.ndim != 2 or codes.shape[1] != self.sequence_length:
            raise ModelError(
                f"model {self.model.info.name!r}: expected codes of shape (batch, "
                f"{self.sequence_length}), got {codes.shape}."
            )
        return torch.from_numpy(one_hot(codes)).to(self.device)

    # ------------------------------------------------------------------ model outputs
    def tss_tracks(self, onehot: torch.Tensor) -> torch.Tensor:
        """(B, L, 4) -> (B, tracks, TSS bins): what the model's `predict` returns."""
        if isinstance(self.model, EnformerModel):
            return _enformer_tracks(self.model, onehot)
        return _xpresso_tracks(self.model, onehot, self.spec.minus_strand)

    # ------------------------------------------------------------------ reduction
    def reduce(self, tracks: torch.Tensor) -> torch.Tensor:
        """(B, tracks, bins) -> (B,): bins by bin_reduce, scale, then track mean or one track."""
        v = tracks.mean(dim=2) if self.spec.bin_reduce == "mean" else tracks.sum(dim=2)
        if self.spec.scale == "log1p":
            v = torch.log1p(v)
        return v.mean(dim=1) if self.spec.track is None else v[:, self.spec.track]

    def __call__(self, onehot: torch.Tensor) -> torch.Tensor:
        return self.reduce(self.tss_tracks(onehot))

    def predicted(
        self, codes: npt.NDArray[np.uint8], batch_size: int = 8
    ) -> npt.NDArray[np.float64]:
        """Readout of (B, L) codes through the model's own `predict` (exactly the benchmark's
        values, then reduced as above in float64)."""
        codes = np.asarray(codes, dtype=np.uint8)
        minus = np.full(len(codes), self.spec.minus_strand, dtype=bool)
        parts = [
            self.model.predict(codes[lo : lo + batch_size], minus[lo : lo + batch_size])
            for lo in range(0, len(codes), batch_size)
        ]
        if not parts:
            return np.zeros(0, dtype=np.float64)
        values = torch.from_numpy(np.concatenate(parts).astype(np.float64))
        return self.reduce(values).numpy()


def _enformer_tracks(model: EnformerModel, x: torch.Tensor) -> torch.Tensor:
    bins = torch.as_tensor(model.bins, device=x.device)
    # The selected rows of the human head live on the EnformerModel (its net has no heads left):
    # `_heads_at` is the one place that applies them.
    out = model._heads_at(x, bins)
    if model.reverse_complement:
        rbins = torch.as_tensor(model.geometry.reverse_bins(model.bins), device=x.device)
        # reversing the length axis and the ACGT columns is the reverse complement
        out = (out + model._heads_at(x.flip((1, 2)), rbins)) / 2
    return out.permute(0, 2, 1)


def _xpresso_tracks(model: XpressoModel, x: torch.Tensor, minus_strand: bool) -> torch.Tensor:
    plus, minus = window_offsets(model.sequence_length, model.tss_index)
    if minus_strand:
        window = x[:, minus : minus + INPUT_LENGTH].flip((1, 2))
    else:
        window = x[:, plus : plus + INPUT_LENGTH]
    halflife = x.new_zeros(x.shape[0], model.n_halflife)
    return model.net(window, halflife)[:, None, None]
