"""Small hand-written test cases: a one-contig FASTA and a VCF of given lines, both indexed;
random alleles; and bcftools consensus cases with the engine's output next to bcftools'."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pysam
import pysam.bcftools

from pexbench.encoding import decode
from pexbench.genome import Reference
from pexbench.haplotypes import build_region, haplotypes_for_region

GT_HEADER = '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">'
COLUMNS = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT"


def write_fasta(path: Path, contigs: dict[str, str]) -> Path:
    """`path`: a plain FASTA of `contigs` (name -> sequence), 60 bases a line."""
    with open(path, "w") as fh:
        for name, seq in contigs.items():
            fh.write(f">{name}\n")
            for i in range(0, len(seq), 60):
                fh.write(seq[i : i + 60] + "\n")
    return path


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


def random_alt(rng: np.random.Generator, ref: str, kind: int, complex_below: int) -> str:
    """ALT of a random record: kind 0 a SNV, 1 an insertion of 1-3 bases after REF, 2 a
    deletion to REF's first base, otherwise a replacement by 1 to `complex_below` - 1 bases."""
    if kind == 0:
        return "ACGT"[("ACGT".index(ref) + 1) % 4]
    if kind == 1:
        return ref + "".join(rng.choice(list("ACGT"), size=int(rng.integers(1, 4))))
    if kind == 2:
        return ref[0]
    return "".join(rng.choice(list("ACGT"), size=int(rng.integers(1, complex_below))))


# bcftools consensus cases: one small VCF + FASTA (contig chr1) per rule, compared with
# pysam's bundled `bcftools consensus -H h -s S` on `samtools faidx` region output.

#          1234567890123456789012345678901234567890123456789012
REF_SEQ = "ACGTTGCAAGCTAGCTTACGGATCCATGCAAGTCGATCGGCTAAGCTTGCAT"

Record = tuple[int, str, str, Sequence[str]]  # POS (1-based), REF, ALT, one GT per sample


def write_case(
    tmp: Path,
    records: Sequence[Record],
    samples: Sequence[str] = ("S",),
    ref_seq: str = REF_SEQ,
    name: str = "case",
) -> tuple[Path, Path]:
    """FASTA (contig chr1, faidx-indexed) and bgzipped, tabix-indexed VCF."""
    body = []
    for pos, ref, alt, gts in records:
        info = "."
        if alt.startswith("<"):
            info = f"SVTYPE={alt[1:-1]};END={pos + len(ref) + 3}"
        body.append("\t".join(["chr1", str(pos), ".", ref, alt, ".", ".", info, "GT", *gts]))
    meta = [
        '##ALT=<ID=DEL,Description="Deletion">',
        '##ALT=<ID=CN0,Description="Copy number 0">',
        '##INFO=<ID=END,Number=1,Type=Integer,Description="End">',
        '##INFO=<ID=SVTYPE,Number=1,Type=String,Description="SV type">',
        GT_HEADER,
    ]
    return write_fasta_vcf(
        tmp, ref_seq, body, samples, meta=meta, fasta_name=f"{name}.fa", vcf_name=f"{name}.vcf"
    )


def bcftools(fasta: Path, vcf: Path, start1: int, end1: int, sample: str, hap: int) -> str:
    region = f"chr1:{start1}-{end1}"
    out = fasta.parent / "region.fa"
    pysam.faidx(str(fasta), region, "-o", str(out))
    text = pysam.bcftools.consensus("-H", str(hap), "-s", sample, "-f", str(out), str(vcf))
    return "".join(text.splitlines()[1:]).upper()


def engine(
    fasta: Path, vcf: Path, start1: int, end1: int, sample: str, hap: int, **kw: object
) -> str:
    reference = Reference(fasta)
    gh = haplotypes_for_region(vcf, reference, "chr1", start1 - 1, end1, **kw)  # type: ignore[arg-type]
    return decode(build_region(reference, gh, gh.haplotype(sample, hap)))


def assert_parity(
    tmp: Path,
    records: Sequence[Record],
    regions: Sequence[tuple[int, int]] = ((1, len(REF_SEQ)),),
    ref_seq: str = REF_SEQ,
    expected: dict[tuple[int, int, int], str] | None = None,
) -> None:
    """Engine == bcftools for every haplotype and region; and == `expected` where given."""
    fasta, vcf = write_case(tmp, records, ref_seq=ref_seq)
    for start1, end1 in regions:
        for hap in (1, 2):
            theirs = bcftools(fasta, vcf, start1, end1, "S", hap)
            mine = engine(fasta, vcf, start1, end1, "S", hap)
            assert mine == theirs, (start1, end1, hap, records)
            if expected and (start1, end1, hap) in expected:
                assert mine == expected[(start1, end1, hap)]
