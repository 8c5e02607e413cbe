"""load_model dispatch (pexbench.models) and the OOM backoff of the batch runner."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pexbench.errors import ModelError
from pexbench.models import load_model
from pexbench.models.runner import BatchRunner, auto_batch_size, is_oom, resolve_device


def test_load_model_rejects_unknown_type():
    with pytest.raises(ModelError, match=r"models\[2\]\.type: 'basenji9'"):
        load_model({"name": "x", "type": "basenji9"}, index=2)


def test_load_model_dispatches_xpresso(shared_data):
    pytest.importorskip("pexbench.models.xpresso")
    weights = shared_data / "models" / "xpresso_GM12878.h5"
    m = load_model(
        {"name": "xp", "type": "xpresso", "weights": weights.name, "device": "cpu"},
        root=weights.parent,
        index=0,
    )
    assert type(m).__name__ == "XpressoModel" and m.info.name == "xp"


def test_resolve_device_cpu_and_missing_cuda():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ModelError, match="no CUDA device"):
            resolve_device("cuda", where="models[0].device")


def test_auto_batch_size_from_free_memory():
    cuda = torch.device("cuda")
    assert auto_batch_size(cuda, 1.5e9, free_bytes=int(80e9)) == 42  # 0.8*80e9 // 1.5e9
    assert auto_batch_size(cuda, 1.5e9, free_bytes=int(1e9)) == 1
    assert auto_batch_size(cuda, 1.0, free_bytes=int(80e9)) == 64
    assert auto_batch_size(torch.device("cpu"), 1.5e9, cpu_batch=3) == 3


def test_oom_backoff_halves_and_keeps_results():
    calls: list[int] = []

    def forward(codes, minus):
        calls.append(len(codes))
        if len(codes) > 3:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return codes[:, :2].astype(np.float32)[:, None, :] + minus[:, None, None]

    codes = np.arange(40, dtype=np.uint8).reshape(20, 2)
    minus = np.arange(20) % 2 == 0
    runner = BatchRunner(forward, 16, where="models[0]")
    out = runner.run(codes, minus)
    assert runner.batch_size == 2 and runner.backoffs == 3  # 16 -> 8 -> 4 -> 2
    assert calls[:4] == [16, 8, 4, 2]
    np.testing.assert_array_equal(out[:, 0, :], codes.astype(np.float32) + minus[:, None])
    assert sum(c for c in calls if c <= 3) == 20  # every sequence predicted exactly once


def test_oom_at_batch_one_is_a_clear_error():
    def forward(codes, minus):
        raise RuntimeError("CUDA error: out of memory")

    assert is_oom(RuntimeError("CUDA error: out of memory"))
    assert not is_oom(RuntimeError("shape mismatch"))
    runner = BatchRunner(forward, 2, where="models[1]")
    with pytest.raises(ModelError, match=r"models\[1\]: out of memory .* batch size 1"):
        runner.run(np.zeros((2, 4), np.uint8), np.zeros(2, bool))


def test_non_oom_errors_propagate():
    def forward(codes, minus):
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        BatchRunner(forward, 4).run(np.zeros((2, 4), np.uint8), np.zeros(2, bool))
