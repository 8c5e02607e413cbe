"""pexbench.models.runner: precision resolution wired to the parity table, CUDA math modes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from pexbench.models import load_model
from pexbench.models.runner import autocast_dtype, resolve_precision, set_cuda_math
from pexbench.precision import PrecisionChoice

TINY = dict(model_type="enformer", weights="tiny", sequence_length=4096)


@pytest.fixture
def restore_tf32() -> Iterator[None]:
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


@pytest.mark.parametrize(
    ("device", "requested", "want", "dtype"),
    [
        ("cpu", "auto", "fp32", torch.float32),  # the shipped CPU row rejects bf16
        ("cuda", "auto", "tf32", torch.float32),  # no cuda row has been measured
        ("cuda", "bf16", "bf16", torch.bfloat16),
        ("cpu", "tf32", "fp32", torch.float32),
    ],
)
def test_resolve_precision_uses_the_device_type(
    device: str, requested: str, want: str, dtype: torch.dtype
) -> None:
    # torch.device("cuda") is only a name here: nothing touches a GPU
    choice = resolve_precision(requested, torch.device(device), where="models[0].precision", **TINY)
    assert choice.precision == want and autocast_dtype(choice) == dtype


@pytest.mark.parametrize(("precision", "tf32"), [("tf32", True), ("fp32", False)])
def test_set_cuda_math(restore_tf32: None, precision: str, tf32: bool) -> None:
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = not tf32
    set_cuda_math(PrecisionChoice(precision, precision, "test"))
    assert torch.backends.cuda.matmul.allow_tf32 is tf32
    assert torch.backends.cudnn.allow_tf32 is tf32


def test_bf16_keeps_torch_math_settings(restore_tf32: None) -> None:
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = False, True
    set_cuda_math(PrecisionChoice("bf16", "bf16", "test"))
    assert (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32) == (False, True)


def test_enformer_reports_the_choice_and_its_reason(repo_root: Path) -> None:
    spec = {"name": "t", "type": "enformer", "weights": "tiny", "device": "cpu"}
    model = load_model(spec, targets=repo_root / "resources/demo/targets_human.txt", index=0)
    extra = model.info.extra
    assert extra["precision"] == "fp32"
    assert extra["precision_reason"].startswith("auto: bf16 rejected: measured centred r")
    assert "enformer/tiny/4096 bp on cpu" in extra["precision_reason"]
