"""Xpresso port: checked against an independent numpy forward pass of the Keras HDF5 weights.

Sequences come from `reference/chr22.synthetic_background.fa.gz`: synthetic background bases
with the real REF alleles of the bundled VCFs at their true GRCh37 positions (not real hg19
sequence, so the predictions themselves mean nothing biologically), around real GENCODE v19
TSSs, and personal haplotypes of HG00096 made by `bcftools consensus` (pysam) from the real
phased 1000 Genomes VCF (SNVs only, as Huang et al. used). The oracle below reads the HDF5 file
with h5py and implements Keras' layers directly (TensorFlow `same` padding, channels-last
Flatten); it shares no code with pexbench.models.xpresso (and its xpresso_keras, xpresso_net).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import h5py
import numpy as np
import pysam
import pysam.bcftools
import pytest

from pexbench.encoding import encode
from pexbench.errors import ModelError
from pexbench.models.base import SequenceModel
from pexbench.models.xpresso import XpressoModel
from pexbench.predict import model_input_span

CHROM = "chr22"
VCF = "genotypes/1kg_phase1.chr22_50.3-51.0Mb.5samples.phased.vcf.gz"
FASTA = "reference/chr22.synthetic_background.fa.gz"
WEIGHTS = "models/xpresso_GM12878.h5"
# GENCODE v19 chr22 genes inside the phased VCF's region (50.3-51.0 Mb): two per strand
GENES = ("ENSG00000073150", "ENSG00000073169", "ENSG00000025708", "ENSG00000130489")
PADDING_GENE = "ENSG00000073146"  # + strand; its window is sensitive to a one-base shift
LEN = 14_000  # what the port asks the workflow for: + strand, TSS at LEN // 2
COMPLEMENT = str.maketrans("ACGTN", "TGCAN")


# ----------------------------------------------------------------------------- oracle
def oracle_onehot(seq: str) -> np.ndarray:
    out = np.zeros((len(seq), 4))
    for i, base in enumerate(seq.upper()):
        if base in "ACGT":
            out[i, "ACGT".index(base)] = 1.0
    return out


class KerasOracle:
    """Plain numpy (float64) forward pass of the Keras 2.0.5 file, layer by layer."""

    def __init__(self, path: Path) -> None:
        with h5py.File(path, "r") as h5:
            self.config = json.loads(h5.attrs["model_config"])
            grp = h5["model_weights"]
            self.w = {
                name: (
                    grp[f"{name}/{name}/kernel:0"][()].astype(np.float64),
                    grp[f"{name}/{name}/bias:0"][()].astype(np.float64),
                )
                for name in ("conv1d_1", "conv1d_2", "dense_1", "dense_2", "dense_3")
            }
        layers = {layer["name"]: layer["config"] for layer in self.config["config"]["layers"]}
        self.pool1 = layers["max_pooling1d_1"]["pool_size"][0]
        self.pool2 = layers["max_pooling1d_2"]["pool_size"][0]

    @staticmethod
    def conv(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, left: int) -> np.ndarray:
        width = kernel.shape[0]
        padded = np.pad(x, ((left, width - 1 - left), (0, 0)))
        windows = np.lib.stride_tricks.sliding_window_view(padded, width, axis=0)  # (L, in, k)
        return np.maximum(np.einsum("lik,kio->lo", windows, kernel) + bias, 0.0)

    @staticmethod
    def pool(x: np.ndarray, size: int) -> np.ndarray:
        n = x.shape[0] // size
        return x[: n * size].reshape(n, size, x.shape[1]).max(axis=1)

    def __call__(self, seq: str, *, left_heavy: bool = False) -> float:
        assert len(seq) == 10_500
        # TensorFlow SAME: total k - 1, floor half on the left; the variant puts the extra
        # zero on the left instead (differs for the even kernel of conv1d_1 only)
        pad = (lambda k: k // 2) if left_heavy else (lambda k: (k - 1) // 2)
        x = oracle_onehot(seq)
        kernel, bias = self.w["conv1d_1"]
        x = self.pool(self.conv(x, kernel, bias, pad(kernel.shape[0])), self.pool1)
        kernel, bias = self.w["conv1d_2"]
        x = self.pool(self.conv(x, kernel, bias, pad(kernel.shape[0])), self.pool2)
        h = np.concatenate([x.reshape(-1), np.zeros(6)])  # Flatten (channels-last), halflife 0
        h = np.maximum(h @ self.w["dense_1"][0] + self.w["dense_1"][1], 0.0)  # + Dropout: identity
        h = np.maximum(h @ self.w["dense_2"][0] + self.w["dense_2"][1], 0.0)
        return float((h @ self.w["dense_3"][0] + self.w["dense_3"][1])[0])


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def model(shared_data: Path) -> XpressoModel:
    return XpressoModel(shared_data / WEIGHTS, batch_size=4)


@pytest.fixture(scope="module")
def oracle(shared_data: Path) -> KerasOracle:
    return KerasOracle(shared_data / WEIGHTS)


@pytest.fixture(scope="module")
def fasta(shared_data: Path) -> pysam.FastaFile:
    return pysam.FastaFile(str(shared_data / FASTA))


@pytest.fixture(scope="module")
def genes(shared_data: Path) -> dict[str, tuple[int, str]]:
    """gene -> (0-based TSS, strand) from the GTF: start - 1 on +, end - 1 on -."""
    out, wanted = {}, (*GENES, PADDING_GENE)
    with gzip.open(shared_data / "annotation/gencode.v19.annotation.chr22.gtf.gz", "rt") as fh:
        for line in fh:
            f = line.split("\t")
            if len(f) > 8 and f[2] == "gene" and f[8].split('"')[1].split(".")[0] in wanted:
                out[f[8].split('"')[1].split(".")[0]] = (
                    int(f[3]) - 1 if f[6] == "+" else int(f[4]) - 1,
                    f[6],
                )
    assert sorted(out) == sorted(wanted)
    return out


def consensus(
    shared_data: Path, fasta: pysam.FastaFile, tmp: Path, start: int, end: int, hap: int
) -> str:
    """Genome + strand [start, end) with HG00096's haplotype `hap` (0 = reference) applied."""
    seq = fasta.fetch(CHROM, start, end)
    if hap == 0:
        return seq.upper()
    region = tmp / f"region_{start}_{end}.fa"
    region.write_text(f">22:{start + 1}-{end}\n{seq}\n")  # the VCF names the contig `22`
    out = pysam.bcftools.consensus(
        "-s", "HG00096", "-H", str(hap), "-i", 'TYPE="snp"', "-f", str(region),
        str(shared_data / VCF),
    )  # fmt: skip
    lines = [line for line in out.splitlines() if line and not line.startswith("[")]
    assert lines[0].startswith(">")
    body = "".join(lines[1:]).upper()
    assert len(body) == end - start
    return body


def gene_window(plus: str, strand: str) -> str:
    return plus if strand == "+" else plus.translate(COMPLEMENT)[::-1]


def documented_span(tss: int, strand: str) -> tuple[int, int]:
    """The module docstring's window: + [tss-6999, tss+3501); - [tss-3500, tss+7000)."""
    return (tss - 6_999, tss + 3_501) if strand == "+" else (tss - 3_500, tss + 7_000)


# ----------------------------------------------------------------------------- tests
def test_architecture_read_from_hdf5(shared_data: Path, model: XpressoModel) -> None:
    with h5py.File(shared_data / WEIGHTS, "r") as h5:
        layers = json.loads(h5.attrs["model_config"])["config"]["layers"]
        shapes = {
            name: h5[f"model_weights/{name}/{name}/kernel:0"].shape
            for name in ("conv1d_1", "conv1d_2", "dense_1", "dense_2", "dense_3")
        }
    kinds = [layer["class_name"] for layer in layers]
    assert kinds == [
        "InputLayer", "Conv1D", "MaxPooling1D", "Conv1D", "MaxPooling1D", "Flatten",
        "InputLayer", "Concatenate", "Dense", "Activation", "Dropout", "Dense", "Activation",
        "Dropout", "Dense",
    ]  # fmt: skip
    assert shapes == {
        "conv1d_1": (6, 4, 128),
        "conv1d_2": (9, 128, 32),
        "dense_1": (35 * 32 + 6, 64),
        "dense_2": (64, 2),
        "dense_3": (2, 1),
    }
    assert isinstance(model, SequenceModel)
    assert model.info.sequence_length == LEN
    assert model.info.track_names == ("xpresso_expression",)
    assert model.info.is_trained and model.info.kind == "xpresso"


def test_matches_numpy_oracle_on_reference_and_haplotypes(
    shared_data: Path,
    tmp_path: Path,
    model: XpressoModel,
    oracle: KerasOracle,
    fasta: pysam.FastaFile,
    genes: dict[str, tuple[int, str]],
) -> None:
    inputs, minus, expected, n_changed = [], [], [], 0
    for gene in GENES:
        tss, strand = genes[gene]
        for hap in (0, 1, 2):
            # what the workflow hands over: + strand, TSS at LEN // 2
            plus = consensus(shared_data, fasta, tmp_path, tss - LEN // 2, tss + LEN // 2, hap)
            inputs.append(encode(plus))
            minus.append(strand == "-")
            # the oracle gets its own bcftools run on exactly the documented window
            lo, hi = documented_span(tss, strand)
            window = gene_window(consensus(shared_data, fasta, tmp_path, lo, hi, hap), strand)
            if hap:
                ref = gene_window(consensus(shared_data, fasta, tmp_path, lo, hi, 0), strand)
                n_changed += window != ref
            expected.append(oracle(window))
    got = model.predict(np.stack(inputs), np.array(minus))
    assert got.shape == (len(inputs), 1, 1) and got.dtype == np.float32
    np.testing.assert_allclose(got[:, 0, 0], expected, rtol=0, atol=1e-5)
    assert n_changed >= 4  # real variants entered most personal windows
    assert np.ptp(expected) > 1e-3  # and the values are not all the same


def test_padding_is_keras_right_heavy(
    model: XpressoModel,
    oracle: KerasOracle,
    fasta: pysam.FastaFile,
    genes: dict[str, tuple[int, str]],
) -> None:
    tss, _ = genes[PADDING_GENE]
    plus = fasta.fetch(CHROM, tss - LEN // 2, tss + LEN // 2 + 1).upper()
    keras, left = [], []
    for shift in (0, 1):  # the window, and the window moved one base downstream
        window = plus[shift + 1 : shift + 1 + 10_500]  # + strand: codes[1 : 10501]
        keras.append(oracle(window))
        left.append(oracle(window, left_heavy=True))
    got = model.predict(
        np.stack([encode(plus[:LEN]), encode(plus[1 : LEN + 1])]), np.array([False, False])
    )[:, 0, 0]
    assert abs(keras[0] - keras[1]) > 1e-3  # a one-base shift changes the output
    assert abs(keras[0] - left[0]) > 1e-3  # so the padding side is visible
    np.testing.assert_allclose(got, keras, rtol=0, atol=1e-5)
    assert np.all(np.abs(got - np.array(left)) > 1e-3)


def test_model_input_is_reverse_complement_for_minus_strand(
    model: XpressoModel, fasta: pysam.FastaFile, genes: dict[str, tuple[int, str]]
) -> None:
    seen: list[np.ndarray] = []
    hook = model.net.conv1.register_forward_pre_hook(
        lambda _module, args: seen.append(args[0].detach().cpu().numpy().copy())
    )
    try:
        names = ("ENSG00000025708", "ENSG00000073150", "ENSG00000130489")
        codes = np.stack(
            [
                encode(fasta.fetch(CHROM, genes[g][0] - LEN // 2, genes[g][0] + LEN // 2))
                for g in names
            ]
        )
        model.predict(codes, np.array([genes[g][1] == "-" for g in names]))
    finally:
        hook.remove()
    fed = np.concatenate(seen)  # (3, 10500, 4): exactly what the first convolution read
    assert fed.shape == (3, 10_500, 4)
    for row, gene in zip(fed, names, strict=True):
        tss, strand = genes[gene]
        lo, hi = documented_span(tss, strand)
        raw = fasta.fetch(CHROM, lo, hi).upper()
        want = raw if strand == "+" else raw.translate(COMPLEMENT)[::-1]
        np.testing.assert_array_equal(row, oracle_onehot(want))
        tss_base = fasta.fetch(CHROM, tss, tss + 1).upper()
        if strand == "-":
            tss_base = tss_base.translate(COMPLEMENT)
        assert "ACGT"[int(row[6_999].argmax())] == tss_base  # the TSS is the 7,000th base


def test_kipoi_tss_index_moves_window_by_one(
    shared_data: Path, fasta: pysam.FastaFile, genes: dict[str, tuple[int, str]]
) -> None:
    kipoi = XpressoModel(shared_data / WEIGHTS, tss_index=7_000)
    assert kipoi.info.sequence_length == 14_002
    for gene in ("ENSG00000073150", "ENSG00000025708"):
        tss, strand = genes[gene]
        codes = encode(fasta.fetch(CHROM, tss - 7_001, tss + 7_001))[None]
        got = kipoi.gene_strand_window(codes, np.array([strand == "-"]))[0]
        lo, hi = (tss - 7_000, tss + 3_500) if strand == "+" else (tss - 3_499, tss + 7_001)
        want = encode(gene_window(fasta.fetch(CHROM, lo, hi).upper(), strand))
        np.testing.assert_array_equal(got, want)


def test_batches_and_n_bases(model: XpressoModel, oracle: KerasOracle) -> None:
    rng = np.random.default_rng(7)
    codes = rng.integers(0, 4, size=(6, LEN), dtype=np.uint8)
    codes[2, 3_000:5_000] = 4  # a run of N: all-zero one-hot in Keras as here
    minus = np.array([False, True, False, True, True, False])
    one = XpressoModel(Path(model.info.weights), batch_size=1).predict(codes, minus)
    many = model.predict(codes, minus)  # batch_size=4: a full and a partial batch
    np.testing.assert_allclose(one, many, rtol=0, atol=1e-6)
    window = "".join("ACGTN"[c] for c in codes[2, 1:10_501])
    assert abs(float(many[2, 0, 0]) - oracle(window)) < 1e-5
    assert model.predict(codes[:0], minus[:0]).shape == (0, 1, 1)


def test_bad_sequences_are_refused(model: XpressoModel) -> None:
    with pytest.raises(ModelError, match=r"shape \(batch, 14000\)"):
        model.predict(np.zeros((2, 10_500), dtype=np.uint8), np.zeros(2, dtype=bool))
    with pytest.raises(ModelError, match="strand flags"):
        model.predict(np.zeros((2, LEN), dtype=np.uint8), np.zeros(3, dtype=bool))


def test_from_spec_resolves_weights_against_root(
    shared_data: Path, model: XpressoModel, fasta: pysam.FastaFile
) -> None:
    spec = {"name": "xpresso_gm12878", "type": "xpresso", "weights": WEIGHTS, "batch_size": 8}
    built = XpressoModel.from_spec(spec, shared_data)
    assert built.info.name == "xpresso_gm12878"
    assert Path(built.info.weights) == shared_data / WEIGHTS
    assert built.batch_size == 8
    # generic keys filled in by the config schema are accepted; a longer input is cropped
    generic = {
        **spec,
        "batch_size": "auto",
        "device": "cpu",
        "tracks": [5110],
        "tss_bins": 3,
        "bin_reduce": "mean",
        "precision": "auto",
        "sequence_length": 20_000,
    }
    longer = XpressoModel.from_spec(generic, shared_data)
    assert longer.info.sequence_length == 20_000 and longer.batch_size == 64
    tss = 50_609_159
    wide = encode(fasta.fetch(CHROM, tss - 10_000, tss + 10_000))[None]
    narrow = encode(fasta.fetch(CHROM, tss - LEN // 2, tss + LEN // 2))[None]
    for minus in (False, True):
        flag = np.array([minus])
        assert longer.predict(wide, flag)[0, 0, 0] == model.predict(narrow, flag)[0, 0, 0]
    with pytest.raises(ModelError, match="sequence_length >= 14000"):
        XpressoModel.from_spec({**spec, "sequence_length": 13_000}, shared_data)
    with pytest.raises(ModelError, match=r"models\[\]\.weights"):
        XpressoModel.from_spec({"name": "x", "type": "xpresso"}, shared_data)


def test_load_model_builds_xpresso(shared_data: Path) -> None:
    from pexbench.models import load_model

    built = load_model({"name": "xp", "type": "xpresso", "weights": WEIGHTS}, root=shared_data)
    assert isinstance(built, XpressoModel) and built.info.kind == "xpresso"


def test_input_span_is_the_documented_window(model: XpressoModel) -> None:
    """What pexbench.predict asks the model: the gene-strand window, as TSS offsets."""
    for strand in "+-":
        assert model.input_span(strand) == documented_span(0, strand)
        assert model_input_span(model, strand) == documented_span(0, strand)
    kipoi = XpressoModel(Path(model.info.weights), tss_index=7_000, sequence_length=16_000)
    assert model_input_span(kipoi, "-") == (-3_499, 7_001)
