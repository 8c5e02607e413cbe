"""Building the DAG (Snakefile + workflow/rules/common.smk) imports no model framework: model
facts come from the torch-free pexbench.models.facts."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_dry_run_imports_no_torch() -> None:
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "snakemake", "-n", "--cores", "1", "-q"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    # -X importtime lines: "import time: self | cumulative | <indent>package"
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in run.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    assert "pexbench.models.facts" in modules
    heavy = {m for m in modules if re.match(r"(torch|h5py|enformer_pytorch)(\.|$)", m)}
    assert not heavy, sorted(heavy)[:10]
