"""Tab-separated tables on disk: one writer (atomic, deterministic bytes), one reader, and the
gzip-aware text opener used by every input reader.

Every table pexbench or its workflow writes goes through `write_table`: numbers with 8
significant digits (`FLOAT_FORMAT`; float32 model outputs carry about 7), missing values as `NA`,
gzip (names ending in .gz) without timestamp or file name in the header, so that equal tables
give equal bytes, written to a temporary file beside the target and renamed into place, so that
a failed write leaves no partial table.

With `kind=` (a table of `pexbench.columns.TABLES`), `write_table` writes the declared columns in
the declared order and `read_table` reads them with the declared dtypes and checks that they
are all there, naming the file and the rule that writes it when one is missing.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from pexbench.columns import TableSpec, empty_table, table_spec
from pexbench.errors import InputError

FLOAT_FORMAT = "%.8g"
NA_REP = "NA"
GZIP_MAGIC = b"\x1f\x8b"

PathLike = str | os.PathLike[str]


def is_gzip(path: PathLike) -> bool:
    """Whether `path` starts with the gzip magic bytes (plain gzip and bgzip alike)."""
    with open(path, "rb") as fh:
        return fh.read(2) == GZIP_MAGIC


def open_text(path: PathLike) -> io.TextIOBase:
    """`path` opened for reading as UTF-8 text, decompressed when it is gzip (or bgzip)."""
    if is_gzip(path):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8")


@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path` (same directory, so the rename is atomic; parent
    directories are created); rename it to `path` on success, remove it on failure."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".tmp{os.getpid()}.{final.name}")
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()


def _declared(frame: pd.DataFrame, spec: TableSpec, path: PathLike) -> pd.DataFrame:
    """`frame` with the declared columns first, in order (a frame without rows gets any it
    lacks); ValueError naming the columns when a table with rows lacks some or has others."""
    missing = [c for c in spec.names if c not in frame.columns]
    if missing and len(frame) == 0:
        frame = empty_table(spec.kind).assign(**{c: frame[c] for c in frame.columns})
        missing = []
    extra = [c for c in frame.columns if c not in spec.columns]
    if missing or (extra and not spec.extra_columns):
        raise ValueError(
            f"{path}: a {spec.kind!r} table (pexbench.columns) has the columns {spec.names}; "
            f"this one lacks {missing} and has undeclared {extra}. Fix the code that builds it "
            "or the declaration in pexbench.columns."
        )
    return frame[[*spec.names, *extra]]


_TSV_OPTIONS: dict[str, Any] = {
    "sep": "\t",
    "index": False,
    "float_format": FLOAT_FORMAT,
    "na_rep": NA_REP,
}


def table_text(frame: pd.DataFrame, *, kind: str | None = None) -> str:
    """The TSV text `write_table` writes for `frame` (e.g. for standard output)."""
    if kind is not None:
        frame = _declared(frame, table_spec(kind), "<text>")
    return str(frame.to_csv(**_TSV_OPTIONS))


def write_table(frame: pd.DataFrame, path: PathLike, *, kind: str | None = None) -> Path:
    """Write `frame` as TSV (see the module docstring for the format) atomically; return the
    path. With `kind`, the declared columns of that table kind, in the declared order."""
    final = Path(path)
    if kind is not None:
        frame = _declared(frame, table_spec(kind), final)
    options = _TSV_OPTIONS
    with atomic_path(final) as tmp:
        if final.suffix != ".gz":
            frame.to_csv(tmp, **options)
        else:
            with (
                open(tmp, "wb") as raw,
                gzip.GzipFile(fileobj=raw, mode="wb", filename="", mtime=0) as gz,
                io.TextIOWrapper(gz, encoding="utf-8", newline="") as text,
            ):
                frame.to_csv(text, **options)
    return final


def read_table(path: PathLike, *, kind: str | None = None, **kwargs: Any) -> pd.DataFrame:
    """Read a TSV written by `write_table` (gzip by name); `kwargs` go to `pandas.read_csv`.

    With `kind`, the declared columns are read with their dtypes (identifiers as text) and must
    all be present (InputError naming the file, the missing columns and the rule that writes
    the table); a table without rows gets the declared columns it lacks.
    """
    if kind is None:
        return pd.read_csv(path, sep="\t", **kwargs)
    spec = table_spec(kind)
    try:
        frame = pd.read_csv(path, sep="\t", dtype=dict(spec.columns), **kwargs)
    except ValueError as exc:
        raise InputError(
            f"{path}: not a {kind!r} table as {spec.writer} writes it ({exc}); re-run that rule."
        ) from exc
    missing = [c for c in spec.names if c not in frame.columns]
    if missing and len(frame) == 0:
        return _declared(frame, spec, path)
    if missing:
        raise InputError(
            f"{path}: a {kind!r} table lacks the column(s) {missing} (it has "
            f"{list(frame.columns)}); it is written by {spec.writer}: re-run that rule (it may "
            "come from an older pexbench)."
        )
    return frame


def read_tables(paths: Iterable[PathLike], *, kind: str) -> pd.DataFrame:
    """The tables of `kind` at `paths` (e.g. one per shard) as one table, in path order."""
    frames = [read_table(p, kind=kind) for p in paths]
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty_table(kind)
    return pd.concat(frames, ignore_index=True)
