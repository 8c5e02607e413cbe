"""Attention from the TSS (pexbench.interpret.attention) on tiny random Enformers.

The oracle recomputes each layer's full n x n attention the way enformer-pytorch's
`Attention.forward` does (all rows, `relative_shift` on the full relative logits), from the
layer input recorded by the test's own hook; it shares no code with the capture, which forms only
the query rows and gathers the relative keys by index. The oracle is itself checked against the
library: its attention times the values, through `to_out`, must give the layer's real output.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from einops import rearrange
from enformer_pytorch import Enformer
from enformer_pytorch.modeling_enformer import Attention, get_positional_embed, relative_shift

from pexbench.interpret.attention import capture_attention, query_positions, tss_attention
from pexbench.models.base import BinGeometry
from pexbench.models.enformer import TINY_HPARAMS, EnformerModel


@pytest.fixture(scope="module")
def model(repo_root) -> EnformerModel:
    """A tiny Enformer with two transformer layers (TINY_HPARAMS has one) and 2 heads, weights
    drawn so that signals neither vanish nor leave `to_out` at its zero init."""
    spec = {"name": "t", "weights": "tiny", "tracks": [5110, 12]}
    tracks = EnformerModel.from_spec(spec, targets=repo_root / "resources/demo/targets_human.txt")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        net = Enformer.from_hparams(**{**TINY_HPARAMS, "depth": 2})
        for m in net.modules():
            if isinstance(m, (torch.nn.Conv1d, torch.nn.Linear)):
                torch.nn.init.kaiming_normal_(m.weight, nonlinearity="linear")
    return EnformerModel(
        net,
        name="tiny2",
        weights="tiny",
        is_trained=False,
        tracks=tracks.tracks,
        sequence_length=4096,
        device="cpu",
        precision="fp32",
    )


@pytest.fixture(scope="module")
def codes() -> np.ndarray:
    c = np.random.default_rng(7).integers(0, 4, (3, 4096)).astype(np.uint8)
    c[1, :300] = 4  # an N stretch
    return c


def oracle_attention(module: Attention, x: torch.Tensor) -> torch.Tensor:
    """Full (B, heads, n, n) attention, step by step as Attention.forward."""
    n, h = x.shape[-2], module.heads
    q = rearrange(module.to_q(x), "b n (h d) -> b h n d", h=h) * module.scale
    k = rearrange(module.to_k(x), "b n (h d) -> b h n d", h=h)
    content = torch.einsum("bhid,bhjd->bhij", q + module.rel_content_bias, k)
    pos = get_positional_embed(n, module.num_rel_pos_features, x.device, use_tf_gamma=False)
    rel_k = rearrange(module.to_rel_k(pos), "n (h d) -> h n d", h=h)
    rel = relative_shift(torch.einsum("bhid,hjd->bhij", q + module.rel_pos_bias, rel_k))
    return (content + rel).softmax(dim=-1)


def record_layers(net: torch.nn.Module, onehot: torch.Tensor) -> list[tuple[Attention, ...]]:
    """(module, input, output) of every Attention layer in one forward."""
    seen: list[tuple] = []
    hooks = [
        m.register_forward_hook(lambda mod, args, out: seen.append((mod, args[0], out)))
        for m in net.modules()
        if isinstance(m, Attention)
    ]
    try:
        with torch.no_grad():
            net.trunk(onehot)
    finally:
        for hook in hooks:
            hook.remove()
    return seen


def test_query_positions_are_tss_bins_shifted_by_the_crop(model):
    # tiny: 32 positions, 16 output bins, 8 cropped per side; TSS bins 7-9 -> positions 15-17
    assert model.geometry.crop_bins == 8
    assert query_positions(model.geometry, model.bins).tolist() == [15, 16, 17]
    # full Enformer: 1,536 positions, 320 cropped; Huang et al.'s bins 447-449 -> 767-769
    full = BinGeometry(196_608, 128, 320)
    assert query_positions(full, full.tss_bins(3)).tolist() == [767, 768, 769]
    # the TSS base (L // 2) lies in the middle query position
    assert 768 * 128 <= 196_608 // 2 < 769 * 128


def test_captured_weights_equal_independent_recomputation(model, codes):
    got = tss_attention(model, codes, dtype=np.float32, batch_size=2)
    n_pos = 4096 // 128
    assert got.weights.shape == (3, 2, 2, 3, n_pos) and got.weights.dtype == np.float32
    rows = [15, 16, 17]
    onehot = torch.from_numpy(np.eye(5, 4, dtype=np.float32)[codes])
    layers = record_layers(model.net, onehot)
    assert len(layers) == 2
    for layer, (module, x, out) in enumerate(layers):
        with torch.no_grad():
            full = oracle_attention(module, x)
            # the oracle is the model's attention: it reproduces the layer's output
            v = rearrange(module.to_v(x), "b n (h d) -> b h n d", h=module.heads)
            mixed = rearrange(torch.einsum("bhij,bhjd->bhid", full, v), "b h n d -> b n (h d)")
            torch.testing.assert_close(module.to_out(mixed), out, rtol=1e-5, atol=1e-5)
        want = full[:, :, rows, :].numpy()
        np.testing.assert_allclose(got.weights[:, layer], want, rtol=0, atol=1e-5)
    # each row is a distribution (fp32, before any cast)
    np.testing.assert_allclose(got.weights.sum(axis=-1), 1.0, atol=1e-5)
    assert (got.weights >= 0).all()


def test_float16_output_is_the_rounded_float32(model, codes):
    f32 = tss_attention(model, codes[:1], dtype=np.float32)
    f16 = tss_attention(model, codes[:1])
    assert f16.weights.dtype == np.float16
    np.testing.assert_array_equal(f16.weights, f32.weights.astype(np.float16))
    # rows still sum to 1 up to float16 rounding of 32 values (~2**-11 each)
    np.testing.assert_allclose(f16.weights.astype(np.float32).sum(-1), 1.0, atol=32 * 2**-11)


def test_profile_averages_layers_heads_and_queries(model, codes):
    att = tss_attention(model, codes, dtype=np.float32)
    prof = att.profile()
    assert prof.shape == (3, 32)
    np.testing.assert_allclose(prof, att.weights.mean(axis=(1, 2, 3)), rtol=1e-6)
    np.testing.assert_allclose(prof.sum(axis=1), 1.0, atol=1e-5)
    per_base = att.per_base()
    assert per_base.shape == (3, 4096)
    np.testing.assert_allclose(per_base[:, :128].sum(axis=1), prof[:, 0], rtol=1e-5)
    np.testing.assert_allclose(per_base.sum(axis=1), 1.0, atol=1e-5)


def test_capturing_does_not_change_the_model_output(model, codes):
    minus = np.zeros(len(codes), bool)
    before = model.predict(codes, minus)
    with capture_attention(model.net, [15, 16, 17]) as store:
        during = model.predict(codes, minus)
        assert len(store) >= 2  # the hooks ran (2 layers per forward batch)
    after = model.predict(codes, minus)
    np.testing.assert_array_equal(before, during)
    np.testing.assert_array_equal(before, after)
    # hooks are gone afterwards
    assert all(not m._forward_pre_hooks for m in model.net.modules() if isinstance(m, Attention))


def test_attention_depends_on_the_sequence(model, codes):
    att = tss_attention(model, codes, dtype=np.float32).weights
    assert np.abs(att[0] - att[2]).max() > 1e-4
