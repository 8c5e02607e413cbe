"""The interface every sequence model implements, and the bin geometry shared by binned models."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from pexbench.errors import ModelError

NOT_A_RESULT = "random weights, not a result"


@dataclass(frozen=True)
class ModelInfo:
    """What a report must say about a model: which weights, which outputs."""

    name: str
    kind: str
    weights: str
    sequence_length: int
    track_names: tuple[str, ...]
    is_trained: bool
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """Name for reports; untrained models carry a warning that cannot be missed."""
        return (
            self.name
            if self.is_trained
            else f"{self.name} [{self.extra.get('warning', NOT_A_RESULT)}]"
        )


@runtime_checkable
class SequenceModel(Protocol):
    """A model maps a batch of uint8 ACGTN codes to one value per requested track.

    `predict(codes, minus_strand)` takes codes of shape (batch, sequence_length), every
    sequence on the genome's + strand with the gene's TSS at index sequence_length // 2, and
    returns float32 of shape (batch, n_tracks, n_bins): the requested tracks at the TSS bins.
    Models that read the gene's own strand (Xpresso) reverse-complement the sequences whose
    `minus_strand` flag is set; strand-agnostic models (Enformer) ignore it.

    Optional attribute `preferred_batch_size: int`: how many sequences the caller should hand
    to one `predict` call (pexbench.predict uses it to size its feeding queue; default 16).
    Optional method `input_span(strand) -> (lo, hi)`: the genome offsets from the TSS the model
    reads for a gene on `strand` (Xpresso: its gene-strand window); without it a model reads
    its whole input (pexbench.predict.model_input_span).
    """

    info: ModelInfo

    def predict(
        self, codes: npt.NDArray[np.uint8], minus_strand: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.float32]: ...


@dataclass(frozen=True)
class BinGeometry:
    """Where the output bins of a binned model lie on its input.

    The input of `sequence_length` bases is cut into `sequence_length // bin_size` bins;
    `crop_bins` bins are dropped on each side, leaving `n_bins` output bins; output bin j covers
    input bases [crop_offset + j * bin_size, crop_offset + (j + 1) * bin_size).
    Enformer: 196,608 bp, 128-bp bins, 320 cropped per side, 896 bins from offset 40,960.
    """

    sequence_length: int
    bin_size: int
    crop_bins: int

    def __post_init__(self) -> None:
        if self.sequence_length % self.bin_size:
            raise ModelError(
                f"sequence_length {self.sequence_length} is not a multiple of the bin size "
                f"{self.bin_size}; choose a multiple."
            )
        if self.n_bins < 1:
            raise ModelError(
                f"sequence_length {self.sequence_length} leaves no output bins after cropping "
                f"{self.crop_bins} bins of {self.bin_size} bp per side; use a longer sequence."
            )

    @property
    def n_bins(self) -> int:
        return self.sequence_length // self.bin_size - 2 * self.crop_bins

    @property
    def crop_offset(self) -> int:
        return self.crop_bins * self.bin_size

    @property
    def tss_bin(self) -> int:
        """Bin whose first base is the TSS (input index sequence_length // 2)."""
        return (self.sequence_length // 2 - self.crop_offset) // self.bin_size

    def tss_bins(self, n: int) -> npt.NDArray[np.int64]:
        """`n` consecutive bins centred on the TSS bin: n=3 -> tss_bin-1 .. tss_bin+1
        (447-449 for Enformer, as Huang et al. 2023); even n takes one more bin upstream
        in input coordinates (n=2 -> tss_bin-1, tss_bin: the two bins the TSS separates)."""
        if n < 1:
            raise ModelError(f"tss_bins must be >= 1, got {n}.")
        first = self.tss_bin - n // 2
        bins = np.arange(first, first + n, dtype=np.int64)
        if bins[0] < 0 or bins[-1] >= self.n_bins:
            raise ModelError(
                f"tss_bins={n} needs bins {bins[0]}..{bins[-1]} but the model has only "
                f"{self.n_bins} output bins; use fewer TSS bins."
            )
        return bins

    def reverse_bins(self, bins: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Output bins of the reverse-complemented input that cover the same bases as `bins`.

        The crop is symmetric and the length a multiple of the bin size, so bin j of the
        forward input covers exactly the bases of bin n_bins - 1 - j of its reverse complement
        (Enformer: forward 448, the bin starting at the TSS, is reverse bin 447).
        """
        return self.n_bins - 1 - bins
