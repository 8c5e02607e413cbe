"""DAG-time checks (pexbench.checks): one line per problem with the key path, a user's config
complete on its own, --config text parsed as YAML, VCF lists and {chrom} patterns, input files,
weights, tracks, contigs and sample ids. Oracles: hand-written configs and files."""

from __future__ import annotations

import copy
import gzip
from pathlib import Path

import pysam
import pytest
import yaml

from pexbench import checks

REPO = Path(__file__).resolve().parents[2]
SCHEMA = checks.load_schema(REPO / "workflow/schemas/config.schema.yaml")
MINIMAL = {
    "inputs": {"fasta": "a.fa", "vcf": "a.vcf.gz", "annotation": "a.gtf", "expression": "e.bed"},
    "haplotypes": {"unphased": "error"},
    "models": [{"name": "m", "type": "probe"}],
}


def test_config_problems_one_line_each_with_key_path() -> None:
    assert checks.config_problems(MINIMAL, SCHEMA) == []
    config = copy.deepcopy(MINIMAL)
    del config["inputs"]["fasta"]
    del config["haplotypes"]["unphased"]
    config["evaluation"] = {"fdr": 2}
    config["models"][0]["device"] = "gpu"
    problems = checks.config_problems(config, SCHEMA)
    assert len(problems) == 4
    assert "config inputs.fasta: 'fasta' is a required property" in problems
    assert "config haplotypes.unphased: 'unphased' is a required property" in problems
    assert any(p.startswith("config evaluation.fdr: 2 is greater than") for p in problems)
    assert any(p.startswith("config models[0].device: 'gpu' does not match") for p in problems)
    assert all("\n" not in p for p in problems)
    with pytest.raises(checks.ConfigError, match=r"4 problem\(s\)"):
        checks.raise_problems(problems)


def test_user_config_must_name_every_input(tmp_path: Path) -> None:
    my = tmp_path / "my.yaml"
    my.write_text(yaml.safe_dump({"inputs": {"fasta": "a.fa", "covariates": None}}))
    problems = checks.user_config_problems([my], SCHEMA)
    missing = sorted(p.split(":")[0] for p in problems)
    assert missing == [
        "config inputs.annotation",
        "config inputs.chromatin_states",
        "config inputs.expression",
        "config inputs.targets",
        "config inputs.vcf",
    ]
    assert str(my) in problems[0] and "null for none" in problems[0]
    assert checks.user_config_problems([], SCHEMA) == []  # the demo itself


def test_cli_text_is_parsed_as_yaml() -> None:
    files = {"evaluation": {"fdr": 0.05, "correlation": "spearman"}}
    # Snakemake gives `--config "evaluation={fdr: 0.1}"` as {'evaluation': {'fdr': '0.1'}}
    config = {"evaluation": {"fdr": "0.1", "correlation": "spearman"}}
    assert checks.parse_cli_values(config, {"evaluation": {"fdr": "0.1"}}, files, SCHEMA) == []
    assert config["evaluation"] == {"fdr": 0.1, "correlation": "spearman"}
    # a whole section as text is merged over the files' section
    config = {"evaluation": "{fdr: 0.2}"}
    checks.parse_cli_values(config, {"evaluation": "{fdr: 0.2}"}, files, SCHEMA)
    assert config["evaluation"] == {"fdr": 0.2, "correlation": "spearman"}
    # strings where the schema wants strings stay strings; bad YAML is named
    config = {"inputs": {"fasta": "1"}, "baseline": {"enabled": "{"}}
    problems = checks.parse_cli_values(
        config, {"inputs": {"fasta": "1"}, "baseline": {"enabled": "{"}}, {}, SCHEMA
    )
    assert config["inputs"]["fasta"] == "1"
    assert len(problems) == 1 and problems[0].startswith("config baseline.enabled:")


def test_vcf_files_list_and_pattern(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "v").mkdir()
    for chrom in ("10", "2", "X", "1"):
        (tmp_path / "v" / f"chr{chrom}.vcf.gz").write_text("")
    (tmp_path / "v" / "chr1.vcf.gz.tbi").write_text("")
    assert checks.vcf_files("a.vcf.gz") == ["a.vcf.gz"]
    assert checks.vcf_files(["b.vcf.gz", "a.vcf.gz"]) == ["b.vcf.gz", "a.vcf.gz"]
    assert checks.vcf_files("v/chr{chrom}.vcf.gz") == [
        "v/chr1.vcf.gz",
        "v/chr2.vcf.gz",
        "v/chr10.vcf.gz",
        "v/chrX.vcf.gz",
    ]
    with pytest.raises(checks.ConfigError, match="no file matches"):
        checks.vcf_files("v/{chrom}.bcf")
    with pytest.raises(checks.ConfigError, match="only hold the wildcard"):
        checks.vcf_files("v/{sample}.vcf.gz")


def _vcf(path: Path, chrom: str, samples: list[str]) -> Path:
    text = (
        "##fileformat=VCFv4.2\n"
        f"##contig=<ID={chrom},length=1000>\n"
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="GT">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(samples) + "\n"
        f"{chrom}\t5\t.\tA\tC\t.\t.\t.\tGT" + "\t0|1" * len(samples) + "\n"
    )
    plain = path.with_suffix("")
    plain.write_text(text)
    pysam.tabix_compress(str(plain), str(path), force=True)
    pysam.tabix_index(str(path), preset="vcf", force=True)
    return path


def test_input_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("ref.fa").write_text(">chr1\n" + "A" * 1000 + "\n")
    pysam.faidx("ref.fa")
    _vcf(tmp_path / "a.vcf.gz", "1", ["s1", "s2"])
    _vcf(tmp_path / "b.vcf.gz", "1", ["s2", "s1"])
    _vcf(tmp_path / "c.vcf.gz", "7", ["s1", "s2"])
    with gzip.open("e.bed.gz", "wt") as fh:
        fh.write("#chr\tstart\tend\tgene\tlength\tstrand\ts1\ts2\nchr1\t1\t2\tg\t1\t+\t1\t2\n")
    Path("cov.txt").write_text("id x1 x2\npc1 1 2\n")
    Path("targets.tsv").write_text(
        "index\tgenome\tidentifier\tfile\tclip\tscale\tsum_stat\tdescription\n"
        "0\t0\tCNhs1\tf\t1\t1\tsum\tCAGE:GM12878\n"
    )
    config = {
        "inputs": {
            "fasta": "ref.fa",
            "vcf": ["a.vcf.gz", "b.vcf.gz", "c.vcf.gz"],
            "annotation": "missing.gtf",
            "expression": "e.bed.gz",
            "covariates": "cov.txt",
            "chromatin_states": None,
            "targets": "targets.tsv",
            "on_ref_mismatch": "error",
        },
        "downloads": {"x.gtf": "https://example.org/x.gtf"},
        "models": [
            {"name": "e", "type": "enformer", "weights": "tiny", "tracks": [0, "nope"]},
            {"name": "x", "type": "xpresso", "weights": "w/xpresso.h5"},
            {
                "name": "h",
                "type": "enformer",
                "weights": "EleutherAI/enformer-official-rough",
                "tracks": ["GM12878"],
            },
        ],
    }
    problems = checks.dag_checks(config)
    text = "\n".join(problems)
    assert "config inputs.annotation: missing.gtf does not exist" in text
    assert "config models[1].weights: w/xpresso.h5 does not exist" in text
    assert "config models[0].tracks[1]: unknown track 'nope'" in text
    assert "b.vcf.gz has other samples than a.vcf.gz" in text
    assert "no contig of c.vcf.gz (7) names a contig of the FASTA" in text
    assert "config inputs.covariates: no individual of cov.txt" in text
    assert len(problems) == 6, text
    # a file under resources/downloads/ that `downloads:` fetches is not missing
    config["inputs"]["annotation"] = "resources/downloads/x.gtf"
    config["inputs"]["vcf"] = "a.vcf.gz"
    config["models"] = config["models"][2:]
    Path("cov.txt").write_text("id s1 s2\npc1 1 2\n")
    assert checks.dag_checks(config) == []


def test_normalise_samples_only_when_far_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _vcf(tmp_path / "a.vcf.gz", "1", ["s1", "s2", "s3", "s4", "s5"])
    Path("e.tsv").write_text("gene_id\ts4\ts2\tother\ng\t1\t2\t3\n")
    # 5 VCF samples, 2 expressed: more than twice as many -> only those, in VCF order
    assert checks.normalise_samples(["a.vcf.gz"], "e.tsv", None) == ["s2", "s4"]
    assert checks.normalise_samples(["a.vcf.gz"], "e.tsv", ["s4"]) == ["s4"]
    assert checks.normalise_samples(["a.vcf.gz"], "e.tsv", "ids.txt") == ["s2", "s4"]
    Path("e.tsv").write_text("gene_id\ts1\ts2\ts3\ng\t1\t2\t3\n")
    assert checks.normalise_samples(["a.vcf.gz"], "e.tsv", None) is None  # not far more
    assert checks.normalise_samples(["missing.vcf.gz"], "e.tsv", None) is None


def _bed(path: Path, rows: list[str], *, index: bool) -> Path:
    """A bgzipped BED of `rows` (chrom, start, end, name), tabix-indexed when `index`."""
    plain = path.with_suffix("")
    plain.write_text("".join(f"{row}\n" for row in rows))
    pysam.tabix_compress(str(plain), str(path), force=True)
    if index:
        pysam.tabix_index(str(path), preset="bed", force=True)
    return path


def test_contigs_of_the_other_inputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("ref.fa").write_text(">chr22\n" + "A" * 1000 + "\n")
    pysam.faidx("ref.fa")
    header = "#chr\tstart\tend\tgene\tlength\tstrand\ts1\n"
    Path("e.bed").write_text(header + "NC_000022.10\t1\t2\tg\t1\t+\t1\n")
    Path("e22.bed").write_text(header + "22\t1\t2\tg\t1\t+\t1\nGL000192.1\t1\t2\th\t1\t+\t1\n")
    Path("e.tsv").write_text("gene_id\ts1\ng\t1\n")  # no chrom column: nothing to check
    _bed(tmp_path / "s.bed.gz", ["7\t0\t10\t1_TssA"], index=True)
    _bed(tmp_path / "plain.bed.gz", ["chr7\t0\t10\t1_TssA"], index=False)
    Path("a.gtf").write_text('1\tHAVANA\tgene\t5\t9\t.\t+\t.\tgene_id "g";\n')
    inputs = {
        "fasta": "ref.fa",
        "expression": "e.bed",
        "chromatin_states": "s.bed.gz",
        "annotation": "a.gtf",
    }
    problems = checks.input_contig_problems(inputs)
    assert [p.split(":")[0] for p in problems] == [
        "config inputs.expression",
        "config inputs.chromatin_states",
        "config inputs.annotation",
    ]
    expected = "no contig of e.bed (NC_000022.10) names a contig of the FASTA ref.fa (chr22)"
    assert expected in problems[0]
    assert "s.bed.gz (7)" in problems[1] and "a.gtf (1)" in problems[2]
    # 22 = chr22 (a contig outside the FASTA is no problem); a BED without an index is read
    inputs |= {"expression": "e22.bed", "chromatin_states": "plain.bed.gz"}
    problems = checks.input_contig_problems(inputs)
    assert len(problems) == 2 and "plain.bed.gz (chr7)" in problems[0], problems
    assert "inputs.expression: 1 of 2 contigs of e22.bed name no contig" in caplog.text
    # a plain TSV, no states, a GTF above the size limit (without an index): nothing to read
    inputs |= {"expression": "e.tsv", "chromatin_states": None}
    assert checks.input_contig_problems(inputs, gtf_max_bytes=10) == []
    # without the FASTA index nothing is checked
    Path("ref.fa.fai").unlink()
    assert checks.input_contig_problems(inputs | {"expression": "e.bed"}) == []


def test_demo_config_has_no_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    config = yaml.safe_load((REPO / checks.DEMO_CONFIG).read_text())
    assert checks.dag_checks(config) == []
