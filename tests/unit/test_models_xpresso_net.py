"""The torch layers of Xpresso (pexbench.models.xpresso_net): Keras padding and the chunked
CPU path against the one-product path used on GPUs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from pexbench.models.xpresso import CPU_CHUNK_ROWS, XpressoModel
from pexbench.models.xpresso_net import keras_same_padding

WEIGHTS = "models/xpresso_GM12878.h5"
LEN = 14_000


@pytest.fixture(scope="module")
def model(shared_data: Path) -> XpressoModel:
    return XpressoModel(shared_data / WEIGHTS, batch_size=4)


def test_keras_same_padding_is_right_heavy() -> None:
    assert keras_same_padding(6) == (2, 3)  # conv1d_1 of the GM12878 model
    assert keras_same_padding(9) == (4, 4)
    assert keras_same_padding(4, dilation=3) == (4, 5)


def test_unchunked_and_cuda_paths_agree(model: XpressoModel) -> None:
    rng = np.random.default_rng(11)
    codes = rng.integers(0, 4, size=(3, LEN), dtype=np.uint8)
    minus = np.array([True, False, True])
    chunked = model.predict(codes, minus)
    model.net.set_chunking(None)  # the one-product path used on GPUs
    try:
        whole = model.predict(codes, minus)
    finally:
        model.net.set_chunking(CPU_CHUNK_ROWS)
    np.testing.assert_allclose(whole, chunked, rtol=0, atol=1e-6)
    if torch.cuda.is_available():
        gpu = XpressoModel(Path(model.info.weights), device="cuda").predict(codes, minus)
        np.testing.assert_allclose(gpu, chunked, rtol=0, atol=1e-5)
