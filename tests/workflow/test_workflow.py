"""End-to-end runs of the Snakemake workflow on the bundled demo data (small configuration).

Each run happens in its own copy of the workflow (Snakefile, workflow/, envs/, config/ and
resources/demo/) under a temporary directory. The configuration is the demo's, made smaller:
4 genes in 2 shards, 60 individuals, the tiny random Enformer and Xpresso, the genotype
baseline. Checked: every output exists with the documented columns and non-trivial content;
a second `snakemake -n` has nothing to do; two runs give bit-identical tables; a run killed
after the haplotypes and resumed gives the same tables as an uninterrupted one; bad input stops
the run with a clear message in the log and no finished output.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pysam
import pytest
import yaml

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
TABLES = [
    "results/inputs/genes.tsv",
    "results/inputs/individuals.tsv",
    "results/expression/predicted.tsv.gz",
    "results/expression/measured.tsv.gz",
    "results/evaluation/gene_correlations.tsv",
    "results/evaluation/variant_effects.tsv",
    "results/evaluation/sign_classes_by_state.tsv",
    "results/evaluation/summary.json",
    # where the model looks (interpretation.enabled in the demo config)
    "results/evaluation/interpretation_effects.tsv.gz",
    "results/evaluation/interpretation_enrichment.tsv",
    "results/evaluation/interpretation_additivity.tsv",
    "results/evaluation/interpretation_leads.tsv",
    "results/evaluation/interpretation_counts.tsv",
]
TARGETS = [t for t in TABLES if t.startswith("results/e")]
N_INDIVIDUALS = 60


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), env.get("PYTHONPATH", "")])
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def small_config(root: Path) -> dict:
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    config["genes"].update({"max_genes": 4, "shards": 2})
    with gzip.open(root / config["inputs"]["expression"], "rt") as fh:
        expressed = set(fh.readline().rstrip("\n").split("\t")[6:])
    with pysam.VariantFile(str(root / config["inputs"]["vcf"])) as vcf:
        both = [s for s in vcf.header.samples if s in expressed]
    config["individuals"]["include"] = both[:N_INDIVIDUALS]
    config["evaluation"].update({"variants": "threshold", "eqtl_p_threshold": 0.05})
    config["baseline"]["folds"] = 3
    return config


def make_workdir(base: Path, name: str, config: dict | None = None) -> Path:
    root = base / name
    root.mkdir()
    shutil.copy(REPO / "Snakefile", root)
    for sub in ("workflow", "envs", "config"):
        if (REPO / sub).is_dir():
            shutil.copytree(REPO / sub, root / sub)
    shutil.copytree(REPO / "resources/demo", root / "resources/demo")
    config = config if config is not None else small_config(root)
    (root / "config/config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return root


def snakemake(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    run = subprocess.run(
        [*SNAKEMAKE, "--cores", "2", *args],
        cwd=root,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check and run.returncode != 0:
        logs = "\n".join(
            f"== {p}\n{p.read_text()[-3000:]}" for p in sorted((root / "logs").rglob("*.log"))
        )
        raise AssertionError(
            f"snakemake failed:\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}\n{logs}"
        )
    return run


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_workdir(tmp_path_factory.mktemp("workflow"), "run1")
    snakemake(root, *TARGETS)
    return root


def read(root: Path, path: str) -> pd.DataFrame:
    return pd.read_csv(root / path, sep="\t", dtype={"gene_id": str, "individual": str})


def test_outputs_have_expected_columns_and_content(demo_run: Path) -> None:
    genes = read(demo_run, "results/inputs/genes.tsv")
    assert list(genes.columns) == ["gene_id", "symbol", "chrom", "tss", "strand", "shard"]
    assert len(genes) == 4 and sorted(genes["shard"]) == [0, 0, 1, 1]
    assert (genes["chrom"] == "chr22").all()
    individuals = read(demo_run, "results/inputs/individuals.tsv")
    assert individuals["kept"].sum() == N_INDIVIDUALS
    assert set(individuals.loc[~individuals["kept"], "reason"]) >= {
        "not in expression",
        "not in VCF",
        "not requested",
    }

    predicted = read(demo_run, "results/expression/predicted.tsv.gz")
    assert list(predicted.columns) == ["model", "gene_id", "individual", "predicted"]
    assert set(predicted["model"]) == {"enformer_tiny_random", "xpresso", "genotype_elastic_net"}
    per_model = predicted.groupby("model")
    assert per_model["gene_id"].nunique().to_dict() == {
        "enformer_tiny_random": 4,
        "xpresso": 4,
        "genotype_elastic_net": 4,
    }
    assert (per_model["individual"].nunique() == N_INDIVIDUALS).all()
    assert predicted["predicted"].notna().all()
    # personal sequences differ: some spread across individuals for every sequence model
    spread = predicted.groupby(["model", "gene_id"])["predicted"].std()
    assert (spread.loc[["enformer_tiny_random", "xpresso"]] > 0).any()

    measured = read(demo_run, "results/expression/measured.tsv.gz")
    assert list(measured.columns) == ["gene_id", "individual", "measured"]
    assert measured.groupby("gene_id").size().eq(N_INDIVIDUALS).all()
    # rank-inverse-normal: each gene has mean ~0 (covariates regressed after)
    assert measured.groupby("gene_id")["measured"].mean().abs().max() < 1e-6

    corr = read(demo_run, "results/evaluation/gene_correlations.tsv")
    assert {"model", "gene_id", "pearson_r", "spearman_r", "pearson_fdr", "sign_class"} <= set(
        corr.columns
    )
    assert len(corr) == 12
    ok = corr[corr["status"] == "ok"]
    assert len(ok) >= 8 and ok["pearson_r"].between(-1, 1).all()

    effects = read(demo_run, "results/evaluation/variant_effects.tsv")
    assert {"model", "variant_id", "eqtl_beta", "predicted_effect", "chromatin_state"} <= set(
        effects.columns
    )
    assert len(effects) > 0
    # real GM12878 states mapped by the broad15 preset; positions in no segment: "unassigned"
    labels = {"CTCF", "E", "PF", "R", "T", "TSS", "WE", "unassigned"}
    assert set(effects["chromatin_state"]) <= labels

    summary = json.loads((demo_run / "results/evaluation/summary.json").read_text())
    assert set(summary["models"]) == {"enformer_tiny_random", "xpresso", "genotype_elastic_net"}
    assert summary["run"]["genes"]["kept"] == 4
    assert summary["run"]["individuals"]["kept"] == N_INDIVIDUALS
    assert summary["run"]["haplotypes"]["n_haplotypes"] == 4 * 2 * N_INDIVIDUALS
    assert summary["settings"]["haplotypes"]["unphased"] == "error"  # the demo VCF is phased
    for path in ("logs/haplotypes/000.log", "benchmarks/haplotypes/000.tsv"):
        assert (demo_run / path).is_file()


def test_interpretation_tables(demo_run: Path) -> None:
    """Where the model looks: the tiny Enformer (attention + contributions) and Xpresso
    (contributions) on the 4 genes; shares are fractions, random weights are flagged."""
    counts = read(demo_run, "results/evaluation/interpretation_counts.tsv")
    done = counts[counts["what"] == "genes_interpreted"].set_index("model")["count"]
    assert done.to_dict() == {"enformer_tiny_random": 4, "xpresso": 4}
    effects = read(demo_run, "results/evaluation/interpretation_effects.tsv.gz")
    snv = effects[effects["kind"] == "snv"]
    assert len(snv) > 0 and snv["first_order"].notna().all() and snv["ism"].notna().all()
    assert set(effects.loc[effects["model"] == "enformer_tiny_random", "trained"]) == {False}
    enrichment = read(demo_run, "results/evaluation/interpretation_enrichment.tsv")
    measures = enrichment.groupby("model")["measure"].unique().map(set).to_dict()
    assert measures == {
        "enformer_tiny_random": {"attention", "contribution"},
        "xpresso": {"contribution"},
    }
    sums = enrichment.groupby(["model", "measure", "grouping"])[["mass_share", "base_share"]].sum()
    assert ((sums - 1).abs() < 1e-6).all().all()
    additivity = read(demo_run, "results/evaluation/interpretation_additivity.tsv")
    assert set(additivity["model"]) <= {"enformer_tiny_random", "xpresso"}
    assert additivity["pearson_r"].dropna().between(-1, 1).all()
    leads = read(demo_run, "results/evaluation/interpretation_leads.tsv")
    assert {"gene_id", "chromatin_state", "first_order", "ism", "ism_agrees"} <= set(leads.columns)
    npz = demo_run / "results/interpretation/enformer_tiny_random/000.npz"
    assert npz.is_file()


def test_second_run_has_nothing_to_do(demo_run: Path) -> None:
    run = snakemake(demo_run, "-n", *TARGETS)
    assert "Nothing to be done" in run.stdout + run.stderr


def _same_tables(a: Path, b: Path) -> None:
    for path in TABLES:
        assert (a / path).read_bytes() == (b / path).read_bytes(), path


def test_regenerated_tables_are_bit_identical(demo_run: Path, tmp_path: Path) -> None:
    """Deleting the tables and running again reproduces them byte for byte (the full second
    run, from scratch but for one shard's haplotypes, is the resume test below)."""
    saved = tmp_path / "saved"
    for path in TABLES:
        (saved / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(demo_run / path, saved / path)
    shutil.rmtree(demo_run / "results/expression")
    shutil.rmtree(demo_run / "results/evaluation")
    snakemake(demo_run, *TARGETS)
    _same_tables(saved, demo_run)


def test_killed_run_resumes_to_identical_results(demo_run: Path, tmp_path: Path) -> None:
    """Killed (SIGKILL) once shard 000's haplotypes exist, then resumed: every table is
    byte-identical to the uninterrupted run's, so two runs agree bit for bit."""
    root = make_workdir(tmp_path, "killed")
    proc = subprocess.Popen(
        [*SNAKEMAKE, "--cores", "2", *TARGETS],
        cwd=root,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    marker = root / "results/haplotypes/000.npz"
    deadline = time.monotonic() + 300
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert marker.exists(), "the haplotypes of shard 000 never appeared"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (root / "results/evaluation/summary.json").exists()
    snakemake(root, "--unlock")
    snakemake(root, "--rerun-incomplete", *TARGETS)
    _same_tables(demo_run, root)


def test_gene_on_contig_absent_from_fasta_fails_clearly(tmp_path: Path) -> None:
    root = make_workdir(tmp_path, "bad")
    config = small_config(root)
    genes = root / "resources/genes_bad.tsv"
    genes.write_text(
        "gene_id\tsymbol\tchrom\ttss\tstrand\n"
        "ENSG00000100429.13\tHDAC10\tchr22\t50689833\t-\n"
        "ENSG_FAKE_21\tFAKE\tchr21\t1000000\t+\n"
    )
    config["inputs"]["annotation"] = str(genes.relative_to(root))
    config["genes"]["gene_types"] = None
    (root / "config/config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    run = snakemake(root, "results/inputs/genes.tsv", check=False)
    assert run.returncode != 0
    log = (root / "logs/gene_table.log").read_text()
    assert "chr21" in log and "absent from" in log and "ENSG_FAKE_21" in log
    assert not (root / "results/inputs/genes.tsv").exists()
