"""Small hand-written test cases: a one-contig FASTA and a VCF of given lines, both indexed."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pysam

GT_HEADER = '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">'
COLUMNS = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT"


def write_fasta_vcf(
    tmp: Path,
    seq: str,
    lines: Sequence[str],
    samples: Sequence[str],
    *,
    meta: Sequence[str] = (GT_HEADER,),
    vcf_contig: str = "chr1",
    fasta_name: str = "ref.fa",
    vcf_name: str = "v.vcf",
    index: bool = True,
) -> tuple[Path, Path]:
    """`tmp/fasta_name` (contig chr1 = `seq`, faidx-indexed) and `tmp/vcf_name`.gz (bgzipped,
    tabix-indexed unless `index` is false): ##fileformat, ##contig (`vcf_contig`, the length of
    `seq`), the `meta` header lines, the #CHROM line with `samples`, then `lines`, whose fields
    are tab- or space-separated."""
    tmp.mkdir(parents=True, exist_ok=True)
    fasta = tmp / fasta_name
    fasta.write_text(">chr1\n" + seq + "\n")
    pysam.faidx(str(fasta))
    head = [
        "##fileformat=VCFv4.2",
        f"##contig=<ID={vcf_contig},length={len(seq)}>",
        *meta,
        COLUMNS + "\t" + "\t".join(samples),
    ]
    plain = tmp / vcf_name
    plain.write_text("\n".join(head + [line.replace(" ", "\t") for line in lines]) + "\n")
    vcf = tmp / f"{vcf_name}.gz"
    pysam.tabix_compress(str(plain), str(vcf), force=True)
    if index:
        pysam.tabix_index(str(vcf), preset="vcf", force=True)
    return fasta, vcf
