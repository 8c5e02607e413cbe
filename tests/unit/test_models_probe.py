"""The geometry probe against values computed by hand, base by base, in plain Python."""

from __future__ import annotations

import numpy as np
import pytest

from pexbench.encoding import decode, encode
from pexbench.errors import ModelError
from pexbench.models import load_model
from pexbench.models.probe import ProbeModel

COMP = str.maketrans("ACGTN", "TGCAN")


def hand_values(seq: str, start: int, size: int, minus: bool) -> tuple[int, int]:
    """gc and checksum of seq[start:start+size], read 5'->3' on the gene's strand."""
    chunk = seq[start : start + size]
    if minus:
        chunk = chunk.translate(COMP)[::-1]
    gc = sum(b in "GC" for b in chunk)
    checksum = sum((k + 1) * ("ACGTN".index(b) + 1) for k, b in enumerate(chunk))
    return gc, checksum


def test_probe_equals_hand_computed_bins():
    rng = np.random.default_rng(5)
    seqs = ["".join(rng.choice(list("ACGTN"), 64)) for _ in range(3)]
    codes = np.stack([encode(s) for s in seqs])
    m = ProbeModel(sequence_length=64, bin_size=8, crop_bins=1, tss_bins=3)
    # 8 bins of 8, one cropped per side: 6 output bins from offset 8; TSS 32 -> bin 3
    assert m.bins.tolist() == [2, 3, 4]
    for minus in (False, True):
        got = m.predict(codes, np.full(3, minus))
        assert got.shape == (3, 2, 3)
        for i, s in enumerate(seqs):
            for j, b in enumerate([2, 3, 4]):
                gc, cs = hand_values(s, 8 + 8 * b, 8, minus)
                assert got[i, 0, j] == gc and got[i, 1, j] == cs, (i, b, minus)


def test_probe_checksum_sees_a_one_base_shift():
    m = ProbeModel(sequence_length=64, bin_size=8, crop_bins=1, tss_bins=1)
    seq = encode("ACGT" * 16)
    shifted = np.roll(seq, 1)
    out = m.predict(np.stack([seq, shifted]), np.zeros(2, bool))
    assert out[0, 0, 0] == out[1, 0, 0]  # same GC count
    assert out[0, 1, 0] != out[1, 1, 0]  # checksum differs


def test_probe_mixed_strands_in_one_batch():
    m = ProbeModel(sequence_length=64, bin_size=8, crop_bins=1, tss_bins=3)
    rng = np.random.default_rng(1)
    codes = rng.integers(0, 5, (4, 64)).astype(np.uint8)
    minus = np.array([True, False, True, False])
    mixed = m.predict(codes, minus)
    for i in range(4):
        np.testing.assert_array_equal(mixed[i], m.predict(codes[i : i + 1], minus[i : i + 1])[0])
    s = decode(codes[0])
    assert mixed[0, 1, 1] == hand_values(s, 8 + 8 * 3, 8, True)[1]


def test_probe_from_spec_and_errors():
    m = load_model({"name": "p", "type": "probe", "tracks": ["checksum"], "tss_bins": 1})
    assert m.info.track_names == ("checksum",) and m.info.is_trained is False
    assert m.info.sequence_length == 2048 and m.info.extra["tss_bins"] == "4"
    with pytest.raises(ModelError, match=r"tracks\[0\]: unknown probe track 'AT'"):
        load_model({"name": "p", "type": "probe", "tracks": ["AT"]}, index=0)
    with pytest.raises(ModelError, match="shape"):
        m.predict(np.zeros((1, 100), np.uint8), np.zeros(1, bool))
