"""Cost of interpretation: one backward pass and attention capture, and full-model memory.

Usage (from the repository root):

    python tests/benchmarks/bench_interpret.py                 # tiny Enformer + Xpresso, 15 runs
    python tests/benchmarks/bench_interpret.py --quick         # 2 runs, checks it runs
    python tests/benchmarks/bench_interpret.py --threads 1 --json out.json

Timings (CPU, median and best of `--repeats` interleaved runs after one warm-up, one
sequence each):
- forward: the readout's forward without autograd (the same computation the gradient
  differentiates); predict: `model.predict` of one sequence (the benchmark's own path);
- gradient: `contributions` (forward with autograd + one backward to the one-hot input);
- attention: `tss_attention` (forward + recomputing the TSS rows of every layer).
Each is also given relative to the forward (`*_over_forward`).

Memory per sequence of the FULL Enformer (196,608 bp, dim 1536, 11 layers, 8 heads), from
shapes, nothing is run at full size:
- attention output: layers x heads x n_query x positions x 2 bytes (float16);
- capture working set, one layer at a time: the query rows' logits (heads x n_query x n) and
  the gathered relative keys (heads x n_query x n x dim_key) in float32;
- backward activations: the bytes of every tensor autograd saves during a forward of the trunk,
  counted by `torch.autograd.graph.saved_tensors_hooks` on a model built on PyTorch's "meta"
  device (shapes without storage), excluding parameters, each tensor object counted once.
  That is sum over saved tensors of numel x 4 bytes in float32 (an upper bound: two views of
  one storage count twice); bf16 autocast roughly halves it (softmax and normalisation keep
  float32). The backward itself needs a few more activation-sized gradient buffers at its peak.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from pexbench.interpret.attention import tss_attention
from pexbench.interpret.contributions import contributions
from pexbench.interpret.readout import ReadoutSpec, TssReadout
from pexbench.models.enformer import EnformerModel
from pexbench.models.xpresso import XpressoModel

REPO = Path(__file__).resolve().parents[2]
TARGETS = REPO / "resources" / "demo" / "targets_human.txt"
XPRESSO = REPO / "resources" / "demo" / "xpresso_GM12878.h5"
FULL = dict(dim=1536, depth=11, heads=8, attn_dim_key=64, length=196_608, bin_size=128)


def interleaved(fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, dict[str, float]]:
    """Median and best of `repeats` timed calls of each function after one warm-up, the
    functions taking turns so that load from other processes on a shared machine hits them
    alike (the best is the least disturbed)."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():
        fn()
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {n: {"median_s": statistics.median(t), "best_s": min(t)} for n, t in times.items()}


def forward_only(model: EnformerModel | XpressoModel, codes: np.ndarray) -> Callable[[], Any]:
    """The readout's forward without autograd: the baseline the gradient is compared with."""
    readout = TssReadout(model)

    def run() -> None:
        with torch.inference_mode():
            readout(readout.onehot(codes))

    return run


def with_ratios(timings: dict[str, dict[str, float]]) -> dict[str, Any]:
    """Add each timing's ratio to the forward (median over median, best over best)."""
    base = timings["forward"]
    out: dict[str, Any] = dict(timings)
    for name, t in timings.items():
        if name != "forward":
            out[f"{name}_over_forward"] = {k: t[k] / base[k] for k in ("median_s", "best_s")}
    return out


def time_enformer(repeats: int) -> dict[str, Any]:
    spec = {"name": "tiny", "weights": "tiny", "tracks": [5110], "device": "cpu"}
    model = EnformerModel.from_spec(spec, targets=TARGETS)
    codes = np.random.default_rng(0).integers(0, 4, (1, model.info.sequence_length), np.uint8)
    minus = np.zeros(1, bool)
    fns = {
        "forward": forward_only(model, codes),
        "predict": lambda: model.predict(codes, minus),
        "gradient": lambda: contributions(model, codes[0]),
        "attention": lambda: tss_attention(model, codes),
    }
    return with_ratios(interleaved(fns, repeats))


def time_xpresso(repeats: int) -> dict[str, Any]:
    model = XpressoModel(XPRESSO)
    codes = np.random.default_rng(0).integers(0, 4, (1, model.sequence_length), np.uint8)
    fns = {
        "forward": forward_only(model, codes),
        "predict": lambda: model.predict(codes, np.zeros(1, bool)),
        "gradient": lambda: contributions(model, codes[0], ReadoutSpec()),
    }
    return with_ratios(interleaved(fns, repeats))


def saved_activation_bytes(length: int, **hparams: Any) -> tuple[int, int]:
    """(bytes autograd saves for backward in one fp32 forward of the trunk, parameter count),
    on the meta device."""
    from enformer_pytorch import Enformer

    with torch.device("meta"):
        net = Enformer.from_hparams(output_heads=dict(human=5313), **hparams).eval()
    params = {id(p) for p in net.parameters()}
    saved: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        base = t._base if t._base is not None else t
        if id(t) not in params and id(base) not in params:
            saved[id(t)] = t.numel() * t.element_size()
        return t

    x = torch.zeros(1, length, 4, device="meta", requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        net.trunk(x)
    return sum(saved.values()), sum(p.numel() for p in net.parameters())


def full_memory(n_query: int) -> dict[str, float]:
    n = FULL["length"] // FULL["bin_size"]
    layers, heads, dim_key = FULL["depth"], FULL["heads"], FULL["attn_dim_key"]
    saved, n_params = saved_activation_bytes(
        FULL["length"], dim=FULL["dim"], depth=layers, heads=heads, target_length=896
    )
    return {
        "attention_output_fp16_MB": layers * heads * n_query * n * 2 / 1e6,
        "capture_working_set_per_layer_MB": heads * n_query * n * (2 + dim_key) * 4 / 1e6,
        "backward_saved_activations_fp32_GB": saved / 1e9,
        "backward_saved_activations_bf16_GB_approx": saved / 2e9,
        "parameters_fp32_GB": n_params * 4 / 1e9,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    parser.add_argument("--quick", action="store_true", help="2 repeats")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    repeats = 2 if args.quick else args.repeats
    result: dict[str, Any] = {
        "torch_threads": torch.get_num_threads(),
        "cpus": os.cpu_count(),
        "repeats": repeats,
        "tiny_enformer_4096bp": time_enformer(repeats),
        "full_enformer_memory_per_sequence": full_memory(n_query=3),
    }
    if XPRESSO.is_file():
        result["xpresso_14000bp"] = time_xpresso(repeats)
    for key in ("tiny_enformer_4096bp", "xpresso_14000bp"):
        timings = result.get(key)
        if timings:
            for name in ("gradient_s", "attention_s"):
                if name in timings:
                    timings[name.replace("_s", "_over_forward")] = (
                        timings[name] / timings["forward_s"]
                    )
    json.dump(result, sys.stdout, indent=2)
    print()
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
