"""workflow/scripts/prepare_fasta.py (rule prepare_fasta) run outside Snakemake: the outputs
for a plain-gzip FASTA, and no temporary file (e.g. the decompressed genome) left on failure."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pysam

REPO = Path(__file__).resolve().parents[2]
DRIVER = """
import runpy, sys
from types import SimpleNamespace
src, out, log = sys.argv[1:4]
snakemake = SimpleNamespace(
    input=SimpleNamespace(fasta=src),
    output=SimpleNamespace(fasta=out, fai=out + ".fai", gzi=out + ".gzi"),
    log=[log],
)
runpy.run_path({script!r}, init_globals={{"snakemake": snakemake}}, run_name="__main__")
"""


def run_script(src: Path, outdir: Path) -> subprocess.CompletedProcess[str]:
    outdir.mkdir(exist_ok=True)
    code = DRIVER.format(script=str(REPO / "workflow/scripts/prepare_fasta.py"))
    out = outdir / "reference.fa.gz"
    # as the Snakefile does for jobs: this checkout's library first
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-c", code, str(src), str(out), str(outdir / "prepare_fasta.log")],
        capture_output=True,
        text=True,
        env=env,
    )


def test_plain_gzip_fasta_is_recompressed_and_indexed(tmp_path: Path) -> None:
    src = tmp_path / "ref.fa.gz"
    with gzip.open(src, "wt") as fh:
        fh.write(">chrT\nACGTACGTAC\nGGCC\n")
    res = run_script(src, tmp_path / "out")
    assert res.returncode == 0, res.stderr
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "prepare_fasta.log",
        "reference.fa.gz",
        "reference.fa.gz.fai",
        "reference.fa.gz.gzi",
    ]
    with pysam.FastaFile(str(out / "reference.fa.gz")) as fa:
        assert fa.fetch("chrT") == "ACGTACGTACGGCC"


def test_failure_leaves_no_temporary_files(tmp_path: Path) -> None:
    src = tmp_path / "notfasta.gz"
    with gzip.open(src, "wt") as fh:
        fh.write("this is not a FASTA file\n" * 100)
    res = run_script(src, tmp_path / "out")
    assert res.returncode != 0
    assert "cannot index" in res.stderr + (tmp_path / "out/prepare_fasta.log").read_text()
    # only the log: neither the decompressed genome nor partial bgzip/index files remain
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["prepare_fasta.log"]
