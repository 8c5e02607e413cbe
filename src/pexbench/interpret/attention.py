"""Attention from the TSS: where Enformer's transformer looks from the bins the benchmark reads.

enformer-pytorch 0.8.12 computes the attention softmax inside `Attention.forward` and returns
only the mixed values, so the weights are recomputed, without touching the library, by a forward
pre-hook on every `Attention` module. The hook receives the module's input (the LayerNorm output
of its residual block) and repeats the forward's logits for the query rows it needs only:

    q = to_q(x) * scale,  k = to_k(x)                              (heads split, d = dim_key)
    content[i, j] = (q_i + rel_content_bias) . k_j
    rel_k = to_rel_k(get_positional_embed(n, num_rel_pos_features, use_tf_gamma))   (2n-1 rows)
    rel[i, j] = (q_i + rel_pos_bias) . rel_k[n - 1 + j - i]       (what relative_shift selects)
    attention[i, :] = softmax_j(content[i, j] + rel[i, j])

in float32 with autocast off (on a bf16 GPU run the model itself attends with bf16 logits, so its
weights differ from these by that rounding). Dropout is the identity in eval mode. Only the rows
of the query positions are formed: (batch, heads, n_query, n) per layer, never an n x n map.

Query positions: the transformer runs on all n = L / 128 positions (1,536 for 196,608 bp, 32 for
the tiny model's 4,096 bp); the crop to the output bins comes after it, so output bin b is
transformer position b + crop_bins (BinGeometry.crop_offset / bin_size: 320 for the full model,
8 for the tiny one). The TSS bins 447-449 are positions 767-769. Position p covers input bases
[p * 128, (p + 1) * 128). Attention is computed for the forward-strand input only (a model built
with `reverse_complement` also averages a reverse-complement pass, which is not captured).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch
from einops import rearrange
from enformer_pytorch.modeling_enformer import Attention, get_positional_embed

from pexbench.encoding import one_hot
from pexbench.errors import ModelError
from pexbench.models.base import BinGeometry
from pexbench.models.enformer import EnformerModel


@dataclass(frozen=True)
class TssAttention:
    """Attention of the TSS query positions, for a batch of sequences.

    weights: (batch, layers, heads, n_query, positions); each row sums to 1 (in float32, before
    any cast to float16). query_positions: transformer positions of the rows (TSS bin +
    crop_bins). bin_size: bases per position (position p covers [p * bin_size, (p+1) * bin_size)
    of the input).
    """

    weights: npt.NDArray[np.floating]
    query_positions: npt.NDArray[np.int64]
    tss_bins: npt.NDArray[np.int64]
    bin_size: int

    def profile(self) -> npt.NDArray[np.float32]:
        """(batch, positions): mean over layers, heads and query rows (sums to 1 per sequence)."""
        return self.weights.astype(np.float32).mean(axis=(1, 2, 3))

    def per_base(self) -> npt.NDArray[np.float32]:
        """(batch, L): the profile spread evenly over each position's bases (sums to 1)."""
        return np.repeat(self.profile() / self.bin_size, self.bin_size, axis=1)


def query_positions(
    geometry: BinGeometry, bins: Sequence[int] | npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Transformer positions of output `bins` (bin + crop_offset / bin_size)."""
    return np.asarray(bins, dtype=np.int64) + geometry.crop_offset // geometry.bin_size


def attention_rows(module: Attention, x: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """Softmax attention of query `rows` of one Attention module given its input x (B, n, dim).

    Returns float32 (B, heads, len(rows), n). See the module docstring for the formula.
    """
    n = x.shape[-2]
    with torch.autocast(device_type=x.device.type, enabled=False):
        x = x.float()
        split = "b n (h d) -> b h n d"
        q = rearrange(module.to_q(x[:, rows]), split, h=module.heads) * module.scale
        k = rearrange(module.to_k(x), split, h=module.heads)
        content = torch.einsum("bhid,bhjd->bhij", q + module.rel_content_bias, k)
        positions = get_positional_embed(
            n,
            module.num_rel_pos_features,
            x.device,
            use_tf_gamma=module.use_tf_gamma,
            dtype=module.to_rel_k.weight.dtype,
        )
        rel_k = rearrange(module.to_rel_k(positions), "r (h d) -> h r d", h=module.heads)
        # row i reads relative distance j - i, i.e. rel_k[n - 1 - i + j] for j = 0..n-1
        index = (n - 1 - rows)[:, None] + torch.arange(n, device=x.device)[None, :]
        rel = torch.einsum("bhid,hijd->bhij", q + module.rel_pos_bias, rel_k[:, index])
        return (content + rel).softmax(dim=-1)


def attention_modules(net: torch.nn.Module) -> list[Attention]:
    """The transformer's Attention modules in layer order."""
    return [m for m in net.modules() if isinstance(m, Attention)]


@contextmanager
def capture_attention(
    net: torch.nn.Module, rows: Sequence[int] | npt.NDArray[np.int64]
) -> Iterator[list[torch.Tensor]]:
    """While active, every forward of `net` appends, per Attention layer in call order, the
    float32 attention of query `rows` (B, heads, n_rows, n) to the yielded list. The model's
    own computation is untouched (the hook returns nothing); hooks are removed on exit."""
    modules = attention_modules(net)
    if not modules:
        raise ModelError("the network has no enformer-pytorch Attention layers to capture.")
    store: list[torch.Tensor] = []
    index = torch.as_tensor(np.asarray(rows, dtype=np.int64))

    def hook(module: torch.nn.Module, args: tuple[torch.Tensor, ...]) -> None:
        with torch.no_grad():
            store.append(attention_rows(module, args[0], index.to(args[0].device)))

    handles = [m.register_forward_pre_hook(hook) for m in modules]
    try:
        yield store
    finally:
        for handle in handles:
            handle.remove()


def tss_attention(
    model: EnformerModel,
    codes: npt.NDArray[np.uint8],
    *,
    dtype: type[np.floating] = np.float16,
    batch_size: int = 1,
) -> TssAttention:
    """Attention of the TSS query positions for (B, L) uint8 codes (+ strand, TSS at L // 2).

    Returns TssAttention with weights (B, layers, heads, n_query, L / bin_size) in `dtype`
    (float16 by default: 11 x 8 x 3 x 1,536 x 2 bytes = 0.8 MB per sequence for the full model).
    """
    codes = np.asarray(codes, dtype=np.uint8)
    length = model.info.sequence_length
    if codes.ndim != 2 or codes.shape[1] != length:
        raise ModelError(
            f"{model.info.name}: expected codes of shape (batch, {length}), got {codes.shape}."
        )
    rows = query_positions(model.geometry, model.bins)
    n_layers = len(attention_modules(model.net))
    out: list[npt.NDArray[np.floating]] = []
    with torch.inference_mode(), capture_attention(model.net, rows) as store:
        for lo in range(0, len(codes), batch_size):
            x = torch.from_numpy(one_hot(codes[lo : lo + batch_size])).to(model.device)
            model.net.trunk(x)
            layers = torch.stack(store, dim=1)  # (b, layers, heads, n_query, n)
            store.clear()
            if layers.shape[1] != n_layers or layers.shape[-1] != length // model.geometry.bin_size:
                raise ModelError(f"{model.info.name}: unexpected attention shape {layers.shape}.")
            out.append(layers.cpu().numpy().astype(dtype))
    heads = attention_modules(model.net)[0].heads
    empty = np.zeros((0, n_layers, heads, len(rows), length // model.geometry.bin_size), dtype)
    return TssAttention(
        weights=np.concatenate(out) if out else empty,
        query_positions=rows,
        tss_bins=np.asarray(model.bins, dtype=np.int64),
        bin_size=model.geometry.bin_size,
    )
