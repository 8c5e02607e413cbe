"""Gradient x input and first-order vs exact variant effects (pexbench.interpret.contributions)
on the tiny random Enformer and on Xpresso's real GM12878 weights.

Chain of oracles: (1) the readout at integer one-hots equals the model's own `predict` reduced
by hand; (2) the gradient equals central finite differences of that readout along a base
change (a fractional substitution x + t (e_alt - e_ref)); (3) ISM equals predict(alt) -
predict(ref) computed here. The zero-gradient check uses Xpresso, whose value depends only on
its 10,500-bp gene-strand window inside the 14,000-bp + strand input: the tiny Enformer's
receptive field is global (stem conv 15, six k=5 conv blocks with pooling, then attention over
all 32 positions), so no base of its input is outside it.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import torch
from enformer_pytorch import Enformer

from pexbench.encoding import decode, reverse_complement
from pexbench.errors import InputError, ModelError
from pexbench.interpret.contributions import contributions, variant_effects
from pexbench.interpret.readout import ReadoutSpec, TssReadout
from pexbench.models.enformer import TINY_HPARAMS, EnformerModel
from pexbench.models.xpresso import INPUT_LENGTH, XpressoModel, window_offsets

BASES = np.array(list("ACGT"))


@pytest.fixture(scope="module")
def targets(repo_root):
    return repo_root / "resources" / "demo" / "targets_human.txt"


def tiny(targets, **kw) -> EnformerModel:
    spec = {"name": "tiny", "weights": "tiny", "tracks": [5110, 12], "device": "cpu", **kw}
    return EnformerModel.from_spec(spec, targets=targets)


@pytest.fixture(scope="module")
def xpresso(repo_root) -> XpressoModel:
    return XpressoModel(repo_root / "resources" / "demo" / "xpresso_GM12878.h5")


def random_codes(length: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 4, length).astype(np.uint8)


def snv_table(codes: np.ndarray, index: np.ndarray, start: int, seed: int = 1) -> pd.DataFrame:
    alt = (codes[index] + np.random.default_rng(seed).integers(1, 4, len(index))) % 4
    return pd.DataFrame(
        {
            "variant_id": [f"v{i}" for i in index],
            "pos": index + start,
            "ref": BASES[codes[index]],
            "alt": BASES[alt],
        }
    )


# ----------------------------------------------------------------------------- readout
@pytest.mark.parametrize("rc", [False, True])
@pytest.mark.parametrize("how", ["mean", "sum"])
def test_enformer_readout_is_the_predicted_value(targets, rc, how):
    model = tiny(targets, reverse_complement=rc)
    codes = np.stack([random_codes(4096, s) for s in range(3)])
    values = model.predict(codes, np.zeros(3, bool)).astype(np.float64)  # (3, tracks, bins)
    reduced = values.mean(axis=2) if how == "mean" else values.sum(axis=2)
    for spec, want in [
        (ReadoutSpec(bin_reduce=how), reduced.mean(axis=1)),
        (ReadoutSpec(bin_reduce=how, track=1), reduced[:, 1]),
        (ReadoutSpec(bin_reduce=how, scale="log1p"), np.log1p(reduced).mean(axis=1)),
    ]:
        readout = TssReadout(model, spec)
        with torch.no_grad():
            got = readout(readout.onehot(codes)).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-6)
        np.testing.assert_allclose(readout.predicted(codes), want, rtol=1e-12)
    c = contributions(model, codes[0], spec)  # the last spec: log1p
    assert c.value == pytest.approx(want[0], rel=1e-6)


def test_readout_rejects_other_models_and_tracks(targets):
    with pytest.raises(ModelError, match="Enformer and Xpresso only"):
        TssReadout(object())  # type: ignore[arg-type]
    with pytest.raises(ModelError, match="track index 2"):
        TssReadout(tiny(targets), ReadoutSpec(track=2))
    with pytest.raises(ModelError, match="scale"):
        ReadoutSpec(scale="log")


# ----------------------------------------------------------------------------- gradient
def tiny_with_oracle(targets, rc: bool) -> tuple[EnformerModel, torch.nn.Module]:
    """A tiny Enformer behind EnformerModel, and a float64 copy of the same network with its
    human head kept (EnformerModel drops the net's heads), as an oracle forward."""
    tracks = tiny(targets).tracks
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(5)
        net = Enformer.from_hparams(**TINY_HPARAMS)
        for m in net.modules():
            if isinstance(m, (torch.nn.Conv1d, torch.nn.Linear)):
                torch.nn.init.kaiming_normal_(m.weight, nonlinearity="linear")
    oracle = copy.deepcopy(net).double().eval()
    model = EnformerModel(
        net,
        name="tiny",
        weights="tiny",
        is_trained=False,
        tracks=tracks,
        sequence_length=4096,
        reverse_complement=rc,
        device="cpu",
        precision="fp32",
    )
    return model, oracle


@pytest.mark.parametrize("rc", [False, True])
def test_first_order_is_the_derivative_of_a_base_change(targets, rc):
    """The float32 gradient against float64 central differences of enformer-pytorch's own
    forward (human head, selected tracks at the TSS bins, mean over bins and tracks, averaged
    with the reverse complement's mirrored bins for rc) along e_alt - e_ref, step 1e-3: they
    agree to ~5e-6 of the largest effect; the tolerance is 1e-4 of it. A whole base change
    (exact ISM) differs far more: single bases are not infinitesimal."""
    model, oracle = tiny_with_oracle(targets, rc)
    codes = random_codes(4096)
    c = contributions(model, codes)
    index = np.random.default_rng(2).choice(4096, 24, replace=False)
    effects = variant_effects(model, c, snv_table(codes, index, 0), sequence_start=0)
    first = effects["first_order"].to_numpy()
    alt = np.searchsorted(BASES, effects["alt"].to_numpy())
    tracks = [t.index for t in model.tracks]
    bins, rbins = model.bins, model.geometry.n_bins - 1 - model.bins

    def readout(x: torch.Tensor) -> torch.Tensor:
        out = oracle(x, head="human")[:, bins][:, :, tracks]
        if rc:
            out = (out + oracle(x.flip((1, 2)), head="human")[:, rbins][:, :, tracks]) / 2
        return out.mean(dim=(1, 2))

    x = torch.from_numpy(np.eye(5, 4)[codes][None])
    t = 1e-3
    d = torch.zeros(len(index), 4096, 4, dtype=torch.float64)
    d[np.arange(len(index)), index, alt] = t
    d[np.arange(len(index)), index, codes[index].astype(np.int64)] = -t
    with torch.no_grad():
        fd = ((readout(x + d) - readout(x - d)) / (2 * t)).numpy()
        assert c.value == pytest.approx(float(readout(x)[0]), rel=1e-5)
    scale = np.abs(first).max()
    assert scale > 1e-4  # the tiny model does respond to single bases
    np.testing.assert_allclose(first, fd, rtol=0, atol=1e-4 * scale)
    # ISM is the exact effect: predict(alt) - predict(ref), computed here
    alt_codes = np.repeat(codes[None], len(index), axis=0)
    alt_codes[np.arange(len(index)), index] = alt
    pred = model.predict(np.vstack([codes[None], alt_codes]), np.zeros(len(index) + 1, bool))
    ism = pred.astype(np.float64).mean(axis=2).mean(axis=1)
    # (float32 outputs of ~1 differ by ~1e-7 between batch sizes, hence atol)
    np.testing.assert_allclose(effects["ism"], ism[1:] - ism[0], rtol=0, atol=5e-7)
    # first order tracks ISM only roughly on this random model (r ~0.6-0.8)
    assert np.corrcoef(first, effects["ism"])[0, 1] > 0.5
    assert np.abs(first - fd).max() < 0.01 * np.abs(first - effects["ism"]).max()


def test_grad_x_input_and_snv_map(targets):
    model = tiny(targets)
    codes = random_codes(4096, 5)
    codes[100:150] = 4
    c = contributions(model, codes)
    assert c.gradient.shape == (4096, 4) and c.grad_x_input.shape == (4096,)
    i = np.arange(4096)
    ok = codes < 4
    np.testing.assert_array_equal(c.grad_x_input[ok], c.gradient[i[ok], codes[ok]])
    assert (c.grad_x_input[~ok] == 0).all() and np.abs(c.gradient[~ok]).max() > 0
    snv = c.snv_map()
    np.testing.assert_array_equal(snv[i[ok], codes[ok]], 0.0)
    np.testing.assert_array_equal(snv[~ok], c.gradient[~ok])
    effects = variant_effects(
        model, c, snv_table(codes, np.arange(0, 4096, 97), 500), sequence_start=500
    )
    idx = effects["index"].to_numpy()
    alt = np.searchsorted(BASES, effects["alt"].to_numpy())
    np.testing.assert_allclose(effects["first_order"], snv[idx, alt], rtol=1e-6)


def test_log1p_scale_is_the_chain_rule(targets):
    model = tiny(targets)
    codes = random_codes(4096, 3)
    raw = contributions(model, codes, ReadoutSpec(track=0))
    logged = contributions(model, codes, ReadoutSpec(track=0, scale="log1p"))
    assert logged.value == pytest.approx(np.log1p(raw.value), rel=1e-6)
    want = raw.gradient / (1 + raw.value)
    np.testing.assert_allclose(logged.gradient, want, rtol=0, atol=1e-5 * np.abs(want).max())


# ----------------------------------------------------------------------------- Xpresso
@pytest.mark.parametrize("minus", [False, True])
def test_xpresso_gradient_is_zero_outside_its_window(xpresso, minus):
    length = xpresso.sequence_length
    plus_start, minus_start = window_offsets(length, xpresso.tss_index)
    start = minus_start if minus else plus_start
    outside = np.ones(length, bool)
    outside[start : start + INPUT_LENGTH] = False
    codes = random_codes(length, 11)
    c = contributions(xpresso, codes, ReadoutSpec(minus_strand=minus))
    assert outside.sum() == length - INPUT_LENGTH
    assert (c.gradient[outside] == 0).all()
    assert np.count_nonzero(c.gradient[~outside]) > 1000
    # independently: bases outside the window do not move the prediction at all
    changed = codes.copy()
    changed[outside] = random_codes(length, 12)[outside]
    changed[outside] = np.where(
        changed[outside] == codes[outside], (codes[outside] + 1) % 4, changed[outside]
    )
    flags = np.array([minus, minus])
    pred = xpresso.predict(np.stack([codes, changed]), flags)
    assert pred[0, 0, 0] == pred[1, 0, 0]
    assert c.value == pytest.approx(float(pred[0, 0, 0]), rel=1e-6)


def test_xpresso_minus_strand_gradient_maps_to_plus_strand(xpresso):
    """Gradient taken by hand on the reverse-complemented window, mapped back base by base."""
    length = xpresso.sequence_length
    _, start = window_offsets(length, xpresso.tss_index)
    codes = random_codes(length, 13)
    c = contributions(xpresso, codes, ReadoutSpec(minus_strand=True))
    window = reverse_complement(codes[start : start + INPUT_LENGTH])
    x = torch.from_numpy(np.eye(5, 4, dtype=np.float32)[window][None]).requires_grad_(True)
    xpresso.net(x, torch.zeros(1, xpresso.n_halflife)).sum().backward()
    g = x.grad[0].numpy()  # gene strand: row j = + strand start + L - 1 - j, base b = 3 - b
    want = np.zeros((length, 4), np.float32)
    for j in range(INPUT_LENGTH):
        want[start + INPUT_LENGTH - 1 - j] = g[j, ::-1]
    np.testing.assert_allclose(c.gradient, want, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("minus", [False, True])
def test_xpresso_first_order_against_ism(xpresso, minus):
    length = xpresso.sequence_length
    plus_start, minus_start = window_offsets(length, xpresso.tss_index)
    start = minus_start if minus else plus_start
    codes = random_codes(length, 21)
    spec = ReadoutSpec(minus_strand=minus)
    c = contributions(xpresso, codes, spec)
    index = np.arange(start, start + INPUT_LENGTH, 97)
    effects = variant_effects(xpresso, c, snv_table(codes, index, 1_000), sequence_start=1_000)
    assert effects.attrs["counts"] == {"n_snv": len(index), "n_indels_ism_only": 0, "n_outside": 0}
    # the ReLU / max-pool network is piecewise linear: most first-order effects are close
    assert np.corrcoef(effects["first_order"], effects["ism"])[0, 1] > 0.5
    alt = np.searchsorted(BASES, effects["alt"].to_numpy())
    alt_codes = np.repeat(codes[None], len(index), axis=0)
    alt_codes[np.arange(len(index)), index] = alt
    pred = xpresso.predict(np.vstack([codes[None], alt_codes]), np.full(len(index) + 1, minus))
    np.testing.assert_allclose(effects["ism"], pred[1:, 0, 0] - pred[0, 0, 0], atol=1e-7)


# ----------------------------------------------------------------------------- variant table
def test_indels_get_ism_only_and_are_counted(xpresso):
    length = xpresso.sequence_length
    codes = random_codes(length, 31)
    c = contributions(xpresso, codes)
    tss = length // 2
    variants = pd.DataFrame(
        {
            "variant_id": ["snv", "del", "ins", "far"],
            "pos": [tss + 10, tss + 20, tss - 30, 10**6],
            "ref": [
                decode(codes[tss + 10 : tss + 11]),
                decode(codes[tss + 20 : tss + 23]),
                decode(codes[tss - 30 : tss - 29]),
                "A",
            ],
            "alt": [
                "A" if codes[tss + 10] != 0 else "C",
                decode(codes[tss + 20 : tss + 21]),
                decode(codes[tss - 30 : tss - 29]) + "GG",
                "C",
            ],
        }
    )
    with pytest.raises(InputError, match="'del' is not an SNV"):
        variant_effects(xpresso, c, variants, sequence_start=0)

    def build(row: pd.Series) -> np.ndarray:
        """Anchored at the TSS: a deletion downstream pulls bases in from the right, an insertion
        upstream pushes bases out on the left."""
        i = int(row["index"])
        if row["variant_id"] == "del":
            return np.concatenate([codes[: i + 1], codes[i + 3 :], codes[:2]])
        return np.concatenate([codes[2 : i + 1], np.array([2, 2], np.uint8), codes[i + 1 :]])

    out = variant_effects(xpresso, c, variants, sequence_start=0, build_alt=build)
    assert out.attrs["counts"] == {"n_snv": 1, "n_indels_ism_only": 2, "n_outside": 1}
    assert out["kind"].tolist() == ["snv", "indel", "indel", "outside sequence"]
    assert np.isfinite(out["first_order"]).tolist() == [True, False, False, False]
    assert np.isfinite(out["ism"]).tolist() == [True, True, True, False]
    ref = xpresso.predict(codes[None], np.zeros(1, bool))[0, 0, 0]
    deleted = xpresso.predict(build(out.iloc[1])[None], np.zeros(1, bool))[0, 0, 0]
    assert out["ism"].iloc[1] == pytest.approx(float(deleted) - float(ref), abs=1e-7)


def test_ref_mismatch_names_the_variant(targets):
    model = tiny(targets)
    codes = random_codes(4096)
    c = contributions(model, codes)
    wrong = BASES[(codes[2000] + 1) % 4]
    table = pd.DataFrame({"variant_id": ["rs1"], "pos": [12_000], "ref": [wrong], "alt": ["A"]})
    with pytest.raises(InputError, match="'rs1' at 12000: REF"):
        variant_effects(model, c, table, sequence_start=10_000)


def test_works_inside_inference_mode(xpresso):
    codes = random_codes(xpresso.sequence_length, 41)
    want = contributions(xpresso, codes)
    with torch.inference_mode():
        got = contributions(xpresso, codes)
    np.testing.assert_array_equal(got.gradient, want.gradient)
