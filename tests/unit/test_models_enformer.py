"""EnformerModel on CPU with the tiny random model: outputs against the library's own forward,
reverse-complement averaging, local weight directories, and the errors a user can hit."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from enformer_pytorch import Enformer

from pexbench.encoding import reverse_complement
from pexbench.errors import ModelError
from pexbench.models import load_model
from pexbench.models.enformer import TINY_HPARAMS, _is_official_arch, _reinit_tiny

TRACKS = [5110, 12, 0]


@pytest.fixture(scope="module")
def targets(shared_data):
    return shared_data / "enformer" / "targets_human.txt"


def tiny(targets, **kw):
    spec = {"name": "tiny", "type": "enformer", "weights": "tiny", "tracks": TRACKS, **kw}
    return load_model(spec, targets=targets, index=0)


def oracle_net(seed=0, heads=None):
    """The same tiny network built directly with enformer-pytorch (all heads kept)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        hp = dict(TINY_HPARAMS)
        if heads:
            hp["output_heads"] = heads
        net = Enformer.from_hparams(**hp)
        _reinit_tiny(net)
    return net.eval()


def random_codes(n, length=4096, seed=1):
    codes = np.random.default_rng(seed).integers(0, 4, (n, length)).astype(np.uint8)
    codes[0, 100:200] = 4  # an N stretch
    return codes


def test_tiny_info_cannot_pass_for_a_result(targets):
    m = tiny(targets)
    assert m.info.is_trained is False
    assert "random weights, not a result" in m.info.weights
    assert m.info.label.endswith("[random weights, not a result]")
    assert m.info.sequence_length == 4096
    assert m.info.track_names[0] == "5110:CAGE:B lymphoblastoid cell line: GM12878 ENCODE, biol_"
    assert m.info.extra["tss_bins"] == "7,8,9"  # (2048 - 1024) // 128 = 8 of 16 bins
    assert m.info.extra["precision"] == "fp32" and m.info.extra["device"] == "cpu"


def test_tiny_matches_library_forward_at_tss_bins(targets):
    m = tiny(targets, batch_size=2)
    codes = random_codes(5)
    got = m.predict(codes, np.zeros(5, bool))
    assert got.shape == (5, 3, 3) and got.dtype == np.float32
    with torch.inference_mode():
        # library path: long indices, N (4) -> all-zero one-hot, human head, all 5313 tracks
        full = oracle_net()(torch.from_numpy(codes.astype(np.int64)), head="human").numpy()
    assert full.shape == (5, 16, 5313)
    want = full[:, 7:10, :][:, :, TRACKS].transpose(0, 2, 1)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    # outputs depend on the sequence (not a constant model)
    assert np.ptp(got[:, 0, 1]) > 1e-3


def test_batch_size_and_strand_flag_do_not_change_outputs(targets):
    codes = random_codes(5)
    a = tiny(targets, batch_size=1).predict(codes, np.zeros(5, bool))
    b = tiny(targets, batch_size=8).predict(codes, np.ones(5, bool))
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_seed_changes_weights(targets):
    codes = random_codes(2)
    a = tiny(targets, seed=0).predict(codes, np.zeros(2, bool))
    b = tiny(targets, seed=1).predict(codes, np.zeros(2, bool))
    assert not np.allclose(a, b)


def test_reverse_complement_average(targets):
    codes = random_codes(3)
    got = tiny(targets, reverse_complement=True).predict(codes, np.zeros(3, bool))
    net = oracle_net()
    with torch.inference_mode():
        fwd = net(torch.from_numpy(codes.astype(np.int64)), head="human").numpy()
        rc = reverse_complement(codes).astype(np.int64)
        rev = net(torch.from_numpy(rc), head="human").numpy()[:, ::-1]  # flip bins back
    want = ((fwd + rev) / 2)[:, 7:10, :][:, :, TRACKS].transpose(0, 2, 1)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    # the flip is needed: without it, the average differs
    wrong = ((fwd + rev[:, ::-1]) / 2)[:, 7:10, :][:, :, TRACKS].transpose(0, 2, 1)
    assert not np.allclose(got, wrong, rtol=1e-5, atol=1e-6)


def test_bf16_autocast_on_cpu_is_close_to_fp32(targets):
    codes = random_codes(4)
    a = tiny(targets).predict(codes, np.zeros(4, bool))
    b = tiny(targets, precision="bf16").predict(codes, np.zeros(4, bool))
    assert tiny(targets, precision="bf16").info.extra["precision"] == "bf16-autocast"
    np.testing.assert_allclose(a, b, rtol=0.05)


def test_wrong_input_shape_is_an_error(targets):
    m = tiny(targets)
    with pytest.raises(ModelError, match=r"shape \(batch, 4096\)"):
        m.predict(np.zeros((2, 4000), np.uint8), np.zeros(2, bool))


def test_local_directory_weights_and_only_human_head(targets, tmp_path):
    # a saved model with human AND mouse heads, as the official checkpoint has
    net = oracle_net(seed=3, heads=dict(human=5313, mouse=16))
    net.save_pretrained(tmp_path / "w", safe_serialization=False)
    spec = {
        "name": "local",
        "type": "enformer",
        "weights": "w",
        "tracks": TRACKS,
        "sequence_length": 4096,
    }
    m = load_model(spec, targets=targets, root=tmp_path, index=0)
    assert m.info.is_trained and m.info.weights == str(tmp_path / "w")
    assert m.info.extra["use_tf_gamma"] == "false"  # not the official architecture
    assert len(m.net._heads) == 0  # only the selected rows of the human head are kept
    codes = random_codes(2)
    with torch.inference_mode():
        want = net(torch.from_numpy(codes.astype(np.int64)), head="human").numpy()
    np.testing.assert_allclose(
        m.predict(codes, np.zeros(2, bool)),
        want[:, 7:10, :][:, :, TRACKS].transpose(0, 2, 1),
        rtol=1e-5,
        atol=1e-6,
    )


def test_tf_gamma_requires_196608(targets, tmp_path):
    oracle_net().save_pretrained(tmp_path / "w", safe_serialization=False)
    spec = {
        "name": "x",
        "type": "enformer",
        "weights": str(tmp_path / "w"),
        "use_tf_gamma": True,
        "sequence_length": 4096,
    }
    with pytest.raises(ModelError, match=r"exactly 196,608 bp .* sequence_length is 4,096"):
        load_model(spec, targets=targets, index=0)
    assert _is_official_arch(
        {"dim": 1536, "depth": 11, "heads": 8, "output_heads": {"human": 5313, "mouse": 1643}}
    )
    assert not _is_official_arch(
        {"dim": 96, "depth": 1, "heads": 2, "output_heads": {"human": 5313}}
    )


def test_missing_local_directory_is_a_clear_error(targets, tmp_path):
    spec = {"name": "x", "type": "enformer", "weights": str(tmp_path / "nope")}
    with pytest.raises(ModelError) as err:
        load_model(spec, targets=targets, index=3)
    msg = str(err.value)
    assert "models[3].weights" in msg and "huggingface-cli download" in msg and "nope" in msg


def test_hf_id_offline_is_a_clear_error(targets, tmp_path):
    code = (
        "from pexbench.models import load_model\n"
        "from pexbench.errors import ModelError\n"
        "from pexbench.models.enformer import OFFICIAL_ID\n"
        "try:\n"
        "    spec = {'name': 'e', 'type': 'enformer', 'weights': OFFICIAL_ID}\n"
        f"    load_model(spec, targets={str(targets)!r}, index=0)\n"
        "except ModelError as e:\n"
        "    print('MODELERROR', e)\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=240
    )
    assert "MODELERROR" in out.stdout, out.stderr[-2000:]
    assert "models[0].weights" in out.stdout
    assert "HF_HUB_OFFLINE is set" in out.stdout
    assert "--local-dir" in out.stdout


def test_unknown_track_via_load_model(targets):
    with pytest.raises(ModelError, match=r"models\[0\]\.tracks\[1\]: unknown track 'CAGE:nowhere'"):
        tiny(targets, tracks=[5110, "CAGE:nowhere"])


def test_gpu_benchmark_runs_in_tiny_cpu_mode(targets, tmp_path, repo_root):
    import importlib.util
    import json

    path = repo_root / "tests" / "benchmarks" / "bench_enformer_gpu.py"
    spec = importlib.util.spec_from_file_location("bench_enformer_gpu", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out_json = tmp_path / "bench.json"
    threads = torch.get_num_threads()
    try:
        bench.main(
            [
                "--tiny",
                "--device",
                "cpu",
                "--threads",
                "1",
                "--batch-sizes",
                "1,2",
                "--repeats",
                "1",
                "--warmup",
                "0",
                "--n-agree",
                "4",
                "--targets",
                str(targets),
                "--json",
                str(out_json),
            ]
        )
    finally:
        torch.set_num_threads(threads)
    out = json.loads(out_json.read_text())
    assert out["model"] == "enformer-tiny" and out["device"] == "cpu"
    assert "not a result" in out["weights"]
    assert out["flop_per_forward_counted"] > 1e8
    rows = out["results"]
    assert [(r["precision"], r["batch_size"]) for r in rows] == [
        ("bf16", 1),
        ("bf16", 2),
        ("fp32", 1),
        ("fp32", 2),
    ]
    for r in rows:
        assert set(bench.RESULT_KEYS) <= set(r) and r["oom"] is False
        assert r["forwards_per_s"] == pytest.approx(r["batch_size"] / r["seconds_per_batch"])
        peak = out["peak_flops"][r["precision"]]
        assert r["mfu"] == pytest.approx(
            r["forwards_per_s"] * out["flop_per_forward_counted"] / peak
        )
    agree = out["agreement"]
    assert agree["n_values"] == 4 * 5313 * 3  # all tracks x 3 TSS bins
    # fp32 twice on the same inputs: bit-identical (determinism), r exactly 1
    assert agree["max_abs_diff_fp32_vs_fp32"] == 0.0 and agree["pearson_fp32_vs_fp32"] == 1.0
    # bf16 really ran (not identical to fp32) and stays close to it
    assert 0.99 < agree["pearson_bf16_vs_fp32"] < 1.0


@pytest.mark.parametrize(("precision", "tf32"), [("fp32", False), ("bf16", True)])
def test_cuda_set_up_runs_before_any_device_transfer(targets, monkeypatch, precision, tf32):
    """The CUDA branch of the constructor, reached on a CPU by pretending the device is CUDA:
    precision is resolved and TF32 switched off for fp32 before the first transfer, which is
    where a CPU-only torch stops."""
    import pexbench.models.enformer as enformer

    if torch.cuda.is_available():
        pytest.skip("a real GPU is present: the other tests cover it")
    monkeypatch.setattr(enformer, "resolve_device", lambda *a, **k: torch.device("cuda"))
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = True
    try:
        with pytest.raises((AssertionError, RuntimeError), match="CUDA"):
            tiny(targets, device="cuda", precision=precision)
        assert torch.backends.cudnn.allow_tf32 is tf32
        assert torch.backends.cuda.matmul.allow_tf32 is tf32
        assert torch.backends.cudnn.benchmark is False
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved
