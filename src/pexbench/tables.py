"""Tab-separated tables on disk: one writer (atomic, deterministic bytes), one reader, and the
gzip-aware text opener used by every input reader.

Every table pexbench or its workflow writes goes through `write_table`: numbers with 8
significant digits (`FLOAT_FORMAT`; float32 model outputs carry about 7), missing values as `NA`,
gzip (names ending in .gz) without timestamp or file name in the header, so that equal tables
give equal bytes, written to a temporary file beside the target and renamed into place, so that
a failed write leaves no partial table.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

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


def write_table(frame: pd.DataFrame, path: PathLike) -> Path:
    """Write `frame` as TSV (see the module docstring for the format) atomically; return the
    path."""
    final = Path(path)
    options: dict[str, Any] = {
        "sep": "\t",
        "index": False,
        "float_format": FLOAT_FORMAT,
        "na_rep": NA_REP,
    }
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


def read_table(path: PathLike, **kwargs: Any) -> pd.DataFrame:
    """Read a TSV written by `write_table` (gzip by name); `kwargs` go to `pandas.read_csv`."""
    return pd.read_csv(path, sep="\t", **kwargs)
