"""Xpresso (Agarwal & Shendure 2020, Cell Reports 31:107663) with trained Keras weights, in torch.

The trained model is a Keras 2.0.5 HDF5 file (e.g. `xpresso_GM12878.h5` = ni-lab/
personalized-expression-benchmark `xpresso/xpresso/pretrained_models/
GM12878_trainepoch.06-0.5062.h5`, the model Huang et al. 2023 used). It is read with h5py only
(no TensorFlow): the network is rebuilt from the file's `model_config` attribute and the weights
from `model_weights/<layer>/<layer>/{kernel,bias}:0`. Supported layers, checked one by one:
InputLayer `promoter` (10,500 x 4) and `halflife` (6), Conv1D (stride 1, padding `same` or
`valid`, any dilation, relu/linear), MaxPooling1D (padding `valid`), Flatten, Concatenate,
Dense, Activation (relu/linear) and Dropout (identity at inference). Anything else is a
ModelError. The GM12878 file holds: Conv1D(128, k=6, same, relu) -> MaxPool(30) ->
Conv1D(32, k=9, same, relu) -> MaxPool(10) -> Flatten (35 x 32 = 1,120) -> concat halflife (6)
-> Dense(64) -> relu -> Dropout -> Dense(2) -> relu -> Dropout -> Dense(1).

Keras conventions reproduced exactly:
- `same` padding pads d*(k-1) zeros in total, (d*(k-1))//2 on the LEFT and the rest on the
  right (TensorFlow SAME): k=6 pads 2 left, 3 right.
- Conv1D kernels are stored (width, in, out); with the TensorFlow backend (checked in the
  file's `backend` attribute) convolution is a cross-correlation, so no kernel flip.
- MaxPooling1D `valid`: stride = pool size, the trailing remainder is dropped.
- Flatten is channels-last: feature index = position * channels + channel, so activations are
  permuted to (batch, position, channel) before flattening to match the Dense kernel rows.
- One-hot A, C, G, T in that column order; N (any other base) is all zeros
  (xpresso_predict.py `one_hot`: `seqindex` lookup, unknown bases left at 0).

Input geometry (the gene's strand, 10,500 bp, TSS = the 7,000th base, 0-based index 6,999):
- Huang et al. 2023, ni-lab/personalized-expression-benchmark
  `xpresso/consensus_job_submitter.py`: `upstream = args.upstream - 1`; + strand
  `start, end = tss - upstream, tss + downstream`, - strand `start, end = tss - downstream,
  tss + upstream`; `xpresso/process_consensus_region.py` cuts `samtools faidx chrN:start-end`
  (1-based, inclusive) and reverse-complements minus-strand genes (`samtools faidx -i`,
  `seqtk seq -r`). TSS values in `data/gene_list.csv` are 1-based (GENCODE gene start on +,
  gene end on -; checked against GENCODE v19 on chr22). With upstream = 7,000 and downstream
  = 3,500 (the only split giving the 10,500 bp that `xpresso_predict.py` demands and the
  7,000/3,500 split of the Xpresso documentation), the window is, with `tss` 0-based:
  + strand: genome [tss - 6,999, tss + 3,501); - strand: reverse complement of genome
  [tss - 3,500, tss + 7,000). Either way 6,999 bases upstream of the TSS, the TSS at index
  6,999 and 3,500 bases downstream of it. (The script's -U/-D values are not in the
  repository; the 7,000/3,500 split is from the Xpresso documentation, xpresso.gs.washington.edu
  /docs: "7,000nt upstream of the TSS and 3,500nt downstream ... TSS ... positioned 7,000nt into
  the sequence", i.e. 1-based position 7,000 = index 6,999.)
- Xpresso's own training data agree for + strand genes: vagarwal87/Xpresso
  `Fig1_S2/extract_promoters.pl` writes BED [TSS1 - 10,000, TSS1 + 10,000) around the 1-based
  TSS, so the TSS is at index 9,999 of the 20 kb `bedtools getfasta -s` sequence, and the
  10,500-bp crop starts at 3,000 (`Fig5_S5/predict_seqs.py`: `tsspos = 7000`, sequences are
  centred on 7,000 in a 10,500 frame) -> TSS at index 6,999. (For minus-strand genes that BED
  puts the TSS at index 7,000 of the crop: Xpresso's training itself mixes the two by one base.)
- Kipoi's Xpresso uses `AnchoredGTFDl(num_upstream=7000, num_downstream=3500)`, i.e. 7,000
  bases upstream and the TSS at index 7,000: one base off from Huang et al.; the `tss_index`
  option (default 6,999) selects either.

Half-life features: 6 per gene (the `halflife` input). Xpresso standardised them to zero mean
and unit variance over its training genes (`Fig2/setup_training_files.py`:
`preprocessing.scale`), so zeros mean "average mRNA". Huang et al. ran
`xpresso_predict.py` (vagarwal87/Xpresso), which feeds `np.zeros((bs, 6), dtype='float32')`
for every gene, as does Kipoi's Xpresso ("treat RNA as having average mRNA features"). This
port does the same: zeros for every sequence. They are constant across individuals anyway.

Output: one value per sequence, track `xpresso_expression`, one bin: Xpresso's prediction of
the standardised log10(RPKM + 0.1) expression (the training label, `setup_training_files.py`),
shape (batch, 1, 1) float32.

Sequence handed over by the workflow: `info.sequence_length` bp of the genome's + strand with
the TSS at `sequence_length // 2` (14,000 bp, TSS at 7,000, for the default `tss_index`).
`predict` cuts the 10,500-bp gene-strand window from it (`gene_strand_window`) and
reverse-complements minus-strand genes, exactly as above.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import numpy.typing as npt
import torch
from torch import nn
from torch.nn import functional as F

from pexbench.encoding import N_CODE, reverse_complement
from pexbench.errors import ModelError
from pexbench.models.base import ModelInfo

INPUT_LENGTH = 10_500
DEFAULT_TSS_INDEX = 6_999
TRACK_NAME = "xpresso_expression"
CPU_CHUNK_ROWS = 3_000  # output positions per matrix product on CPU (cache-sized blocks)
_ACTIVATIONS = ("relu", "linear")


def keras_same_padding(kernel_size: int, dilation: int = 1) -> tuple[int, int]:
    """(left, right) zero padding of Keras/TensorFlow `same` for a stride-1 convolution."""
    total = dilation * (kernel_size - 1)
    return total // 2, total - total // 2


def window_offsets(sequence_length: int, tss_index: int = DEFAULT_TSS_INDEX) -> tuple[int, int]:
    """Start of the gene-strand window inside a + strand sequence with the TSS at length // 2.

    Returns (plus_start, minus_start): a + strand gene uses codes[plus_start : plus_start +
    10,500]; a - strand gene the reverse complement of codes[minus_start : minus_start + 10,500].
    """
    centre = sequence_length // 2
    plus_start = centre - tss_index
    minus_start = centre + tss_index - (INPUT_LENGTH - 1)
    if (
        plus_start < 0
        or minus_start < 0
        or max(plus_start, minus_start) + INPUT_LENGTH > sequence_length
    ):
        raise ModelError(
            f"Xpresso needs {INPUT_LENGTH} bp around the TSS (index {tss_index}) on both "
            f"strands, which a {sequence_length}-bp window with the TSS at {centre} does not hold; "
            f"use sequence_length >= {minimum_sequence_length(tss_index)}."
        )
    return plus_start, minus_start


def minimum_sequence_length(tss_index: int = DEFAULT_TSS_INDEX) -> int:
    """Shortest even + strand window (TSS at length // 2) that holds both strands' windows."""
    centre = max(tss_index + 1, INPUT_LENGTH - tss_index)
    return 2 * centre


@dataclass(frozen=True)
class _Layer:
    """One layer of the Keras graph, reduced to what inference needs."""

    kind: str  # conv | pool | flatten | concat | dense | act | dropout
    name: str
    size: int = 0  # filters / units / pool size
    kernel: int = 0
    dilation: int = 1
    padding: str = "valid"
    activation: str = "linear"


def _fail(path: Path, what: str) -> ModelError:
    return ModelError(
        f"Xpresso weights {path}: {what}. Config key `models[].weights` (type: xpresso) must "
        "point to a trained Xpresso Keras HDF5 file (e.g. GM12878_trainepoch.06-0.5062.h5 from "
        "ni-lab/personalized-expression-benchmark xpresso/xpresso/pretrained_models/); "
        "download it again if it is truncated or corrupt."
    )


def _one(value: Any) -> int:
    return int(value[0]) if isinstance(value, (list, tuple)) else int(value)


def _parse_config(path: Path, config: dict[str, Any]) -> tuple[list[_Layer], int, int]:
    """Check the Keras graph is a supported Xpresso chain; returns (layers, L, n_halflife)."""
    try:
        layers = config["config"]["layers"]
        inputs = [entry[0] for entry in config["config"]["input_layers"]]
    except (KeyError, TypeError, IndexError) as exc:
        raise _fail(path, f"`model_config` is not a Keras functional model ({exc!r})") from exc
    shapes: dict[str, list[Any]] = {}
    chain: list[_Layer] = []
    previous = "promoter"
    for layer in layers:
        cls, cfg, name = layer["class_name"], layer["config"], layer["name"]
        if cls == "InputLayer":
            shapes[name] = cfg["batch_input_shape"]
            continue
        # the graph must be one chain from `promoter`, joined by `halflife` at the Concatenate
        inbound = [node[0] for nodes in layer.get("inbound_nodes", []) for node in nodes]
        wanted = [previous, "halflife"] if cls == "Concatenate" else [previous]
        if inbound != wanted:
            raise _fail(path, f"layer {name} reads {inbound}, expected {wanted}")
        previous = name
        act = cfg.get("activation", "linear")
        if act not in _ACTIVATIONS:
            raise _fail(path, f"layer {name}: activation {act!r} is not supported")
        if cls == "Conv1D":
            if _one(cfg["strides"]) != 1 or cfg["padding"] not in ("same", "valid"):
                raise _fail(path, f"layer {name}: only stride 1 with same/valid padding is ported")
            if not cfg.get("use_bias", True):
                raise _fail(path, f"layer {name}: a convolution without bias is not supported")
            chain.append(
                _Layer(
                    "conv",
                    name,
                    size=int(cfg["filters"]),
                    kernel=_one(cfg["kernel_size"]),
                    dilation=_one(cfg.get("dilation_rate", 1)),
                    padding=cfg["padding"],
                    activation=act,
                )
            )
        elif cls == "MaxPooling1D":
            pool = _one(cfg["pool_size"])
            stride = _one(cfg["strides"]) if cfg.get("strides") is not None else pool
            if cfg["padding"] != "valid" or stride != pool:
                raise _fail(path, f"layer {name}: only valid max pooling with stride = size")
            chain.append(_Layer("pool", name, size=pool))
        elif cls == "Flatten":
            chain.append(_Layer("flatten", name))
        elif cls == "Concatenate":
            if cfg.get("axis", -1) != -1:
                raise _fail(path, f"layer {name}: concatenation must be on the last axis")
            chain.append(_Layer("concat", name))
        elif cls == "Dense":
            if not cfg.get("use_bias", True):
                raise _fail(path, f"layer {name}: a dense layer without bias is not supported")
            chain.append(_Layer("dense", name, size=int(cfg["units"]), activation=act))
        elif cls == "Activation":
            chain.append(_Layer("act", name, activation=act))
        elif cls == "Dropout":
            chain.append(_Layer("dropout", name))
        else:
            raise _fail(path, f"layer {name}: Keras layer {cls} is not part of the Xpresso port")
    if sorted(inputs) != ["halflife", "promoter"] or set(shapes) != {"halflife", "promoter"}:
        raise _fail(path, f"inputs are {inputs}, expected `promoter` and `halflife`")
    length, alphabet = shapes["promoter"][1], shapes["promoter"][2]
    n_halflife = shapes["halflife"][1]
    if alphabet != 4 or length != INPUT_LENGTH:
        raise _fail(path, f"promoter input is {length} x {alphabet}, expected {INPUT_LENGTH} x 4")
    kinds = [layer.kind for layer in chain]
    if kinds.count("flatten") != 1 or kinds.count("concat") != 1:
        raise _fail(path, "expected one Flatten and one Concatenate with `halflife`")
    cut = kinds.index("flatten")
    if kinds[cut + 1] != "concat" or set(kinds[:cut]) - {"conv", "pool"}:
        raise _fail(path, "expected Conv1D/MaxPooling1D layers, then Flatten, then Concatenate")
    if set(kinds[cut + 2 :]) - {"dense", "act", "dropout"} or kinds[-1] != "dense":
        raise _fail(path, "expected Dense/Activation/Dropout layers after the Concatenate")
    if chain[-1].size != 1:
        raise _fail(path, f"the last Dense layer has {chain[-1].size} units, expected 1")
    return chain, int(length), int(n_halflife)


def read_keras_weights(path: str | Path) -> tuple[list[_Layer], dict[str, np.ndarray], int]:
    """Layers, weights (`<layer>/kernel`, `<layer>/bias`, Keras layout) and n_halflife."""
    path = Path(path)
    if not path.is_file():
        raise _fail(path, "the file does not exist")
    try:
        with h5py.File(path, "r") as h5:
            raw = h5.attrs.get("model_config")
            if raw is None:
                raise _fail(path, "no `model_config` attribute (not a Keras model file)")
            config = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
            backend = h5.attrs.get("backend", b"tensorflow")
            backend = backend.decode() if isinstance(backend, bytes) else str(backend)
            if backend != "tensorflow":  # Theano-trained Conv1D kernels are stored flipped
                raise _fail(
                    path, f"saved with Keras backend {backend!r}; only tensorflow is ported"
                )
            chain, _, n_halflife = _parse_config(path, config)
            group = h5["model_weights"] if "model_weights" in h5 else h5
            weights: dict[str, np.ndarray] = {}
            for layer in chain:
                if layer.kind not in ("conv", "dense"):
                    continue
                for part in ("kernel", "bias"):
                    key = f"{layer.name}/{layer.name}/{part}:0"
                    if key not in group:
                        raise _fail(path, f"weight {key} is missing")
                    weights[f"{layer.name}/{part}"] = np.asarray(group[key][()], dtype=np.float32)
    except ModelError:
        raise
    except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
        raise _fail(path, f"cannot be read as a Keras HDF5 file ({exc})") from exc
    return chain, weights, n_halflife


class KerasConv1d(nn.Module):
    """Conv1D (Keras padding, bias, activation), optionally fused with the MaxPooling1D after it.

    Channels-last like Keras: input (batch, length, in), output (batch, length', out). The
    convolution is one matrix product over unfolded windows (row j * in + c of the Keras kernel
    reshaped to (width * in, out)); max pooling runs before bias and relu, which commute with it
    exactly (adding a per-channel constant and relu are monotone, and float rounding is too),
    so pooling 30x fewer values changes nothing; only the summation order inside each dot
    product differs from TensorFlow's (float32 rounding, ~1e-7 here).
    """

    def __init__(
        self,
        kernel: np.ndarray,
        bias: np.ndarray,
        *,
        padding: str,
        dilation: int,
        activation: str,
        pool: int = 1,
    ) -> None:
        super().__init__()
        width, n_in, n_out = kernel.shape
        self.width, self.dilation, self.pool = width, dilation, pool
        self.pad = keras_same_padding(width, dilation) if padding == "same" else (0, 0)
        self.relu = activation == "relu"
        self.chunk_rows: int | None = None  # set for CPU inference, see XpressoNet.set_chunking
        self.weight = nn.Parameter(torch.from_numpy(kernel.reshape(width * n_in, n_out).copy()))
        self.bias = nn.Parameter(torch.from_numpy(bias.copy()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pad != (0, 0):
            x = F.pad(x, (0, 0, *self.pad))
        span = self.dilation * (self.width - 1) + 1
        windows = x.unfold(1, span, 1)[..., :: self.dilation]  # view (B, L', in, width)
        batch, length = windows.shape[:2]
        kept = length // self.pool * self.pool  # Keras `valid` pooling drops the remainder
        if self.chunk_rows is None or (batch == 1 and kept <= self.chunk_rows):
            y = self._block(windows[:, :kept])
        else:  # CPU: keep the unpooled block in cache (4x faster than one big product)
            step = max(self.pool, self.chunk_rows // self.pool * self.pool)
            y = x.new_empty(batch, kept // self.pool, self.weight.shape[1])
            for b in range(batch):
                for lo in range(0, kept, step):
                    hi = min(kept, lo + step)
                    y[b, lo // self.pool : hi // self.pool] = self._block(
                        windows[b : b + 1, lo:hi]
                    )[0]
        y = y + self.bias
        return F.relu(y) if self.relu else y

    def _block(self, windows: torch.Tensor) -> torch.Tensor:
        """(b, n, in, width) windows -> (b, n // pool, out) pooled, before bias."""
        batch, length = windows.shape[:2]
        rows = windows.permute(0, 1, 3, 2).reshape(batch * length, -1)
        y = (rows @ self.weight).view(batch, length, -1)
        if self.pool > 1:
            y = y.view(batch, length // self.pool, self.pool, -1).amax(2)
        return y


class MaxPool1dLast(nn.Module):
    """MaxPooling1D (`valid`, stride = size) on channels-last tensors."""

    def __init__(self, pool: int) -> None:
        super().__init__()
        self.pool = pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, channels = x.shape
        kept = length // self.pool * self.pool
        return x[:, :kept].view(batch, length // self.pool, self.pool, channels).amax(2)


class XpressoNet(nn.Module):
    """The Keras graph in torch: `forward(onehot (B, L, 4), halflife (B, n)) -> (B,)`.

    Channels-last throughout, so Keras' Flatten is a plain reshape. Submodules `conv1`,
    `conv2`, ... are the convolutions in order: a forward pre-hook on `conv1` sees exactly the
    one-hot tensor the model reads.
    """

    def __init__(self, chain: Sequence[_Layer], weights: dict[str, np.ndarray]) -> None:
        super().__init__()
        steps: list[nn.Module] = []
        cut = [layer.kind for layer in chain].index("flatten")
        body = list(chain[:cut])
        i = 0
        while i < len(body):
            layer = body[i]
            if layer.kind == "conv":
                fuse = i + 1 < len(body) and body[i + 1].kind == "pool"
                conv = KerasConv1d(
                    weights[f"{layer.name}/kernel"],
                    weights[f"{layer.name}/bias"],
                    padding=layer.padding,
                    dilation=layer.dilation,
                    activation=layer.activation,
                    pool=body[i + 1].size if fuse else 1,
                )
                self.add_module(f"conv{sum(isinstance(m, KerasConv1d) for m in steps) + 1}", conv)
                steps.append(conv)
                i += 2 if fuse else 1
            else:
                steps.append(MaxPool1dLast(layer.size))
                i += 1
        self._steps = steps
        head: list[nn.Module] = []
        for layer in chain[cut + 2 :]:
            if layer.kind == "dense":
                kernel = weights[f"{layer.name}/kernel"]  # Keras (in, out) -> torch (out, in)
                dense = nn.Linear(kernel.shape[0], kernel.shape[1])
                dense.weight = nn.Parameter(torch.from_numpy(np.ascontiguousarray(kernel.T)))
                dense.bias = nn.Parameter(torch.from_numpy(weights[f"{layer.name}/bias"].copy()))
                head.append(dense)
                if layer.activation == "relu":
                    head.append(nn.ReLU())
            elif layer.kind == "act" and layer.activation == "relu":
                head.append(nn.ReLU())
            # dropout and linear activations are the identity at inference
        self.head = nn.Sequential(*head)

    def set_chunking(self, rows: int | None) -> None:
        """Run convolutions in blocks of `rows` output positions (None: one product per batch)."""
        for module in self.modules():
            if isinstance(module, KerasConv1d):
                module.chunk_rows = rows

    def forward(self, onehot: torch.Tensor, halflife: torch.Tensor) -> torch.Tensor:
        x = onehot
        for step in self._steps:
            x = step(x)
        x = torch.cat([x.flatten(1), halflife], dim=1)  # Keras Flatten of (B, L, C)
        return self.head(x)[:, 0]


def _check_shapes(path: Path, net: XpressoNet, n_halflife: int) -> None:
    """A dry run on zeros: kernel shapes must chain (e.g. Dense input = flattened + halflife)."""
    try:
        with torch.inference_mode():
            net(torch.zeros(1, INPUT_LENGTH, 4), torch.zeros(1, n_halflife))
    except RuntimeError as exc:
        raise _fail(path, f"weight shapes do not fit the layer graph ({exc})") from exc


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class XpressoModel:
    """Xpresso behind the `SequenceModel` interface (see the module docstring for geometry).

    Config keys (`models:` entry with `type: xpresso`):

    | key | type | default | meaning |
    |---|---|---|---|
    | name | str | xpresso | model name in outputs |
    | weights | path | required | Keras HDF5 file, relative to the workflow root |
    | device | str | cpu | cpu, cuda, cuda:N, or auto (cuda when visible) |
    | batch_size | int or auto | auto | sequences per forward; auto = 64 on CPU, 512 on CUDA |
    | tss_index | int | 6999 | 0-based TSS index in the 10,500-bp input (7000 = Kipoi) |
    | sequence_length | int | 14000 | + strand input length (>= the minimum for tss_index) |
    """

    def __init__(
        self,
        weights: str | Path,
        *,
        name: str = "xpresso",
        batch_size: int | None = None,
        device: str = "cpu",
        tss_index: int = DEFAULT_TSS_INDEX,
        sequence_length: int | None = None,
    ) -> None:
        path = Path(weights)
        if not 0 <= tss_index < INPUT_LENGTH:
            raise ModelError(
                f"model {name!r}: tss_index {tss_index} is outside the {INPUT_LENGTH}-bp input; "
                f"use 6999 (Huang et al. 2023) or 7000 (Kipoi)."
            )
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if batch_size is None:
            batch_size = 512 if device.startswith("cuda") else 64
        if batch_size < 1:
            raise ModelError(f"model {name!r}: batch_size must be >= 1, got {batch_size}")
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise ModelError(
                f"model {name!r}: device {device!r} requested but no CUDA device is visible; "
                "set `device: cpu` or run on a GPU node."
            )
        chain, weights_np, n_halflife = read_keras_weights(path)
        net = XpressoNet(chain, weights_np)
        _check_shapes(path, net, n_halflife)
        self.net = net.to(device).eval()
        self.device = torch.device(device)
        self.net.set_chunking(CPU_CHUNK_ROWS if self.device.type == "cpu" else None)
        self.batch_size = batch_size
        self.tss_index = tss_index
        self.n_halflife = n_halflife
        self.sequence_length = sequence_length or minimum_sequence_length(tss_index)
        self._plus_start, self._minus_start = window_offsets(self.sequence_length, tss_index)
        self._eye = torch.cat([torch.eye(4), torch.zeros(1, 4)]).to(self.device)
        self.info = ModelInfo(
            name=name,
            kind="xpresso",
            weights=str(path),
            sequence_length=self.sequence_length,
            track_names=(TRACK_NAME,),
            is_trained=True,
            extra={
                "weights_sha256": _sha256(path),
                "input": f"{INPUT_LENGTH} bp of the gene's strand, TSS at index {tss_index}",
                "halflife": f"{n_halflife} zeros (standardised features: the training mean)",
                "output": "standardised log10(RPKM + 0.1) (Xpresso training label)",
                "device": str(self.device),
            },
        )

    @classmethod
    def from_spec(cls, spec: dict[str, Any], root: Path) -> XpressoModel:
        """Build from one `models:` entry (keys in the table of the class docstring).

        Generic keys that do not apply to Xpresso (tracks, tss_bins, bin_reduce, precision,
        seed, ...) are ignored: it has one output and always runs in float32.
        """
        name = str(spec.get("name", "xpresso"))
        if not spec.get("weights"):
            raise ModelError(
                f"model {name!r} (type: xpresso) has no `weights`; set `models[].weights` to the "
                "Xpresso Keras HDF5 file (e.g. resources/models/xpresso_GM12878.h5)."
            )
        weights = Path(str(spec["weights"])).expanduser()
        if not weights.is_absolute():
            weights = Path(root) / weights
        device = str(spec.get("device") or "cpu")
        batch = spec.get("batch_size")
        length = spec.get("sequence_length")
        try:
            return cls(
                weights,
                name=name,
                batch_size=None if batch in (None, "auto") else int(batch),
                device=device,
                tss_index=int(spec.get("tss_index", DEFAULT_TSS_INDEX)),
                sequence_length=None if length is None else int(length),
            )
        except (TypeError, ValueError) as exc:
            raise ModelError(
                f"model {name!r} (type: xpresso): batch_size, tss_index and sequence_length must "
                f"be integers ({exc})."
            ) from exc

    def gene_strand_window(
        self, codes: npt.NDArray[np.uint8], minus_strand: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.uint8]:
        """(B, sequence_length) + strand codes -> (B, 10,500) codes on each gene's strand."""
        codes = np.asarray(codes)
        minus = np.asarray(minus_strand, dtype=bool).reshape(-1)
        if codes.ndim != 2 or codes.shape[1] != self.sequence_length:
            raise ModelError(
                f"model {self.info.name!r}: expected codes of shape (batch, "
                f"{self.sequence_length}), got {codes.shape}"
            )
        if minus.shape[0] != codes.shape[0]:
            raise ModelError(
                f"model {self.info.name!r}: {codes.shape[0]} sequences but "
                f"{minus.shape[0]} strand flags"
            )
        if codes.dtype != np.uint8 or (codes.size and codes.max() > N_CODE):
            raise ModelError(
                f"model {self.info.name!r}: codes must be uint8 in 0..4 (pexbench.encoding)"
            )
        out = codes[:, self._plus_start : self._plus_start + INPUT_LENGTH].copy()
        if minus.any():
            block = codes[minus, self._minus_start : self._minus_start + INPUT_LENGTH]
            out[minus] = reverse_complement(block)
        return out

    def predict(
        self, codes: npt.NDArray[np.uint8], minus_strand: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.float32]:
        """(B, sequence_length) uint8 + strand codes -> (B, 1, 1) float32 predictions."""
        window = self.gene_strand_window(codes, minus_strand)
        out = np.empty(window.shape[0], dtype=np.float32)
        with torch.inference_mode():
            for lo in range(0, window.shape[0], self.batch_size):
                batch = torch.from_numpy(window[lo : lo + self.batch_size]).to(self.device)
                onehot = self._eye[batch.long()]
                halflife = torch.zeros(batch.shape[0], self.n_halflife, device=self.device)
                out[lo : lo + batch.shape[0]] = self.net(onehot, halflife).float().cpu().numpy()
        return out[:, None, None]
