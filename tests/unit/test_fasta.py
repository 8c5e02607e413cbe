"""The reference FASTA: the workflow's bgzipped copy (`prepare_fasta`), faidx indexing, contigs.

Oracles: pysam.FastaFile for indexed access, hand-written sequences."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pysam
import pytest
from vcfcase import write_fasta

from pexbench import fasta
from pexbench.errors import InputError

RNG = np.random.default_rng(7)
SEQ = "".join(RNG.choice(list("ACGT"), size=400))
OTHER = "".join(RNG.choice(list("ACGT"), size=120))


def outputs(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir())


def test_prepare_fasta_plain_is_bgzipped_and_indexed(tmp_path: Path) -> None:
    fa = write_fasta(tmp_path / "g.fa", {"chr22": SEQ})
    out = fasta.prepare_fasta(fa, tmp_path / "dest" / "reference.fa.gz")
    assert out == tmp_path / "dest" / "reference.fa.gz"
    assert fasta.compression(out) == "bgzf"
    assert outputs(out) == ["reference.fa.gz", "reference.fa.gz.fai", "reference.fa.gz.gzi"]
    assert pysam.FastaFile(str(out)).fetch("chr22", 5, 70) == SEQ[5:70]
    assert fasta.fasta_contigs(out) == {"chr22": len(SEQ)}
    # the source is left alone: no index beside it
    assert not Path(f"{fa}.fai").exists()


def test_prepare_fasta_bgzip_is_copied(tmp_path: Path) -> None:
    src_dir = tmp_path / "ro"
    src_dir.mkdir()
    plain = write_fasta(tmp_path / "g.fa", {"chr22": SEQ, "chrX": OTHER})
    bgz = src_dir / "g.fa.gz"
    pysam.tabix_compress(str(plain), str(bgz))
    out = fasta.prepare_fasta(bgz, tmp_path / "dest" / "reference.fa.gz")
    assert out.read_bytes() == bgz.read_bytes()
    assert Path(f"{out}.fai").is_file() and Path(f"{out}.gzi").is_file()
    assert not Path(f"{bgz}.fai").exists()
    assert pysam.FastaFile(str(out)).fetch("chrX", 3, 100) == OTHER[3:100]


def test_prepare_fasta_plain_gzip_is_recompressed(tmp_path: Path) -> None:
    gz = tmp_path / "g.fa.gz"
    with gzip.open(gz, "wt") as fh:
        fh.write(f">chr22\n{SEQ}\n")
    assert fasta.compression(gz) == "gzip"
    out = fasta.prepare_fasta(gz, tmp_path / "dest" / "reference.fa.gz")
    assert fasta.compression(out) == "bgzf"
    assert outputs(out) == ["reference.fa.gz", "reference.fa.gz.fai", "reference.fa.gz.gzi"]
    assert pysam.FastaFile(str(out)).fetch("chr22") == SEQ


def test_prepare_fasta_not_fasta(tmp_path: Path) -> None:
    bad = tmp_path / "g.fa"
    bad.write_text("chr22 ACGT\n")
    with pytest.raises(InputError, match="not a FASTA") as err:
        fasta.prepare_fasta(bad, tmp_path / "dest" / "reference.fa.gz")
    assert str(bad) in str(err.value) and "inputs.fasta" in str(err.value)
    with pytest.raises(InputError, match="does not exist"):
        fasta.prepare_fasta(tmp_path / "missing.fa", tmp_path / "dest" / "reference.fa.gz")


def test_prepare_fasta_failure_leaves_nothing(tmp_path: Path) -> None:
    # a line longer than the one before it in the same sequence: faidx refuses
    bad = tmp_path / "g.fa.gz"
    with gzip.open(bad, "wt") as fh:
        fh.write(">chr22\nACGT\nAC\nACGTACGT\n")
    out = tmp_path / "dest" / "reference.fa.gz"
    with pytest.raises(InputError, match="cannot index FASTA") as err:
        fasta.prepare_fasta(bad, out)
    assert str(bad) in str(err.value)
    # neither the decompressed genome nor partial outputs remain
    assert list(out.parent.iterdir()) == []


def test_prepare_fasta_real(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "reference" / "chr22.synthetic_background.fa.gz"
    out = fasta.prepare_fasta(src, tmp_path / "dest" / "reference.fa.gz")
    assert fasta.fasta_contigs(out) == {"chr22": 51_304_566}


def test_index_fasta(tmp_path: Path) -> None:
    plain = write_fasta(tmp_path / "g.fa", {"chr22": SEQ})
    bgz = tmp_path / "g.fa.gz"
    pysam.tabix_compress(str(plain), str(bgz))
    assert fasta.index_fasta(bgz) == bgz
    assert Path(f"{bgz}.gzi").is_file()
    assert pysam.FastaFile(str(bgz)).fetch("chr22", 100, 160) == SEQ[100:160]


def test_index_fasta_reuses_fresh_index(tmp_path: Path) -> None:
    fa = write_fasta(tmp_path / "g.fa", {"chr22": SEQ})
    pysam.faidx(str(fa))
    fai = Path(f"{fa}.fai")
    fai.write_text(fai.read_text())  # same content, newer mtime; rewritten if not reused
    before = fai.stat().st_mtime_ns
    assert fasta.index_fasta(fa) == fa
    assert fai.stat().st_mtime_ns == before


def test_index_fasta_plain_gzip_is_an_error(tmp_path: Path) -> None:
    gz = tmp_path / "g.fa.gz"
    with gzip.open(gz, "wt") as fh:
        fh.write(f">chr22\n{SEQ}\n")
    with pytest.raises(InputError, match="bgzip") as err:
        fasta.index_fasta(gz)
    assert str(gz) in str(err.value)


def test_fasta_contigs_needs_index(tmp_path: Path) -> None:
    fa = write_fasta(tmp_path / "g.fa", {"chr22": SEQ, "chrX": OTHER})
    with pytest.raises(InputError, match=r"no \.fai index"):
        fasta.fasta_contigs(fa)
    fasta.index_fasta(fa)
    assert fasta.fasta_contigs(fa) == {"chr22": len(SEQ), "chrX": len(OTHER)}
