"""The geometry probe: a deterministic, non-learned model whose outputs are known functions of the
bases in each bin. It exercises everything around a model (haplotype building, anchoring, bins,
strand handling, dedup, reduction) with outputs a test can recompute by hand.

Geometry (like Enformer's): the input of `sequence_length` bases is cut into `bin_size`-bp bins,
`crop_bins` bins are dropped on each side; output bin j covers input bases
[crop_bins*bin_size + j*bin_size, ... + bin_size). TSS bins as for Enformer (BinGeometry).

Tracks, for the bases s_0 .. s_{bin_size-1} of one bin read in the gene's orientation
(codes A=0 C=1 G=2 T=3 N=4):
- `gc`: the number of G or C bases (strand-invariant);
- `checksum`: sum_k (k + 1) * (s_k + 1) (changes when a base moves by one position).
Strand semantics (as a strand-aware model such as Xpresso): a sequence whose `minus_strand`
flag is set is reverse-complemented before reading, and bin j still denotes the same genomic
bases as on the + strand (bins are flipped back), so for `checksum` the bin's bases are read as
their reverse complement, 5'->3' on the gene's strand.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from pexbench.encoding import reverse_complement
from pexbench.errors import ModelError
from pexbench.models.base import BinGeometry, ModelInfo
from pexbench.models.facts import PROBE_LENGTH as DEFAULT_LENGTH

TRACKS = ("gc", "checksum")


def bin_values(codes: npt.NDArray[np.uint8], bin_size: int) -> npt.NDArray[np.float32]:
    """(B, L) codes -> (B, 2, L // bin_size): the gc and checksum tracks of every bin."""
    b, length = codes.shape
    bins = codes.reshape(b, length // bin_size, bin_size).astype(np.int64)
    gc = ((bins == 1) | (bins == 2)).sum(axis=2)
    weights = np.arange(1, bin_size + 1, dtype=np.int64)
    checksum = ((bins + 1) * weights).sum(axis=2)
    return np.stack([gc, checksum], axis=1).astype(np.float32)


class ProbeModel:
    """Deterministic geometry probe implementing SequenceModel."""

    def __init__(
        self,
        *,
        name: str = "probe",
        sequence_length: int = DEFAULT_LENGTH,
        bin_size: int = 128,
        crop_bins: int = 4,
        tss_bins: int = 3,
        tracks: list[int | str] | None = None,
        where: str = "models[?]",
    ) -> None:
        self.where = where
        self.geometry = BinGeometry(sequence_length, bin_size, crop_bins)
        self.bins = self.geometry.tss_bins(tss_bins)
        chosen: list[int] = []
        for j, t in enumerate(tracks if tracks is not None else list(TRACKS)):
            if isinstance(t, str) and t in TRACKS:
                chosen.append(TRACKS.index(t))
            elif isinstance(t, int) and not isinstance(t, bool) and 0 <= t < len(TRACKS):
                chosen.append(t)
            else:
                raise ModelError(
                    f"{where}.tracks[{j}]: unknown probe track {t!r}; the probe has "
                    f"{', '.join(f'{i}={n}' for i, n in enumerate(TRACKS))}."
                )
        self.track_index = np.array(chosen, dtype=np.int64)
        self.preferred_batch_size = 16
        self.info = ModelInfo(
            name=name,
            kind="probe",
            weights="none (geometry probe: a fixed function of the bases, not a result)",
            sequence_length=sequence_length,
            track_names=tuple(TRACKS[i] for i in chosen),
            is_trained=False,
            extra={
                "warning": "geometry probe, not a result",
                "tss_bins": ",".join(str(int(b)) for b in self.bins),
                "n_bins": str(self.geometry.n_bins),
                "bin_size": str(bin_size),
                "crop_offset": str(self.geometry.crop_offset),
            },
        )

    @classmethod
    def from_spec(cls, spec: dict[str, Any], *, where: str = "models[?]") -> ProbeModel:
        return cls(
            name=str(spec.get("name") or "probe"),
            sequence_length=int(spec.get("sequence_length") or DEFAULT_LENGTH),
            bin_size=int(spec.get("bin_size") or 128),
            crop_bins=int(spec.get("crop_bins", 4)),
            tss_bins=int(spec.get("tss_bins", 3)),
            tracks=spec.get("tracks"),
            where=where,
        )

    def predict(
        self, codes: npt.NDArray[np.uint8], minus_strand: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.float32]:
        codes = np.asarray(codes)
        length = self.info.sequence_length
        if codes.ndim != 2 or codes.shape[1] != length or codes.dtype != np.uint8:
            raise ModelError(
                f"{self.where}: expected uint8 codes of shape (batch, {length}), got "
                f"{codes.dtype} {codes.shape}."
            )
        minus = np.asarray(minus_strand, dtype=bool)
        if minus.shape != (len(codes),):
            raise ModelError(f"{self.where}: minus_strand must have shape ({len(codes)},).")
        oriented = np.where(minus[:, None], reverse_complement(codes), codes)
        values = bin_values(oriented, self.geometry.bin_size)
        c = self.geometry.crop_bins
        values = values[:, :, c : c + self.geometry.n_bins]
        # minus-strand rows were read reversed: flip their bins back to + strand order
        values = np.where(minus[:, None, None], values[:, :, ::-1], values)
        return np.ascontiguousarray(values[:, self.track_index][:, :, self.bins])
