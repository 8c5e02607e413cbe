"""Reading Xpresso's Keras HDF5 file (pexbench.models.xpresso_keras): damaged files and graphs
the port does not know are refused with the file and the config key named."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import h5py
import pytest

from pexbench.errors import ModelError
from pexbench.models.xpresso import XpressoModel

WEIGHTS = "models/xpresso_GM12878.h5"


@pytest.mark.parametrize(
    "damage", ["missing", "garbage", "truncated", "no_config", "no_kernel", "swapped", "tanh"]
)
def test_missing_or_corrupt_weights(shared_data: Path, tmp_path: Path, damage: str) -> None:
    path = tmp_path / "xpresso.h5"
    source = shared_data / WEIGHTS
    if damage == "garbage":
        path.write_bytes(b"this is not an HDF5 file\n" * 100)
    elif damage == "truncated":
        path.write_bytes(source.read_bytes()[:200_000])
    elif damage != "missing":
        shutil.copyfile(source, path)
        path.chmod(0o644)
        with h5py.File(path, "r+") as h5:
            if damage == "no_config":
                del h5.attrs["model_config"]
            elif damage == "no_kernel":
                del h5["model_weights/conv1d_2/conv1d_2/kernel:0"]
            else:  # a graph the port must refuse rather than misread
                config = json.loads(h5.attrs["model_config"])
                for layer in config["config"]["layers"]:
                    if damage == "swapped" and layer["class_name"] == "Concatenate":
                        layer["inbound_nodes"][0].reverse()  # halflife first
                    if damage == "tanh" and layer["name"] == "conv1d_2":
                        layer["config"]["activation"] = "tanh"
                h5.attrs["model_config"] = json.dumps(config).encode()
    with pytest.raises(ModelError) as info:
        XpressoModel.from_spec({"name": "x", "type": "xpresso", "weights": str(path)}, tmp_path)
    message = str(info.value)
    assert str(path) in message and "models[].weights" in message
    if damage == "no_kernel":
        assert "conv1d_2/conv1d_2/kernel:0" in message
    if damage in ("swapped", "tanh"):
        assert "concatenate_1" in message if damage == "swapped" else "tanh" in message
