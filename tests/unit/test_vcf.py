"""VCF normalisation (contig names as the FASTA's, left-aligned, multi-allelics split), sample
names, and the regions the workflow restricts it to.

Oracles: bcftools itself (the system binary where installed, else the one pysam ships),
hand-written expectations for small fixtures.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pysam.bcftools
import pytest
from vcfcase import write_fasta

from pexbench import vcf as vcf_mod
from pexbench.errors import InputError, VariantError
from pexbench.fasta import fasta_contigs
from pexbench.genes import gene_regions

RNG = np.random.default_rng(7)
SEQ = "".join(RNG.choice(list("ACGT"), size=400))
# a CA repeat at 0-based 50..57 between T and G, so that a deletion inside it left-aligns to
# 1-based 50 (TCA -> T)
SEQ = SEQ[:49] + "TCACACACAG" + SEQ[59:]
OTHER = "".join(RNG.choice(list("ACGT"), size=120))


def alt_base(ref: str) -> str:
    return "G" if ref != "G" else "T"


def vcf_text(chrom: str, records: list[tuple[int, str, str, str]], contig_lines: str = "") -> str:
    head = [
        "##fileformat=VCFv4.2",
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    ]
    if contig_lines:
        head.append(contig_lines)
    head.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2")
    body = [f"{chrom}\t{p}\t.\t{r}\t{a}\t.\tPASS\t.\tGT\t{g}" for p, r, a, g in records]
    return "\n".join(head + body) + "\n"


def base_records() -> list[tuple[int, str, str, str]]:
    """1-based records on SEQ: a SNV, a tri-allelic SNV, a deletion to be left-aligned."""
    triallelic = ",".join([b for b in "ACGT" if b != SEQ[19]])
    return [
        (10, SEQ[9], alt_base(SEQ[9]), "0|1\t1|1"),
        (20, SEQ[19], triallelic, "1|2\t0|3"),
        # deletes one CA unit at the end of the repeat: 1-based 56 = 0-based 55 ('A')
        (56, SEQ[55:58], SEQ[55], "0|1\t1|0"),
        (300, SEQ[299], alt_base(SEQ[299]), "1|0\t0|0"),
    ]


def write_vcf(path: Path, text: str, *, bgzip: bool = False) -> Path:
    if not bgzip:
        path.write_text(text)
        return path
    plain = path.with_suffix("")
    plain.write_text(text)
    pysam.tabix_compress(str(plain), str(path), force=True)
    plain.unlink()
    pysam.tabix_index(str(path), preset="vcf", force=True)
    return path


def records(vcf: Path) -> list[tuple[str, int, str, str, str]]:
    """(CHROM, POS, REF, ALT, GT...) of every record, as text, via bcftools query."""
    out = pysam.bcftools.query("-f", "%CHROM\t%POS\t%REF\t%ALT[\t%GT]\n", str(vcf))
    return [tuple(line.split("\t")) for line in out.splitlines()]


def oracle_norm(vcf: Path, fasta: Path, tmp: Path, rename: dict[str, str] | None = None) -> list:
    """bcftools annotate --rename-chrs + norm -m -any run directly (the system binary if any)."""
    exe = shutil.which("bcftools")
    rename = rename or {}
    text = vcf.read_text() if vcf.suffix == ".vcf" else gzip.open(vcf, "rt").read()
    head = [line for line in text.splitlines() if line.startswith("##")]
    body = [line for line in text.splitlines() if not line.startswith("##")]
    body = [
        line
        if line.startswith("#")
        else "\t".join(
            [rename.get(line.split("\t")[0], line.split("\t")[0]), *line.split("\t")[1:]]
        )
        for line in body
    ]
    # contig lines as the FASTA's (older bcftools cannot write records of undeclared contigs)
    head = [line for line in head if not line.startswith("##contig")]
    for name, length in fasta_contigs(fasta).items():
        head.append(f"##contig=<ID={name},length={length}>")
    src = tmp / "oracle_in.vcf"
    src.write_text("\n".join(head + body) + "\n")
    out = tmp / "oracle.vcf"
    if exe:
        subprocess.run(
            [exe, "norm", "-f", str(fasta), "-m", "-any", "-o", str(out), str(src)],
            check=True,
            capture_output=True,
        )
    else:
        pysam.bcftools.norm(
            "-f", str(fasta), "-m", "-any", "-o", str(out), str(src), catch_stdout=False
        )
    return records(out)


@pytest.fixture
def fasta_chr(tmp_path: Path) -> Path:
    fa = write_fasta(tmp_path / "ref.fa", {"chr22": SEQ, "chrX": OTHER})
    pysam.faidx(str(fa))
    return fa


@pytest.mark.parametrize("bgzip", [False, True])
def test_normalise_renames_22_to_chr22_and_matches_bcftools(
    tmp_path: Path, fasta_chr: Path, bgzip: bool
) -> None:
    name = "in.vcf.gz" if bgzip else "in.vcf"
    vcf = write_vcf(tmp_path / name, vcf_text("22", base_records()), bgzip=bgzip)
    out = tmp_path / "out" / "norm.vcf.gz"
    counts = vcf_mod.normalise_vcf(vcf, fasta_chr, out)
    got = records(out)
    assert got == oracle_norm(vcf, fasta_chr, tmp_path, rename={"22": "chr22"})
    # hand-checked: tri-allelic split in 3, deletion left-aligned to the repeat start
    assert [(r[1], r[2], r[3]) for r in got][1:4] == [
        ("20", SEQ[19], b) for b in [b for b in "ACGT" if b != SEQ[19]][:3]
    ]
    assert ("50", "TCA", "T") in [(r[1], r[2], r[3]) for r in got]
    assert counts["records_in"] == 4
    assert counts["records_out"] == 6
    assert counts["multiallelic_split"] == 1
    assert counts["realigned"] == 1
    assert counts["contigs_renamed"] == 1
    assert Path(f"{out}.tbi").is_file()
    header = pysam.VariantFile(str(out)).header
    assert {c.name: c.length for c in header.contigs.values()} == {
        "chr22": len(SEQ),
        "chrX": len(OTHER),
    }
    assert sorted(p.name for p in out.parent.iterdir()) == ["norm.vcf.gz", "norm.vcf.gz.tbi"]


def test_normalise_renames_chr22_to_22(tmp_path: Path) -> None:
    fa = write_fasta(tmp_path / "ref.fa", {"22": SEQ})
    pysam.faidx(str(fa))
    vcf = write_vcf(
        tmp_path / "in.vcf", vcf_text("chr22", base_records(), "##contig=<ID=chr22,length=400>")
    )
    out = tmp_path / "norm.vcf.gz"
    vcf_mod.normalise_vcf(vcf, fa, out)
    got = records(out)
    assert {r[0] for r in got} == {"22"}
    assert got == oracle_norm(vcf, fa, tmp_path, rename={"chr22": "22"})


def test_normalise_unmatched_contig(tmp_path: Path, fasta_chr: Path) -> None:
    text = vcf_text("22", base_records()) + "7\t5\t.\tA\tC\t.\tPASS\t.\tGT\t0|1\t0|0\n"
    vcf = write_vcf(tmp_path / "in.vcf", text)
    out = tmp_path / "norm.vcf.gz"
    with pytest.raises(InputError) as err:
        vcf_mod.normalise_vcf(vcf, fasta_chr, out)
    message = str(err.value)
    assert str(vcf) in message and "'7'" in message and "bcftools view -t ^7" in message
    assert list(tmp_path.glob("norm*")) == [] and list(tmp_path.glob(".norm*")) == []
    # restricted to regions, the contig is dropped instead
    counts = vcf_mod.normalise_vcf(vcf, fasta_chr, out, regions=["chr22"])
    assert counts["contigs_outside_regions"] == 1
    assert {r[0] for r in records(out)} == {"chr22"}


def test_normalise_ref_mismatch_fails_and_leaves_nothing(tmp_path: Path, fasta_chr: Path) -> None:
    recs = base_records()
    wrong = "C" if SEQ[299] != "C" else "G"
    recs[3] = (300, wrong, "T" if wrong != "T" else "A", "1|0\t0|0")
    vcf = write_vcf(tmp_path / "in.vcf", vcf_text("22", recs))
    out = tmp_path / "o" / "norm.vcf.gz"
    out.parent.mkdir()
    out.write_text("stale")  # an old output must not survive a failed run
    Path(f"{out}.tbi").write_text("stale")
    with pytest.raises(VariantError) as err:
        vcf_mod.normalise_vcf(vcf, fasta_chr, out)
    message = str(err.value)
    assert "22:300" in message and f"'{SEQ[299]}'" in message and f"'{wrong}'" in message
    assert str(vcf) in message
    assert list(out.parent.iterdir()) == []
    # -c x: the site is excluded and counted
    listed = tmp_path / "o" / "mismatches.tsv"
    counts = vcf_mod.normalise_vcf(
        vcf, fasta_chr, out, on_ref_mismatch="exclude", mismatches_out=listed
    )
    assert counts["mismatch_removed"] == 1
    assert "300" not in [r[1] for r in records(out)]
    # the excluded site is listed, in the VCF's contig naming, with both REFs
    table = pd.read_csv(listed, sep="\t", dtype=str)
    assert table.values.tolist() == [[str(vcf), "22", "300", wrong, SEQ[299]]]


def test_normalise_plain_gzip_is_recompressed(tmp_path: Path, fasta_chr: Path) -> None:
    text = vcf_text("22", base_records())
    bgz = write_vcf(tmp_path / "in.vcf.gz", text, bgzip=True)
    plain = tmp_path / "plain.vcf.gz"
    with gzip.open(plain, "wt") as fh:  # plain gzip, which htslib cannot open as a VCF
        fh.write(text)
    expected = vcf_mod.normalise_vcf(bgz, fasta_chr, tmp_path / "a.vcf.gz")
    counts = vcf_mod.normalise_vcf(plain, fasta_chr, tmp_path / "b.vcf.gz")
    assert counts == {**expected, "recompressed": 1} and expected["recompressed"] == 0
    assert records(tmp_path / "b.vcf.gz") == records(tmp_path / "a.vcf.gz")
    assert sorted(p.name for p in tmp_path.iterdir() if "bgzip" in p.name) == []


def test_normalise_keeps_only_the_given_samples(tmp_path: Path, fasta_chr: Path) -> None:
    vcf = write_vcf(tmp_path / "in.vcf.gz", vcf_text("22", base_records()), bgzip=True)
    full = tmp_path / "full.vcf.gz"
    vcf_mod.normalise_vcf(vcf, fasta_chr, full, regions=["22:1-100"])
    # oracle: bcftools view -s of the normalised file with every sample
    oracle = tmp_path / "oracle.vcf.gz"
    pysam.bcftools.view("-s", "S2", "-Oz", "-o", str(oracle), str(full), catch_stdout=False)
    out = tmp_path / "s2.vcf.gz"
    counts = vcf_mod.normalise_vcf(
        vcf, fasta_chr, out, regions=["22:1-100"], samples=["S2", "not_in_vcf"]
    )
    assert vcf_mod.vcf_samples(out) == ["S2"]
    assert records(out) == records(oracle) and len(records(out)) == 5
    assert counts["samples_left_out"] == 1
    with pytest.raises(InputError, match="none of the 1 individuals"):
        vcf_mod.normalise_vcf(vcf, fasta_chr, out, samples=["nobody"])


def test_normalise_regions(tmp_path: Path, fasta_chr: Path) -> None:
    vcf = write_vcf(tmp_path / "in.vcf.gz", vcf_text("22", base_records()), bgzip=True)
    out = tmp_path / "norm.vcf.gz"
    # 22:11-30 in VCF naming keeps the tri-allelic site only; 1-based inclusive at 300
    counts = vcf_mod.normalise_vcf(vcf, fasta_chr, out, regions=["22:11-30", "chr22:300-300"])
    assert [r[1] for r in records(out)] == ["20", "20", "20", "300"]
    assert counts["records_in"] == 2


def test_normalise_rejects_length_mismatch(tmp_path: Path, fasta_chr: Path) -> None:
    vcf = write_vcf(
        tmp_path / "in.vcf", vcf_text("22", base_records(), "##contig=<ID=22,length=51304566>")
    )
    with pytest.raises(InputError, match="different genome builds"):
        vcf_mod.normalise_vcf(vcf, fasta_chr, tmp_path / "n.vcf.gz")


def test_normalise_real_phased_vcf_without_contig_lines(shared_data: Path, tmp_path: Path) -> None:
    vcf = shared_data / "genotypes" / "1kg_phase1.chr22_50.3-51.0Mb.5samples.phased.vcf.gz"
    fasta = shared_data / "reference" / "chr22.synthetic_background.fa.gz"
    out = tmp_path / "phased.vcf.gz"
    counts = vcf_mod.normalise_vcf(vcf, fasta, out)
    assert counts["records_in"] == 10_376
    got = records(out)
    assert len(got) == counts["records_out"]
    assert got == oracle_norm(vcf, fasta, tmp_path, rename={"22": "chr22"})
    header = pysam.VariantFile(str(out)).header
    assert header.contigs["chr22"].length == 51_304_566
    assert list(header.samples) == ["HG00096", "HG00097", "HG00099", "HG00100", "HG00101"]


def test_normalise_real_hapmap_multiallelic(shared_data: Path, tmp_path: Path) -> None:
    vcf = shared_data / "genotypes" / "hapmap_exome.chr22.unphased.vcf.gz"
    fasta = shared_data / "reference" / "chr22.synthetic_background.fa.gz"
    out = tmp_path / "hapmap.vcf.gz"
    # the synthetic FASTA has sequence only from 49 Mb on: elsewhere REF cannot match
    with pytest.raises(VariantError, match=r"reads 'N'"):
        vcf_mod.normalise_vcf(vcf, fasta, out)
    region = "chr22:49000001-51304566"
    counts = vcf_mod.normalise_vcf(vcf, fasta, out, regions=[region])
    # oracle: the same region through bcftools view + norm
    sub = tmp_path / "sub.vcf"
    pysam.bcftools.view("-r", "22:49000001-51304566", "-o", str(sub), str(vcf), catch_stdout=False)
    expected = oracle_norm(sub, fasta, tmp_path, rename={"22": "chr22"})
    assert records(out) == expected
    n_multi = sum(
        1
        for line in sub.read_text().splitlines()
        if not line.startswith("#") and "," in line.split("\t")[4]
    )
    assert counts["multiallelic_split"] == n_multi > 0
    assert counts["records_out"] == len(expected) > counts["records_in"]
    # idempotent: normalising the output again changes nothing
    again = vcf_mod.normalise_vcf(out, fasta, tmp_path / "again.vcf.gz")
    assert records(tmp_path / "again.vcf.gz") == records(out)
    assert again["multiallelic_split"] == again["realigned"] == again["contigs_renamed"] == 0


def test_normalise_gene_regions_equal_per_gene_regions(tmp_path: Path, fasta_chr: Path) -> None:
    """The workflow passes `gene_regions` (merged); the same records as one region per gene."""
    vcf = write_vcf(tmp_path / "in.vcf.gz", vcf_text("22", base_records()), bgzip=True)
    genes = pd.DataFrame({"chrom": ["chr22", "chr22", "chr22"], "tss": [14, 24, 330]})
    margin = 6
    per_gene = [f"{c}:{max(1, t + 1 - margin)}-{t + 1 + margin}" for c, t in genes.to_numpy()]
    merged = gene_regions(genes, margin)
    assert merged == ["chr22:9-31", "chr22:325-337"]
    a = vcf_mod.normalise_vcf(vcf, fasta_chr, tmp_path / "a.vcf.gz", regions=merged)
    b = vcf_mod.normalise_vcf(vcf, fasta_chr, tmp_path / "b.vcf.gz", regions=per_gene)
    assert a == b
    assert records(tmp_path / "a.vcf.gz") == records(tmp_path / "b.vcf.gz")
    assert [r[1] for r in records(tmp_path / "a.vcf.gz")] == ["10", "20", "20", "20"]


def test_malformed_record_named(tmp_path: Path, fasta_chr: Path) -> None:
    text = vcf_text("22", base_records())
    lines = text.splitlines()
    lines[5] = "\t".join(lines[5].split("\t")[:5])  # the third record cut short after ALT
    vcf = write_vcf(tmp_path / "in.vcf", "\n".join(lines) + "\n")
    with pytest.raises(InputError, match="line 6 has 5 columns"):
        vcf_mod.normalise_vcf(vcf, fasta_chr, tmp_path / "n.vcf.gz")


def test_vcf_samples(tmp_path: Path) -> None:
    vcf = write_vcf(tmp_path / "in.vcf", vcf_text("22", base_records()))
    assert vcf_mod.vcf_samples(vcf) == ["S1", "S2"]
    bad = tmp_path / "bad.vcf"
    bad.write_text("not a vcf\n")
    with pytest.raises(InputError, match="cannot read VCF"):
        vcf_mod.vcf_samples(bad)


def test_counts_table() -> None:
    table = vcf_mod.counts_table({"records_in": 4, "records_out": 6})
    assert table.to_dict("list") == {"what": ["records_in", "records_out"], "count": [4, 6]}
