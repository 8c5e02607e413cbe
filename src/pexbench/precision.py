"""Which numeric precision a model runs in, chosen by measured parity with fp32 (torch-free).

The question is not whether reduced precision is close to fp32 on raw outputs (bf16 always is:
r ≈ 0.9999), but whether it keeps the *differences between a gene's haplotypes*, which is all
this benchmark measures. bf16 keeps 8 bits of mantissa, so its rounding can be as large as a
personal variant's effect: the tiny Enformer on CPU keeps r = 0.9999 raw but only ≈ 0.9
once each gene's outputs are centred across its haplotypes.

`choose_precision` resolves a model's `precision` setting:

- `bf16` (alias `bfloat16`): bf16 autocast; `tf32`: fp32 storage with TF32 matmuls and
  convolutions (CUDA only; on CPU it is fp32, and the reason says so); `fp32` (alias
  `float32`): fp32 throughout, TF32 off. Explicit values are used as given.
- `auto`: bf16 only where the parity table (`data/precision_parity.tsv`, shipped with the
  package) has a bf16 row for this model type, weights kind, sequence length and device type,
  and every such row has centred r >= BF16_MIN_CENTRED_R. Otherwise TF32 on CUDA (unless a
  tf32 row for the same key fails the same threshold: then fp32) and fp32 on CPU.

The table's centred r: run the same personal haplotype sequences in fp32 and in the reduced
precision, centre each gene's outputs across its distinct haplotype sequences, pool all genes
and take Pearson r (reduced vs fp32); raw r is the same without centring. Rows are written by
`tests/benchmarks/bench_precision.py`, whose command line is in each row. A failing row is kept:
it is the evidence for not choosing bf16.

Measured so far only on a CPU (this project has had no GPU): there is no cuda row, so `auto`
on CUDA means TF32 until someone runs the benchmark on a GPU (`--device cuda`) and adds the rows.

Table key: model_type; weights kind (Enformer `tiny` = seeded random weights, `official` =
trained weights of the official architecture, hub id or local copy, `custom` = anything else;
Xpresso: the weights file's stem, e.g. `xpresso_GM12878`); sequence_length (the bases the
network reads: 10,500 for Xpresso); device_type. Xpresso does not resolve a precision yet (it
runs fp32); its row records what bf16 would cost it.
"""

from __future__ import annotations

import csv
import functools
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pexbench.errors import ModelError

PRECISIONS = ("auto", "bf16", "tf32", "fp32")
ALIASES = {"bfloat16": "bf16", "float32": "fp32"}
BF16_MIN_CENTRED_R = 0.999
TABLE_NAME = "precision_parity.tsv"
COLUMNS = (
    "model_type",
    "weights",
    "sequence_length",
    "device_type",
    "precision",
    "centred_r",
    "raw_r",
    "n_sequences",
    "n_genes",
    "measured_on",
    "torch",
    "command",
    "date",
)
# ModelInfo.extra["precision"] labels (bf16 runs as autocast: fp32 weights, bf16 kernels)
LABELS = {"bf16": "bf16-autocast", "tf32": "tf32", "fp32": "fp32"}


@dataclass(frozen=True)
class ParityRow:
    """One measurement: `precision` vs fp32 on personal haplotypes (see module docstring)."""

    model_type: str
    weights: str
    sequence_length: int
    device_type: str
    precision: str
    centred_r: float
    raw_r: float
    n_sequences: int
    n_genes: int
    measured_on: str
    torch: str
    command: str
    date: str

    def key(self) -> tuple[str, str, int, str]:
        return (self.model_type, self.weights, self.sequence_length, self.device_type)

    def describe(self) -> str:
        return (
            f"{self.model_type}/{self.weights}/{self.sequence_length} bp on {self.device_type}, "
            f"{self.n_sequences} haplotype sequences of {self.n_genes} genes, "
            f"{self.measured_on}, {self.date}"
        )


@dataclass(frozen=True)
class PrecisionChoice:
    """The precision a model runs in, why, and its measured centred r vs fp32.

    `centred_r` is None when the chosen precision was not measured for this model, and for
    fp32 (the reference itself); the reason then names the measurement that was rejected.
    """

    precision: str  # bf16 | tf32 | fp32
    requested: str
    reason: str
    centred_r: float | None = None

    @property
    def label(self) -> str:
        return LABELS[self.precision]

    def as_extra(self) -> dict[str, str]:
        """Entries for ModelInfo.extra: precision, precision_reason[, precision_centred_r]."""
        extra = {"precision": self.label, "precision_reason": self.reason}
        if self.centred_r is not None:
            extra["precision_centred_r"] = f"{self.centred_r:.5f}"
        return extra


def _parse_rows(text: str, source: str) -> list[ParityRow]:
    reader = csv.DictReader(io.StringIO(text), delimiter="\t")
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ModelError(
            f"precision parity table {source}: missing column(s) {', '.join(missing)}; "
            f"the header must be: {' '.join(COLUMNS)} (tab-separated)."
        )
    rows = []
    for line, rec in enumerate(reader, start=2):
        try:
            row = ParityRow(
                model_type=rec["model_type"].strip().lower(),
                weights=rec["weights"].strip(),
                sequence_length=int(rec["sequence_length"]),
                device_type=rec["device_type"].strip().lower(),
                precision=rec["precision"].strip().lower(),
                centred_r=float(rec["centred_r"]),
                raw_r=float(rec["raw_r"]),
                n_sequences=int(rec["n_sequences"]),
                n_genes=int(rec["n_genes"]),
                measured_on=rec["measured_on"].strip(),
                torch=rec["torch"].strip(),
                command=rec["command"].strip(),
                date=rec["date"].strip(),
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise ModelError(
                f"precision parity table {source}, line {line}: {exc}; sequence_length, "
                "n_sequences and n_genes must be integers, centred_r and raw_r numbers."
            ) from exc
        if row.precision not in ("bf16", "tf32") or row.device_type not in ("cpu", "cuda"):
            raise ModelError(
                f"precision parity table {source}, line {line}: precision must be bf16 or tf32 "
                f"and device_type cpu or cuda, got {row.precision!r} / {row.device_type!r}."
            )
        rows.append(row)
    return rows


def read_parity_table(path: str | Path | None = None) -> list[ParityRow]:
    """Rows of a parity table; None = the table shipped with the package."""
    if path is None:
        return list(_shipped_rows())
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ModelError(f"cannot read the precision parity table {path}: {exc}") from exc
    return _parse_rows(text, str(path))


@functools.lru_cache(maxsize=1)
def _shipped_rows() -> tuple[ParityRow, ...]:
    ref = resources.files("pexbench").joinpath("data", TABLE_NAME)
    return tuple(_parse_rows(ref.read_text(), f"pexbench/data/{TABLE_NAME}"))


def matching_rows(
    rows: Sequence[ParityRow],
    *,
    model_type: str,
    weights: str,
    sequence_length: int,
    device_type: str,
    precision: str,
) -> list[ParityRow]:
    """Rows measured for exactly this model, weights kind, length, device type and precision."""
    key = (model_type.lower(), weights, int(sequence_length), device_type.lower())
    return [r for r in rows if r.key() == key and r.precision == precision]


def _worst(rows: Sequence[ParityRow]) -> ParityRow | None:
    # NaN (a constant output) counts as failing
    return min(
        rows, key=lambda r: -math.inf if math.isnan(r.centred_r) else r.centred_r, default=None
    )


def _passes(row: ParityRow) -> bool:
    return not math.isnan(row.centred_r) and row.centred_r >= BF16_MIN_CENTRED_R


def choose_precision(
    requested: str | None,
    *,
    device_type: str,
    model_type: str,
    weights: str,
    sequence_length: int,
    table: str | Path | Sequence[ParityRow] | None = None,
    where: str = "precision",
) -> PrecisionChoice:
    """Resolve a `precision` setting (auto, bf16, tf32, fp32) for a device type (cpu, cuda).

    `table`: a parity table path or rows; None = the shipped table. `where` names the config
    key in errors (e.g. `models[0].precision`).
    """
    name = (requested or "auto").strip().lower()
    name = ALIASES.get(name, name)
    if name not in PRECISIONS:
        raise ModelError(
            f"{where}: {requested!r} is not one of {', '.join(PRECISIONS)}; use auto to let the "
            "measured parity table decide."
        )
    device_type = device_type.lower()
    rows = read_parity_table(table) if table is None or isinstance(table, (str, Path)) else table
    key = dict(
        model_type=model_type,
        weights=weights,
        sequence_length=sequence_length,
        device_type=device_type,
    )
    bf16 = _worst(matching_rows(rows, precision="bf16", **key))
    tf32 = _worst(matching_rows(rows, precision="tf32", **key))
    what = f"{model_type}/{weights}/{sequence_length} bp on {device_type}"

    if name != "auto":
        if name == "tf32" and device_type != "cuda":
            return PrecisionChoice(
                "fp32",
                name,
                f"tf32 requested ({where}); TF32 exists only on CUDA: fp32 on {device_type}",
            )
        row = bf16 if name == "bf16" else tf32 if name == "tf32" else None
        measured = (
            f"; measured centred r vs fp32 = {row.centred_r:.5f} ({row.describe()})" if row else ""
        )
        return PrecisionChoice(
            name, name, f"{name} requested ({where}){measured}", row.centred_r if row else None
        )

    if bf16 is not None and _passes(bf16):
        return PrecisionChoice(
            "bf16",
            "auto",
            f"auto: bf16 autocast, measured centred r vs fp32 = {bf16.centred_r:.5f} >= "
            f"{BF16_MIN_CENTRED_R} ({bf16.describe()})",
            bf16.centred_r,
        )
    why_not = (
        f"bf16 rejected: measured centred r vs fp32 = {bf16.centred_r:.5f} < "
        f"{BF16_MIN_CENTRED_R} ({bf16.describe()})"
        if bf16 is not None
        else f"no bf16 parity measurement for {what} in {TABLE_NAME}"
    )
    if device_type == "cuda":
        if tf32 is not None and not _passes(tf32):
            return PrecisionChoice(
                "fp32",
                "auto",
                f"auto: {why_not}; tf32 rejected too: centred r = {tf32.centred_r:.5f} "
                f"({tf32.describe()}): fp32",
            )
        measured = f", measured centred r = {tf32.centred_r:.5f}" if tf32 else ""
        return PrecisionChoice(
            "tf32",
            "auto",
            f"auto: {why_not}: tf32 (fp32 storage, TF32 matmuls and convolutions{measured})",
            tf32.centred_r if tf32 else None,
        )
    return PrecisionChoice("fp32", "auto", f"auto: {why_not}: fp32")
