"""bcftools' own `consensus` test cases (samtools/bcftools test/test.pl lines 950-1017, files in
`../shared/data/peer/bcftools-consensus/`) through `pexbench haplotype`.

test.pl itself is not in the peer folder: each expected output's options were inferred by
running pysam's bcftools 1.24 (which reproduces the expected files byte for byte) over the
folder's VCF x FASTA x option combinations. A case is expressible when bcftools 1.24 gives the
expected output with `-s SAMPLE -H 1|2` (what `pexbench haplotype --sample --haplotype` means);
each such case is run through `pexbench haplotype` once per FASTA record (region mode, the FASTA's
`name:start-end` record names turned into a FASTA of whole contigs) and compared byte for byte
with the expected sequences, case included. `NOT_EXPRESSIBLE` lists the other expected outputs
with what they need. Encoded here: the folder's 51 expected FASTA outputs and its 4 `.chain`
files (outputs of `-c`, which pexbench does not write); test.pl's 68 lines also repeat some
outputs with other option spellings, which without test.pl cannot be listed one by one.
"""

from __future__ import annotations

import io
import re
from contextlib import redirect_stdout
from pathlib import Path

import pysam
import pysam.bcftools
import pytest

from pexbench.cli import main

# (expected output, VCF stem, FASTA, sample or "-" for the VCF's only sample, haplotype)
EXPRESSIBLE = [
    ("consensus.4.out", "consensus", "consensus.fa", "-", 1),
    ("consensus.5.out", "consensus5", "consensus.fa", "-", 2),  # contig absent from the VCF
    ("consensus.9.1.out", "consensus.9", "consensus.9.1.fa", "-", 2),  # <CN0> skipped
    ("consensus.9.2.out", "consensus.9", "consensus.9.2.fa", "-", 2),
    ("consensus.11.1.out", "consensus.11", "consensus.11.fa", "-", 2),
    ("consensus.13.out", "consensus.13", "consensus.13.fa", "-", 2),  # <DEL>
    ("consensus.beyond.1.out", "consensus.beyond", "consensus.beyond.fa", "-", 1),
    ("consensus.overlaps.1.1.out", "consensus.overlaps.1", "consensus.overlaps.1.fa", "A", 1),
    ("consensus.overlaps.1.2.out", "consensus.overlaps.1", "consensus.overlaps.1.fa", "B", 1),
    ("consensus18.1.out", "consensus.18", "consensus.18.fa", "-", 1),  # <NON_REF>
    ("consensus19.1.out", "consensus.19", "consensus.19.fa", "-", 1),
    ("consensus2.1.out", "consensus2", "consensus2.fa", "-", 1),
    ("consensus2.2.out", "consensus2", "consensus2.fa", "-", 2),
    ("consensus22.3.out", "consensus.22", "consensus.22.fa", "-", 1),  # <DEL> across the start
    ("consensus5.out", "consensus5", "consensus5.fa", "-", 2),
    ("consensus6.out", "consensus6", "consensus6.fa", "-", 1),
    ("consensus7a.out", "consensus7", "consensus7.fa", "-", 2),  # tetraploid GTs
    ("consensus7c.out", "empty", "consensus7.fa", "NA00001", 2),
]

# No (VCF, FASTA, sample, -H 1|2) of the folder reproduces these with bcftools 1.24 (all 576
# combinations of contig-sharing VCF x FASTA x sample x haplotype were run, one process each);
# what the output shows it needs instead:
_MASK = "N-masked stretches (-m BED / -a N / -M N)"
_IUPAC = "IUPAC codes of both alleles (-I, -H I, -H 1pIu/2pIu)"
_MARK = "'.' or '?' marks (--mark-del, --absent, --mask-with, -M ?)"
_CASE = "lower-case / ':' '+' '-' marks of changes (--mark-snv, --mark-ins, --mark-del)"
_ALL = "every ALT applied whatever the GT (no -s, or `-s -` on a VCF without usable GTs)"
NOT_EXPRESSIBLE = {
    "consensus.1.out": _MASK,
    "consensus.2.out": _MASK,
    "consensus.11.2.out": _MASK,
    "consensus.gvcf-missing.1.out": _MASK,
    "consensus.overlaps.1.3.out": _MASK,
    "consensus.overlaps.1.4.out": _MASK,
    "consensus17.1.out": _MASK,
    "consensus.3.out": _IUPAC,
    "consensus.16.out": _IUPAC,
    "consensus.17.out": _IUPAC,
    "consensus.18.out": _IUPAC,
    "consensus20.2.out": _IUPAC,
    "consensus20.3.out": _IUPAC,
    "consensus21.1.out": _IUPAC,
    "consensus7b.out": _IUPAC,
    "consensus7d.out": _IUPAC,
    "consensus.8b.out": _MARK,
    "consensus.8c.out": _MARK,
    "consensus.8d.out": _MARK,
    "consensus.8e.out": _MARK,
    "consensus.8f.out": _MARK,
    "consensus20.4.out": _MARK,
    "consensus22.2.out": _MARK,
    "consensus3.out": _MARK,
    "consensus3.2.out": _MARK,
    "consensus.12.out": _CASE,
    "consensus.15.out": _CASE,
    "consensus.19.out": _CASE,
    "consensus.8a.out": _ALL,
    "consensus.14.out": _ALL,
    "consensus4.out": _ALL,
    "consensus20.1.out": _ALL,
    "consensus22.1.out": _ALL,
}
CHAINS = ["consensus.1.chain", "consensus.2.chain", "consensus.3.chain", "consensus.4.chain"]
# (-c FILE: a liftover chain, not a sequence; pexbench writes none)


@pytest.fixture(scope="module")
def peer(shared_data: Path) -> Path:
    folder = shared_data / "peer" / "bcftools-consensus"
    if not folder.is_dir():
        pytest.skip(f"{folder} absent")
    return folder


def _records(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for block in text.split(">")[1:]:
        head, _, body = block.partition("\n")
        out.append((head.split()[0], body.replace("\n", "")))
    return out


def _whole_contigs(fa: Path, vcf: Path, tmp: Path) -> tuple[Path, list[tuple[str, int, int]]]:
    """A FASTA of whole contigs holding `fa`'s records (`name` or `name:start-end`) and the
    1-based regions they cover. Bases outside the records are unknown to bcftools too: filled
    from the VCF's REF alleles (so REF checks of records crossing a record start pass), else N."""
    regions: list[tuple[str, int, int]] = []
    contigs: dict[str, dict[int, str]] = {}
    for name, seq in _records(fa.read_text()):
        m = re.fullmatch(r"(.+):(\d+)-(\d+)", name)
        chrom, a = (m.group(1), int(m.group(2))) if m else (name, 1)
        regions.append((chrom, a, a + len(seq) - 1))
        contigs.setdefault(chrom, {}).update({a + i: b for i, b in enumerate(seq)})
    for line in vcf.read_text().splitlines():
        if line.startswith("#"):
            continue
        chrom, pos, _, ref = line.split("\t")[:4]
        for i, b in enumerate(ref):
            contigs.get(chrom, {}).setdefault(int(pos) + i, b)
    out = tmp / "whole.fa"
    with out.open("w") as handle:
        for chrom, bases in contigs.items():
            seq = "".join(bases.get(p, "N") for p in range(1, max(bases) + 1))
            handle.write(f">{chrom}\n{seq}\n")
    pysam.faidx(str(out))
    return out, regions


@pytest.mark.parametrize("case", EXPRESSIBLE, ids=[c[0] for c in EXPRESSIBLE])
def test_expressible_case(case: tuple[str, str, str, str, int], peer: Path, tmp_path: Path) -> None:
    out_name, vcf_stem, fa_name, sample, hap = case
    vcf_plain = peer / f"{vcf_stem}.vcf"
    vcf = tmp_path / f"{vcf_stem}.vcf.gz"
    pysam.tabix_compress(str(vcf_plain), str(vcf), force=True)
    pysam.tabix_index(str(vcf), preset="vcf", force=True)
    if sample == "-":
        samples = list(pysam.VariantFile(str(vcf)).header.samples)
        assert len(samples) == 1
        sample = samples[0]
    expected = (peer / out_name).read_text()
    # the oracle: bcftools 1.24 gives the expected file with exactly these options
    fa_copy = tmp_path / fa_name
    fa_copy.write_text((peer / fa_name).read_text())
    theirs = pysam.bcftools.consensus(
        "-s", sample, "-H", str(hap), "-f", str(fa_copy), str(vcf), catch_stdout=True
    )
    assert theirs == expected
    whole, regions = _whole_contigs(peer / fa_name, vcf_plain, tmp_path)
    mine: list[str] = []
    for chrom, a, b in regions:
        buf = io.StringIO()
        with redirect_stdout(buf):
            argv = ["haplotype", "--fasta", str(whole), "--vcf", str(vcf), "--sample", sample]
            argv += ["--haplotype", str(hap), "--region", f"{chrom}:{a}-{b}"]
            argv += ["--unphased", "as_phased"]  # -H N takes the N-th allele regardless
            assert main(argv) == 0, (chrom, a, b)
        mine.append(_records(buf.getvalue())[0][1])
    assert mine == [seq for _, seq in _records(expected)]  # case-sensitive, as bcftools


def test_case_lists_cover_the_folder(peer: Path) -> None:
    outs = {p.name for p in peer.glob("*.out")}
    listed = [c[0] for c in EXPRESSIBLE] + list(NOT_EXPRESSIBLE)
    assert sorted(listed) == sorted(outs)
    assert sorted(p.name for p in peer.glob("*.chain")) == CHAINS
    print(
        f"bcftools consensus suite: {len(EXPRESSIBLE)} expressible outputs run through "
        f"`pexbench haplotype`, {len(NOT_EXPRESSIBLE)} not expressible, {len(CHAINS)} chains"
    )


@pytest.mark.parametrize("hap", [1, 2, 3, 4])
def test_polyploid_haplotype_n_equals_bcftools(hap: int, peer: Path, tmp_path: Path) -> None:
    """consensus7.vcf: tetraploid GTs (`0|1|0|1`, `0/1/0/1`); `-H N` takes the N-th allele."""
    vcf = tmp_path / "consensus7.vcf.gz"
    pysam.tabix_compress(str(peer / "consensus7.vcf"), str(vcf), force=True)
    pysam.tabix_index(str(vcf), preset="vcf", force=True)
    fa = tmp_path / "consensus7.fa"
    fa.write_text((peer / "consensus7.fa").read_text())
    theirs = pysam.bcftools.consensus(
        "-s", "NA001", "-H", str(hap), "-f", str(fa), str(vcf), catch_stdout=True
    )
    whole, regions = _whole_contigs(fa, peer / "consensus7.vcf", tmp_path)
    ((chrom, a, b),) = regions
    buf = io.StringIO()
    with redirect_stdout(buf):
        argv = ["haplotype", "--fasta", str(whole), "--vcf", str(vcf), "--sample", "NA001"]
        argv += ["--haplotype", str(hap), "--region", f"{chrom}:{a}-{b}", "--unphased", "as_phased"]
        assert main(argv) == 0
    assert _records(buf.getvalue())[0][1] == _records(theirs)[0][1]
