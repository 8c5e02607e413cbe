"""read_variants: records in a window, skipped alleles counted, REF check, unphased policies."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pysam
import pysam.bcftools
import pytest
from vcfcase import GT_HEADER, write_fasta_vcf

from pexbench.contigs import ContigError
from pexbench.errors import InputError, VariantError
from pexbench.genome import Reference
from pexbench.variants import random_phase_swaps, read_variants, vcf_samples

SEQ = "ACGTTGCAAGCTAGCTTACGGATCCATGCAAGTCGATCGGCTAAGCTTGCAT"


def _case(
    tmp: Path,
    lines: Sequence[str],
    samples: Sequence[str] = ("A", "B"),
    contig: str = "chr1",
    index: bool = True,
) -> tuple[Path, Path]:
    return write_fasta_vcf(
        tmp,
        SEQ,
        lines,
        samples,
        meta=[
            '##ALT=<ID=DEL,Description="Deletion">',
            '##ALT=<ID=CN0,Description="Copy number 0">',
            '##ALT=<ID=INS,Description="Insertion">',
            GT_HEADER,
            '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">',
        ],
        vcf_contig=contig,
        index=index,
    )


LINES = [
    "chr1 3 rs1 GTTGC G . . . GT 0|1 1|1",  # deletion starting upstream of the window
    "chr1 6 . G A,T . . . GT:DP 2|1:7 .|1:3",  # multi-allelic, half-missing
    "chr1 8 . A * . . . GT 0|1 1|1",  # star only: skipped
    "chr1 9 . A <CN0> . . . GT 0|1 1|1",  # symbolic only: skipped
    "chr1 10 . G C,<INS> . . . GT 1|2 ./.",  # mixed: <INS> calls become missing
    "chr1 12 . T TA . . . GT 1 0",  # haploid calls
    "chr1 20 . G C . . . GT 0|0 0|1",  # outside [5, 15)
]


def test_window_records_counts_and_genotypes(tmp_path: Path) -> None:
    fasta, vcf = _case(tmp_path, LINES)
    block = read_variants(vcf, "chr1", 4, 15, reference=Reference(fasta))
    assert block.chrom == "chr1"
    assert block.pos.tolist() == [2, 5, 9, 11]
    assert block.ref == ["GTTGC", "G", "G", "T"]
    assert block.alts == [("G",), ("A", "T"), ("C", "<INS>"), ("TA",)]
    assert block.ids == ["rs1", "chr1:6:G:A,T", "chr1:10:G:C,<INS>", "chr1:12:T:TA"]
    assert block.samples == ["A", "B"]
    assert block.genotypes.dtype == np.int16
    assert block.genotypes.tolist() == [
        [[0, 1], [1, 1]],
        [[2, 1], [-1, 1]],
        [[1, -1], [-1, -1]],
        [[1, -1], [0, -1]],
    ]
    assert block.counts["records"] == 4
    assert block.counts["skipped_star"] == 1
    assert block.counts["skipped_symbolic"] == 1
    assert block.counts["unusable_allele_calls"] == 1
    assert block.counts["haploid_calls"] == 2
    assert block.counts["missing_alleles"] == 4  # .|1 (1), ./. (2), <DEL> call (1)
    dos = block.dosages()
    assert dos[0].tolist() == [1.0, 2.0]
    assert np.isnan(dos[1, 1]) and dos[1, 0] == 2.0
    assert np.isnan(dos[3]).all()  # haploid: second allele absent
    assert block.phased[:2].all()
    np.testing.assert_array_equal(block.ends(), [7, 6, 10, 12])


def test_sample_selection_and_order(tmp_path: Path) -> None:
    _, vcf = _case(tmp_path, LINES)
    assert vcf_samples(vcf) == ["A", "B"]
    both = read_variants(vcf, "chr1", 0, 52)
    rev = read_variants(vcf, "chr1", 0, 52, samples=["B", "A"])
    assert rev.samples == ["B", "A"]
    np.testing.assert_array_equal(rev.genotypes, both.genotypes[:, ::-1])
    with pytest.raises(InputError, match=r"1 sample\(s\) not in VCF .*v.vcf.gz: NOPE"):
        read_variants(vcf, "chr1", 0, 52, samples=["A", "NOPE"])


def test_ref_mismatch_names_the_site(tmp_path: Path) -> None:
    fasta, vcf = _case(tmp_path, ["chr1 5 . C T . . . GT 0|1 1|1"])
    with pytest.raises(VariantError) as err:
        read_variants(vcf, "chr1", 0, 52, reference=Reference(fasta))
    msg = str(err.value)
    assert "chr1:5" in msg and "'C'" in msg and "'T'" in msg  # VCF REF C, FASTA T
    assert "v.vcf.gz" in msg and "bcftools norm" in msg and "same build" in msg


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        # header: ##fileformat, ##contig, 3 ##ALT, 2 ##FORMAT, #CHROM; the bad record is line 10
        pytest.param(
            [
                "chr1 2 . C G . . . GT 0|1 1|1",
                "chr1 5 . T G . . . GT 0|1",
                "chr1 9 . A T . . . GT 0|1 0|0",
            ],
            r"malformed VCF .*v\.vcf\.gz, line 10: 'chr1\\t5",
            id="middle",
        ),
        pytest.param(
            ["chr1 2 . C G . . . GT 0|1", "chr1 5 . T G . . . GT 0|1 1|1"],
            r"line 9: 'chr1\\t2.*bcftools view",
            id="first-of-window",
        ),
        pytest.param(
            [
                "chr1 5 . T G . . . GT 0|1 1|1",
                "chr1 5 . T C . . . GT 0|1 1|1",
                "chr1 9 . A T . . . GT 0|x 0|0",
            ],
            r"line 11: 'chr1\\t9",
            id="after-two-at-one-pos",
        ),
        # htslib reads it (no `bcftools view` hint), pexbench cannot use it: its own line
        pytest.param(
            [
                "chr1 2 . C G . . . GT 0|1 1|1",
                "chr1 5 . T G . . . GT 0|1 1|a",
                "chr1 9 . A T . . . GT 0|1 0|0",
            ],
            r"line 10: 'chr1\\t5",
            id="unusable-gt",
        ),
    ],
)
def test_malformed_line_names_file_and_line(tmp_path: Path, lines: list[str], message: str) -> None:
    _, vcf = _case(tmp_path, lines)
    with pytest.raises(InputError, match=message):
        read_variants(vcf, "chr1", 0, 52)


def test_unmatched_contig_and_missing_index(tmp_path: Path) -> None:
    fasta, vcf = _case(tmp_path, ["chr2 5 . T G . . . GT 0|1 1|1"], contig="chr2")
    # a contig the VCF does not have: no records (bcftools consensus prints the reference)
    block = read_variants(vcf, "chr1", 0, 52)
    assert len(block) == 0 and block.genotypes.shape == (0, 2, 2)
    assert block.counts["contig_not_in_vcf"] == 1
    with pytest.raises(ContigError, match="'chr2'"):
        read_variants(vcf, "chr2", 0, 52, reference=Reference(fasta))
    _, noidx = _case(tmp_path / "x", ["chr1 5 . T G . . . GT 0|1 1|1"], index=False)
    with pytest.raises(InputError, match="no index"):
        read_variants(noidx, "chr1", 0, 52)
    with pytest.raises(InputError, match="unknown unphased policy"):
        read_variants(noidx, "chr1", 0, 52, unphased="guess")


def test_contig_names_harmonised(tmp_path: Path) -> None:
    fasta, vcf = _case(tmp_path, ["1 5 . T G . . . GT 0|1 1|1"], contig="1")
    block = read_variants(vcf, "chr1", 0, 52, reference=Reference(fasta))
    assert block.chrom == "chr1" and len(block) == 1


def test_unphased_policies(tmp_path: Path) -> None:
    lines = [
        "chr1 5 . T G . . . GT 0/1 1/1",  # A het unphased; B hom unphased
        "chr1 9 . A T . . . GT 1/0 0|1",
        "chr1 13 . A C . . . GT 0/. 0/0",  # half-missing unphased counts as heterozygous
    ]
    fasta, vcf = _case(tmp_path, lines)
    with pytest.raises(VariantError, match=r"chr1:5 for sample A.*3 such calls"):
        read_variants(vcf, "chr1", 0, 52)
    kept = read_variants(vcf, "chr1", 0, 52, unphased="as_phased")
    assert kept.genotypes[:, 0].tolist() == [[0, 1], [1, 0], [0, -1]]
    assert kept.counts["unphased_heterozygous"] == 3
    assert kept.counts["unphased_homozygous"] == 2
    assert not kept.phased[0, 0] and kept.phased[1, 1]
    ref = Reference(fasta)
    for seed in range(6):
        rnd = read_variants(vcf, "chr1", 0, 52, reference=ref, unphased="random", seed=seed)
        again = read_variants(vcf, "chr1", 0, 52, reference=ref, unphased="random", seed=seed)
        np.testing.assert_array_equal(rnd.genotypes, again.genotypes)
        for i, (pos, r, a) in enumerate([(4, "T", "G"), (8, "A", "T"), (12, "A", "C")]):
            swap = random_phase_swaps(seed, pos, r, [a], ["A", "B"])[0]
            expected = kept.genotypes[i, 0][::-1] if swap else kept.genotypes[i, 0]
            assert rnd.genotypes[i, 0].tolist() == expected.tolist()
        assert rnd.genotypes[:, 1].tolist() == kept.genotypes[:, 1].tolist()  # B unchanged
        # a narrower window gives the same phase for the same site
        sub = read_variants(vcf, "chr1", 8, 10, samples=["A"], unphased="random", seed=seed)
        assert sub.genotypes[0, 0].tolist() == rnd.genotypes[1, 0].tolist()


# --------------------------------------------------------------------------------------------
# the text fast path (tabix lines parsed with numpy) against htslib (BCF input) and by hand
# --------------------------------------------------------------------------------------------
GT_LINES = [
    "chr1 2 . C G,T . . . GT 0|1 1/0 ./. .|1",
    "chr1 5 . T G . . . GT:DP 1:3 .:4 0|1:7 1/1:12",  # haploid and '.' calls, GT first of two
    "chr1 9 . A T . . . GT 1|1 0/1 1/. 0",
    "chr1 13 . A "
    + ",".join("CGT"[i % 3] * (i // 3 + 1) for i in range(11))  # 11 ALTs
    + " . . . GT 10|11 11/2 0|10 .|10",
    "chr1 20 rsX G C . . . GT 0|0 0|1 1|0 1|1",
]


def _bcf_copy(vcf: Path) -> Path:
    bcf = vcf.with_suffix("").with_suffix(".bcf")
    pysam.bcftools.view("-Ob", "-o", str(bcf), str(vcf), catch_stdout=False)
    pysam.bcftools.index(str(bcf), catch_stdout=False)
    return bcf


def _same_block(a: object, b: object) -> None:
    for name in ("chrom", "ref", "alts", "ids", "samples", "counts"):
        assert getattr(a, name) == getattr(b, name), name
    for name in ("pos", "genotypes", "phased"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype
        np.testing.assert_array_equal(x, y)


def test_text_path_matches_htslib_and_hand_values(tmp_path: Path) -> None:
    samples = ("A", "B", "C", "D")
    fasta, vcf = _case(tmp_path, GT_LINES, samples=samples)
    bcf = _bcf_copy(vcf)  # BCF is always read through htslib
    ref = Reference(fasta)
    for wanted in (None, ["D", "A"], ["C"]):
        for policy, seed in (("as_phased", 0), ("random", 3)):
            text = read_variants(vcf, "chr1", 0, 52, wanted, ref, policy, seed)
            binary = read_variants(bcf, "chr1", 0, 52, wanted, ref, policy, seed)
            _same_block(text, binary)
    block = read_variants(vcf, "chr1", 0, 52, unphased="as_phased")
    assert block.genotypes[:, :, 0].tolist() == [
        [0, 1, -1, -1],
        [1, -1, 0, 1],
        [1, 0, 1, 0],
        [10, 11, 0, -1],
        [0, 0, 1, 1],
    ]
    assert block.genotypes[:, :, 1].tolist() == [
        [1, 0, -1, 1],
        [-1, -1, 1, 1],
        [1, 1, -1, -1],
        [11, 2, 10, 10],
        [0, 1, 0, 1],
    ]
    assert block.phased.tolist() == [
        [True, False, False, True],
        [True, False, True, False],
        [True, False, False, True],
        [True, False, True, True],
        [True, True, True, True],
    ]
    assert block.counts["haploid_calls"] == 2  # '1' (A, POS 5) and '0' (D, POS 9); '.' is missing
    assert block.ids[-1] == "rsX"


def test_text_path_is_used_for_plain_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Simple bgzipped VCFs must not fall back to the slow htslib path (that is the speed-up)."""
    import pexbench.variants as variants

    _, vcf = _case(tmp_path, GT_LINES, samples=("A", "B", "C", "D"))

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("fell back to the htslib path")

    monkeypatch.setattr(variants, "_read_pysam", refuse)
    assert len(read_variants(vcf, "chr1", 0, 52, unphased="as_phased")) == 5


def test_unusual_records_fall_back_with_the_same_errors(tmp_path: Path) -> None:
    _, vcf = _case(tmp_path / "a", ["chr1 5 . T G . . . DP:GT 3:0|1 4:1|1"])
    with pytest.raises(InputError, match=r"chr1:5 .* no GT as first FORMAT key"):
        read_variants(vcf, "chr1", 0, 52)
    _, vcf = _case(tmp_path / "b", ["chr1 5 . T G . . . GT 0|1|1 1|1"])
    block = read_variants(vcf, "chr1", 0, 52)  # triploid: the first two alleles
    assert block.genotypes[0].tolist() == [[0, 1], [1, 1]]
    assert block.counts["alleles_beyond_ploidy"] == 1
    block = read_variants(vcf, "chr1", 0, 52, ploidy=3)  # -H 3 reads the third
    assert block.genotypes[0].tolist() == [[0, 1, 1], [1, 1, -1]]
    assert block.counts["missing_alleles"] == 0
    _, vcf = _case(tmp_path / "c", ["chr1 5 . T G . . . GT 0|2 1|1"])
    with pytest.raises(InputError, match=r"sample A has allele index 2 but the record has 1"):
        read_variants(vcf, "chr1", 0, 52)


def test_errors_come_in_file_order(tmp_path: Path) -> None:
    """Whichever problem comes first in the file is reported, as when reading record by record."""
    bad_gt = "chr1 2 . C G . . . GT 0|x 1|1"  # htslib cannot parse it: malformed-VCF error
    bad_ref = "chr1 5 . C T . . . GT 0|1 1|1"  # FASTA has T at 5
    fasta, vcf = _case(tmp_path / "a", [bad_gt, bad_ref])
    with pytest.raises(InputError, match="malformed VCF"):
        read_variants(vcf, "chr1", 0, 52, reference=Reference(fasta))
    fasta, vcf = _case(
        tmp_path / "b", [bad_ref, bad_gt.replace(" 2 ", " 9 ").replace(" C ", " A ")]
    )
    with pytest.raises(VariantError, match="chr1:5"):
        read_variants(vcf, "chr1", 0, 52, reference=Reference(fasta))


def test_random_policy_swaps_about_half() -> None:
    samples = [f"S{i}" for i in range(2000)]
    coins = random_phase_swaps(0, 12345, "A", ["G"], samples)
    assert 900 < coins.sum() < 1100
    assert (coins == random_phase_swaps(0, 12345, "A", ["G"], samples)).all()
    assert (coins != random_phase_swaps(1, 12345, "A", ["G"], samples)).any()


def test_random_phase_ignores_the_contig_spelling(tmp_path: Path) -> None:
    """`22` and `chr22` (here `1` and `chr1`) give the same random phase: the coin hashes
    (seed, POS, REF, ALT, sample) only."""
    lines = [
        f"{{c}} {p} . {SEQ[p - 1]} {'A' if SEQ[p - 1] != 'A' else 'C'} . . . GT 0/1 1/0"
        for p in range(3, 50, 3)
    ]
    blocks = []
    for contig in ("1", "chr1"):
        fasta, vcf = _case(tmp_path / contig, [x.format(c=contig) for x in lines], contig=contig)
        blocks.append(
            read_variants(vcf, "chr1", 0, 52, reference=Reference(fasta), unphased="random", seed=7)
        )
    assert blocks[0].counts["unphased_randomised_swaps"] > 0
    np.testing.assert_array_equal(blocks[0].genotypes, blocks[1].genotypes)
