"""The Xpresso Keras graph as torch modules, reproducing Keras' conventions exactly.

- `same` padding pads d*(k-1) zeros in total, (d*(k-1))//2 on the LEFT and the rest on the
  right (TensorFlow SAME): k=6 pads 2 left, 3 right.
- Conv1D kernels are stored (width, in, out); with the TensorFlow backend (checked by
  pexbench.models.xpresso_keras) convolution is a cross-correlation, so no kernel flip.
- MaxPooling1D `valid`: stride = pool size, the trailing remainder is dropped.
- Flatten is channels-last: feature index = position * channels + channel, so activations stay
  (batch, position, channel) throughout and flattening matches the Dense kernel rows.
- Dropout and linear activations are the identity at inference.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from pexbench.models.facts import XPRESSO_INPUT_LENGTH
from pexbench.models.xpresso_keras import KerasLayer, weights_error


def keras_same_padding(kernel_size: int, dilation: int = 1) -> tuple[int, int]:
    """(left, right) zero padding of Keras/TensorFlow `same` for a stride-1 convolution."""
    total = dilation * (kernel_size - 1)
    return total // 2, total - total // 2


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

    def __init__(self, chain: Sequence[KerasLayer], weights: dict[str, np.ndarray]) -> None:
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


def check_shapes(path: Path, net: XpressoNet, n_halflife: int) -> None:
    """A dry run on zeros: kernel shapes must chain (e.g. Dense input = flattened + halflife)."""
    try:
        with torch.inference_mode():
            net(torch.zeros(1, XPRESSO_INPUT_LENGTH, 4), torch.zeros(1, n_halflife))
    except RuntimeError as exc:
        raise weights_error(path, f"weight shapes do not fit the layer graph ({exc})") from exc
