"""Run description: warnings, inputs with checksums, versions, hardware, code version, HTML."""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from pexbench import report
from pexbench.errors import InputError, ModelError
from pexbench.models import facts


def config_for(tmp_path: Path, *, weights: str, fasta_name: str) -> dict:
    fasta = tmp_path / fasta_name
    fasta.write_text(">chr1\nACGT\n")
    vcf = tmp_path / "calls.vcf"
    vcf.write_bytes(b"##fileformat=VCFv4.2\n")
    return {
        "inputs": {"fasta": fasta.name, "vcf": vcf.name, "covariates": None},
        "models": [{"name": "enf", "type": "enformer", "weights": weights, "device": "cpu"}],
        "evaluation": {"fdr": 0.05, "correlation": "pearson"},
        "genes": {"shards": 2},
    }


FIXED_SOFTWARE = {"python": "3.x", "pexbench": "0.1.0"}
FIXED_HARDWARE = {"cpu": "test cpu", "gpu": "none visible"}


def describe(cfg: dict, root: Path) -> str:
    return report.describe_run(
        cfg, root=root, software=FIXED_SOFTWARE, hardware=FIXED_HARDWARE, workflow_dir=root
    )


def test_random_weights_and_synthetic_reference_are_loud(tmp_path: Path) -> None:
    cfg = config_for(tmp_path, weights="tiny", fasta_name="chr22.synthetic_background.fa")
    rst = describe(cfg, tmp_path)
    head = rst.split("Inputs\n------", 1)[0]
    assert "Warnings: NOT A RESULT" in head
    assert head.count(".. danger::") == 2
    assert "'enf' (enformer) runs with weights 'tiny'" in head
    assert "synthetic background" in head
    assert "| NO: NOT A RESULT" not in rst  # table cell, not markup
    assert "NO: NOT A RESULT" in rst


def test_trained_weights_and_real_reference_have_no_warning(tmp_path: Path) -> None:
    cfg = config_for(tmp_path, weights="EleutherAI/enformer-official-rough", fasta_name="hg19.fa")
    rst = describe(cfg, tmp_path)
    assert "NOT A RESULT" not in rst
    assert ".. danger::" not in rst


@pytest.mark.parametrize(
    ("kind", "weights", "untrained"),
    [
        ("enformer", "tiny", True),
        ("enformer", "TINY", True),
        ("enformer", "EleutherAI/enformer-official-rough", False),
        ("enformer", "resources/enformer_hf", False),
        ("probe", None, True),
        ("probe", "anything", True),
        ("xpresso", "resources/xpresso.h5", False),
    ],
)
def test_weight_rule(kind: str, weights: str | None, untrained: bool) -> None:
    # one decision for the workflow and the report: pexbench.models.facts.is_trained
    spec = {"name": "m", "type": kind, "weights": weights}
    assert (report.model_weight_warning(spec) is not None) is untrained
    assert untrained is not facts.is_trained(spec)
    with pytest.raises(ModelError, match=r"models\[3\]\.type"):
        report.model_weight_warning({**spec, "type": "basenji"}, where="models[3]")


def test_synthetic_inputs_other_than_reference(tmp_path: Path) -> None:
    warnings = report.synthetic_input_warnings(
        {"fasta": "a/synthetic.fa", "chromatin_states": "x/chromatin_states.synthetic.bed.gz"},
        skip=["fasta"],
    )
    assert len(warnings) == 1 and "chromatin_states" in warnings[0]


def test_input_checksums_match_sha256sum(tmp_path: Path) -> None:
    cfg = config_for(tmp_path, weights="w.h5", fasta_name="ref.fa")
    rst = describe(cfg, tmp_path)
    if shutil.which("sha256sum") is None:
        pytest.skip("sha256sum not available")
    for name in ("ref.fa", "calls.vcf"):
        out = subprocess.run(
            ["sha256sum", str(tmp_path / name)], capture_output=True, text=True, check=True
        )
        assert f"sha256:{out.stdout.split()[0]}" in rst
    assert "(not a file)" not in rst.split("covariates")[0]
    assert report.file_digest(tmp_path / "ref.fa", limit=1).startswith("not hashed")
    assert report.file_digest(tmp_path / "absent") == "missing"


def test_weight_checksums(tmp_path: Path) -> None:
    cfg = config_for(tmp_path, weights="w.h5", fasta_name="ref.fa")
    (tmp_path / "w.h5").write_bytes(b"weights")
    rst = describe(cfg, tmp_path)
    assert "sha256:" + hashlib.sha256(b"weights").hexdigest() in rst
    hf = tmp_path / "hf"
    (hf / "sub").mkdir(parents=True)
    (hf / "config.json").write_text("{}")
    (hf / "sub" / "model.bin").write_bytes(b"\x00\x01")
    listing = "".join(
        f"{rel}\tsha256:{hashlib.sha256(data).hexdigest()}\n"
        for rel, data in (("config.json", b"{}"), ("sub/model.bin", b"\x00\x01"))
    )
    expected = hashlib.sha256(listing.encode()).hexdigest()
    assert report.path_digest(hf) == f"directory of 2 files, sha256-of-listing:{expected}"
    assert report.path_digest(tmp_path / "EleutherAI" / "x") == "not a local file"


def test_settings_and_full_config_are_listed(tmp_path: Path) -> None:
    cfg = config_for(tmp_path, weights="w.h5", fasta_name="ref.fa")
    rst = describe(cfg, tmp_path)
    assert "evaluation.fdr" in rst and "0.05" in rst
    assert "genes.shards" in rst
    assert ".. code-block:: yaml" in rst and "correlation: pearson" in rst


def test_software_versions_match_modules() -> None:
    import numpy
    import pandas
    import torch

    v = report.software_versions()
    assert v["numpy"] == numpy.__version__
    assert v["pandas"] == pandas.__version__
    assert torch.__version__.startswith(v["torch"].split("+")[0])
    assert v["enformer-pytorch"] == importlib.metadata.version("enformer-pytorch")
    assert (
        report.software_versions(["surely-not-installed-pkg"])["surely-not-installed-pkg"]
        == "not installed"
    )
    for name in (
        "python",
        "pexbench",
        "snakemake",
        "pysam",
        "scipy",
        "statsmodels",
        "scikit-learn",
    ):
        assert name in v


def test_hardware_info() -> None:
    hw = report.hardware_info()
    assert hw["cores"].startswith(f"{os.cpu_count()} logical")
    pages = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert abs(float(hw["memory"].split()[0]) - pages / 1024**3) < 0.2
    assert hw["cpu"]
    assert "gpu" in hw


@pytest.mark.skipif(shutil.which("git") is None, reason="git not available")
def test_code_version_from_git(tmp_path: Path) -> None:
    assert "no git commit" in report.code_version(tmp_path)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(tmp_path), *args], capture_output=True, text=True, check=True, env=env
        ).stdout.strip()

    git("init", "-q")
    (tmp_path / "f").write_text("x")
    git("add", "f")
    git("commit", "-q", "-m", "c")
    git("tag", "v9.9.9")
    commit = git("rev-parse", "HEAD")
    assert report.code_version(tmp_path).startswith(f"v9.9.9 (commit {commit}")
    (tmp_path / "f").write_text("y")
    assert report.code_version(tmp_path).startswith("v9.9.9-dirty")


def test_html_is_standalone(tmp_path: Path) -> None:
    cfg = config_for(tmp_path, weights="tiny", fasta_name="demo.fa")
    rst = report.write_description(
        cfg,
        tmp_path / "d.rst",
        tmp_path / "d.html",
        root=tmp_path,
        software=FIXED_SOFTWARE,
        hardware=FIXED_HARDWARE,
    )
    html = (tmp_path / "d.html").read_text()
    assert (tmp_path / "d.rst").read_text() == rst
    assert '<div class="danger admonition">' in html or 'class="admonition danger"' in html
    assert "<table" in html and "http://" not in html.split("<body")[1]
    assert "<link " not in html  # stylesheet embedded
    with pytest.raises(InputError, match="not valid reStructuredText"):
        report.render_html("Title\n===\n\n.. nosuchdirective::\n")


def test_model_settings_list_only_the_keys_the_type_uses(tmp_path: Path) -> None:
    cfg = config_for(tmp_path, weights="x.h5", fasta_name="ref.fa")
    cfg["models"] = [
        {
            "name": "xp",
            "type": "xpresso",
            "weights": "x.h5",
            "tss_index": 6999,
            "tss_bins": 3,
            "bin_size": 128,
            "crop_bins": 4,
            "tracks": None,
            "device": "cpu",
        }
    ]
    rst = describe(cfg, tmp_path)
    row = next(line for line in rst.splitlines() if "tss\\_index=6999" in line)
    assert "sequence\\_length=14000" in row and "device=cpu" in row
    for unused in ("tss\\_bins", "bin\\_size", "crop\\_bins", "tracks"):
        assert unused not in row


def test_models_as_run_show_resolved_settings(tmp_path: Path) -> None:
    """`auto` settings appear as the loaded model resolved them (Xpresso on CPU: batch 64),
    and jobs with the same values share a row."""
    import json

    from pexbench.models import load_model
    from pexbench.predict_job import run_record

    repo = Path(__file__).resolve().parents[2]
    spec = {
        "name": "xp",
        "type": "xpresso",
        "weights": str(repo / "resources" / "demo" / "xpresso_GM12878.h5"),
        "device": "cpu",
        "batch_size": "auto",
    }
    record = run_record(load_model(spec), threads=2)
    probe = run_record(
        load_model({"name": "pr", "type": "probe", "sequence_length": 2048}), threads=1
    )
    paths = []
    for i, rec in enumerate([record, record, probe]):
        paths.append(tmp_path / f"{i}.run.json")
        paths[-1].write_text(json.dumps(rec))
    rows = report.models_as_run(paths)
    assert [r[:2] for r in rows] == [("xp", 2), ("pr", 1)]
    xp = dict(zip(report.AS_RUN_COLUMNS, rows[0], strict=True))
    assert xp["device"] == "cpu" and xp["batch size"] == "64" and xp["threads"] == 2
    assert xp["precision"].startswith("fp32: Xpresso ignores")
    assert xp["input length"] == 14_000 and xp["tracks"] == ", ".join(record["tracks"])
    cfg = config_for(tmp_path, weights="x.h5", fasta_name="ref.fa")
    rst = report.describe_run(
        cfg, root=tmp_path, software=FIXED_SOFTWARE, hardware=FIXED_HARDWARE, runs=paths
    )
    assert "Models as run" in rst and rst.count("Xpresso ignores") == 1


def test_input_flags_name_a_synthetic_reference_and_synthetic_inputs(tmp_path: Path) -> None:
    cfg = config_for(tmp_path, weights="resources/enformer_hf", fasta_name="synthetic_bg.fa")
    cfg["inputs"]["chromatin_states"] = "x/chromatin_states.synthetic.bed.gz"
    flags = report.input_flags(cfg)
    assert flags == ["synthetic reference", "synthetic input: chromatin_states"]
    assert report.input_flag_line(flags) == (
        "NOT A RESULT: synthetic reference; synthetic input: chromatin_states"
    )
    # one decision with the run description: a warning there for every flag here
    assert describe(cfg, tmp_path).count(".. danger::") == len(flags)
    # the config key decides over the file name, both ways
    assert report.input_flags({**cfg, "reference_is_synthetic": False}) == flags[1:]
    real = config_for(tmp_path, weights="resources/enformer_hf", fasta_name="hg19.fa")
    assert report.input_flags({**real, "reference_is_synthetic": True}) == flags[:1]


def test_real_inputs_have_no_flags(tmp_path: Path) -> None:
    cfg = config_for(tmp_path, weights="resources/enformer_hf", fasta_name="hg19.fa")
    assert report.input_flags(cfg) == []
    demo = Path(__file__).resolve().parents[2] / "config" / "config.yaml"
    assert report.input_flags(yaml.safe_load(demo.read_text(encoding="utf-8"))) == []
