"""Reading a trained Xpresso Keras 2 HDF5 file with h5py only (no TensorFlow).

The network is rebuilt from the file's `model_config` attribute and the weights from
`model_weights/<layer>/<layer>/{kernel,bias}:0` (Keras layout: Conv1D kernels (width, in, out),
Dense kernels (in, out)). Supported layers, checked one by one: InputLayer `promoter`
(10,500 x 4) and `halflife` (n), Conv1D (stride 1, padding `same` or `valid`, any dilation,
relu/linear), MaxPooling1D (padding `valid`, stride = size), Flatten, Concatenate, Dense,
Activation (relu/linear) and Dropout. The graph must be one chain from `promoter` to a Dense(1),
joined by `halflife` at the Concatenate after the Flatten. Anything else is a ModelError naming
the file and the config key: a graph the port does not know is refused, never misread.
The Conv1D kernels are only cross-correlations (as the torch port runs them) when the file was
saved with the TensorFlow backend; Theano stores them flipped, so other backends are refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from pexbench.errors import ModelError
from pexbench.models.facts import XPRESSO_INPUT_LENGTH

_ACTIVATIONS = ("relu", "linear")


@dataclass(frozen=True)
class KerasLayer:
    """One layer of the Keras graph, reduced to what inference needs."""

    kind: str  # conv | pool | flatten | concat | dense | act | dropout
    name: str
    size: int = 0  # filters / units / pool size
    kernel: int = 0
    dilation: int = 1
    padding: str = "valid"
    activation: str = "linear"


def weights_error(path: Path, what: str) -> ModelError:
    """The error for an unusable weights file: what is wrong, the config key and the fix."""
    return ModelError(
        f"Xpresso weights {path}: {what}. Config key `models[].weights` (type: xpresso) must "
        "point to a trained Xpresso Keras HDF5 file (e.g. GM12878_trainepoch.06-0.5062.h5 from "
        "ni-lab/personalized-expression-benchmark xpresso/xpresso/pretrained_models/); "
        "download it again if it is truncated or corrupt."
    )


def _one(value: Any) -> int:
    return int(value[0]) if isinstance(value, (list, tuple)) else int(value)


def _layer(path: Path, cls: str, name: str, cfg: dict[str, Any], act: str) -> KerasLayer:
    """One supported Keras layer (class `cls`, its `config` `cfg`) as a KerasLayer."""
    if cls == "Conv1D":
        if _one(cfg["strides"]) != 1 or cfg["padding"] not in ("same", "valid"):
            raise weights_error(
                path, f"layer {name}: only stride 1 with same/valid padding is ported"
            )
        if not cfg.get("use_bias", True):
            raise weights_error(path, f"layer {name}: a convolution without bias is not supported")
        return KerasLayer(
            "conv",
            name,
            size=int(cfg["filters"]),
            kernel=_one(cfg["kernel_size"]),
            dilation=_one(cfg.get("dilation_rate", 1)),
            padding=cfg["padding"],
            activation=act,
        )
    if cls == "MaxPooling1D":
        pool = _one(cfg["pool_size"])
        stride = _one(cfg["strides"]) if cfg.get("strides") is not None else pool
        if cfg["padding"] != "valid" or stride != pool:
            raise weights_error(path, f"layer {name}: only valid max pooling with stride = size")
        return KerasLayer("pool", name, size=pool)
    if cls == "Flatten":
        return KerasLayer("flatten", name)
    if cls == "Concatenate":
        if cfg.get("axis", -1) != -1:
            raise weights_error(path, f"layer {name}: concatenation must be on the last axis")
        return KerasLayer("concat", name)
    if cls == "Dense":
        if not cfg.get("use_bias", True):
            raise weights_error(path, f"layer {name}: a dense layer without bias is not supported")
        return KerasLayer("dense", name, size=int(cfg["units"]), activation=act)
    if cls == "Activation":
        return KerasLayer("act", name, activation=act)
    if cls == "Dropout":
        return KerasLayer("dropout", name)
    raise weights_error(path, f"layer {name}: Keras layer {cls} is not part of the Xpresso port")


def parse_model_config(path: Path, config: dict[str, Any]) -> tuple[list[KerasLayer], int, int]:
    """Check the Keras graph is a supported Xpresso chain; returns (layers, L, n_halflife)."""
    try:
        layers = config["config"]["layers"]
        inputs = [entry[0] for entry in config["config"]["input_layers"]]
    except (KeyError, TypeError, IndexError) as exc:
        raise weights_error(
            path, f"`model_config` is not a Keras functional model ({exc!r})"
        ) from exc
    shapes: dict[str, list[Any]] = {}
    chain: list[KerasLayer] = []
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
            raise weights_error(path, f"layer {name} reads {inbound}, expected {wanted}")
        previous = name
        act = cfg.get("activation", "linear")
        if act not in _ACTIVATIONS:
            raise weights_error(path, f"layer {name}: activation {act!r} is not supported")
        chain.append(_layer(path, cls, name, cfg, act))
    if sorted(inputs) != ["halflife", "promoter"] or set(shapes) != {"halflife", "promoter"}:
        raise weights_error(path, f"inputs are {inputs}, expected `promoter` and `halflife`")
    length, alphabet = shapes["promoter"][1], shapes["promoter"][2]
    n_halflife = shapes["halflife"][1]
    if alphabet != 4 or length != XPRESSO_INPUT_LENGTH:
        raise weights_error(
            path, f"promoter input is {length} x {alphabet}, expected {XPRESSO_INPUT_LENGTH} x 4"
        )
    kinds = [layer.kind for layer in chain]
    if kinds.count("flatten") != 1 or kinds.count("concat") != 1:
        raise weights_error(path, "expected one Flatten and one Concatenate with `halflife`")
    cut = kinds.index("flatten")
    if kinds[cut + 1] != "concat" or set(kinds[:cut]) - {"conv", "pool"}:
        raise weights_error(
            path, "expected Conv1D/MaxPooling1D layers, then Flatten, then Concatenate"
        )
    if set(kinds[cut + 2 :]) - {"dense", "act", "dropout"} or kinds[-1] != "dense":
        raise weights_error(path, "expected Dense/Activation/Dropout layers after the Concatenate")
    if chain[-1].size != 1:
        raise weights_error(path, f"the last Dense layer has {chain[-1].size} units, expected 1")
    return chain, int(length), int(n_halflife)


def read_keras_weights(
    path: str | Path,
) -> tuple[list[KerasLayer], dict[str, np.ndarray], int]:
    """Layers, weights (`<layer>/kernel`, `<layer>/bias`, Keras layout) and n_halflife."""
    path = Path(path)
    if not path.is_file():
        raise weights_error(path, "the file does not exist")
    try:
        with h5py.File(path, "r") as h5:
            raw = h5.attrs.get("model_config")
            if raw is None:
                raise weights_error(path, "no `model_config` attribute (not a Keras model file)")
            config = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
            backend = h5.attrs.get("backend", b"tensorflow")
            backend = backend.decode() if isinstance(backend, bytes) else str(backend)
            if backend != "tensorflow":  # Theano-trained Conv1D kernels are stored flipped
                raise weights_error(
                    path, f"saved with Keras backend {backend!r}; only tensorflow is ported"
                )
            chain, _, n_halflife = parse_model_config(path, config)
            group = h5["model_weights"] if "model_weights" in h5 else h5
            weights: dict[str, np.ndarray] = {}
            for layer in chain:
                if layer.kind not in ("conv", "dense"):
                    continue
                for part in ("kernel", "bias"):
                    key = f"{layer.name}/{layer.name}/{part}:0"
                    if key not in group:
                        raise weights_error(path, f"weight {key} is missing")
                    weights[f"{layer.name}/{part}"] = np.asarray(group[key][()], dtype=np.float32)
    except ModelError:
        raise
    except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
        raise weights_error(path, f"cannot be read as a Keras HDF5 file ({exc})") from exc
    return chain, weights, n_halflife
