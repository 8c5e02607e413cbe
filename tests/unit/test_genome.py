"""Reference access: plain and bgzipped FASTA, N outside contigs, contig-name harmonisation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pysam
import pytest

from pexbench.contigs import ContigError
from pexbench.encoding import decode, encode
from pexbench.errors import InputError
from pexbench.genome import Reference

SEQ1 = "ACGTNacgtnGGCCTTAAGGCCTTAAACGTACGTACGTACGTAAACCCGGGT"
SEQM = "TTTTGGGGCCCCAAAAACGT"


def _write(tmp: Path, bgzip: bool) -> Path:
    plain = tmp / "ref.fa"
    wrapped = "\n".join(SEQ1[i : i + 20] for i in range(0, len(SEQ1), 20))
    plain.write_text(f">chr1 first\n{wrapped}\n>chrM\n{SEQM}\n")
    if not bgzip:
        pysam.faidx(str(plain))
        return plain
    gz = tmp / "ref.fa.gz"
    pysam.tabix_compress(str(plain), str(gz), force=True)
    pysam.faidx(str(gz))
    return gz


@pytest.mark.parametrize("bgzip", [False, True])
def test_fetch_inside_and_outside(tmp_path: Path, bgzip: bool) -> None:
    ref = Reference(_write(tmp_path, bgzip))
    assert ref.contigs == {"chr1": len(SEQ1), "chrM": len(SEQM)}
    assert decode(ref.fetch("chr1", 0, len(SEQ1))) == SEQ1.upper()
    assert ref.fetch("chr1", 3, 9).dtype == np.uint8
    assert decode(ref.fetch("chr1", -4, 3)) == "NNNNACG"
    assert decode(ref.fetch("chr1", len(SEQ1) - 2, len(SEQ1) + 3)) == SEQ1[-2:] + "NNN"
    assert decode(ref.fetch("chr1", -10, -5)) == "NNNNN"
    assert decode(ref.fetch("chr1", 100, 104)) == "NNNN"
    assert ref.fetch("chr1", 5, 5).size == 0
    assert ref.fetch_str("chr1", 5, 10) == "acgtn"  # case kept where asked for
    np.testing.assert_array_equal(ref.fetch("chrM", 0, 20), encode(SEQM))
    with pytest.raises(ValueError, match="end before start"):
        ref.fetch("chr1", 5, 4)


def test_contig_names_harmonised(tmp_path: Path) -> None:
    ref = Reference(_write(tmp_path, False))
    assert ref.resolve("1") == "chr1"
    assert ref.resolve("MT") == "chrM"
    assert decode(ref.fetch("1", 0, 4)) == "ACGT"
    assert ref.length("M") == len(SEQM)
    with pytest.raises(ContigError, match=r"'chr7'.*no counterpart") as err:
        ref.fetch("chr7", 0, 4)
    assert isinstance(err.value, InputError)
    assert "ref.fa" in str(err.value)


def test_missing_index_and_file(tmp_path: Path) -> None:
    fa = tmp_path / "noindex.fa"
    fa.write_text(">c\nACGT\n")
    with pytest.raises(InputError, match="samtools faidx"):
        Reference(fa)
    with pytest.raises(InputError, match="does not exist"):
        Reference(tmp_path / "absent.fa")


def test_pickles_by_path(tmp_path: Path) -> None:
    import pickle

    ref = Reference(_write(tmp_path, True))
    clone = pickle.loads(pickle.dumps(ref))
    np.testing.assert_array_equal(clone.fetch("chr1", 0, 52), ref.fetch("chr1", 0, 52))


def test_shared_reference(shared_data: Path) -> None:
    """The bundled bgzipped chr22 reference: N before 49 Mb, bases after, `22` resolves."""
    ref = Reference(shared_data / "reference" / "chr22.synthetic_background.fa.gz")
    assert ref.contigs == {"chr22": 51_304_566}
    assert ref.resolve("22") == "chr22"
    assert (ref.fetch("22", 48_000_000, 48_000_100) == 4).all()
    codes = ref.fetch("22", 50_000_000, 50_000_100)
    assert (codes < 4).all()
    assert decode(codes) == ref.fetch_str("chr22", 50_000_000, 50_000_100).upper()
    tail = ref.fetch("chr22", 51_304_560, 51_304_570)
    assert (tail[6:] == 4).all()
