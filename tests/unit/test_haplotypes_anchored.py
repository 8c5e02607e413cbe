"""Anchored mode: exactly L bases, the TSS reference position at index L//2.

Oracle on real haplotypes (phased 1000 Genomes VCF, synthetic-background reference with the real
REF alleles, see test_haplotypes_parity.py): where no allele carried by a haplotype spans the TSS
from upstream, bcftools' state does not cross the TSS, so the anchored sequence must equal the
last L//2 bases of `bcftools consensus` on [window start, TSS) followed by the first L - L//2
bases of `bcftools consensus` on [TSS, window end).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pysam
import pysam.bcftools
import pytest
from realdata import FASTA
from vcfcase import random_alt, write_fasta_vcf

from pexbench.encoding import decode, encode
from pexbench.genome import Reference
from pexbench.haplotypes import AnchoredBuilder, GeneHaplotypes, haplotypes_for_gene
from pexbench.variants import read_variants


def _consensus(
    fasta: Path, vcf: Path, start: int, end: int, sample: str, hap: int, tmp: Path
) -> str:
    region = f"chr22:{start + 1}-{end}"
    out = tmp / "r.fa"
    pysam.faidx(str(fasta), region, "-o", str(out))
    text = pysam.bcftools.consensus("-H", str(hap), "-s", sample, "-f", str(out), str(vcf))
    return "".join(text.splitlines()[1:]).upper()


@pytest.mark.parametrize("length", [20_000, 196_608])
def test_anchored_real_haplotypes_match_split_bcftools(
    shared_data: Path, phased_normalised: Path, tmp_path: Path, length: int
) -> None:
    fasta = shared_data / FASTA
    reference = Reference(fasta)
    block = read_variants(phased_normalised, "chr22", 50_400_000, 50_900_000, reference=reference)
    ref_len = np.array([len(r) for r in block.ref])
    alt_len = np.array([len(a[0]) for a in block.alts])
    carried = (block.genotypes > 0).any(axis=(1, 2))
    indel = carried & (ref_len != alt_len)
    rng = np.random.default_rng(11)
    n_tss = 6 if length == 20_000 else 2
    picks = rng.choice(np.flatnonzero(indel), size=n_tss, replace=False)
    # TSS a few bases downstream of a carried indel, so upstream indels shift the sequence
    tss_list = [int(block.pos[i]) + int(ref_len[i]) + int(rng.integers(0, 4)) for i in picks]
    checked = shifted = 0
    anchor = length // 2
    for n, tss in enumerate(tss_list):
        row = {"gene_id": f"G{n}", "chrom": "chr22", "tss": tss, "strand": "+"}
        gh = haplotypes_for_gene(phased_normalised, reference, row, length, None, margin=2_000)
        builder = AnchoredBuilder(reference, gh, length)
        ref_seq = builder.reference()
        assert (
            ref_seq.size == length and ref_seq[anchor] == reference.fetch("chr22", tss, tss + 1)[0]
        )
        ends = gh.allele_pos + np.array([len(r) for r in gh.allele_ref])
        for sample in gh.individuals:
            for hap in (1, 2):
                applied = gh.haplotype(sample, hap)
                seq = builder.build(applied)
                assert seq.size == length
                spans_tss = (gh.allele_pos[applied] < tss) & (ends[applied] > tss)
                if spans_tss.any():
                    continue
                up = _consensus(
                    fasta, phased_normalised, gh.window_start, tss, sample, hap, tmp_path
                )
                down = _consensus(
                    fasta, phased_normalised, tss, gh.window_end, sample, hap, tmp_path
                )
                assert len(up) >= anchor and len(down) >= length - anchor
                expected = up[len(up) - anchor :] + down[: length - anchor]
                assert decode(seq) == expected, (tss, sample, hap)
                net = len(up) - (tss - gh.window_start)
                shifted += net != 0
                changes_tss = any(
                    gh.allele_pos[a] == tss and gh.allele_alt[a][0] != gh.allele_ref[a][0]
                    for a in applied
                )
                if not changes_tss:
                    assert seq[anchor] == ref_seq[anchor]
                checked += 1
    assert checked >= 10
    assert shifted >= 3  # real upstream insertions/deletions moved the upstream sequence


def _fixture(tmp: Path, seq: str, records: list[tuple[int, str, str, str]]) -> tuple[Path, Path]:
    fasta = tmp / "small.fa"
    fasta.write_text(">chrS\n" + seq + "\n")
    pysam.faidx(str(fasta))
    head = (
        "##fileformat=VCFv4.2\n"
        f"##contig=<ID=chrS,length={len(seq)}>\n"
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\n"
    )
    body = "".join(f"chrS\t{p}\t.\t{r}\t{a}\t.\t.\t.\tGT\t{g}\n" for p, r, a, g in records)
    plain = tmp / "small.vcf"
    plain.write_text(head + body)
    vcf = tmp / "small.vcf.gz"
    pysam.tabix_compress(str(plain), str(vcf), force=True)
    pysam.tabix_index(str(vcf), preset="vcf", force=True)
    return fasta, vcf


SMALL = "".join(np.random.default_rng(3).choice(list("ACGT"), size=200))


def _build(
    tmp: Path, records: list[tuple[int, str, str, str]], tss: int, length: int
) -> tuple[str, str]:
    fasta, vcf = _fixture(tmp, SMALL, records)
    reference = Reference(fasta)
    row = {"gene_id": "g", "chrom": "chrS", "tss": tss, "strand": "+"}
    gh = haplotypes_for_gene(vcf, reference, row, length, None, margin=8)
    builder = AnchoredBuilder(reference, gh, length)
    return tuple(decode(builder.build(gh.haplotype("S", h))) for h in (1, 2))  # type: ignore[return-value]


def test_n_padding_at_contig_start(tmp_path: Path) -> None:
    # TSS at 0-based 5, L = 64 -> 32 bases wanted upstream, only 5 exist
    ins = (3, SMALL[2], SMALL[2] + "GGG", "1|0")  # +3 upstream on haplotype 1
    dele = (2, SMALL[1:4], SMALL[1], "0|1")  # -2 upstream on haplotype 2
    h1, h2 = _build(tmp_path, [dele, ins], tss=5, length=64)
    assert h1 == "N" * 24 + SMALL[:3] + "GGG" + SMALL[3:5] + SMALL[5:37]
    assert h2 == "N" * 29 + SMALL[:2] + SMALL[4:5] + SMALL[5:37]
    assert len(h1) == len(h2) == 64


def test_n_padding_at_contig_end(tmp_path: Path) -> None:
    # TSS at 0-based 195 of 200: 32 bases wanted downstream of index 32, 5 exist
    dele = (197, SMALL[196:199], SMALL[196], "1|0")  # deletes 0-based 197-198
    ins = (196, SMALL[195], SMALL[195] + "TT", "0|1")  # insertion anchored on the TSS
    h1, h2 = _build(tmp_path, [ins, dele], tss=195, length=64)
    assert h1 == SMALL[163:195] + SMALL[195:197] + SMALL[199] + "N" * 29
    assert h2 == SMALL[163:195] + SMALL[195] + "TT" + SMALL[196:200] + "N" * 25


def test_tss_base_deleted(tmp_path: Path) -> None:
    """Documented: a deleted TSS puts the first base after the deletion at L//2."""
    dele = (100, SMALL[99:103], SMALL[99], "1|0")  # deletes 0-based 100-102, TSS = 101
    snv_alt = "A" if SMALL[101] != "A" else "C"
    snv = (102, SMALL[101], snv_alt, "0|1")  # an SNV at the TSS
    h1, h2 = _build(tmp_path, [dele, snv], tss=101, length=40)
    assert h1[20] == SMALL[103] and h1[19] == SMALL[99]
    assert h1 == SMALL[80:100] + SMALL[103:123]
    assert h2 == SMALL[81:101] + snv_alt + SMALL[102:121]


def test_builder_extends_reference_when_window_too_small(tmp_path: Path) -> None:
    fasta, vcf = _fixture(tmp_path, SMALL, [(60, SMALL[59:90], SMALL[59], "1|1")])
    reference = Reference(fasta)
    row = {"gene_id": "g", "chrom": "chrS", "tss": 120, "strand": "+"}
    gh = haplotypes_for_gene(vcf, reference, row, 80, None, margin=2)
    assert gh.counts["window_extensions"] >= 1  # the 30-bp deletion needed more upstream
    # a hand-narrowed window (as if built for a shorter length) is widened by the builder
    narrow = GeneHaplotypes(**{**gh.__dict__, "window_start": gh.allele_pos.min() - 1})
    builder = AnchoredBuilder(reference, narrow, 80)
    seq = decode(builder.build(gh.haplotype("S", 1)))
    assert builder.extensions >= 1
    expected_hap = SMALL[:60] + SMALL[90:]
    tss_image = 120 - 30
    assert seq == expected_hap[tss_image - 40 : tss_image + 40]
    assert encode(seq)[40] == reference.fetch("chrS", 120, 121)[0]


def test_builder_batch_plans_equal_per_haplotype_layouts(tmp_path: Path) -> None:
    """AnchoredBuilder's vectorised plans for a gene's unique haplotypes == `Layout` one by one
    (itself checked against bcftools), on random overlapping indels, MNPs and SNVs, many
    samples, a soft-masked FASTA, windows at contig ends and builder window extensions."""
    rng = np.random.default_rng(5)
    planned = 0
    for case in range(25):
        size = int(rng.integers(60, 160))
        seq = "".join(rng.choice(list("ACGT"), size=size))
        lower = rng.random(size) < 0.5
        cased = "".join(c.lower() if m else c for c, m in zip(seq, lower, strict=True))
        n_smp = int(rng.integers(1, 10))
        records: list[tuple[int, str, str]] = []
        lines = []
        for pos in np.sort(rng.choice(np.arange(1, size - 8), size=int(rng.integers(1, 20)))):
            kind = int(rng.integers(0, 5))
            ref = seq[pos - 1 : pos - 1 + (1 if kind < 2 else int(rng.integers(2, 6)))]
            alt = random_alt(rng, ref, kind, complex_below=7)
            if alt == ref:
                continue
            records.append((int(pos), ref, alt))
            if rng.random() < 0.4:  # an insertion anchored on its last base (bcftools' exception)
                last = int(pos) + len(ref) - 1
                base = seq[last - 1]
                extra = "".join(rng.choice(list("ACGT"), size=int(rng.integers(1, 4))))
                records.append((last, base, base + extra))
        for pos, ref, alt in sorted(records, key=lambda r: r[0]):
            gts = ["|".join(rng.choice(["0", "1", "1", "."], size=2)) for _ in range(n_smp)]
            lines.append(f"chr1 {pos} . {ref} {alt} . . . GT " + " ".join(gts))
        d = tmp_path / str(case)
        samples = [f"S{i}" for i in range(n_smp)]
        fasta, vcf = write_fasta_vcf(d, cased, lines, samples, fasta_name="r.fa")
        reference = Reference(fasta)
        for _ in range(3):
            tss, length = int(rng.integers(0, size)), int(rng.integers(4, 2 * size))
            gene = {"gene_id": "g", "chrom": "chr1", "tss": tss, "strand": "+"}
            gh = haplotypes_for_gene(vcf, reference, gene, length, None, "as_phased", margin=3)
            batch = AnchoredBuilder(reference, gh, length)
            single = AnchoredBuilder(reference, gh, length)
            single._keys = {}  # no plans: every haplotype through Layout
            for hap in gh.unique:
                np.testing.assert_array_equal(batch.build(hap), single.build(hap))
            planned += len(batch._plans or {})
    assert planned > 100  # the vectorised path is really exercised
