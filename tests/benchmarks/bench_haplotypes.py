#!/usr/bin/env python
"""Benchmark of the haplotype engine, end to end (a script, not a pytest test).

Unit = one (gene, individual, haplotype) anchored sequence (default 196,608 bp, TSS at L//2),
for every gene of the GEUVADIS expression table inside a region and every individual of the
GEUVADIS VCF (unphased calls taken in file order, policy `as_phased`), on one core.
`--real-phased`: the real hg19 sequence and the real phased VCF of all 423 GEUVADIS individuals
in chr22:16.05-22 Mb (policy `error`; thinned to 2,371 variants, so dedup ratios there are not
those of dense genotypes); `--model-length xpresso|enformer`: the haplotype length the workflow
uses for that model type alone (pexbench.models.facts: 14,000 and 196,608).

Headline: end-to-end units/s = all units / time of [VCF read + bcftools overlap rules + dedup
(`haplotypes_for_gene`) + the anchored build of every unique haplotype (`AnchoredBuilder`)],
i.e. what the workflow pays to have every unit's sequence available. Also reported: the build
of every unit (duplicates included), the VCF read alone, dedup ratio (unique / units) and peak
memory. Baselines, on a random sample of units, compute the REGION equivalent of a unit (the
reference window of `length` bp around the TSS with that haplotype's variants applied, which
is not the same output as anchored mode when indels are present):

- `samtools faidx FASTA REGION | bcftools consensus -H h -s S VCF`, one process pair per unit
  (the Debian binaries, /usr/bin/samtools and /usr/bin/bcftools by default);
- pysam's in-process `pysam.faidx` + `pysam.bcftools.consensus` per unit.

Ratios are baseline median ms per unit / engine end-to-end ms per unit. The engine's
region-mode output is compared with pysam's bcftools on the sampled units (exit status 1 on
any mismatch). Quick run:  python tests/benchmarks/bench_haplotypes.py --max-genes 2
Real phased data, Xpresso's length:
  python tests/benchmarks/bench_haplotypes.py --real-phased --model-length xpresso --cpu 0
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pysam
import pysam.bcftools

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "src"))

from pexbench.encoding import decode  # noqa: E402
from pexbench.genome import Reference  # noqa: E402
from pexbench.haplotypes import (  # noqa: E402
    AnchoredBuilder,
    build_region,
    haplotypes_for_gene,
    haplotypes_for_region,
)
from pexbench.models.facts import MODEL_TYPES, sequence_length  # noqa: E402
from pexbench.variants import read_variants, vcf_samples  # noqa: E402

SHARED = REPO.parent / "shared" / "data"


# --real-phased: real hg19 sequence and the real phased genotypes of all 423 GEUVADIS individuals
# (1000 Genomes phase 1, thinned to 2,371 variants in 6 Mb: dedup ratios are those of thinned,
# not dense, genotypes), every GEUVADIS expression gene with its TSS in chr22:16.05-22 Mb
REAL_PHASED = {
    "fasta": SHARED / "reference/chr22.GRCh37.real_16.05-22Mb.fa.gz",
    "vcf": SHARED / "genotypes/1kg_phase1.chr22_16.05-22.0Mb.geuvadis423.phased.vcf.gz",
    "region": "chr22:16050000-22000000",
    "unphased": "error",
}
DEFAULTS = {
    "fasta": SHARED / "reference/chr22.synthetic_background.fa.gz",
    "vcf": SHARED / "genotypes/geuvadis423.chr22.unphased.vcf.gz",
    "region": "chr22:49200000-51200000",
    "unphased": "as_phased",
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fasta", type=Path, help=f"default {DEFAULTS['fasta']}")
    p.add_argument("--vcf", type=Path, help=f"default {DEFAULTS['vcf']}")
    p.add_argument("--genes", type=Path, default=SHARED / "expression/genes.50percent.chr22.bed.gz")
    p.add_argument("--region", help=f"genes whose TSS lies here (default {DEFAULTS['region']})")
    p.add_argument(
        "--real-phased",
        action="store_true",
        help="real sequence + real phased 423-individual VCF of chr22:16.05-22 Mb, policy error "
        "(sets the defaults of --fasta, --vcf, --region, --unphased)",
    )
    length = p.add_mutually_exclusive_group()
    length.add_argument("--length", type=int, help="unit length (default 196,608)")
    length.add_argument(
        "--model-length",
        choices=MODEL_TYPES,
        help="the haplotype length the workflow uses for this model type alone (models.facts)",
    )
    p.add_argument(
        "--unphased", help=f"default {DEFAULTS['unphased']} ('error' with --real-phased)"
    )
    p.add_argument("--max-genes", type=int, default=0, help="0 = all genes in the region")
    p.add_argument("--baseline-units", type=int, default=20, help="sampled units per baseline")
    p.add_argument("--samtools", default="/usr/bin/samtools")
    p.add_argument("--bcftools", default="/usr/bin/bcftools")
    p.add_argument("--cpu", type=int, default=-1, help="pin the process to this CPU (-1: no)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, help="write the results here")
    args = p.parse_args(argv)
    preset = REAL_PHASED if args.real_phased else DEFAULTS
    for key, value in preset.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.model_length:
        weights = "official" if args.model_length == "enformer" else None
        args.length = sequence_length({"type": args.model_length, "weights": weights})
    elif args.length is None:
        args.length = 196_608
    return args


def read_genes(path: Path, region: str) -> list[dict[str, object]]:
    chrom, span = region.split(":")
    lo, hi = (int(x) for x in span.split("-"))
    genes = []
    with gzip.open(path, "rt") as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            cols = line.split("\t", 6)
            tss = int(cols[1])  # BED start of the 1-bp TSS interval: 0-based
            if cols[0].removeprefix("chr") == chrom.removeprefix("chr") and lo <= tss < hi:
                genes.append({"gene_id": cols[3], "chrom": cols[0], "tss": tss, "strand": cols[5]})
    return genes


def renamed_copy(vcf: Path, reference: Reference, tmp: Path) -> Path:
    """The VCF with contigs renamed to the FASTA's names (bcftools needs them to match)."""
    with pysam.VariantFile(str(vcf)) as handle:
        names = list(handle.header.contigs)
    mapping = tmp / "chroms.txt"
    mapping.write_text("".join(f"{n}\t{reference.resolve(n)}\n" for n in names))
    out = tmp / "renamed.vcf.gz"
    pysam.bcftools.annotate(
        "--rename-chrs", str(mapping), "-Oz", "-o", str(out), str(vcf), catch_stdout=False
    )
    pysam.bcftools.index("-t", str(out), catch_stdout=False)
    return out


def engine_pass(
    args: argparse.Namespace, reference: Reference, genes: list[dict[str, object]], inds: list[str]
) -> tuple[dict[str, float], list[dict[str, object]]]:
    """Timed engine work per gene: selection, build of unique haplotypes, build of all units."""
    length = args.length
    tot = {"select": 0.0, "build_unique": 0.0, "build_all": 0.0, "read": 0.0}
    n_units = n_unique = 0
    per_gene = []
    for gene in genes:
        t0 = time.perf_counter()
        gh = haplotypes_for_gene(args.vcf, reference, gene, length, inds, args.unphased)
        t1 = time.perf_counter()
        builder = AnchoredBuilder(reference, gh, length)
        for hap in gh.unique:
            seq = builder.build(hap)
        t2 = time.perf_counter()
        assert seq.size == length
        # every unit, duplicates included (a fresh builder: no cache carried over)
        builder = AnchoredBuilder(reference, gh, length)
        for row in range(len(inds)):
            for h in (0, 1):
                seq = builder.build(gh.unique[gh.assignment[row, h]])
        t3 = time.perf_counter()
        assert seq.size == length
        # the VCF read alone (same window, same samples, no REF check skipped)
        read_variants(
            args.vcf, gh.chrom, gh.window_start, gh.window_end, inds, reference, args.unphased
        )
        t4 = time.perf_counter()
        units = gh.assignment.size
        n_units += units
        n_unique += len(gh.unique)
        tot["select"] += t1 - t0
        tot["build_unique"] += t2 - t1
        tot["build_all"] += t3 - t2
        tot["read"] += t4 - t3
        per_gene.append(
            {
                "gene_id": gh.gene_id,
                "records": gh.counts.get("records", 0),
                "alleles": len(gh.allele_alt),
                "units": units,
                "unique": len(gh.unique),
                "select_s": t1 - t0,
                "build_unique_s": t2 - t1,
                "build_all_s": t3 - t2,
                "read_s": t4 - t3,
            }
        )
    tot["units"] = n_units
    tot["unique"] = n_unique
    return tot, per_gene


def baselines(
    args: argparse.Namespace,
    reference: Reference,
    sampled: list[tuple[dict[str, object], str, int]],
) -> tuple[dict[str, list[float]], int]:
    """Per-unit times of the two bcftools baselines and of region mode; mismatch count."""
    anchor = args.length // 2
    times: dict[str, list[float]] = {"cli": [], "pysam": [], "region": []}
    mismatches = 0
    have_cli = shutil.which(args.samtools) and shutil.which(args.bcftools)
    if not have_cli:
        print(
            f"{args.samtools} / {args.bcftools} not found: no per-process baseline", file=sys.stderr
        )
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        renamed = renamed_copy(args.vcf, reference, tmp)
        for gene, sample, hap in sampled:
            fchrom = reference.resolve(str(gene["chrom"]))
            start = max(int(gene["tss"]) - anchor, 0)  # type: ignore[call-overload]
            end = min(start + args.length, reference.contigs[fchrom])
            region = f"{fchrom}:{start + 1}-{end}"
            if have_cli:
                t0 = time.perf_counter()
                proc = subprocess.run(
                    f"{args.samtools} faidx {args.fasta} {region} | "
                    f"{args.bcftools} consensus -H {hap} -s {sample} {renamed}",
                    shell=True,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                times["cli"].append(time.perf_counter() - t0)
                if proc.returncode != 0:
                    print(f"CLI baseline failed: {proc.stderr.strip()[:300]}", file=sys.stderr)
            region_fa = tmp / "region.fa"
            t0 = time.perf_counter()
            pysam.faidx(str(args.fasta), region, "-o", str(region_fa))
            theirs = pysam.bcftools.consensus(
                "-H", str(hap), "-s", sample, "-f", str(region_fa), str(renamed)
            )
            times["pysam"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            gh = haplotypes_for_region(
                args.vcf, reference, fchrom, start, end, [sample], args.unphased
            )
            mine = build_region(reference, gh, gh.haplotype(sample, hap))
            times["region"].append(time.perf_counter() - t0)
            if decode(mine) != "".join(theirs.splitlines()[1:]).upper():
                mismatches += 1
    return times, mismatches


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.cpu >= 0:
        os.sched_setaffinity(0, {args.cpu})
    load_before = os.getloadavg()
    reference = Reference(args.fasta)
    genes = read_genes(args.genes, args.region)
    if args.max_genes:
        genes = genes[: args.max_genes]
    inds = vcf_samples(args.vcf)
    print(f"{len(genes)} genes, {len(inds)} individuals, length {args.length}", file=sys.stderr)
    if args.real_phased:
        print(
            "real phased genotypes, thinned (2,371 variants in 6 Mb): dedup ratios are not "
            "those of dense genotypes",
            file=sys.stderr,
        )

    tot, per_gene = engine_pass(args, reference, genes, inds)
    rss_engine = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    units = int(tot["units"])
    e2e = tot["select"] + tot["build_unique"]

    rng = np.random.default_rng(args.seed)
    all_units = [(g, s, h) for g in genes for s in inds for h in (1, 2)]
    pick = rng.choice(len(all_units), size=min(args.baseline_units, len(all_units)), replace=False)
    sampled = [all_units[int(i)] for i in pick]
    times, mismatches = baselines(args, reference, sampled)
    load_after = os.getloadavg()

    def per_unit_ms(seconds: float) -> float:
        return 1000 * seconds / units if units else float("nan")

    def med(xs: list[float]) -> float:
        return 1000 * statistics.median(xs) if xs else float("nan")

    e2e_ms = per_unit_ms(e2e)
    rows = [
        ("engine end to end (read+rules+dedup+build unique)", e2e_ms),
        ("  of which VCF read (read_variants, timed apart)", per_unit_ms(tot["read"])),
        ("  of which read+rules+dedup (haplotypes_for_gene)", per_unit_ms(tot["select"])),
        ("  of which build of unique haplotypes", per_unit_ms(tot["build_unique"])),
        ("engine build of every unit (duplicates included)", per_unit_ms(tot["build_all"])),
        ("engine region mode, one unit from scratch (median)", med(times["region"])),
        ("pysam faidx + bcftools consensus, in-process (median)", med(times["pysam"])),
        ("samtools faidx | bcftools consensus, processes (median)", med(times["cli"])),
    ]
    result = {
        "genes": len(genes),
        "individuals": len(inds),
        "length": args.length,
        "fasta": str(args.fasta),
        "vcf": str(args.vcf),
        "region": args.region,
        "unphased": args.unphased,
        "genotypes_note": (
            "thinned phased VCF (2,371 variants in 6 Mb): dedup ratios are not those of dense "
            "genotypes"
            if args.real_phased
            else ""
        ),
        "units": units,
        "unique_haplotypes": int(tot["unique"]),
        "dedup_ratio": tot["unique"] / units if units else float("nan"),
        "seconds": {k: tot[k] for k in ("select", "build_unique", "build_all", "read")},
        "end_to_end_seconds": e2e,
        "units_per_s_end_to_end": units / e2e if e2e else float("nan"),
        "units_per_s_build_all": units / tot["build_all"] if tot["build_all"] else float("nan"),
        "ms_per_unit": {name.strip(): value for name, value in rows},
        "speedup_vs_processes": med(times["cli"]) / e2e_ms,
        "speedup_vs_in_process": med(times["pysam"]) / e2e_ms,
        "baseline_units": len(sampled),
        "baseline_ms_all": {k: [1000 * x for x in v] for k, v in times.items()},
        "peak_rss_mib_engine": rss_engine,
        "peak_rss_mib_total": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "region_mode_mismatches_vs_bcftools": mismatches,
        "loadavg_before_after": [load_before, load_after],
        "per_gene": per_gene,
        "command": " ".join([sys.executable, *sys.argv]),
        "host": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pysam": pysam.__version__,
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "affinity": sorted(os.sched_getaffinity(0)),
        },
    }
    print(
        f"\n{units} units ({len(genes)} genes x {len(inds)} individuals x 2), "
        f"{int(tot['unique'])} unique haplotypes (dedup ratio {result['dedup_ratio']:.3f})"
    )
    print(
        f"END TO END: {result['units_per_s_end_to_end']:,.0f} units/s on one core "
        f"({e2e_ms:.3f} ms/unit; VCF read + rules + dedup + build of every unique haplotype)"
    )
    print(f"build of every unit: {result['units_per_s_build_all']:,.0f} units/s")
    print(
        f"peak memory (ru_maxrss): engine {rss_engine:.0f} MiB, with baselines "
        f"{result['peak_rss_mib_total']:.0f} MiB"
    )
    print(f"load average before/after: {load_before[0]:.2f} / {load_after[0]:.2f}")
    print(
        f"\nper unit, baselines: median of {len(sampled)} sampled units computing the REGION "
        "equivalent (reference window around the TSS with the unit's variants applied):"
    )
    print(f"{'method':58s} {'ms/unit':>9s} {'x end-to-end':>13s}")
    for name, value in rows:
        print(f"{name:58s} {value:9.3f} {value / e2e_ms:13.1f}")
    print(
        f"speedup of the engine (end to end) vs processes: {result['speedup_vs_processes']:.0f}x, "
        f"vs in-process pysam: {result['speedup_vs_in_process']:.0f}x"
    )
    print(f"region-mode engine vs bcftools mismatches on sampled units: {mismatches}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
