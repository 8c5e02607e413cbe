"""`pexbench haplotype`: FASTA output equal to samtools faidx | bcftools consensus; clean errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pysam
import pysam.bcftools
import pytest
from realdata import FASTA, PHASED

from pexbench.cli import main, parse_region
from pexbench.errors import InputError
from pexbench.genome import Reference

REPO = Path(__file__).resolve().parents[2]


def _fasta_seq(text: str) -> tuple[str, str]:
    lines = text.strip().splitlines()
    return lines[0], "".join(lines[1:]).upper()


def test_region_mode_matches_bcftools(
    shared_data: Path,
    phased_renamed: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The VCF says `22`, the FASTA `chr22`: the CLI harmonises; bcftools gets a renamed copy."""
    renamed = phased_renamed
    region_fa = tmp_path / "region.fa"
    for sample, hap, region in [
        ("HG00097", 2, "50500001-50530000"),
        ("HG00101", 1, "50600500-50650000"),
    ]:
        pysam.faidx(str(shared_data / FASTA), f"chr22:{region}", "-o", str(region_fa))
        theirs = pysam.bcftools.consensus(
            "-H", str(hap), "-s", sample, "-f", str(region_fa), str(renamed)
        )
        rc = main(
            [
                "haplotype",
                "--fasta",
                str(shared_data / FASTA),
                "--vcf",
                str(shared_data / PHASED),
                "--sample",
                sample,
                "--haplotype",
                str(hap),
                "--region",
                f"22:{region}",
            ]
        )
        out = capsys.readouterr().out
        assert rc == 0
        assert _fasta_seq(out) == _fasta_seq(theirs)
        assert all(len(line) <= 60 for line in out.splitlines()[1:])


def test_anchored_mode(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fasta = shared_data / FASTA
    rc = main(
        [
            "haplotype",
            "--fasta",
            str(fasta),
            "--vcf",
            str(shared_data / PHASED),
            "--sample",
            "HG00096",
            "--haplotype",
            "2",
            "--region",
            "chr22",
            "--anchor",
            "50500000",
            "--length",
            "1001",
        ]
    )
    assert rc == 0
    header, seq = _fasta_seq(capsys.readouterr().out)
    assert header.startswith(">chr22:50500000 ") and "anchor_index=500" in header
    assert len(seq) == 1001
    ref = Reference(fasta).fetch_str("chr22", 50_499_999, 50_500_000).upper()
    assert seq[500] == ref  # no variant at 50,500,000 in this VCF


def test_parse_region() -> None:
    assert parse_region("chr22:1,001-2,000") == ("chr22", 1000, 2000)
    assert parse_region("22") == ("22", None, None)
    with pytest.raises(InputError):
        parse_region("chr22:10-5")
    with pytest.raises(InputError):
        parse_region("chr22:a-b")


def _tiny_vcf(
    tmp_path: Path, records: str, fasta: str = ">chr1\nACGTACGTACGT\n"
) -> tuple[Path, Path]:
    """(FASTA, VCF) in `tmp_path`: the indexed FASTA of text `fasta` and a bgzipped, indexed VCF
    of one sample S with these record lines (a ##contig line for its first contig only)."""
    fa = tmp_path / "r.fa"
    fa.write_text(fasta)
    pysam.faidx(str(fa))
    name, length = next(iter(Reference(fa).contigs.items()))
    plain = tmp_path / "v.vcf"
    plain.write_text(
        f"##fileformat=VCFv4.2\n##contig=<ID={name},length={length}>\n"
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="GT">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\n" + records
    )
    vcf = tmp_path / "v.vcf.gz"
    pysam.tabix_compress(str(plain), str(vcf), force=True)
    pysam.tabix_index(str(vcf), preset="vcf", force=True)
    return fa, vcf


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.run(
        [sys.executable, "-m", "pexbench.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_bad_input_exit_code_and_message(shared_data: Path, tmp_path: Path) -> None:
    base = [
        "haplotype",
        "--fasta",
        str(shared_data / FASTA),
        "--vcf",
        str(shared_data / PHASED),
        "--haplotype",
        "1",
    ]
    cases = [
        (["--sample", "NOPE", "--region", "22:50500001-50500100"], "NOPE"),
        (["--sample", "HG00096", "--region", "chr7:1-100"], "'chr7'"),
        (["--sample", "HG00096", "--region", "22:x-y"], "cannot parse region"),
        (
            ["--sample", "HG00096", "--region", "22:1-100", "--length", "10"],
            "--length needs --anchor",
        ),
    ]
    for extra, needle in cases:
        proc = _run(base + extra)
        assert proc.returncode == 2, proc.stderr
        assert needle in proc.stderr
        assert "Traceback" not in proc.stderr
        assert proc.stdout == ""
    # REF mismatch: a VCF whose REF disagrees with the FASTA
    fa, vcf = _tiny_vcf(tmp_path, "chr1\t5\t.\tC\tT\t.\t.\t.\tGT\t1|1\n")
    proc = _run(
        [
            "haplotype",
            "--fasta",
            str(fa),
            "--vcf",
            str(vcf),
            "--sample",
            "S",
            "--haplotype",
            "1",
            "--region",
            "chr1:1-12",
        ]
    )
    assert proc.returncode == 2 and "chr1:5" in proc.stderr and "Traceback" not in proc.stderr


def test_region_mode_keeps_the_reference_case_any_ploidy_and_absent_contigs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Soft-masked (lower-case) reference: the output is byte-identical to bcftools 1.24's,
    case included; `--haplotype 3` of a tetraploid call; a contig without VCF records (and no
    ##contig line) prints the reference, as bcftools does."""
    fa, vcf = _tiny_vcf(
        tmp_path,
        "chr1\t6\t.\tC\tT\t.\t.\t.\tGT\t1|0|1|0\n"  # SNV on a lower-case base
        "chr1\t9\t.\tA\tAGG\t.\t.\t.\tGT\t0|1|1|0\n"  # insertion anchored on lower case
        "chr1\t12\t.\tTACG\tT\t.\t.\t.\tGT\t1|1|0|1\n"  # deletion in upper case
        "chr1\t19\t.\tG\tGA\t.\t.\t.\tGT\t1|1|1|1\n",
        fasta=">chr1\nACGTacgtacGTACGTAcgtacgtACGT\n>chr2\nacgtACGT\n",
    )
    for region, hap in [("chr1:1-28", 1), ("chr1:1-28", 2), ("chr1:3-25", 3), ("chr2:1-8", 1)]:
        chrom = region.split(":")[0]
        region_fa = tmp_path / "region.fa"
        pysam.faidx(str(fa), region, "-o", str(region_fa))
        theirs = pysam.bcftools.consensus("-H", str(hap), "-s", "S", "-f", str(region_fa), str(vcf))
        argv = ["haplotype", "--fasta", str(fa), "--vcf", str(vcf), "--sample", "S"]
        assert main([*argv, "--haplotype", str(hap), "--region", region]) == 0
        out = capsys.readouterr().out
        assert out == theirs, (region, hap)
        assert chrom == "chr2" or any(c.islower() for c in out.splitlines()[1])


def test_haplotype_n_on_mixed_ploidy_equals_bcftools(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Haploid `1`, triploid `0|1|1`, diploid `1|0`: -H 2 keeps the reference at the haploid
    call, -H 3 takes the triploid's third allele and the reference elsewhere, as bcftools."""
    fa, vcf = _tiny_vcf(
        tmp_path,
        "chr1\t2\t.\tC\tT\t.\t.\t.\tGT\t1\n"
        "chr1\t4\t.\tT\tA\t.\t.\t.\tGT\t0|1|1\n"
        "chr1\t6\t.\tC\tG\t.\t.\t.\tGT\t1|0\n",
    )
    expected = {1: "ATGTAGGTACGT", 2: "ACGAACGTACGT", 3: "ACGAACGTACGT"}  # hand-computed
    for hap, seq in expected.items():
        theirs = pysam.bcftools.consensus("-H", str(hap), "-s", "S", "-f", str(fa), str(vcf))
        argv = ["haplotype", "--fasta", str(fa), "--vcf", str(vcf), "--sample", "S"]
        assert main([*argv, "--haplotype", str(hap), "--region", "chr1:1-12"]) == 0
        out = capsys.readouterr().out
        assert out.splitlines()[1] == theirs.splitlines()[1] == seq
