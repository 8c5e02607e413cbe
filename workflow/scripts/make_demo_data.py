"""Regenerate the bundled demo data in resources/demo/ from the project's public data.

    python workflow/scripts/make_demo_data.py --source ../shared/data --out resources/demo

Every output is a deterministic function of the source files (no timestamps, no paths in
headers): running it twice gives byte-identical files. The demo covers GRCh37
chr22:49,200,000-51,200,000 (0-based half-open). What is written and from where is listed in
resources/demo/SOURCES.md.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import sys
from pathlib import Path

import numpy as np
import pysam
import pysam.bcftools

CHROM = "chr22"  # FASTA, GTF and expression contig name
VCF_CHROM = "22"  # the VCFs use the bare number
START = 49_200_000  # 0-based, inclusive
END = 51_200_000  # 0-based, exclusive
# Real (synthetic-background) bases are kept this far beyond the region on each side, so that
# windows of up to 2 x PAD around any TSS inside the region see the same sequence as the source.
PAD = 200_000
STATE_SEED = 20230301
FASTA_LINE = 60


def _gzip_write(path: Path, text: str) -> None:
    """Plain gzip without a timestamp or file name in the header (byte-reproducible)."""
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(text.encode())


def subset_vcf(src: Path, dst: Path) -> int:
    """Records of `src` with POS inside the region, bgzipped and tabix-indexed."""
    region = f"{VCF_CHROM}:{START + 1}-{END}"
    pysam.bcftools.view(
        "--no-version", "-r", region, "-Oz", "-o", str(dst), str(src), catch_stdout=False
    )
    pysam.tabix_index(str(dst), preset="vcf", force=True)
    with pysam.VariantFile(str(dst)) as vf:
        return sum(1 for _ in vf.fetch())


def subset_expression(src: Path, dst: Path) -> int:
    """BED-like expression rows whose TSS lies in the region; all individuals kept."""
    lines: list[str] = []
    kept = 0
    with gzip.open(src, "rt") as fh:
        for line in fh:
            if line.startswith("#"):
                lines.append(line)
                continue
            fields = line.split("\t", 3)
            if fields[0] == CHROM and START <= int(fields[1]) < END:
                lines.append(line)
                kept += 1
    plain = dst.with_suffix("")
    plain.write_text("".join(lines))
    pysam.tabix_compress(str(plain), str(dst), force=True)
    plain.unlink()
    pysam.tabix_index(str(dst), preset="bed", force=True)
    return kept


def subset_gtf(src: Path, dst: Path) -> int:
    """All rows of the genes whose `gene` row lies inside the region."""
    keep_ids: set[str] = set()
    rows: list[tuple[str, str]] = []
    with gzip.open(src, "rt") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            f = line.split("\t")
            gene_id = f[8].split('gene_id "', 1)[1].split('"', 1)[0]
            if f[2] == "gene" and f[0] == CHROM and int(f[3]) - 1 >= START and int(f[4]) <= END:
                keep_ids.add(gene_id)
            rows.append((gene_id, line))
    _gzip_write(dst, "".join(line for gene_id, line in rows if gene_id in keep_ids))
    return len(keep_ids)


def subset_fasta(src: Path, dst: Path) -> tuple[int, int]:
    """Contig chr22 at full length: source bases in [START-PAD, END+PAD), N elsewhere."""
    with pysam.FastaFile(str(src)) as fa:
        length = fa.get_reference_length(CHROM)
        lo, hi = max(0, START - PAD), min(length, END + PAD)
        kept = fa.fetch(CHROM, lo, hi)
    seq = bytearray(b"N" * length)
    seq[lo:hi] = kept.encode()
    plain = dst.with_suffix("")
    with open(plain, "wb") as out:
        out.write(f">{CHROM}\n".encode())
        for i in range(0, length, FASTA_LINE):
            out.write(bytes(seq[i : i + FASTA_LINE]) + b"\n")
    pysam.tabix_compress(str(plain), str(dst), force=True)
    plain.unlink()
    pysam.faidx(str(dst))
    return lo, hi


def gene_rows(gtf: Path) -> list[tuple[int, int, int, str]]:
    """(start0, end0, tss0, strand) of every gene row of the demo GTF, in file order."""
    genes = []
    with gzip.open(gtf, "rt") as fh:
        for line in fh:
            f = line.split("\t")
            if f[2] != "gene":
                continue
            start0, end0 = int(f[3]) - 1, int(f[4])
            tss = start0 if f[6] == "+" else end0 - 1
            genes.append((start0, end0, tss, f[6]))
    return genes


STATES = ("R", "T", "WE", "E", "CTCF", "PF", "TSS")  # painting order: later wins


def chromatin_states(gtf: Path, dst: Path) -> dict[str, int]:
    """A SYNTHETIC chromatin-state segmentation with the ENCODE combined-segmentation labels.

    Not ENCODE data: states are painted deterministically around the demo genes so that every
    label occurs and variants near TSSs get promoter-like labels. Background R (repressed), gene
    bodies T, seeded random WE/E/CTCF segments, PF within 2.5 kb of a TSS, TSS within 500 bp.
    """
    code = np.zeros(END - START, dtype=np.int8)  # R
    rng = np.random.default_rng(STATE_SEED)
    genes = gene_rows(gtf)
    for start0, end0, _tss, _strand in genes:
        code[max(start0, START) - START : min(end0, END) - START] = STATES.index("T")
    for state, n, width in (("WE", 120, 3000), ("E", 200, 1000), ("CTCF", 150, 400)):
        for s in rng.integers(0, END - START - width, size=n):
            code[s : s + width] = STATES.index(state)
    for state, half in (("PF", 2500), ("TSS", 500)):
        for _s, _e, tss, _strand in genes:
            code[max(tss - half, START) - START : min(tss + half, END) - START] = STATES.index(
                state
            )
    change = np.flatnonzero(np.diff(code)) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [END - START]])
    lines = [
        "# synthetic stand-in, not ENCODE: generated by workflow/scripts/make_demo_data.py "
        "(states painted around GENCODE v19 genes); labels follow the ENCODE combined "
        "segmentation (CTCF E PF R T TSS WE); results on it say nothing about biology\n"
    ]
    counts: dict[str, int] = {}
    for s, e in zip(starts, ends, strict=True):
        state = STATES[code[s]]
        counts[state] = counts.get(state, 0) + 1
        lines.append(f"{CHROM}\t{START + s}\t{START + e}\t{state}\n")
    _gzip_write(dst, "".join(lines))
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, required=True, help="the shared data directory")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    args = parser.parse_args(argv)
    src: Path = args.source
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    n = subset_vcf(
        src / "genotypes/geuvadis423.chr22.unphased.vcf.gz", out / "geuvadis423.demo.vcf.gz"
    )
    print(f"unphased VCF: {n} records")
    n = subset_vcf(
        src / "genotypes/1kg_phase1.chr22_50.3-51.0Mb.5samples.phased.vcf.gz",
        out / "1kg_phase1.5samples.phased.demo.vcf.gz",
    )
    print(f"phased VCF: {n} records")
    n = subset_expression(
        src / "expression/genes.50percent.chr22.bed.gz", out / "expression.demo.bed.gz"
    )
    print(f"expression: {n} genes")
    shutil.copyfile(src / "expression/genes.covariates.pc50.txt.gz", out / "covariates.pc50.txt.gz")
    n = subset_gtf(
        src / "annotation/gencode.v19.annotation.chr22.gtf.gz", out / "gencode.v19.demo.gtf.gz"
    )
    print(f"GTF: {n} genes")
    lo, hi = subset_fasta(
        src / "reference/chr22.synthetic_background.fa.gz", out / "chr22.demo.fa.gz"
    )
    print(f"FASTA: source bases kept in [{lo}, {hi})")
    shutil.copyfile(src / "enformer/targets_human.txt", out / "targets_human.txt")
    shutil.copyfile(src / "models/xpresso_GM12878.h5", out / "xpresso_GM12878.h5")
    counts = chromatin_states(
        out / "gencode.v19.demo.gtf.gz", out / "chromatin_states.synthetic.bed.gz"
    )
    print(f"chromatin states (synthetic): {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
