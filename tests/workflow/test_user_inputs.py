"""Running the workflow on your own data: a user's config is complete or stopped before any job,
`inputs.vcf` as a list or a `{chrom}` pattern (plain-gzip parts included) gives the tables of
the single file, per-gene problems are skipped and listed, REF mismatches are excluded and
listed under `inputs.on_ref_mismatch: exclude`, and every DAG-time check stops the run before
any job. Small copies of the bundled demo (test_workflow.make_workdir); checks that need no job
are dry runs.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pysam
import pytest
import yaml
from test_workflow import make_workdir, small_config, snakemake

pytestmark = pytest.mark.slow

# eQTL tables of both shards and the joined genotypes: what a VCF layout must not change
GENOTYPE_TARGETS = [
    "results/eqtl/000.tsv.gz",
    "results/eqtl/001.tsv.gz",
    "results/inputs/genotypes.counts.tsv",
]
SPLIT_AT = 17_550_000  # between the TSSs of the small config's 4 genes (chr22:17.5-17.6 Mb)


def _config(root: Path) -> dict:
    return yaml.safe_load((root / "config/config.yaml").read_text())


def _write_config(root: Path, config: dict, name: str = "config/config.yaml") -> Path:
    path = root / name
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _split_vcf(root: Path, source: str, names: tuple[str, str], *, bgzip: tuple[bool, bool]):
    """The demo VCF split at SPLIT_AT into two files (same header): bgzipped + indexed, or plain
    gzip without index."""
    with gzip.open(root / source, "rt") as fh:
        lines = fh.read().splitlines()
    header = [line for line in lines if line.startswith("#")]
    body = [line for line in lines if not line.startswith("#")]
    halves = (
        [r for r in body if int(r.split("\t")[1]) < SPLIT_AT],
        [r for r in body if int(r.split("\t")[1]) >= SPLIT_AT],
    )
    for name, records, bgz in zip(names, halves, bgzip, strict=True):
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        text = "\n".join(header + records) + "\n"
        if bgz:
            plain = target.with_suffix("")  # .vcf
            plain.write_text(text)
            pysam.tabix_compress(str(plain), str(target), force=True)
            pysam.tabix_index(str(target), preset="vcf", force=True)
        else:
            with gzip.open(target, "wt") as fh:
                fh.write(text)


def _records(root: Path) -> list[str]:
    with gzip.open(root / "results/inputs/genotypes.vcf.gz", "rt") as fh:
        return [line for line in fh if not line.startswith("#")]


@pytest.fixture(scope="module")
def single_file_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_workdir(tmp_path_factory.mktemp("user_inputs"), "single")
    snakemake(root, *GENOTYPE_TARGETS)
    return root


def _same_genotype_tables(a: Path, b: Path) -> None:
    assert _records(a) == _records(b)
    for table in GENOTYPE_TARGETS[:2]:
        pd.testing.assert_frame_equal(
            pd.read_csv(a / table, sep="\t"), pd.read_csv(b / table, sep="\t")
        )


def test_vcf_list_gives_the_single_file_tables(single_file_run: Path, tmp_path: Path) -> None:
    root = make_workdir(tmp_path, "list")
    config = _config(root)
    parts = ("resources/split/a.vcf.gz", "resources/split/b.vcf.gz")
    _split_vcf(root, config["inputs"]["vcf"], parts, bgzip=(True, True))
    config["inputs"]["vcf"] = list(parts)
    _write_config(root, config)
    snakemake(root, *GENOTYPE_TARGETS)
    _same_genotype_tables(single_file_run, root)
    assert sorted(p.name for p in (root / "logs/normalise_vcf").glob("*.log")) == [
        "000.log",
        "001.log",
    ]
    counts = pd.read_csv(root / "results/inputs/genotypes.counts.tsv", sep="\t")
    assert dict(zip(counts["what"], counts["count"], strict=True))["vcf_parts"] == 2


def test_chrom_pattern_with_plain_gzip_part(single_file_run: Path, tmp_path: Path) -> None:
    root = make_workdir(tmp_path, "pattern")
    config = _config(root)
    # a {chrom} pattern; the second part is plain gzip without an index
    parts = ("resources/split/chr22_1.vcf.gz", "resources/split/chr22_2.vcf.gz")
    _split_vcf(root, config["inputs"]["vcf"], parts, bgzip=(True, False))
    config["inputs"]["vcf"] = "resources/split/chr22_{chrom}.vcf.gz"
    _write_config(root, config)
    snakemake(root, *GENOTYPE_TARGETS)
    _same_genotype_tables(single_file_run, root)


def test_per_gene_problems_and_excluded_ref_mismatch(tmp_path: Path) -> None:
    """One run: a gene whose expression is all NA, a VCF record whose REF disagrees with the
    FASTA under `on_ref_mismatch: exclude`. The run finishes; the gene is listed with its reason,
    the record is counted and listed."""
    root = make_workdir(tmp_path, "problems")
    config = small_config(root)
    config["models"] = [config["models"][0]]  # the tiny Enformer: the fastest full run
    genes_expr = root / config["inputs"]["expression"]
    with gzip.open(genes_expr, "rt") as fh:
        lines = fh.read().splitlines()
    near = sorted(
        (i for i in range(1, len(lines)) if int(lines[i].split("\t")[1]) >= 17_500_000),
        key=lambda i: int(lines[i].split("\t")[1]),
    )
    config["genes"].update({"gene_ids": [lines[i].split("\t")[3] for i in near[:4]]})
    na_row = lines[near[0]].split("\t")
    na_gene = na_row[3]
    lines[near[0]] = "\t".join(na_row[:6] + ["NA"] * (len(na_row) - 6))
    (root / "resources/expression_na.bed").write_text("\n".join(lines) + "\n")
    config["inputs"]["expression"] = "resources/expression_na.bed"
    # the SNV closest to the NA gene's TSS gets a REF the FASTA does not have
    with gzip.open(root / config["inputs"]["vcf"], "rt") as fh:
        vcf = fh.read().splitlines()
    tss = int(na_row[1])
    snv = min(
        (i for i, r in enumerate(vcf) if not r.startswith("#") and len(r.split("\t")[3]) == 1),
        key=lambda i: abs(int(vcf[i].split("\t")[1]) - tss),
    )
    fields = vcf[snv].split("\t")
    fields[3] = {"A": "C", "C": "G", "G": "T", "T": "A"}[fields[3].upper()]
    fields[4] = "N" if fields[4] != "N" else "A"
    vcf[snv] = "\t".join(fields)
    plain = root / "resources/mismatch.vcf"
    plain.write_text("\n".join(vcf) + "\n")
    pysam.tabix_compress(str(plain), f"{plain}.gz", force=True)
    pysam.tabix_index(f"{plain}.gz", preset="vcf", force=True)
    config["inputs"].update({"vcf": "resources/mismatch.vcf.gz", "on_ref_mismatch": "exclude"})
    _write_config(root, config)

    snakemake(root, "results/evaluation/summary.json")

    summary = json.loads((root / "results/evaluation/summary.json").read_text())
    assert summary["run"]["genotypes"]["mismatch_removed"] == 1
    excluded = pd.read_csv(
        root / "results/inputs/ref_mismatches.tsv", sep="\t", dtype={"chrom": str}
    )
    assert excluded[["chrom", "pos", "ref_vcf"]].values.tolist() == [
        [fields[0], int(fields[1]), fields[3]]
    ]
    genes = pd.read_csv(root / "results/inputs/genes.tsv", sep="\t")
    assert na_gene in set(genes["gene_id"])
    assert summary["run"]["baseline"]["genes_not_evaluated"] == {na_gene: "no measurement"}
    # the sequence model lists it (the baseline made no prediction for it: listed above)
    model = summary["models"][config["models"][0]["name"]]
    assert model["genes_not_evaluated"][na_gene] == "no measurement"
    shard = genes.loc[genes["gene_id"] == na_gene, "shard"].iloc[0]
    assert (
        f"gene {na_gene} skipped: no measurement"
        in (root / f"logs/eqtl/{shard:03d}.log").read_text()
    )


def _dry(root: Path, *args: str):  # type: ignore[no-untyped-def]
    return snakemake(root, "-n", *args, check=False)


def test_partial_user_config_stops_and_uses_no_demo_input(tmp_path: Path) -> None:
    root = make_workdir(tmp_path, "partial")
    config = _config(root)
    for key in ("covariates", "chromatin_states"):
        del config["inputs"][key]
    del config["models"]
    _write_config(root, config, "my.yaml")
    run = _dry(root, "--configfile", "my.yaml")
    out = run.stdout + run.stderr
    assert run.returncode != 0
    for key in (
        "config inputs.covariates: not set in",
        "config inputs.chromatin_states",
        "config models:",
    ):
        assert key in out, out[-3000:]
    assert "resources/demo/covariates" not in out  # the demo's covariates were not used
    assert "Job stats" not in out
    # complete, with absolute paths: runs from another directory (-d) without the demo config
    config = _config(root)
    config["inputs"] = {
        k: str(root / v) if isinstance(v, str) else v for k, v in config["inputs"].items()
    }
    config["models"][1]["weights"] = str(root / config["models"][1]["weights"])
    my = _write_config(root, config, "my.yaml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = _dry(root, "-s", str(root / "Snakefile"), "-d", str(elsewhere), "--configfile", str(my))
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]


def test_config_values_as_yaml_text(tmp_path: Path) -> None:
    root = make_workdir(tmp_path, "cli")
    ok = _dry(root, "--config", "evaluation={fdr: 0.1}")
    assert ok.returncode == 0, (ok.stdout + ok.stderr)[-3000:]
    bad = _dry(root, "--config", "evaluation={fdr: 2}")
    assert bad.returncode != 0
    assert "config evaluation.fdr:" in bad.stdout + bad.stderr


def test_dag_time_checks_stop_before_any_job(tmp_path: Path) -> None:
    root = make_workdir(tmp_path, "tracks")
    config = _config(root)
    config["models"][0]["tracks"] = ["no such track"]
    config["models"][1]["weights"] = "resources/demo/missing.h5"
    # an expression table whose individuals are not those of the VCF
    with gzip.open(root / config["inputs"]["expression"], "rt") as fh:
        lines = fh.read().splitlines()
    header = lines[0].split("\t")
    lines[0] = "\t".join(header[:6] + [f"{name}_rna" for name in header[6:]])
    (root / "resources/expression_renamed.bed").write_text("\n".join(lines) + "\n")
    config["inputs"]["expression"] = "resources/expression_renamed.bed"
    _write_config(root, config)
    run = snakemake(root, check=False)
    out = run.stdout + run.stderr
    assert run.returncode != 0
    assert "config models[0].tracks[0]: unknown track 'no such track'" in out, out[-3000:]
    assert "config models[1].weights: resources/demo/missing.h5 does not exist" in out
    assert "is a column of resources/expression_renamed.bed" in out
    assert not (root / "results").exists() and not (root / "logs").exists()
