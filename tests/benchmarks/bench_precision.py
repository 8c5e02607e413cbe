"""Parity of reduced precision (bf16, tf32) with fp32 on personal haplotypes: the rows of
`src/pexbench/data/precision_parity.tsv`, which `precision: auto` decides by.

Usage (from the repository root):

    python tests/benchmarks/bench_precision.py --tsv rows.tsv --json rows.json   # CPU, ~1 min
    python tests/benchmarks/bench_precision.py --models enformer --device cuda \\
        --precisions bf16,tf32 --enformer-weights /path/to/enformer-official-rough --tsv rows.tsv

What it measures: real genes (GENCODE v19 protein_coding and lincRNA, TSS inside the real
chr22:16.05-22 Mb reference) and the phased haplotypes of the 423 GEUVADIS individuals, built by
the library (`haplotypes_for_gene` + `AnchoredBuilder`) at each model's input length. Per gene
the distinct sequences the model reads (the whole input for Enformer, the 10,500-bp strand
window for Xpresso) are kept, the `--max-haplotypes` most frequent of them; genes with fewer
than two distinct sequences carry no between-haplotype signal and are skipped. Every sequence
runs in fp32 (TF32 off) and in each reduced precision (bf16: autocast; tf32: fp32 with TF32
matmuls and convolutions, CUDA only). Output: Enformer CAGE GM12878 (track 5110), mean of the 3
TSS bins; Xpresso its one output.

raw_r: Pearson r of reduced vs fp32 over all sequences. centred_r: the same after subtracting
each gene's mean across its sequences (separately per precision), i.e. on the differences
between haplotypes that the benchmark is about. The JSON also gives the between-haplotype SD
and the RMS error of the reduced precision on the centred values.

Models: `enformer-tiny` (seeded random weights, 4,096 bp; weights kind `tiny`), `xpresso`
(`--xpresso-weights`, 10,500 bp read from a 14,000-bp window; kind = file stem), `enformer`
(`--enformer-weights`, 196,608 bp; kind `official` for the official architecture, else
`custom`; needs a GPU to finish in reasonable time).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import torch

from pexbench.genes import read_genes
from pexbench.genome import Reference
from pexbench.haplotypes import AnchoredBuilder, haplotypes_for_gene
from pexbench.models import load_model
from pexbench.models.base import SequenceModel
from pexbench.models.facts import XPRESSO_INPUT_LENGTH as XPRESSO_INPUT
from pexbench.models.runner import set_cuda_math
from pexbench.precision import COLUMNS, PrecisionChoice
from pexbench.predict import reduce_bins
from pexbench.report import cpu_model

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"
FASTA = DATA / "reference" / "chr22.GRCh37.real_16.05-22Mb.fa.gz"
VCF = DATA / "genotypes" / "1kg_phase1.chr22_16.05-22.0Mb.geuvadis423.phased.vcf.gz"
GTF = DATA / "annotation" / "gencode.v19.annotation.chr22.gtf.gz"
REAL = (16_050_000, 22_000_000)  # the real bases of the reference FASTA (N elsewhere)
TARGETS = REPO / "resources" / "demo" / "targets_human.txt"
XPRESSO = REPO / "resources" / "demo" / "xpresso_GM12878.h5"
LENGTHS = {"enformer-tiny": 4_096, "xpresso": 14_000, "enformer": 196_608}  # input bp
MODELS = tuple(LENGTHS)


def hardware(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{cpu_model()}, {torch.get_num_threads()} thread(s)"


def pearson(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float:
    a, b = a - a.mean(), b - b.mean()
    denom = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denom) if denom > 0 else float("nan")


def build_model(name: str, precision: str, args: argparse.Namespace) -> tuple[SequenceModel, str]:
    """(model, weights kind) running in `precision` (Xpresso: fp32, autocast added by `run`)."""
    if name == "xpresso":
        spec = {"name": "xpresso", "type": "xpresso", "weights": str(args.xpresso_weights)}
        spec |= {"device": args.device}
        return load_model(spec, root=REPO, index=0), Path(args.xpresso_weights).stem
    weights = "tiny" if name == "enformer-tiny" else str(args.enformer_weights)
    spec = {"name": name, "type": "enformer", "weights": weights, "tracks": [5110]}
    spec |= {"device": args.device, "precision": precision, "batch_size": args.batch_size}
    model = load_model(spec, targets=TARGETS, root=REPO, index=0)
    if name == "enformer-tiny":
        return model, "tiny"
    from pexbench.models.enformer import _is_official_arch

    official = _is_official_arch(model.net.config.to_dict())  # type: ignore[attr-defined]
    return model, "official" if official else "custom"


def run(
    model: SequenceModel,
    precision: str,
    codes: npt.NDArray[np.uint8],
    minus: npt.NDArray[np.bool_],
    device: torch.device,
) -> npt.NDArray[np.float64]:
    """One value per sequence (track 0, TSS bins averaged)."""
    if device.type == "cuda":
        set_cuda_math(PrecisionChoice(precision, precision, "benchmark"))
    autocast = precision == "bf16" and model.info.kind == "xpresso"
    out = []
    with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=autocast):
        for lo in range(0, len(codes), 256):
            out.append(
                reduce_bins(model.predict(codes[lo : lo + 256], minus[lo : lo + 256]), "mean")
            )
    return np.concatenate(out)[:, 0]


def input_length(model: SequenceModel) -> int:
    """Bases the network reads: the table's sequence_length (Xpresso reads 10,500 of 14,000)."""
    return XPRESSO_INPUT if model.info.kind == "xpresso" else model.info.sequence_length


def model_view(model: SequenceModel, codes: npt.NDArray[np.uint8], minus: bool) -> bytes:
    """The bases the model reads (what decides whether two haplotypes are distinct for it)."""
    if model.info.kind == "xpresso":
        window = model.gene_strand_window(codes[None], np.array([minus]))  # type: ignore[attr-defined]
        return bytes(window.tobytes())
    return codes.tobytes()


def sequences(
    model: SequenceModel, genes: pd.DataFrame, args: argparse.Namespace
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.bool_], npt.NDArray[np.int64], int]:
    """(codes, minus-strand flags, gene index per sequence, genes used)."""
    reference = Reference(args.fasta)
    length = model.info.sequence_length
    codes, minus, gene_of = [], [], []
    used = 0
    for _, row in genes.iterrows():
        gene = haplotypes_for_gene(args.vcf, reference, row, length, None, "error")
        builder = AnchoredBuilder(reference, gene, length)
        copies = np.bincount(gene.assignment.ravel(), minlength=len(gene.unique))
        seen: dict[bytes, tuple[int, npt.NDArray[np.uint8]]] = {}
        for h in np.argsort(-copies, kind="stable"):
            seq = builder.build(gene.unique[h])
            key = model_view(model, seq, gene.strand == "-")
            n, first = seen.get(key, (0, seq))
            seen[key] = (n + int(copies[h]), first)
        if len(seen) < 2:
            continue
        ranked = sorted(seen.values(), key=lambda item: -item[0])[: args.max_haplotypes]
        codes += [seq for _n, seq in ranked]
        minus += [gene.strand == "-"] * len(ranked)
        gene_of += [used] * len(ranked)
        used += 1
    return np.stack(codes), np.array(minus), np.array(gene_of), used


def centred(values: npt.NDArray[np.float64], gene_of: npt.NDArray[np.int64]) -> npt.NDArray:
    means = np.bincount(gene_of, weights=values) / np.bincount(gene_of)
    return values - means[gene_of]


def command(name: str, args: argparse.Namespace) -> str:
    parts = ["python tests/benchmarks/bench_precision.py", f"--models {name}"]
    parts += [f"--device {args.device}", f"--threads {args.threads}"]
    parts += [f"--max-genes {args.max_genes}", f"--max-haplotypes {args.max_haplotypes}"]
    parts.append(f"--seed {args.seed}")
    if name == "enformer":
        parts.append(f"--enformer-weights {args.enformer_weights}")
    return " ".join(parts)


def measure(name: str, genes: pd.DataFrame, args: argparse.Namespace) -> list[dict[str, Any]]:
    device = torch.device(args.device)
    start = time.perf_counter()
    reference_model, kind = build_model(name, "fp32", args)
    codes, minus, gene_of, n_genes = sequences(reference_model, genes, args)
    built = time.perf_counter() - start
    fp32 = run(reference_model, "fp32", codes, minus, device)
    c32 = centred(fp32, gene_of)
    rows = []
    for precision in args.precisions:
        if precision == "tf32" and device.type != "cuda":
            print(f"{name}: tf32 skipped (CUDA only)", file=sys.stderr)
            continue
        model = reference_model if name == "xpresso" else build_model(name, precision, args)[0]
        t0 = time.perf_counter()
        reduced = run(model, precision, codes, minus, device)
        cred = centred(reduced, gene_of)
        rows.append(
            {
                "model_type": "xpresso" if name == "xpresso" else "enformer",
                "weights": kind,
                "sequence_length": input_length(reference_model),
                "device_type": device.type,
                "precision": precision,
                "centred_r": round(pearson(cred, c32), 6),
                "raw_r": round(pearson(reduced, fp32), 6),
                "n_sequences": len(codes),
                "n_genes": n_genes,
                "measured_on": hardware(device),
                "torch": torch.__version__,
                "command": command(name, args),
                "date": datetime.date.today().isoformat(),
                # JSON only
                "between_haplotype_sd_fp32": float(c32.std()),
                "centred_rms_error": float(np.sqrt(np.mean((cred - c32) ** 2))),
                "raw_max_abs_error": float(np.abs(reduced - fp32).max()),
                "seconds_build_and_fp32": round(built, 1),
                "seconds_reduced": round(time.perf_counter() - t0, 1),
            }
        )
    return rows


def select_genes(args: argparse.Namespace, margin: int) -> pd.DataFrame:
    reference = Reference(args.fasta)
    genes = read_genes(args.gtf, reference_contigs=reference.contigs, gene_types=args.gene_types)
    inside = (genes["tss"] >= REAL[0] + margin) & (genes["tss"] < REAL[1] - margin)
    genes = genes[inside].sort_values(["tss", "gene_id"]).reset_index(drop=True)
    if len(genes) > args.max_genes:
        keep = np.random.default_rng(args.seed).choice(len(genes), args.max_genes, replace=False)
        genes = genes.iloc[np.sort(keep)].reset_index(drop=True)
    return genes


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default="enformer-tiny,xpresso", help=f"of {', '.join(MODELS)}")
    p.add_argument("--precisions", default="bf16", help="comma-separated: bf16, tf32 (CUDA)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    p.add_argument("--max-genes", type=int, default=200, help="random subsample (seeded)")
    p.add_argument("--max-haplotypes", type=int, default=16, help="most frequent per gene")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--fasta", type=Path, default=FASTA)
    p.add_argument("--vcf", type=Path, default=VCF)
    p.add_argument("--gtf", type=Path, default=GTF)
    p.add_argument("--gene-types", nargs="+", default=["protein_coding", "lincRNA"])
    p.add_argument("--xpresso-weights", type=Path, default=XPRESSO)
    p.add_argument("--enformer-weights", default="EleutherAI/enformer-official-rough")
    p.add_argument("--tsv", type=Path, help="write the table rows here (precision_parity format)")
    p.add_argument("--json", type=Path, help="write the rows with extra figures here")
    args = p.parse_args(argv)
    args.precisions = [x.strip().lower() for x in args.precisions.split(",") if x.strip()]
    names = [x.strip() for x in args.models.split(",") if x.strip()]
    if unknown := sorted(set(names) - set(MODELS)):
        p.error(f"unknown model(s) {unknown}; use {', '.join(MODELS)}")
    for path in (args.fasta, args.vcf, args.gtf):
        if not path.is_file():
            print(f"input not found: {path} (see --fasta/--vcf/--gtf)", file=sys.stderr)
            return 2
    torch.set_num_threads(args.threads)
    # the same genes for every model: TSS far enough inside the real bases for the longest input
    genes = select_genes(args, margin=max(LENGTHS[n] for n in names) // 2 + 10_000)
    rows: list[dict[str, Any]] = []
    for name in names:
        rows += measure(name, genes, args)
    for row in rows:
        print(
            f"{row['model_type']:8} {row['weights']:16} {row['sequence_length']:>7} "
            f"{row['device_type']:4} {row['precision']:4}  centred r {row['centred_r']:.6f}  "
            f"raw r {row['raw_r']:.6f}  ({row['n_sequences']} seqs, {row['n_genes']} genes, "
            f"SD {row['between_haplotype_sd_fp32']:.3g}, centred RMS error "
            f"{row['centred_rms_error']:.3g})"
        )
    if args.tsv:
        with args.tsv.open("w", newline="") as out:
            writer = csv.DictWriter(out, COLUMNS, delimiter="\t", extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
