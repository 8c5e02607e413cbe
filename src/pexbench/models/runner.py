"""Device choice, batch sizing and out-of-memory backoff for torch models.

`BatchRunner` splits a batch of sequences into device batches and calls a forward function on
each. When the forward function raises an out-of-memory error (torch.OutOfMemoryError, or a
RuntimeError whose message says "out of memory"), the batch size is halved and the same
sequences are retried; only an OOM at batch size 1 is an error. Every halving is logged and
counted (`BatchRunner.backoffs`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import torch

from pexbench.errors import ModelError
from pexbench.precision import PrecisionChoice, choose_precision

log = logging.getLogger(__name__)

ForwardFn = Callable[[npt.NDArray[np.uint8], npt.NDArray[np.bool_]], npt.NDArray[np.float32]]

MAX_AUTO_BATCH = 64


def resolve_device(device: str | None, *, where: str = "device") -> torch.device:
    """'auto' (or None) -> cuda when available, else cpu; explicit names are checked."""
    name = (device or "auto").strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(name)
    except RuntimeError as exc:
        raise ModelError(
            f"{where}: {device!r} is not a device; use auto, cpu or cuda[:N]."
        ) from exc
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ModelError(
                f"{where}: {device!r} requested but torch sees no CUDA device "
                f"(torch {torch.__version__}, CUDA build: {torch.version.cuda}); use device: auto "
                "or cpu, or install a CUDA build of torch on the GPU node."
            )
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ModelError(
                f"{where}: {device!r} but only {torch.cuda.device_count()} CUDA device(s) exist."
            )
    elif dev.type != "cpu":
        raise ModelError(f"{where}: device type {dev.type!r} is not supported; use cpu or cuda.")
    return dev


def resolve_precision(
    precision: str | None,
    device: torch.device,
    *,
    where: str,
    model_type: str,
    weights: str,
    sequence_length: int,
) -> PrecisionChoice:
    """auto | bf16 | tf32 | fp32 resolved for `device` by measured parity with fp32 (see
    pexbench.precision: auto = bf16 only where the shipped table shows it keeps the
    between-haplotype signal, else TF32 on CUDA and fp32 on CPU). The reason is logged."""
    choice = choose_precision(
        precision,
        device_type=device.type,
        model_type=model_type,
        weights=weights,
        sequence_length=sequence_length,
        where=where,
    )
    log.info("%s: %s", where, choice.reason)
    return choice


def autocast_dtype(choice: PrecisionChoice) -> torch.dtype:
    """bfloat16 for bf16 (autocast), float32 otherwise (tf32 is fp32 storage)."""
    return torch.bfloat16 if choice.precision == "bf16" else torch.float32


def set_cuda_math(choice: PrecisionChoice) -> None:
    """TF32 matmuls and cuDNN convolutions on for tf32, off for fp32; bf16 keeps torch's
    settings. Process-wide: call it before the model's first CUDA kernel."""
    if choice.precision == "bf16":
        return
    # fp32 means fp32: cuDNN would otherwise run convolutions in TF32 (10-bit mantissa) by
    # default on Ampere and later
    tf32 = choice.precision == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32


def is_oom(exc: BaseException) -> bool:
    """True for CUDA (or other allocator) out-of-memory errors."""
    if isinstance(exc, torch.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def auto_batch_size(
    device: torch.device,
    bytes_per_sequence: float,
    *,
    free_bytes: int | None = None,
    fraction: float = 0.8,
    cpu_batch: int = 4,
    max_batch: int = MAX_AUTO_BATCH,
) -> int:
    """Batch size that fits `fraction` of the free device memory (CUDA), else `cpu_batch`.

    `bytes_per_sequence` is an estimate of the activation memory of one sequence; the OOM
    backoff of BatchRunner corrects an estimate that is too optimistic.
    """
    if device.type != "cuda":
        return max(1, cpu_batch)
    if free_bytes is None:
        free_bytes, _total = torch.cuda.mem_get_info(device)
    return int(max(1, min(max_batch, (fraction * free_bytes) // max(bytes_per_sequence, 1.0))))


class BatchRunner:
    """Run `forward` over a large batch in device batches, halving the batch on OOM."""

    def __init__(
        self,
        forward: ForwardFn,
        batch_size: int,
        *,
        device: torch.device | None = None,
        where: str = "model",
    ) -> None:
        if batch_size < 1:
            raise ModelError(f"{where}: batch_size must be >= 1, got {batch_size}.")
        self.forward = forward
        self.batch_size = int(batch_size)
        self.device = device or torch.device("cpu")
        self.where = where
        self.backoffs = 0

    def _release(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.empty_cache()

    def run(
        self, codes: npt.NDArray[np.uint8], minus_strand: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.float32]:
        n = len(codes)
        outputs: list[npt.NDArray[np.float32]] = []
        i = 0
        while i < n:
            b = min(self.batch_size, n - i)
            try:
                out = self.forward(codes[i : i + b], minus_strand[i : i + b])
            except Exception as exc:
                if not is_oom(exc):
                    raise
                if b == 1:
                    raise ModelError(
                        f"{self.where}: out of memory on {self.device} with batch size 1 "
                        f"({exc}); free the device, use a GPU with more memory, or "
                        "precision: bf16."
                    ) from exc
            else:
                outputs.append(out)
                i += b
                continue
            # out of the except block: the traceback (and the tensors its frames hold) is gone,
            # so the cache release below can return that memory
            self._release()
            self.batch_size = max(1, b // 2)
            self.backoffs += 1
            log.warning(
                "%s: out of memory on %s at batch size %d; retrying with %d",
                self.where,
                self.device,
                b,
                self.batch_size,
            )
        if not outputs:
            raise ModelError(f"{self.where}: predict called with an empty batch.")
        return np.concatenate(outputs, axis=0)
