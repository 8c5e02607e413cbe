"""Bad input stops the workflow at the rule that reads it: non-zero exit, a message in the rule's
log naming the file and the site or the ids, the same cause as one line in Snakemake's output,
and no finished-looking output.

Each case edits one file of a copy of the bundled demo (see test_workflow.make_workdir).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pysam
import pytest
import yaml
from test_workflow import make_workdir, snakemake

pytestmark = pytest.mark.slow


def _edit_vcf(root: Path, config: dict, edit: Callable[[list[str]], None]) -> None:
    """Rewrite the demo VCF with `edit` applied to its lines; bgzip it, index it if it still can."""
    source = root / config["inputs"]["vcf"]
    with gzip.open(source, "rt") as fh:
        lines = fh.read().splitlines()
    edit(lines)
    plain = root / "resources/edited.vcf"
    plain.write_text("\n".join(lines) + "\n")
    target = pysam.tabix_compress(str(plain), str(plain) + ".gz", force=True) or f"{plain}.gz"
    try:
        pysam.tabix_index(str(target), preset="vcf", force=True)
    except (OSError, ValueError):
        pass  # a malformed file may not index: the workflow must still say what is wrong
    config["inputs"]["vcf"] = "resources/edited.vcf.gz"


def _record_near_gene(lines: list[str], config: dict, root: Path) -> int:
    """Index of the SNV record closest to the first expressed gene's TSS; that gene alone is kept
    (the workflow normalises only the records near its genes)."""
    with gzip.open(root / config["inputs"]["expression"], "rt") as fh:
        fh.readline()
        _, start, _, gene = fh.readline().split("\t")[:4]
    config["genes"].update({"gene_ids": [gene], "gene_types": None, "max_genes": None})
    body = [
        (abs(int(line.split("\t")[1]) - int(start)), i)
        for i, line in enumerate(lines)
        if not line.startswith("#") and len(line.split("\t")[3]) == 1
    ]
    return min(body)[1]


def _ref_mismatch(root: Path, config: dict) -> str:
    def edit(lines: list[str]) -> None:
        i = _record_near_gene(lines, config, root)
        fields = lines[i].split("\t")
        fields[3] = {"A": "C", "C": "G", "G": "T", "T": "A"}[fields[3]]
        fields[4] = "N" if fields[4] != "N" else "A"
        lines[i] = "\t".join(fields)
        edit.site = f"{fields[0]}:{fields[1]}"

    _edit_vcf(root, config, edit)
    return edit.site


def _malformed_line(root: Path, config: dict) -> str:
    def edit(lines: list[str]) -> None:
        i = _record_near_gene(lines, config, root)
        fields = lines[i].split("\t")
        lines[i] = "\t".join(fields[:5])  # a record cut short after ALT
        edit.line = i + 1

    _edit_vcf(root, config, edit)
    return f"line {edit.line} has 5 columns"


# A VCF and expression table without a shared individual stop the run before any job
# (test_user_inputs.py::test_dag_time_checks_stop_before_any_job).
CASES = {
    # case: (edit, rule whose log explains, output that must not exist, words the log must hold)
    "ref_mismatch": (
        _ref_mismatch,
        "normalise_vcf/000",
        "results/inputs/genotypes.vcf.gz",
        ["REF"],
    ),
    "malformed_vcf_line": (
        _malformed_line,
        "normalise_vcf/000",
        "results/inputs/genotypes.vcf.gz",
        ["edited.vcf.gz"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_fails_clearly(case: str, tmp_path: Path) -> None:
    edit, rule, output, words = CASES[case]
    root = make_workdir(tmp_path, case)
    config = yaml.safe_load((root / "config/config.yaml").read_text())
    expected = edit(root, config)
    (root / "config/config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))

    run = snakemake(root, output, check=False)

    assert run.returncode != 0
    log = (root / f"logs/{rule}.log").read_text()
    for word in [expected, *words]:
        assert word in log, f"{word!r} not in the {rule} log:\n{log[-3000:]}"
    assert not (root / output).exists()
    # the failed job's one-line cause is in Snakemake's own output, naming the log
    cause = [line for line in run.stderr.splitlines() if line.startswith("pexbench error:")]
    assert len(cause) == 1 and f"(log: logs/{rule}.log)" in cause[0], run.stderr[-3000:]
    assert expected in cause[0]
    leftovers = [p.name for p in (root / output).parent.glob("*") if ".tmp" in p.name]
    assert leftovers == []
