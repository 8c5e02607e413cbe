"""The config schema: defaults filled, bad values rejected clearly, every key documented."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from snakemake.exceptions import WorkflowError  # validate() wraps the jsonschema error
from snakemake.utils import validate

REPO = Path(__file__).resolve().parents[2]
SCHEMA = str(REPO / "workflow/schemas/config.schema.yaml")
SNAKEMAKE = [sys.executable, "-m", "snakemake"]

MINIMAL = {
    "inputs": {"fasta": "a.fa", "vcf": "a.vcf.gz", "annotation": "a.gtf", "expression": "e.bed"},
    "haplotypes": {"unphased": "error"},
    "models": [{"name": "m", "type": "probe"}],
}


def checked(config: dict) -> dict:
    config = copy.deepcopy(config)
    validate(config, SCHEMA)
    return config


def schema_keys(props: dict, prefix: str = "") -> list[str]:
    keys = []
    for name, sub in props.items():
        key = prefix + name
        if sub.get("type") == "object" and "properties" in sub:
            keys += schema_keys(sub["properties"], key + ".")
        elif sub.get("type") == "array" and "properties" in sub.get("items", {}):
            keys.append(key)
            keys += schema_keys(sub["items"]["properties"], key + "[].")
        else:
            keys.append(key)
    return keys


def test_defaults_are_filled() -> None:
    config = checked(MINIMAL)
    assert config["genes"]["shards"] == 4
    assert config["genes"]["gene_types"] == ["protein_coding", "lincRNA"]
    assert config["haplotypes"]["seed"] == 0
    assert config["aggregate"] == {"combine": "sum", "log1p": True}
    assert config["evaluation"]["correlation"] == "pearson"
    assert config["baseline"]["enabled"] is True
    model = config["models"][0]
    assert model["bin_reduce"] == "mean" and model["device"] == "cpu"
    assert model["sequence_length"] is None and model["tss_bins"] == 3
    assert config["inputs"]["chromatin_states"] is None
    assert model["slurm_partition"] is None
    assert config["evaluation"]["chromatin_state_mapping"] is None
    assert config["report"]["max_table_rows"] == 5000  # report.smk reads it without .get


@pytest.mark.parametrize(
    "value", [None, "encode", "roadmap15", "broad15", {"1_TssA": "TSS", "x": "WE"}]
)
def test_chromatin_state_mapping_accepts_presets_and_mappings(value: object) -> None:
    config = copy.deepcopy(MINIMAL)
    config["evaluation"] = {"chromatin_state_mapping": value}
    assert checked(config)["evaluation"]["chromatin_state_mapping"] == value


@pytest.mark.parametrize("value", ["chromhmm18", {"1_TssA": "Promoter"}, ["TSS"]])
def test_chromatin_state_mapping_rejects_unknown_presets_and_labels(value: object) -> None:
    config = copy.deepcopy(MINIMAL)
    config["evaluation"] = {"chromatin_state_mapping": value}
    with pytest.raises(WorkflowError, match="chromatin_state_mapping"):
        validate(config, SCHEMA)


@pytest.mark.parametrize("name", ["config.yaml", "geuvadis.yaml"])
def test_shipped_configs_are_valid(name: str) -> None:
    config = checked(yaml.safe_load((REPO / "config" / name).read_text()))
    assert config["haplotypes"]["unphased"] in {"error", "as_phased", "random"}


def test_unphased_policy_is_required() -> None:
    config = copy.deepcopy(MINIMAL)
    del config["haplotypes"]["unphased"]
    with pytest.raises(WorkflowError, match="'unphased' is a required property"):
        validate(config, SCHEMA)
    config["haplotypes"] = {}
    with pytest.raises(WorkflowError, match="unphased"):
        validate(config, SCHEMA)
    del config["haplotypes"]
    with pytest.raises(WorkflowError, match="'haplotypes' is a required property"):
        validate(config, SCHEMA)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("haplotypes", "unphased"), "phase_it", "'phase_it' is not one of"),
        (("aggregate", "combine"), "max", "'max' is not one of"),
        (("evaluation", "correlation"), "kendall", "'kendall' is not one of"),
        (("evaluation", "fdr"), 0, "less than or equal to the minimum"),
        (("genes", "shards"), 0, "less than the minimum of 1"),
        (("genes", "regions"), ["chr22:100"], "does not match"),
        (("genes", "windw"), 5, "Additional properties are not allowed"),
        (("downloads",), {"x.vcf": "not-a-url"}, "does not match"),
    ],
)
def test_bad_values_are_rejected(path: tuple, value: object, message: str) -> None:
    config = copy.deepcopy(MINIMAL)
    node = config
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
    with pytest.raises(WorkflowError, match=re.escape(message)):
        validate(config, SCHEMA)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("type", "borzoi", "'borzoi' is not one of"),
        ("device", "gpu", "does not match"),
        ("batch_size", 0, "is not valid under any of the given schemas"),
        ("name", "a/b", "does not match"),
        ("weigths", "x", "Additional properties are not allowed"),
    ],
)
def test_bad_model_entries_are_rejected(key: str, value: object, message: str) -> None:
    config = copy.deepcopy(MINIMAL)
    config["models"][0][key] = value
    with pytest.raises(WorkflowError, match=re.escape(message)):
        validate(config, SCHEMA)


def test_every_key_is_documented_in_config_readme() -> None:
    schema = yaml.safe_load(Path(SCHEMA).read_text())
    readme = (REPO / "config/README.md").read_text()
    documented = set(re.findall(r"^\| `([^`]+)` \|", readme, flags=re.M))
    keys = set(schema_keys(schema["properties"]))
    assert keys - documented == set(), "keys missing from config/README.md"
    assert documented - keys == set(), "config/README.md documents keys the schema lacks"


def _workflow_copy(tmp_path: Path) -> Path:
    """Snakefile, workflow/ and envs/ in a temp dir (the config is written by the test)."""
    root = tmp_path / "wf"
    root.mkdir()
    shutil.copy(REPO / "Snakefile", root)
    shutil.copytree(REPO / "workflow", root / "workflow")
    if (REPO / "envs").is_dir():
        shutil.copytree(REPO / "envs", root / "envs")
    (root / "config").mkdir()
    return root


def _dry_run_output(tmp_path: Path, config: dict) -> str:
    """stdout + stderr of a failing dry run of the workflow on `config`."""
    root = _workflow_copy(tmp_path)
    (root / "config/config.yaml").write_text(yaml.safe_dump(config))
    run = subprocess.run(
        [*SNAKEMAKE, "-n", "--cores", "1"], cwd=root, capture_output=True, text=True
    )
    assert run.returncode != 0
    return run.stdout + run.stderr


def test_workflow_refuses_a_config_without_unphased_policy(tmp_path: Path) -> None:
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    del config["haplotypes"]["unphased"]
    assert "'unphased' is a required property" in _dry_run_output(tmp_path, config)


def test_workflow_refuses_duplicate_model_names(tmp_path: Path) -> None:
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    config["models"].append(dict(config["models"][0]))
    assert "names must be unique" in _dry_run_output(tmp_path, config)


def test_geuvadis_config_builds_a_dag_with_downloads_and_gpu_jobs(tmp_path: Path) -> None:
    """The real-study config cannot run offline, but its DAG must build: every input comes
    from rule download, and the Enformer predict jobs request one GPU."""
    root = _workflow_copy(tmp_path)
    shutil.copy(REPO / "config/config.yaml", root / "config/config.yaml")
    shutil.copy(REPO / "config/geuvadis.yaml", root / "config/geuvadis.yaml")
    # local weights must exist when the DAG is built (pexbench.checks); the rest is downloaded
    (root / "resources/demo").mkdir(parents=True)
    shutil.copy(REPO / "resources/demo/xpresso_GM12878.h5", root / "resources/demo")
    run = subprocess.run(
        [
            *SNAKEMAKE,
            "-n",
            "--cores",
            "16",
            "results/predictions/enformer/000.tsv.gz",
            "results/predictions/xpresso/000.tsv.gz",
            "--configfile",
            "config/geuvadis.yaml",
        ],
        cwd=root,
        capture_output=True,
        text=True,
    )
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-3000:]
    jobs = out.split("\nrule ")
    fetched = {
        j.split("output: resources/downloads/", 1)[1].split("\n", 1)[0]
        for j in jobs
        if j.startswith("download:")
    }
    # everything these two targets need except the chromatin states
    assert fetched == {
        "hg19.chr22.fa.gz",
        "ALL.chr22.phase3.genotypes.vcf.gz",
        "ALL.chr22.phase3.genotypes.vcf.gz.tbi",
        "gencode.v19.annotation.gtf.gz",
        "genes.50percent.chr22.bed.gz",
        "genes.covariates.pc50.txt.gz",
        "targets_human.txt",
    }
    enformer = next(j for j in jobs if j.startswith("predict:") and "model=enformer," in j)
    xpresso = next(j for j in jobs if j.startswith("predict:") and "model=xpresso," in j)
    assert "gpu=1" in enformer and "gpu=1" not in xpresso
    # models[].slurm_partition: set for Enformer in geuvadis.yaml, null (unset) for Xpresso
    assert "slurm_partition=gpu" in enformer and "slurm_partition" not in xpresso
