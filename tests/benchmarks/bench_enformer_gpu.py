"""Enformer throughput, model FLOP utilisation, peak memory and bf16-vs-fp32 agreement.

Usage (from the repository root):

    python tests/benchmarks/bench_enformer_gpu.py --json bench.json          # full size, GPU
    python tests/benchmarks/bench_enformer_gpu.py --batch-sizes 1,2,4,8,16,32 --precisions bf16,fp32
    python tests/benchmarks/bench_enformer_gpu.py --tiny --device cpu --threads 1  # seconds, CPU

What runs: the production path `EnformerModel.predict` (uint8 codes -> device, one-hot on the
device, trunk under torch.inference_mode, bf16 autocast or fp32, human head rows at the TSS
bins) on a full-size Enformer (dim 1536, depth 11, 196,608 bp) with RANDOM weights (seeded,
variance-preserving init; speed and numerics do not depend on trained values), or with
`--tiny` the 4,096-bp test model.

Per precision and batch size: `--repeats` timed batches after `--warmup` untimed ones
(CUDA synchronised), median seconds per batch -> forwards/s; model FLOP utilisation
MFU = forwards/s x FLOP per forward / peak FLOP/s, with FLOP per forward both nominal
(3.3e12 for 196,608 bp, from the design notes) and counted by torch.utils.flop_counter on one
forward (the MFU uses the counted value); peak device memory (torch.cuda.max_memory_allocated).
An out-of-memory batch size is recorded as such and the sweep continues.

Agreement: `--n-agree` sequences (a random background with 0..3 SNVs near the TSS each, like
personal haplotypes) predicted once in fp32 twice (must agree exactly: determinism) and once
in bf16; Pearson r over all tracks x TSS bins (raw), and over the values centred per
track and bin across sequences (the between-sequence differences that personal-expression
benchmarks use).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from pexbench.errors import ModelError
from pexbench.models.enformer import TINY_HPARAMS, EnformerModel, _reinit_tiny
from pexbench.models.facts import ENFORMER_LENGTH as FULL_LENGTH
from pexbench.models.facts import ENFORMER_TINY_LENGTH as TINY_LENGTH
from pexbench.models.tracks import N_HUMAN_TRACKS, Track, TrackTable

REPO = Path(__file__).resolve().parents[2]
DEFAULT_TARGETS = REPO.parent / "shared" / "data" / "enformer" / "targets_human.txt"
NOMINAL_FLOP_FULL = 3.3e12
PEAK_TFLOPS = {"bf16": 989.0, "fp32": 67.0}  # H100 SXM dense: bf16 tensor core, fp32 (non-TF32)
RESULT_KEYS = (
    "precision",
    "batch_size",
    "forwards_per_s",
    "seconds_per_batch",
    "mfu",
    "peak_memory_bytes",
    "oom",
)


def build_net(tiny: bool, seed: int) -> torch.nn.Module:
    from enformer_pytorch import Enformer

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if tiny:
            net = Enformer.from_hparams(**TINY_HPARAMS)
        else:
            net = Enformer.from_hparams(output_heads=dict(human=N_HUMAN_TRACKS))
        _reinit_tiny(net)  # variance-preserving init (any size)
    return net.eval()


def tracks(targets: Path) -> list[Track]:
    if targets.is_file():
        table = TrackTable.read(targets)
        return [table.track(i) for i in range(len(table))]
    return [Track(i, f"t{i}", f"track {i}") for i in range(N_HUMAN_TRACKS)]


def make_model(
    net: torch.nn.Module,
    args: argparse.Namespace,
    precision: str,
    batch: int,
    all_tracks: list[Track],
) -> EnformerModel:
    import copy

    return EnformerModel(
        copy.deepcopy(net),
        name="bench",
        weights="random (benchmark)",
        is_trained=False,
        tracks=all_tracks,
        sequence_length=args.length,
        tss_bins=3,
        device=args.device,
        precision=precision,
        batch_size=batch,
    )


def count_flops(model: EnformerModel) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    codes = np.zeros((1, model.info.sequence_length), dtype=np.uint8)
    counter = FlopCounterMode(display=False)
    with counter:
        model.predict(codes, np.zeros(1, bool))
    return float(counter.get_total_flops())


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_batch(model: EnformerModel, batch: int, args: argparse.Namespace) -> dict[str, Any]:
    dev = model.device
    rng = np.random.default_rng(args.seed)
    codes = rng.integers(0, 4, (batch, args.length)).astype(np.uint8)
    minus = np.zeros(batch, bool)
    if dev.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(dev)
    try:
        for _ in range(args.warmup):
            model.predict(codes, minus)
        times = []
        for _ in range(args.repeats):
            sync(dev)
            t0 = time.perf_counter()
            model.predict(codes, minus)
            sync(dev)
            times.append(time.perf_counter() - t0)
    except (torch.OutOfMemoryError, ModelError):  # ModelError: OOM even at batch size 1
        return {"oom": True}
    if model.runner.backoffs:  # the runner halved the batch: not this batch size any more
        return {"oom": True}
    sec = statistics.median(times)
    peak = torch.cuda.max_memory_allocated(dev) if dev.type == "cuda" else None
    return {
        "oom": False,
        "seconds_per_batch": sec,
        "forwards_per_s": batch / sec,
        "peak_memory_bytes": peak,
    }


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    a, b = a - a.mean(), b - b.mean()
    den = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / den) if den > 0 else float("nan")


def agreement(
    net: torch.nn.Module, args: argparse.Namespace, all_tracks: list[Track]
) -> dict[str, float]:
    rng = np.random.default_rng(args.seed + 1)
    base = rng.integers(0, 4, args.length).astype(np.uint8)
    codes = np.repeat(base[None], args.n_agree, axis=0)
    centre = args.length // 2
    for i in range(1, args.n_agree):  # sequence 0 = background; others carry 1-3 SNVs
        pos = centre + rng.integers(-args.length // 8, args.length // 8, rng.integers(1, 4))
        codes[i, pos] = (codes[i, pos] + rng.integers(1, 4, len(pos))) % 4
    minus = np.zeros(args.n_agree, bool)
    fp32_a = make_model(net, args, "fp32", args.agree_batch, all_tracks).predict(codes, minus)
    fp32_b = make_model(net, args, "fp32", args.agree_batch, all_tracks).predict(codes, minus)
    bf16 = make_model(net, args, "bf16", args.agree_batch, all_tracks).predict(codes, minus)
    return {
        "pearson_fp32_vs_fp32": pearson(fp32_a, fp32_b),
        "max_abs_diff_fp32_vs_fp32": float(np.abs(fp32_a - fp32_b).max()),
        "pearson_bf16_vs_fp32": pearson(bf16, fp32_a),
        "pearson_bf16_vs_fp32_centred": pearson(bf16 - bf16.mean(0), fp32_a - fp32_a.mean(0)),
        "pearson_fp32_vs_fp32_centred": pearson(fp32_a - fp32_a.mean(0), fp32_b - fp32_b.mean(0)),
        "n_sequences": args.n_agree,
        "n_values": int(fp32_a.size),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tiny", action="store_true", help="4,096-bp tiny model (seconds on a CPU)")
    p.add_argument("--device", default="auto")
    p.add_argument("--batch-sizes", default=None, help="comma list (default 1,2,4,..,32; tiny 1,4)")
    p.add_argument("--precisions", default="bf16,fp32")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--n-agree", type=int, default=16)
    p.add_argument("--agree-batch", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--targets", type=Path, default=DEFAULT_TARGETS)
    p.add_argument("--peak-tflops-bf16", type=float, default=PEAK_TFLOPS["bf16"])
    p.add_argument("--peak-tflops-fp32", type=float, default=PEAK_TFLOPS["fp32"])
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--json", type=Path, default=None, help="write the results here")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    args.length = TINY_LENGTH if args.tiny else FULL_LENGTH
    sizes = [
        int(x) for x in (args.batch_sizes or ("1,4" if args.tiny else "1,2,4,8,16,32")).split(",")
    ]
    precisions = [x.strip() for x in args.precisions.split(",") if x.strip()]
    peak = {"bf16": args.peak_tflops_bf16 * 1e12, "fp32": args.peak_tflops_fp32 * 1e12}
    all_tracks = tracks(args.targets)
    net = build_net(args.tiny, args.seed)

    probe = make_model(net, args, "fp32", 1, all_tracks)
    device = probe.device
    flop = count_flops(probe)
    del probe
    out: dict[str, Any] = {
        "model": "enformer-tiny" if args.tiny else "enformer-full",
        "weights": "random (seeded, variance-preserving init): timings only, not a result",
        "sequence_length": args.length,
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else platform.processor() or platform.machine(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn_allow_tf32_in_fp32_runs": False,  # EnformerModel switches TF32 off for fp32
        "flop_per_forward_counted": flop,
        "flop_per_forward_nominal": NOMINAL_FLOP_FULL * args.length / FULL_LENGTH
        if not args.tiny
        else None,
        "peak_flops": peak,
        "results": [],
    }
    for prec in precisions:
        for b in sizes:
            model = make_model(net, args, prec, b, all_tracks)
            r = time_batch(model, b, args)
            row = {
                "precision": prec,
                "batch_size": b,
                "forwards_per_s": None,
                "seconds_per_batch": None,
                "mfu": None,
                "peak_memory_bytes": None,
                **r,
            }
            if not r["oom"]:
                row["mfu"] = r["forwards_per_s"] * flop / peak[prec]
            out["results"].append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
            del model
            if device.type == "cuda":
                torch.cuda.empty_cache()
    out["agreement"] = agreement(net, args, all_tracks)
    print(json.dumps(out["agreement"]), file=sys.stderr)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
