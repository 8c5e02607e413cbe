"""Bin geometry and ModelInfo (pexbench.models.base)."""

from __future__ import annotations

import numpy as np
import pytest

from pexbench.errors import ModelError
from pexbench.models.base import BinGeometry, ModelInfo


def test_bin_geometry_of_full_enformer():
    g = BinGeometry(196_608, 128, 320)
    assert (g.n_bins, g.crop_offset, g.tss_bin) == (896, 40_960, 448)
    assert g.tss_bins(3).tolist() == [447, 448, 449]
    assert g.tss_bins(1).tolist() == [448]
    assert g.tss_bins(2).tolist() == [447, 448]
    # bin 448 starts exactly at the TSS base L//2
    assert g.crop_offset + 448 * 128 == 196_608 // 2
    # reverse complement: forward bin 448 covers bases [98304, 98432); in the reverse
    # complement those are [L-98432, L-98304) = bin (L-98432-40960)/128 = 447
    assert g.reverse_bins(np.array([448])).tolist() == [(196_608 - 98_432 - 40_960) // 128]
    with pytest.raises(ModelError, match="only 896 output bins"):
        g.tss_bins(1000)


def test_model_info_label_marks_untrained():
    info = ModelInfo("m", "enformer", "tiny", 4096, ("a",), is_trained=False)
    assert info.label == "m [random weights, not a result]"
    assert ModelInfo("m", "enformer", "x", 1, ("a",), is_trained=True).label == "m"
