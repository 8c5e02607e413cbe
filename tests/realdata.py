"""The real test data of ../shared/data and the bcftools preparation the tests share.

The 1000 Genomes VCFs name the contig `22`, the synthetic reference `chr22`: the oracles
(`bcftools consensus`) get copies renamed to the FASTA's names and, like the workflow, normalised
against it (`bcftools norm -f FASTA -m -any`). Fixtures over these: tests/conftest.py.
"""

from __future__ import annotations

from pathlib import Path

import pysam
import pysam.bcftools

PHASED = "genotypes/1kg_phase1.chr22_50.3-51.0Mb.5samples.phased.vcf.gz"
FASTA = "reference/chr22.synthetic_background.fa.gz"


def rename_chr22(vcf: Path, out: Path) -> Path:
    """`vcf` with contig `22` renamed `chr22`, bgzipped and tabix-indexed at `out`."""
    names = out.with_name(out.name + ".chroms.txt")
    names.write_text("22\tchr22\n")
    pysam.bcftools.annotate(
        "--rename-chrs", str(names), "-Oz", "-o", str(out), str(vcf), catch_stdout=False
    )
    pysam.bcftools.index("-t", str(out), catch_stdout=False)
    return out


def normalise(vcf: Path, fasta: Path, out: Path, region: str | None = None) -> Path:
    """`bcftools norm -f FASTA -m -any [-r REGION]` of `vcf`, bgzipped and tabix-indexed at
    `out`."""
    regions = ["-r", region] if region else []
    pysam.bcftools.norm(
        "-f",
        str(fasta),
        "-m",
        "-any",
        *regions,
        "-Oz",
        "-o",
        str(out),
        str(vcf),
        catch_stdout=False,
    )
    pysam.bcftools.index("-t", str(out), catch_stdout=False)
    return out
