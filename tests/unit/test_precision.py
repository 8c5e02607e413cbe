"""pexbench.precision: `precision: auto` decided by measured parity, explicit values kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from pexbench.errors import ModelError
from pexbench.precision import (
    BF16_MIN_CENTRED_R,
    COLUMNS,
    choose_precision,
    read_parity_table,
)

KEY = dict(model_type="enformer", weights="official", sequence_length=196_608)


def write_table(path: Path, rows: list[dict[str, object]]) -> Path:
    base = dict(
        model_type="enformer",
        weights="official",
        sequence_length=196_608,
        device_type="cuda",
        precision="bf16",
        centred_r=0.9995,
        raw_r=0.99999,
        n_sequences=500,
        n_genes=50,
        measured_on="NVIDIA H100 80GB HBM3",
        torch="2.13.0",
        command="python tests/benchmarks/bench_precision.py --models enformer --device cuda",
        date="2026-01-01",
    )
    lines = ["\t".join(COLUMNS)]
    for row in rows:
        full = {**base, **row}
        lines.append("\t".join(str(full[c]) for c in COLUMNS))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_auto_chooses_bf16_where_measured_parity_passes(tmp_path: Path) -> None:
    table = write_table(tmp_path / "t.tsv", [{}])
    choice = choose_precision("auto", device_type="cuda", table=table, **KEY)
    assert choice.precision == "bf16" and choice.label == "bf16-autocast"
    assert choice.centred_r == pytest.approx(0.9995)
    assert "0.99950 >= 0.999" in choice.reason and "NVIDIA H100" in choice.reason
    extra = choice.as_extra()
    assert extra["precision"] == "bf16-autocast" and extra["precision_centred_r"] == "0.99950"
    assert extra["precision_reason"] == choice.reason


@pytest.mark.parametrize(
    ("device_type", "rows", "want", "why"),
    [
        ("cuda", [], "tf32", "no bf16 parity measurement"),
        ("cpu", [], "fp32", "no bf16 parity measurement"),
        ("cuda", [{"centred_r": 0.91}], "tf32", "bf16 rejected: measured centred r"),
        ("cpu", [{"device_type": "cpu", "centred_r": 0.97}], "fp32", "0.97000 < 0.999"),
        # a row for another key is no evidence for this one
        ("cuda", [{"sequence_length": 131_072}], "tf32", "no bf16 parity"),
        ("cuda", [{"weights": "tiny"}], "tf32", "no bf16 parity"),
        ("cpu", [{}], "fp32", "no bf16 parity"),  # the row is for cuda
        # every matching row must pass: the worst decides
        ("cuda", [{}, {"centred_r": 0.998, "measured_on": "A100"}], "tf32", "0.99800 < 0.999"),
        ("cuda", [{"centred_r": "nan"}], "tf32", "bf16 rejected"),
        # tf32 measured and failing too: fp32
        ("cuda", [{"centred_r": 0.9}, {"precision": "tf32", "centred_r": 0.99}], "fp32", "tf32"),
    ],
)
def test_auto_falls_back_without_passing_evidence(
    tmp_path: Path, device_type: str, rows: list[dict[str, object]], want: str, why: str
) -> None:
    table = write_table(tmp_path / "t.tsv", rows)
    choice = choose_precision("auto", device_type=device_type, table=table, **KEY)
    assert choice.precision == want
    assert choice.reason.startswith("auto: ") and why in choice.reason
    if want == "fp32":
        assert choice.centred_r is None  # fp32 is the reference itself


def test_threshold_is_inclusive(tmp_path: Path) -> None:
    table = write_table(tmp_path / "t.tsv", [{"centred_r": BF16_MIN_CENTRED_R}])
    assert choose_precision("auto", device_type="cuda", table=table, **KEY).precision == "bf16"


@pytest.mark.parametrize(
    ("requested", "device_type", "want"),
    [
        ("bf16", "cpu", "bf16"),
        ("BFloat16", "cuda", "bf16"),
        ("fp32", "cuda", "fp32"),
        ("float32", "cpu", "fp32"),
        ("tf32", "cuda", "tf32"),
        ("tf32", "cpu", "fp32"),  # TF32 is a CUDA feature
        (None, "cpu", "fp32"),  # unset = auto
    ],
)
def test_explicit_values_pass_through(
    tmp_path: Path, requested: str | None, device_type: str, want: str
) -> None:
    table = write_table(tmp_path / "t.tsv", [{"centred_r": 0.5, "device_type": device_type}])
    choice = choose_precision(requested, device_type=device_type, table=table, **KEY)
    assert choice.precision == want
    if requested == "bf16":
        # explicit bf16 is honoured even against the evidence, which the reason states
        assert "bf16 requested" in choice.reason and "0.50000" in choice.reason
        assert choice.centred_r == pytest.approx(0.5)
    if requested == "tf32" and device_type == "cpu":
        assert "only on CUDA" in choice.reason


def test_rows_can_be_passed_directly(tmp_path: Path) -> None:
    rows = read_parity_table(write_table(tmp_path / "t.tsv", [{}]))
    assert choose_precision("auto", device_type="cuda", table=rows, **KEY).precision == "bf16"


@pytest.mark.parametrize("value", ["fp16", "half", "int8"])
def test_bad_value_names_the_key(value: str) -> None:
    with pytest.raises(ModelError, match=r"models\[2\]\.precision: .* auto, bf16, tf32, fp32"):
        choose_precision(value, device_type="cpu", where="models[2].precision", table=[], **KEY)


@pytest.mark.parametrize("value", [None, "", " AUTO "])
def test_unset_means_auto(value: str | None) -> None:
    choice = choose_precision(value, device_type="cuda", table=[], **KEY)
    assert (choice.requested, choice.precision) == ("auto", "tf32")


def test_a_broken_table_is_an_error_naming_file_and_line(tmp_path: Path) -> None:
    bad = write_table(tmp_path / "t.tsv", [{}, {"n_genes": "many"}])
    with pytest.raises(ModelError, match=r"t\.tsv, line 3"):
        read_parity_table(bad)
    (tmp_path / "short.tsv").write_text("model_type\tweights\n")
    with pytest.raises(ModelError, match=r"missing column\(s\) sequence_length"):
        read_parity_table(tmp_path / "short.tsv")
    bad = write_table(tmp_path / "p.tsv", [{"precision": "fp16"}])
    with pytest.raises(ModelError, match="precision must be bf16 or tf32"):
        read_parity_table(bad)


def test_shipped_table_parses_and_every_row_says_how_it_was_measured() -> None:
    rows = read_parity_table()
    assert rows, "the shipped parity table is empty"
    for row in rows:
        assert row.command.startswith("python tests/benchmarks/bench_precision.py")
        assert row.measured_on and row.torch and row.date
        assert row.n_sequences > row.n_genes >= 2
        assert -1.0 <= row.centred_r <= 1.0 and -1.0 <= row.raw_r <= 1.0
    # this CPU's measurement: bf16 loses the between-haplotype signal, so auto stays fp32
    tiny = [r for r in rows if r.weights == "tiny" and r.device_type == "cpu"]
    assert tiny and all(r.centred_r < BF16_MIN_CENTRED_R < r.raw_r for r in tiny)
    choice = choose_precision(
        "auto", device_type="cpu", model_type="enformer", weights="tiny", sequence_length=4096
    )
    assert choice.precision == "fp32" and "bf16 rejected" in choice.reason


def test_the_benchmark_writes_rows_the_table_reads(
    repo_root: Path, shared_data: Path, tmp_path: Path
) -> None:
    """tests/benchmarks/bench_precision.py on a few real genes (seconds), so it cannot rot."""
    import importlib.util

    import torch

    path = repo_root / "tests" / "benchmarks" / "bench_precision.py"
    spec = importlib.util.spec_from_file_location("bench_precision", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    threads = torch.get_num_threads()
    try:
        args = ["--models", "enformer-tiny,xpresso", "--max-genes", "12", "--tsv"]
        assert bench.main([*args, str(tmp_path / "rows.tsv")]) == 0
    finally:
        torch.set_num_threads(threads)
    rows = read_parity_table(tmp_path / "rows.tsv")
    assert [(r.model_type, r.weights, r.sequence_length) for r in rows] == [
        ("enformer", "tiny", 4096),
        ("xpresso", "xpresso_GM12878", 10_500),
    ]
    for row in rows:
        assert row.precision == "bf16" and row.device_type == "cpu" and row.n_genes >= 2
        assert 0.5 < row.centred_r < 1.0 and row.centred_r < row.raw_r < 1.0
        assert "--max-genes 12" in row.command
