"""Throughput of the Xpresso port: sequences per second at several batch sizes.

Usage (from the repository root):

    python tests/benchmarks/bench_xpresso.py                      # 1 CPU thread, batches 1 32 128
    python tests/benchmarks/bench_xpresso.py --quick              # a few seconds, checks it runs
    python tests/benchmarks/bench_xpresso.py --device cuda --threads 4 --json out.json

Input: seeded random ACGT codes of the port's full input (14,000 bp, + strand, TSS in the
middle), half of them flagged minus strand, so the timing includes cutting the 10,500-bp
window, reverse-complementing, one-hot encoding and the forward pass (`XpressoModel.predict`).
Each batch size runs `--repeats` timed passes over `--n` sequences after one warm-up pass;
the table reports the median (and the best) sequences per second.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

from pexbench.models.xpresso import XpressoModel
from pexbench.report import cpu_model

REPO = Path(__file__).resolve().parents[2]
DEFAULT_WEIGHTS = REPO.parent / "shared" / "data" / "models" / "xpresso_GM12878.h5"


def bench(model: XpressoModel, batch: int, n: int, repeats: int, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    n = max(n, batch)
    codes = rng.integers(0, 4, size=(n, model.info.sequence_length), dtype=np.uint8)
    minus = rng.random(n) < 0.5
    model.batch_size = batch
    model.predict(codes[:batch], minus[:batch])  # warm-up
    rates = []
    for _ in range(repeats):
        if model.device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        model.predict(codes, minus)  # returns numpy: synchronises on the GPU
        rates.append(n / (time.perf_counter() - start))
    return {
        "batch_size": batch,
        "sequences": n,
        "repeats": repeats,
        "seq_per_s_median": statistics.median(rates),
        "seq_per_s_best": max(rates),
        "ms_per_seq_median": 1000.0 / statistics.median(rates),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 32, 128])
    parser.add_argument("--n", type=int, default=256, help="sequences per timed pass")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="--n 32 --repeats 1")
    parser.add_argument("--json", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.repeats = 32, 1
    if not args.weights.is_file():
        print(f"weights not found: {args.weights} (pass --weights)", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    model = XpressoModel(args.weights, device=args.device)
    rows = [bench(model, b, args.n, args.repeats, args.seed) for b in args.batch_sizes]
    result = {
        "model": "xpresso",
        "weights": str(args.weights),
        "device": str(model.device),
        "gpu": torch.cuda.get_device_name() if model.device.type == "cuda" else None,
        "cpu": cpu_model(),
        "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "load_avg_1min": os.getloadavg()[0],
        "torch": torch.__version__,
        "input_bp": model.info.sequence_length,
        "results": rows,
    }
    print(
        f"Xpresso predict, {result['device']}, {result['torch_threads']} thread(s), {result['cpu']}"
    )
    print(f"{'batch':>6} {'seqs':>6} {'seq/s (median)':>15} {'seq/s (best)':>13} {'ms/seq':>8}")
    for row in rows:
        print(
            f"{row['batch_size']:>6} {row['sequences']:>6} {row['seq_per_s_median']:>15.1f} "
            f"{row['seq_per_s_best']:>13.1f} {row['ms_per_seq_median']:>8.2f}"
        )
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
