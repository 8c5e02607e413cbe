"""A small version of the bundled demo for end-to-end tests (report, browser, SLURM).

`small_demo(repo, workdir)` writes `workdir/config.yaml`: the bundled demo configuration with
`genes.max_genes` genes in two shards and the first `n_individuals` individuals present in both
the demo VCF and expression table, so that a full run (both demo models, baseline, variant
analysis, report) finishes in about a minute on two cores. Input paths point into the checkout's
`resources/`; the run's outputs stay in `workdir`.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pysam
import yaml


def _expression_ids(path: Path) -> list[str]:
    with gzip.open(path, "rt") as fh:
        header = fh.readline().rstrip("\n").split("\t")
    return header[6:]  # chr start end gene length strand, then individuals


def small_demo(
    repo: Path,
    workdir: Path,
    *,
    max_genes: int = 4,
    n_individuals: int = 40,
    overrides: dict[str, Any] | None = None,
) -> Path:
    """Write the small demo config into `workdir` and return its path."""
    cfg = yaml.safe_load((repo / "config" / "config.yaml").read_text())
    inputs = cfg["inputs"]
    for key, value in inputs.items():
        if isinstance(value, str):
            inputs[key] = str(repo / value)
    with pysam.VariantFile(inputs["vcf"]) as vf:
        vcf_samples = set(vf.header.samples)
    shared = [s for s in _expression_ids(Path(inputs["expression"])) if s in vcf_samples]
    cfg["individuals"] = {"include": shared[:n_individuals]}
    cfg["genes"]["max_genes"] = max_genes
    cfg["genes"]["shards"] = 2
    cfg["evaluation"]["eqtl_p_threshold"] = 1.0  # few individuals: keep every gene's lead variant
    for key, value in (overrides or {}).items():
        node = cfg
        *parents, leaf = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    for spec in cfg["models"]:  # after overrides: overriding models may bring relative paths
        w = spec.get("weights")
        if isinstance(w, str) and (repo / w).exists():
            spec["weights"] = str(repo / w)
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def snakemake_env() -> dict[str, str]:
    """Environment with this interpreter's bin directory first on PATH (jobs find python,
    snakemake and the executor plugins of the same environment)."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def run_snakemake(
    repo: Path,
    workdir: Path,
    config: Path,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """`snakemake -s repo/Snakefile -d workdir --configfile config ARGS` (output captured)."""
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(repo / "Snakefile"),
        "-d",
        str(workdir),
        "--configfile",
        str(config),
        *args,
    ]
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, env=env or snakemake_env()
    )
