"""The bundled demo data (resources/demo): reproducible from the shared data, small, consistent,
real (nothing synthetic but the tiny Enformer's weights, which are not a file)."""

from __future__ import annotations

import gzip
import itertools
import subprocess
import sys
from pathlib import Path

import pysam
import pytest
import yaml

from pexbench.chromatin import BROAD_15_STATE, assign_states, read_states, state_map_from_config

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "resources" / "demo"
START, END = 16_050_000, 22_000_000  # 0-based half-open
PAD = 200_000
LENGTH = 51_304_566  # GRCh37 chr22
FASTA = "chr22.GRCh37.16.05-22Mb.fa.gz"
VCF = "1kg_phase1.geuvadis423.phased.chr22_16.05-22Mb.vcf.gz"
STATES = "wgEncodeBroadHmmGm12878HMM.chr22_16.05-22Mb.bed.gz"
STATE_GAPS = [(16_697_800, 16_848_000), (20_509_400, 20_609_600)]  # no segment in the source


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
    # nothing synthetic or generated is left
    assert not [p.name for p in files if "synthetic" in p.name or "demo.fa" in p.name]
    assert "not real sequence" not in sources and "synthetic" not in sources.lower()


def test_regeneration_is_byte_identical(tmp_path: Path, shared_data: Path) -> None:
    for out in (tmp_path / "a", tmp_path / "b"):
        subprocess.run(
            [
                sys.executable,
                str(REPO / "workflow/scripts/make_demo_data.py"),
                "--source",
                str(shared_data),
                "--out",
                str(out),
            ],
            check=True,
            capture_output=True,
        )
    made = sorted(p.name for p in (tmp_path / "a").iterdir())
    bundled = sorted(p.name for p in DEMO.iterdir() if p.name != "SOURCES.md")
    assert made == bundled
    for name in made:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
        assert (tmp_path / "a" / name).read_bytes() == (DEMO / name).read_bytes(), name


def test_vcf_is_the_phased_423_individual_file() -> None:
    with pysam.VariantFile(str(DEMO / VCF)) as vf:
        assert len(vf.header.samples) == 423
        assert vf.header.contigs["22"].length == LENGTH
        recs = list(vf.fetch())
    assert len(recs) == 2371
    assert all(START < rec.pos <= END for rec in recs)
    assert all(s.phased for rec in recs for s in rec.samples.values())
    assert sum(len(rec.ref) != len(rec.alts[0]) for rec in recs) == 92  # indels


def test_ref_alleles_match_the_demo_fasta() -> None:
    with pysam.FastaFile(str(DEMO / FASTA)) as fa, pysam.VariantFile(str(DEMO / VCF)) as vf:
        assert list(fa.references) == ["chr22"] and list(fa.lengths) == [LENGTH]
        for rec in vf.fetch():
            assert fa.fetch("chr22", rec.start, rec.stop).upper() == rec.ref.upper(), rec.pos


def test_fasta_is_the_real_sequence_soft_masked_and_n_outside(shared_data: Path) -> None:
    src = shared_data / "reference/chr22.GRCh37.real_16.05-22Mb.fa.gz"
    lo, hi = START - PAD, END + PAD
    with pysam.FastaFile(str(DEMO / FASTA)) as fa, pysam.FastaFile(str(src)) as ref:
        inside = fa.fetch("chr22", lo, hi)
        assert inside == ref.fetch("chr22", lo, hi)  # case kept
        assert set(fa.fetch("chr22", 0, lo)) == {"N"}
        assert set(fa.fetch("chr22", hi, LENGTH)) == {"N"}
    region = inside[START - lo : END - lo]
    assert set(region) <= set("ACGTNacgtn")
    lower = sum(region.count(c) for c in "acgt")
    assert 0.2 < lower / len(region) < 0.8  # soft-masked repeats
    assert region.upper().count("N") < 0.05 * len(region)  # hg19 assembly gaps: 4.2%
    assert (DEMO / f"{FASTA}.fai").is_file() and (DEMO / f"{FASTA}.gzi").is_file()


def test_expression_and_gtf_lie_in_the_region() -> None:
    with gzip.open(DEMO / "expression.demo.bed.gz", "rt") as fh:
        header = fh.readline().rstrip("\n").split("\t")
        rows = [line.split("\t") for line in fh]
    assert header[:6] == ["#chr", "start", "end", "gene", "length", "strand"]
    assert len(header) - 6 == 358
    assert len(rows) == 98 and all(START <= int(r[1]) < END for r in rows)
    with gzip.open(DEMO / "gencode.v19.demo.gtf.gz", "rt") as fh:
        genes = [line.split("\t") for line in fh if line.split("\t")[2] == "gene"]
    assert len(genes) == 268
    assert all(START < int(g[3]) and int(g[4]) <= END for g in genes)
    gtf_ids = {g[8].split('gene_id "', 1)[1].split('"', 1)[0] for g in genes}
    assert len({r[3] for r in rows} - gtf_ids) == 1  # one expression gene is not in GENCODE v19


def test_chromatin_states_are_the_real_broad_segmentation(shared_data: Path) -> None:
    with gzip.open(DEMO / STATES, "rt") as fh:
        rows = [line.rstrip("\n").split("\t") for line in fh]
    src = shared_data / "chromatin/wgEncodeBroadHmmGm12878HMM.hg19.chr22.bed.gz"
    with gzip.open(src, "rt") as fh:
        expected = [
            line.rstrip("\n").split("\t")
            for line in fh
            if int(line.split("\t")[1]) < END + PAD and int(line.split("\t")[2]) > START - PAD
        ]
    assert rows == expected and len(rows) == 1796  # unchanged BED9 rows
    assert all(len(r) == 9 for r in rows)
    assert {r[3] for r in rows} == set(BROAD_15_STATE)
    assert int(rows[0][1]) == START
    gaps = [(int(a[2]), int(b[1])) for a, b in itertools.pairwise(rows) if a[2] != b[1]]
    assert gaps == STATE_GAPS


def test_positions_in_the_state_gaps_are_counted_as_unassigned() -> None:
    states = read_states(DEMO / STATES, state_map=state_map_from_config("broad15"))
    assert set(states["state"]) == {"CTCF", "E", "PF", "R", "T", "TSS", "WE"}
    pos = [g[0] for g in STATE_GAPS] + [g[1] - 1 for g in STATE_GAPS] + [START, START - 1]
    got, counts = assign_states(states, ["22"] * len(pos), pos)
    assert list(got[:4]) == ["unassigned"] * 4
    assert got[4] != "unassigned" and got[5] == "unassigned"
    assert counts == {"assigned": 1, "unassigned": 5}


@pytest.mark.parametrize("name", ["config.yaml"])
def test_demo_config_points_at_bundled_files(name: str) -> None:
    config = yaml.safe_load((REPO / "config" / name).read_text())
    for key, value in config["inputs"].items():
        if value:
            assert (REPO / value).is_file(), f"inputs.{key}: {value}"
    for model in config["models"]:
        weights = str(model.get("weights"))
        assert weights == "tiny" or (REPO / weights).is_file(), model["name"]
    assert config["haplotypes"]["unphased"] == "error"
    assert config["evaluation"]["chromatin_state_mapping"] == "broad15"
    header = (REPO / "config" / name).read_text().split("\ninputs:")[0]
    assert "real data" in header and "16,050,000-22,000,000" in header
