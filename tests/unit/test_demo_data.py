"""The bundled demo data (resources/demo): reproducible from the shared data, small, consistent."""

from __future__ import annotations

import gzip
import itertools
import subprocess
import sys
from pathlib import Path

import pysam
import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "resources" / "demo"
START, END = 49_200_000, 51_200_000
ENCODE_STATES = {"CTCF", "E", "PF", "R", "T", "TSS", "WE"}


def test_demo_is_small_and_documented() -> None:
    files = sorted(p for p in DEMO.iterdir() if p.is_file())
    total = sum(p.stat().st_size for p in files)
    assert total < 6 * 1024**2, f"resources/demo holds {total} bytes"
    sources = (DEMO / "SOURCES.md").read_text()
    for path in files:
        if path.name == "SOURCES.md":
            continue
        data_file = path.name.removesuffix(".tbi").removesuffix(".fai").removesuffix(".gzi")
        assert data_file in sources, f"{path.name} has no row in resources/demo/SOURCES.md"
    assert "not real sequence" in sources and "not ENCODE" in sources


def test_regeneration_is_byte_identical(tmp_path: Path, shared_data: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            str(REPO / "workflow/scripts/make_demo_data.py"),
            "--source",
            str(shared_data),
            "--out",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    made = sorted(p.name for p in tmp_path.iterdir())
    bundled = sorted(p.name for p in DEMO.iterdir() if p.name != "SOURCES.md")
    assert made == bundled
    for name in made:
        assert (tmp_path / name).read_bytes() == (DEMO / name).read_bytes(), name


def test_vcf_subsets() -> None:
    with pysam.VariantFile(str(DEMO / "geuvadis423.demo.vcf.gz")) as vf:
        assert len(vf.header.samples) == 423
        pos = [rec.pos for rec in vf.fetch()]
    assert len(pos) == 3151
    assert all(START < p <= END for p in pos)
    with pysam.VariantFile(str(DEMO / "1kg_phase1.5samples.phased.demo.vcf.gz")) as vf:
        assert list(vf.header.samples) == ["HG00096", "HG00097", "HG00099", "HG00100", "HG00101"]
        recs = list(vf.fetch())
    assert len(recs) == 10376
    assert all(rec.samples[0].phased for rec in recs[:100])


def test_ref_alleles_match_the_demo_fasta() -> None:
    with pysam.FastaFile(str(DEMO / "chr22.demo.fa.gz")) as fa:
        assert list(fa.references) == ["chr22"] and list(fa.lengths) == [51_304_566]
        for vcf in ("geuvadis423.demo.vcf.gz", "1kg_phase1.5samples.phased.demo.vcf.gz"):
            with pysam.VariantFile(str(DEMO / vcf)) as vf:
                for rec in vf.fetch():
                    assert fa.fetch("chr22", rec.start, rec.stop).upper() == rec.ref.upper(), (
                        vcf,
                        rec.pos,
                    )


def test_fasta_equals_source_inside_and_n_outside(shared_data: Path) -> None:
    src = shared_data / "reference/chr22.synthetic_background.fa.gz"
    with pysam.FastaFile(str(DEMO / "chr22.demo.fa.gz")) as fa, pysam.FastaFile(str(src)) as ref:
        assert fa.fetch("chr22", 49_000_000, 51_304_566) == ref.fetch(
            "chr22", 49_000_000, 51_304_566
        )
        assert set(fa.fetch("chr22", 48_000_000, 49_000_000)) == {"N"}


def test_expression_and_gtf_lie_in_the_region() -> None:
    with gzip.open(DEMO / "expression.demo.bed.gz", "rt") as fh:
        header = fh.readline().rstrip("\n").split("\t")
        rows = [line.split("\t") for line in fh]
    assert header[:6] == ["#chr", "start", "end", "gene", "length", "strand"]
    assert len(header) - 6 == 358
    assert len(rows) == 50 and all(START <= int(r[1]) < END for r in rows)
    with gzip.open(DEMO / "gencode.v19.demo.gtf.gz", "rt") as fh:
        genes = [line.split("\t") for line in fh if line.split("\t")[2] == "gene"]
    assert len(genes) == 69
    assert all(START < int(g[3]) and int(g[4]) <= END for g in genes)


def test_chromatin_states_are_labelled_synthetic_and_tile_the_region() -> None:
    with gzip.open(DEMO / "chromatin_states.synthetic.bed.gz", "rt") as fh:
        first = fh.readline()
        rows = [line.rstrip("\n").split("\t") for line in fh]
    assert first.startswith("# synthetic stand-in, not ENCODE")
    assert int(rows[0][1]) == START and int(rows[-1][2]) == END
    assert all(int(a[2]) == int(b[1]) for a, b in itertools.pairwise(rows))
    assert all(int(r[1]) < int(r[2]) for r in rows)
    assert {r[3] for r in rows} == ENCODE_STATES
    # every demo gene's TSS (GTF) is labelled TSS
    states = [(int(r[1]), int(r[2]), r[3]) for r in rows]
    with gzip.open(DEMO / "gencode.v19.demo.gtf.gz", "rt") as fh:
        for line in fh:
            f = line.split("\t")
            if f[2] != "gene":
                continue
            tss = int(f[3]) - 1 if f[6] == "+" else int(f[4]) - 1
            label = next(s for a, b, s in states if a <= tss < b)
            assert label == "TSS", (f[8][:40], tss)


@pytest.mark.parametrize("name", ["config.yaml"])
def test_demo_config_points_at_bundled_files(name: str) -> None:
    import yaml

    config = yaml.safe_load((REPO / "config" / name).read_text())
    for key, value in config["inputs"].items():
        if value:
            assert (REPO / value).is_file(), f"inputs.{key}: {value}"
