"""Regenerate the bundled demo data in resources/demo/ from the project's public data.

    python workflow/scripts/make_demo_data.py --source ../shared/data --out resources/demo

Every output is a deterministic function of the source files (no timestamps, no paths in
headers): running it twice gives byte-identical files. The demo covers GRCh37
chr22:16,050,000-22,000,000 (0-based half-open), the region where the shared data hold real
sequence, phased genotypes of the 423 GEUVADIS individuals, GEUVADIS expression, GENCODE v19 and
GM12878 chromatin states. What is written and from where is listed in resources/demo/SOURCES.md.
A standalone script (not a rule script): run it by hand when the shared data change.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import sys
from pathlib import Path

import pysam
import pysam.bcftools

CHROM = "chr22"  # FASTA, GTF and expression contig name
VCF_CHROM = "22"  # the VCFs use the bare number
START = 16_050_000  # 0-based, inclusive
END = 22_000_000  # 0-based, exclusive
# Source bases (and chromatin segments) are kept this far beyond the region on each side, so
# that windows of up to 2 x PAD around any TSS inside the region see the same sequence as the
# source. (The source itself holds real sequence only in [16,050,000, 22,000,000).)
PAD = 200_000
FASTA_LINE = 60

# output file name -> source path (relative to --source)
FASTA = ("chr22.GRCh37.16.05-22Mb.fa.gz", "reference/chr22.GRCh37.real_16.05-22Mb.fa.gz")
VCF = (
    "1kg_phase1.geuvadis423.phased.chr22_16.05-22Mb.vcf.gz",
    "genotypes/1kg_phase1.chr22_16.05-22.0Mb.geuvadis423.phased.vcf.gz",
)
EXPRESSION = ("expression.demo.bed.gz", "expression/genes.50percent.chr22.bed.gz")
GTF = ("gencode.v19.demo.gtf.gz", "annotation/gencode.v19.annotation.chr22.gtf.gz")
STATES = (
    "wgEncodeBroadHmmGm12878HMM.chr22_16.05-22Mb.bed.gz",
    "chromatin/wgEncodeBroadHmmGm12878HMM.hg19.chr22.bed.gz",
)
COPIES = (  # unchanged copies
    ("covariates.pc50.txt.gz", "expression/genes.covariates.pc50.txt.gz"),
    ("targets_human.txt", "enformer/targets_human.txt"),
    ("xpresso_GM12878.h5", "models/xpresso_GM12878.h5"),
)


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
    """Contig chr22 at full length: source bases in [START-PAD, END+PAD) with their case (soft
    mask) kept, N elsewhere; bgzip with .fai and .gzi."""
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


def subset_states(src: Path, dst: Path) -> dict[str, int]:
    """Segments of the state BED overlapping [START-PAD, END+PAD), rows unchanged (BED9),
    bgzipped and tabix-indexed. Returns the segment count per state name."""
    lo, hi = max(0, START - PAD), END + PAD
    rows: list[str] = []
    with gzip.open(src, "rt") as fh:
        for line in fh:
            f = line.split("\t", 4)
            if f[0] == CHROM and int(f[1]) < hi and int(f[2]) > lo:
                rows.append(line)
    plain = dst.with_suffix("")
    plain.write_text("".join(rows))
    pysam.tabix_compress(str(plain), str(dst), force=True)
    plain.unlink()
    pysam.tabix_index(str(dst), preset="bed", force=True)
    counts: dict[str, int] = {}
    for line in rows:
        name = line.split("\t", 4)[3]
        counts[name] = counts.get(name, 0) + 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, required=True, help="the shared data directory")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    args = parser.parse_args(argv)
    src: Path = args.source
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    n = subset_vcf(src / VCF[1], out / VCF[0])
    print(f"phased VCF: {n} records")
    n = subset_expression(src / EXPRESSION[1], out / EXPRESSION[0])
    print(f"expression: {n} genes")
    n = subset_gtf(src / GTF[1], out / GTF[0])
    print(f"GTF: {n} genes")
    lo, hi = subset_fasta(src / FASTA[1], out / FASTA[0])
    print(f"FASTA: source bases kept in [{lo}, {hi})")
    counts = subset_states(src / STATES[1], out / STATES[0])
    print(f"chromatin states: {sum(counts.values())} segments, {len(counts)} states")
    for name, source in COPIES:
        shutil.copyfile(src / source, out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
