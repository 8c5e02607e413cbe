"""Track selection, bin geometry, load_model dispatch and the OOM backoff of the batch runner."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pexbench.errors import ModelError
from pexbench.models import load_model
from pexbench.models.base import BinGeometry, ModelInfo
from pexbench.models.runner import BatchRunner, auto_batch_size, is_oom, resolve_device
from pexbench.models.tracks import TrackTable

GM12878_CAGE = "CAGE:B lymphoblastoid cell line: GM12878 ENCODE, biol_"


@pytest.fixture(scope="module")
def targets(shared_data):
    return shared_data / "enformer" / "targets_human.txt"


@pytest.fixture(scope="module")
def table(targets):
    return TrackTable.read(targets)


def test_track_table_reads_the_5313_human_tracks(table, targets):
    assert len(table) == 5313
    # independent read of the file: line 5110 + header
    line = targets.read_text().splitlines()[5111].split("\t")
    assert line[0] == "5110" and line[2] == "CNhs12333" and line[-1] == GM12878_CAGE
    t = table.select_one(5110)
    assert (t.index, t.identifier, t.description) == (5110, "CNhs12333", GM12878_CAGE)


@pytest.mark.parametrize(
    "key", [5110, "5110", "CNhs12333", GM12878_CAGE, "cage:b lymphoblastoid cell line: gm12878"]
)
def test_track_by_index_identifier_description_substring(table, key):
    assert table.select_one(key).index == 5110


def test_ambiguous_description_lists_candidates(table):
    # DNASE:GM12878 is the exact description of tracks 12 and 69 (NOTES/SOURCES)
    with pytest.raises(ModelError, match="ambiguous") as err:
        table.select_one("DNASE:GM12878")
    assert "  12: DNASE:GM12878" in str(err.value) and "  69: DNASE:GM12878" in str(err.value)
    with pytest.raises(ModelError, match=r"matches \d+ tracks"):
        table.select_one("GM12878")


def test_unknown_track_lists_close_matches(table):
    with pytest.raises(ModelError, match="unknown track") as err:
        table.select_one("CAGE:B lymphoblastoid cell line: GM12887 ENCODE, biol_")
    assert "5110: " + GM12878_CAGE in str(err.value)
    with pytest.raises(ModelError, match="out of range"):
        table.select_one(5313)
    with pytest.raises(ModelError, match="both select track 5110"):
        table.select([5110, "CNhs12333"])


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


def test_load_model_rejects_unknown_type():
    with pytest.raises(ModelError, match=r"models\[2\]\.type: 'basenji9'"):
        load_model({"name": "x", "type": "basenji9"}, index=2)


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


def test_load_model_dispatches_xpresso(shared_data):
    pytest.importorskip("pexbench.models.xpresso")
    weights = shared_data / "models" / "xpresso_GM12878.h5"
    m = load_model(
        {"name": "xp", "type": "xpresso", "weights": weights.name, "device": "cpu"},
        root=weights.parent,
        index=0,
    )
    assert type(m).__name__ == "XpressoModel" and m.info.name == "xp"


def test_spec_sequence_length_matches_loaded_models(shared_data):
    from pexbench.models import spec_sequence_length

    targets = shared_data / "enformer" / "targets_human.txt"
    specs = [
        {"name": "t", "type": "enformer", "weights": "tiny"},
        {"name": "p", "type": "probe"},
        {"name": "p2", "type": "probe", "sequence_length": 1536},
        {"name": "x", "type": "xpresso", "weights": str(shared_data / "models/xpresso_GM12878.h5")},
    ]
    for spec in specs:
        if spec["type"] == "xpresso":
            pytest.importorskip("pexbench.models.xpresso")
        model = load_model(spec, targets=targets)
        assert spec_sequence_length(spec) == model.info.sequence_length
    assert spec_sequence_length({"type": "enformer", "weights": "EleutherAI/x"}) == 196_608
